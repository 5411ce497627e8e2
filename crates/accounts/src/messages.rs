//! The e-mails the account flows send, as plain text with an HTML twin.

use codex_mail::Email;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn with_link(to: &str, subject: &str, greeting: &str, lead: &str, link: &str, tail: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: format!("Hello {greeting},\n\n{lead}\n\n{link}\n\n{tail}\n"),
        html: Some(format!(
            "<p>Hello {},</p><p>{}</p><p><a href=\"{}\">{}</a></p><p>{}</p>",
            escape(greeting),
            escape(lead),
            escape(link),
            escape(link),
            escape(tail)
        )),
    }
}

pub fn verify_email(to: &str, name: &str, link: &str) -> Email {
    with_link(
        to,
        "Verify your e-mail address",
        name,
        "Please confirm your e-mail address by opening this link:",
        link,
        "The link works once and expires in 24 hours. If you did not sign up, ignore this message.",
    )
}

pub fn reset_password(to: &str, name: &str, link: &str) -> Email {
    with_link(
        to,
        "Reset your password",
        name,
        "Someone asked to reset the password of your account. To choose a new one, open this link:",
        link,
        "The link works once and expires in an hour. If it was not you, ignore this message: your password stays as it is.",
    )
}

pub fn welcome(to: &str, name: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: "Welcome to Codex".to_owned(),
        text: format!(
            "Hello {name},\n\nYour e-mail address is confirmed and your account is ready.\n"
        ),
        html: Some(format!(
            "<p>Hello {},</p><p>Your e-mail address is confirmed and your account is ready.</p>",
            escape(name)
        )),
    }
}

pub fn password_changed(to: &str, name: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: "Your password was changed".to_owned(),
        text: format!(
            "Hello {name},\n\nThe password of your account was just changed and every session was signed out.\n\
             If this was not you, reset your password now and contact support.\n"
        ),
        html: Some(format!(
            "<p>Hello {},</p><p>The password of your account was just changed and every session was signed out.</p>\
             <p>If this was not you, reset your password now and contact support.</p>",
            escape(name)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_links_are_escaped_in_html() {
        let email = verify_email(
            "ann@example.com",
            "<script>alert(1)</script>",
            "https://x.example/v?token=a&b=\"c\"",
        );
        let html = email.html.expect("html");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("token=a&amp;b=&quot;c&quot;"), "{html}");
        assert!(email.text.contains("https://x.example/v?token=a&b=\"c\""));
    }
}
