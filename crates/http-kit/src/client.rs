//! Who is calling: the client's IP address, as far as it can be trusted.
//!
//! - Development and test: the first `X-Forwarded-For` entry when present,
//!   so that a test can speak for many clients.
//! - On Workers: `CF-Connecting-IP`, which Cloudflare sets and a client
//!   cannot forge.
//! - Natively: the peer address, unless `TRUST_PROXY_HEADERS` says a proxy
//!   in front sets `CF-Connecting-IP` or `X-Forwarded-For`.

use axum::http::HeaderMap;
use axum::http::request::Parts;
use codex_config::Config;

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

/// The client's address, or `unknown`. At most 64 characters.
pub fn client_ip(parts: &Parts, config: &Config) -> String {
    let headers = &parts.headers;
    let trusted_edge = cfg!(target_arch = "wasm32") || config.trust_proxy_headers;
    let found = (config.environment.is_local())
        .then(|| forwarded_for(headers))
        .flatten()
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

    fn config(environment: &str, trust: &str) -> Config {
        Config::from_source(
            &[
                ("ENVIRONMENT", environment),
                ("TRUST_PROXY_HEADERS", trust),
                ("WORKER_SHARED_SECRET", "s"),
                ("RESEND_API_KEY", "k"),
            ],
            Environment::Development,
        )
        .expect("config")
    }

    #[test]
    fn forwarded_headers_are_ignored_unless_local_or_trusted() {
        let spoofed = parts(&[
            ("x-forwarded-for", "10.9.9.9"),
            ("cf-connecting-ip", "10.8.8.8"),
        ]);
        assert_eq!(
            client_ip(&spoofed, &config("production", "false")),
            "unknown"
        );
        assert_eq!(
            client_ip(&spoofed, &config("production", "true")),
            "10.8.8.8"
        );
        assert_eq!(client_ip(&spoofed, &config("test", "false")), "10.9.9.9");
    }

    #[test]
    fn the_first_forwarded_entry_is_the_client() {
        let chained = parts(&[("x-forwarded-for", " 10.1.1.1 , 172.16.0.1")]);
        assert_eq!(client_ip(&chained, &config("staging", "true")), "10.1.1.1");
    }
}
