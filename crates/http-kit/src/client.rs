//! Who is calling: the client's IP address, as far as it can be trusted.
//!
//! - Before anything else: the visitor address the web app's server
//!   forwards in `X-Codex-Client-IP`, when `X-Codex-Client-IP-Signature`
//!   signs it with `WEB_APP_PROXY_SECRET` (see `codex_context::signature`),
//!   so that the visitors behind the SvelteKit server are told apart. An
//!   unsigned, forged, stale or malformed one is ignored (never an error),
//!   and so are both headers when no secret is configured.
//! - Development and test: the first `X-Forwarded-For` entry when present,
//!   so that a test can speak for many clients.
//! - On Workers: `CF-Connecting-IP`, which Cloudflare sets and a client
//!   cannot forge.
//! - Natively: the peer address, unless `TRUST_PROXY_HEADERS` says a proxy
//!   in front sets `CF-Connecting-IP` or `X-Forwarded-For`.

use std::net::IpAddr;

use axum::http::HeaderMap;
use axum::http::request::Parts;
use codex_config::Config;
use codex_context::signature::client_ip as forwarded;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

fn forwarded_for(headers: &HeaderMap) -> Option<String> {
    header(headers, "x-forwarded-for")
        .and_then(|list| list.split(',').next())
        .map(|first| first.trim().to_owned())
        .filter(|first| !first.is_empty())
}

/// The visitor address the web app's server signed, if it is one, is
/// well signed and is fresh at `now` (unix seconds).
fn signed_visitor(headers: &HeaderMap, config: &Config, now: i64) -> Option<String> {
    let secret = config.web_app_proxy_secret.as_ref()?;
    let signed = header(headers, forwarded::HEADER)?;
    let ip: IpAddr = signed.parse().ok()?;
    let signature = header(headers, forwarded::SIGNATURE_HEADER)?;
    match forwarded::verify(secret.expose().as_bytes(), signed, signature, now) {
        Ok(()) => Some(ip.to_string()),
        Err(error) => {
            tracing::debug!(%error, "ignored a forwarded visitor address");
            None
        }
    }
}

/// The client's address at `now` (unix seconds, from the context's clock),
/// or `unknown`. At most 64 characters.
pub fn client_ip(parts: &Parts, config: &Config, now: i64) -> String {
    let headers = &parts.headers;
    let trusted_edge = cfg!(target_arch = "wasm32") || config.trust_proxy_headers;
    let found = signed_visitor(headers, config, now)
        .or_else(|| {
            config
                .environment
                .is_local()
                .then(|| forwarded_for(headers))
                .flatten()
        })
        .or_else(|| {
            trusted_edge
                .then(|| header(headers, "cf-connecting-ip").map(str::to_owned))
                .flatten()
        })
        .or_else(|| {
            config
                .trust_proxy_headers
                .then(|| forwarded_for(headers))
                .flatten()
        })
        .or_else(|| peer_address(parts));
    let mut ip = found.unwrap_or_else(|| "unknown".to_owned());
    ip.truncate(64);
    ip
}

#[cfg(not(target_arch = "wasm32"))]
fn peer_address(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string())
}

#[cfg(target_arch = "wasm32")]
fn peer_address(_parts: &Parts) -> Option<String> {
    None
}

/// The `User-Agent`, at most 512 characters.
pub fn user_agent(parts: &Parts) -> Option<String> {
    header(&parts.headers, "user-agent").map(|agent| agent.chars().take(512).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use codex_config::Environment;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut request = axum::http::Request::builder();
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).expect("request").into_parts().0
    }

    const NOW: i64 = 1_800_000_000;

    fn config(environment: &str, trust: &str) -> Config {
        with_settings(&[("ENVIRONMENT", environment), ("TRUST_PROXY_HEADERS", trust)])
    }

    fn with_settings(settings: &[(&str, &str)]) -> Config {
        let mut source: std::collections::HashMap<String, String> =
            [("WORKER_SHARED_SECRET", "s"), ("RESEND_API_KEY", "k")]
                .into_iter()
                .chain(settings.iter().copied())
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect();
        source.retain(|_, value| !value.is_empty());
        Config::from_source(&source, Environment::Development).expect("config")
    }

    const PROXY_SECRET: &str = "web-app-proxy-secret";

    fn behind_the_web_app(environment: &str) -> Config {
        with_settings(&[
            ("ENVIRONMENT", environment),
            ("WEB_APP_PROXY_SECRET", PROXY_SECRET),
        ])
    }

    /// A request from the web app's server (peer and forwarded-for are the
    /// server's), forwarding `ip` with `signature`.
    fn forwarded(ip: &str, signature: &str) -> Parts {
        parts(&[
            ("x-forwarded-for", "10.0.0.1"),
            ("cf-connecting-ip", "10.0.0.1"),
            ("x-codex-client-ip", ip),
            ("x-codex-client-ip-signature", signature),
        ])
    }

    fn signed(secret: &str, at: i64, ip: &str) -> String {
        forwarded::sign(secret.as_bytes(), at, ip)
    }

    #[test]
    fn a_signed_visitor_address_comes_first_everywhere() {
        let request = forwarded("203.0.113.7", &signed(PROXY_SECRET, NOW, "203.0.113.7"));
        for environment in ["test", "production"] {
            assert_eq!(
                client_ip(&request, &behind_the_web_app(environment), NOW + 5),
                "203.0.113.7",
                "{environment}"
            );
        }
        let v6 = forwarded("2001:DB8::1", &signed(PROXY_SECRET, NOW, "2001:DB8::1"));
        assert_eq!(
            client_ip(&v6, &behind_the_web_app("test"), NOW),
            "2001:db8::1",
            "the address as signed, in its normal form"
        );
    }

    #[test]
    fn a_visitor_address_that_is_not_well_signed_is_ignored() {
        let config = behind_the_web_app("test");
        let ip = "203.0.113.7";
        for (what, request, now) in [
            (
                "wrong secret",
                forwarded(ip, &signed("another-secret", NOW, ip)),
                NOW,
            ),
            (
                "changed ip",
                forwarded("203.0.113.8", &signed(PROXY_SECRET, NOW, ip)),
                NOW,
            ),
            (
                "too old",
                forwarded(ip, &signed(PROXY_SECRET, NOW - 301, ip)),
                NOW,
            ),
            (
                "too new",
                forwarded(ip, &signed(PROXY_SECRET, NOW + 61, ip)),
                NOW,
            ),
            ("malformed", forwarded(ip, "t=now,v1=abc"), NOW),
            (
                "not an ip",
                forwarded("visitor-1", &signed(PROXY_SECRET, NOW, "visitor-1")),
                NOW,
            ),
            (
                "unsigned",
                parts(&[("x-forwarded-for", "10.0.0.1"), ("x-codex-client-ip", ip)]),
                NOW,
            ),
        ] {
            assert_eq!(client_ip(&request, &config, now), "10.0.0.1", "{what}");
        }
    }

    #[test]
    fn without_a_secret_the_visitor_headers_are_ignored() {
        let ip = "203.0.113.7";
        let request = forwarded(ip, &signed(PROXY_SECRET, NOW, ip));
        assert_eq!(
            client_ip(&request, &config("test", "false"), NOW),
            "10.0.0.1"
        );
        assert_eq!(
            client_ip(&request, &config("production", "false"), NOW),
            "unknown"
        );
    }

    #[test]
    fn forwarded_headers_are_ignored_unless_local_or_trusted() {
        let spoofed = parts(&[
            ("x-forwarded-for", "10.9.9.9"),
            ("cf-connecting-ip", "10.8.8.8"),
        ]);
        assert_eq!(
            client_ip(&spoofed, &config("production", "false"), NOW),
            "unknown"
        );
        assert_eq!(
            client_ip(&spoofed, &config("production", "true"), NOW),
            "10.8.8.8"
        );
        assert_eq!(
            client_ip(&spoofed, &config("test", "false"), NOW),
            "10.9.9.9"
        );
    }

    #[test]
    fn the_first_forwarded_entry_is_the_client() {
        let chained = parts(&[("x-forwarded-for", " 10.1.1.1 , 172.16.0.1")]);
        assert_eq!(
            client_ip(&chained, &config("staging", "true"), NOW),
            "10.1.1.1"
        );
    }
}
