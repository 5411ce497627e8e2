//! The session cookie: `codex-session`, HttpOnly, SameSite=Lax, Secure
//! outside development and test, with the configured `Domain` so that
//! sub-domains share it.

use axum::http::{HeaderMap, HeaderValue, header};
use codex_config::Config;
use percent_encoding::percent_decode_str;

pub const SESSION_COOKIE: &str = "codex-session";

/// Names a session may arrive under, in the order they are tried: ours,
/// then the names BetterAuth uses, so existing browsers keep working.
pub const ACCEPTED_NAMES: [&str; 4] = [
    "codex-session",
    "__Secure-codex-session",
    "better-auth.session_token",
    "__Secure-better-auth.session_token",
];

/// The session token the request carries, if any. The value is
/// URL-decoded and cut at the first `.` (BetterAuth signs its cookie as
/// `token.signature`).
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    let pairs: Vec<(&str, &str)> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .collect();
    ACCEPTED_NAMES.iter().find_map(|name| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| {
                percent_decode_str(value.trim_matches('"'))
                    .decode_utf8()
                    .ok()
            })
            .map(|value| value.split('.').next().unwrap_or_default().to_owned())
            .filter(|value| !value.is_empty())
    })
}

fn attributes(config: &Config, max_age: i64) -> String {
    let mut attributes = format!("Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}");
    if let Some(domain) = &config.cookie_domain {
        attributes.push_str("; Domain=");
        attributes.push_str(domain);
    }
    if !config.environment.is_local() {
        attributes.push_str("; Secure");
    }
    attributes
}

/// Whole seconds from `now` until `expires_at`, rounded up, so a new
/// 24-hour session gets `Max-Age=86400`.
fn seconds_until(
    expires_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> i64 {
    let milliseconds = (expires_at - now).num_milliseconds().max(0);
    (milliseconds + 999) / 1000
}

/// `Set-Cookie` that hands `token` to the browser until the session
/// expires.
pub fn issue(
    config: &Config,
    token: &str,
    expires_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> HeaderValue {
    let value = format!(
        "{SESSION_COOKIE}={token}; {}",
        attributes(config, seconds_until(expires_at, now))
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear(config: &Config) -> HeaderValue {
    let value = format!(
        "{SESSION_COOKIE}=; {}; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        attributes(config, 0)
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use codex_config::Environment;

    fn headers(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(cookie).expect("cookie"),
        );
        headers
    }

    #[test]
    fn our_name_wins_and_better_auth_signed_values_are_cut() {
        assert_eq!(
            session_token(&headers(
                "theme=dark; better-auth.session_token=abc.sig; codex-session=xyz"
            )),
            Some("xyz".to_owned())
        );
        assert_eq!(
            session_token(&headers("better-auth.session_token=abc%2Edef.sig")),
            Some("abc".to_owned())
        );
        assert_eq!(session_token(&headers("theme=dark")), None);
        assert_eq!(session_token(&headers("codex-session=")), None);
    }

    #[test]
    fn the_cookie_is_secure_outside_local_and_carries_the_domain() {
        let production = Config::from_source(
            &[
                ("ENVIRONMENT", "production"),
                ("WORKER_SHARED_SECRET", "s"),
                ("RESEND_API_KEY", "k"),
                ("COOKIE_DOMAIN", ".example.com"),
            ],
            Environment::Development,
        )
        .expect("config");
        let now = chrono::Utc::now();
        let set = issue(&production, "tok", now + chrono::Duration::hours(24), now);
        assert_eq!(
            set.to_str().expect("ascii"),
            "codex-session=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400; Domain=.example.com; Secure"
        );
        let local = Config::from_source(&[("ENVIRONMENT", "test")], Environment::Development)
            .expect("config");
        let cleared = clear(&local);
        let cleared = cleared.to_str().expect("ascii");
        assert!(cleared.starts_with("codex-session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"));
        assert!(!cleared.contains("Secure"), "{cleared}");
    }
}
