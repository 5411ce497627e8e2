//! Sending e-mail.
//!
//! [`Mailer`] is the trait services use. [`OutboxMailer`] is its one
//! implementation: it records every message in the `mail_outbox` table (so
//! development and the e2e suite can read what was sent), writes a log line
//! with the subject and a masked address (never the full address or the body), and hands the message to a
//! [`Delivery`] when one is configured: SMTP (native) or Resend's HTTP API
//! (over `codex_outbound`, on both runtimes). With no delivery configured the
//! outbox is the destination: the local default.

mod outbox;
mod resend;
#[cfg(not(target_arch = "wasm32"))]
mod smtp;

use async_trait::async_trait;

pub use outbox::{OutboxEntry, OutboxMailer, read_outbox};
pub use resend::ResendDelivery;
#[cfg(not(target_arch = "wasm32"))]
pub use smtp::SmtpDelivery;

/// One message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    #[error("invalid message: {0}")]
    Invalid(&'static str),
    #[error("mail delivery failed: {0}")]
    Delivery(String),
    #[error("could not record the message: {0}")]
    Outbox(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &Email) -> Result<(), MailError>;

    /// Records `email` as withheld, with a masked address, and never
    /// delivers it: the same write as [`Mailer::send`] records, for a
    /// caller that must cost the same whether or not it mails (a password
    /// reset asked for an address without an account).
    async fn withhold(&self, email: &Email) -> Result<(), MailError>;
}

/// Hands a message to a mail service. `from` is the configured sender.
#[async_trait]
pub trait Delivery: Send + Sync {
    /// `smtp` or `resend`, as recorded in the outbox.
    fn name(&self) -> &'static str;

    async fn deliver(&self, from: &str, email: &Email) -> Result<(), MailError>;
}

/// Refuses messages that would be malformed or allow header injection.
pub fn check(email: &Email) -> Result<(), MailError> {
    let to = email.to.trim();
    let Some((local, domain)) = to.split_once('@') else {
        return Err(MailError::Invalid("recipient is not an e-mail address"));
    };
    if local.is_empty() || domain.len() < 3 || !domain.contains('.') || to.len() > 320 {
        return Err(MailError::Invalid("recipient is not an e-mail address"));
    }
    if to
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
    {
        return Err(MailError::Invalid("recipient is not an e-mail address"));
    }
    if email.subject.chars().any(char::is_control) || email.subject.len() > 998 {
        return Err(MailError::Invalid(
            "subject must be one line of at most 998 bytes",
        ));
    }
    Ok(())
}

/// `jane.doe@example.com` → `j***@example.com`: enough to tell messages
/// apart in a log, not enough to identify anyone.
pub fn mask_address(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().unwrap_or('*');
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(to: &str, subject: &str) -> Email {
        Email {
            to: to.into(),
            subject: subject.into(),
            text: "body".into(),
            html: None,
        }
    }

    #[test]
    fn header_injection_and_bad_addresses_are_refused() {
        assert!(check(&email("a@example.com", "Hello")).is_ok());
        for (to, subject) in [
            ("a@example.com", "Hi\r\nBcc: victim@example.com"),
            ("a@example.com\r\nBcc: x@y.z", "Hi"),
            ("not-an-address", "Hi"),
            ("a@b", "Hi"),
            ("a@example.com, b@example.com", "Hi"),
        ] {
            assert!(check(&email(to, subject)).is_err(), "{to:?} / {subject:?}");
        }
    }

    #[test]
    fn masked_addresses_keep_only_the_first_letter_and_domain() {
        assert_eq!(mask_address("jane.doe@example.com"), "j***@example.com");
        assert_eq!(mask_address("garbage"), "***");
    }
}
