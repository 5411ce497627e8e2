//! Outbound HTTP: the calls our services make to other HTTP APIs (Resend,
//! Stripe, RunPod, and signed calls between our own services).
//!
//! [`HttpClient`] is the port. Each runtime has one adapter: [`ReqwestClient`]
//! natively and [`FetchClient`] (the Workers fetch API) on Cloudflare Workers.
//! [`default_client`] returns the one for the runtime we are compiled for, so
//! an API adapter is written once against [`OutboundRequest`] and
//! [`OutboundResponse`] and runs on both.
//!
//! Requests and responses are whole: bodies are bytes in memory. Redirects
//! are not followed on either runtime; a 3xx comes back as a response.
//!
//! Errors never carry header values (bearer tokens, signatures) or query
//! strings: see [`OutboundError`].

#[cfg(target_arch = "wasm32")]
mod fetch;
#[cfg(not(target_arch = "wasm32"))]
mod native;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

#[cfg(target_arch = "wasm32")]
pub use fetch::FetchClient;
pub use http::Method;
#[cfg(not(target_arch = "wasm32"))]
pub use native::ReqwestClient;

/// The timeout of a request that does not set one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends requests to other HTTP services.
#[async_trait]
pub trait HttpClient: Send + Sync {
    /// Sends `request` and reads the whole response, giving up after
    /// `request.timeout`. Any status, 4xx and 5xx included, is a response;
    /// an error means no complete response arrived.
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError>;
}

/// The adapter of the runtime we are compiled for: [`ReqwestClient`]
/// natively, [`FetchClient`] on Workers. Build it once when the platform is
/// assembled and share the `Arc`: natively it holds the connection pool.
pub fn default_client() -> Arc<dyn HttpClient> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        Arc::new(ReqwestClient::new())
    }
    #[cfg(target_arch = "wasm32")]
    {
        Arc::new(FetchClient::new())
    }
}

/// Why no complete response arrived. Messages never contain header values
/// or query strings, so they can be logged and wrapped into other errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// The request's timeout passed before the whole response arrived.
    #[error("the request timed out")]
    Timeout,
    /// No connection could be opened (refused, DNS, TLS handshake). Only the
    /// native adapter can tell this apart; on Workers it is `Transport`.
    #[error("could not connect: {0}")]
    Connect(String),
    /// The exchange failed after it started, or the runtime did not say why.
    #[error("transport error: {0}")]
    Transport(String),
    /// The request cannot be sent as built (bad URL, header, method or body).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The response body is not what the caller asked to read it as.
    #[error("unexpected response body: {0}")]
    InvalidResponse(String),
}

/// One HTTP request. Build it with [`OutboundRequest::post`] and friends.
///
/// Its `Debug` output shows header names but not their values, and the URL
/// without its query string.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub method: Method,
    pub url: String,
    /// In order; a name may appear more than once.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// For the whole exchange: connecting, sending and reading the body.
    pub timeout: Duration,
}

impl OutboundRequest {
    /// A request without headers or body, with [`DEFAULT_TIMEOUT`].
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::GET, url)
    }

    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::POST, url)
    }

    pub fn put(url: impl Into<String>) -> Self {
        Self::new(Method::PUT, url)
    }

    pub fn patch(url: impl Into<String>) -> Self {
        Self::new(Method::PATCH, url)
    }

    pub fn delete(url: impl Into<String>) -> Self {
        Self::new(Method::DELETE, url)
    }

    /// Adds a header, keeping any already set under that name.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets `Authorization: Bearer {token}`, replacing any authorization.
    #[must_use]
    pub fn bearer(mut self, token: &str) -> Self {
        self.set_header("authorization", format!("Bearer {token}"));
        self
    }

    /// `value` as a JSON body, with `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, OutboundError> {
        let body = serde_json::to_vec(value).map_err(|error| {
            OutboundError::InvalidRequest(format!("the body is not JSON: {error}"))
        })?;
        Ok(self.body(body, "application/json"))
    }

    /// `fields` as an `application/x-www-form-urlencoded` body, in order.
    #[must_use]
    pub fn form<K: AsRef<str>, V: AsRef<str>>(self, fields: &[(K, V)]) -> Self {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
            .finish();
        self.body(body, "application/x-www-form-urlencoded")
    }

    /// `body` as is, with `Content-Type: {content_type}`.
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>, content_type: &str) -> Self {
        self.body = body.into();
        self.set_header("content-type", content_type.to_owned());
        self
    }

    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The URL without its query string or fragment: what may be logged.
    pub fn redacted_url(&self) -> &str {
        let end = self.url.find(['?', '#']).unwrap_or(self.url.len());
        &self.url[..end]
    }

    /// Replaces every header named `name` (in any case) with one value.
    fn set_header(&mut self, name: &str, value: String) {
        self.headers
            .retain(|(existing, _)| !existing.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value));
    }

    /// The checks both adapters make before sending, so that a request is
    /// refused the same way on both runtimes.
    pub(crate) fn validate(&self) -> Result<(), OutboundError> {
        let invalid = |reason: String| Err(OutboundError::InvalidRequest(reason));
        let scheme = self.url.split_once("://").map(|(scheme, _)| scheme);
        if !scheme
            .is_some_and(|s| s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"))
        {
            return invalid("the URL must start with http:// or https://".to_owned());
        }
        if self.timeout.is_zero() {
            return invalid("the timeout must be longer than zero".to_owned());
        }
        if (self.method == Method::GET || self.method == Method::HEAD) && !self.body.is_empty() {
            return invalid(format!("a {} request cannot have a body", self.method));
        }
        for (name, value) in &self.headers {
            let Ok(name) = http::HeaderName::from_bytes(name.as_bytes()) else {
                return invalid("a header name is not valid".to_owned());
            };
            if http::HeaderValue::from_str(value).is_err() {
                return invalid(format!("the value of header {name} is not valid"));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for OutboundRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("OutboundRequest")
            .field("method", &self.method)
            .field("url", &self.redacted_url())
            .field("headers", &names)
            .field("body", &format_args!("{} bytes", self.body.len()))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A whole HTTP response.
///
/// Its `Debug` output shows header names and the body's length only.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboundResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl OutboundResponse {
    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first value of header `name`, compared without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(existing, _)| existing.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body read as JSON. On failure the message says where the body
    /// went wrong, never what it contains.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, OutboundError> {
        serde_json::from_slice(&self.body).map_err(|error| {
            let kind = match error.classify() {
                serde_json::error::Category::Io => "unreadable",
                serde_json::error::Category::Syntax => "not JSON",
                serde_json::error::Category::Data => "JSON of another shape",
                serde_json::error::Category::Eof => "truncated JSON",
            };
            OutboundError::InvalidResponse(format!(
                "{kind} (line {}, column {})",
                error.line(),
                error.column()
            ))
        })
    }

    /// The body as text, with invalid UTF-8 replaced.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl fmt::Debug for OutboundResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("OutboundResponse")
            .field("status", &self.status)
            .field("headers", &names)
            .field("body", &format_args!("{} bytes", self.body.len()))
            .finish()
    }
}

/// `message` (from a transport library or the JS runtime) with the
/// request's header values, its query string and the query string of any
/// URL replaced, so that it can go into an error.
pub(crate) fn scrub(message: &str, url: &str, headers: &[(String, String)]) -> String {
    const REDACTED: &str = "[redacted]";
    let mut text = message.to_owned();
    let query = url.split_once(['?', '#']).map(|(_, query)| query);
    let credentials = headers
        .iter()
        .flat_map(|(_, value)| {
            // The whole value, and the credential after a scheme ("Bearer x").
            let after_scheme = value.split_once(' ').map(|(_, rest)| rest.trim());
            [Some(value.trim()), after_scheme]
        })
        .chain([query]);
    for secret in credentials.flatten() {
        // Shorter values are not credentials and would mangle the message.
        if secret.len() >= 4 {
            text = text.replace(secret, REDACTED);
        }
    }
    strip_queries(&text)
}

/// Cuts the query string and fragment off every URL in `text`.
fn strip_queries(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>' | ')'))
            .unwrap_or(tail.len());
        let (url, after) = tail.split_at(end);
        out.push_str(&url[..url.find(['?', '#']).unwrap_or(url.len())]);
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_set_method_headers_body_and_timeout() {
        let request = OutboundRequest::post("https://api.example.com/v1/things")
            .header("Idempotency-Key", "abc")
            .header("Content-Type", "text/plain")
            .bearer("sk_test_1")
            .form(&[("name", "Jane Doe"), ("note", "a&b=c+d/é")])
            .timeout(Duration::from_secs(3));
        assert_eq!(request.method, Method::POST);
        assert_eq!(
            request.headers,
            [
                ("Idempotency-Key".to_owned(), "abc".to_owned()),
                ("authorization".to_owned(), "Bearer sk_test_1".to_owned()),
                (
                    "content-type".to_owned(),
                    "application/x-www-form-urlencoded".to_owned()
                ),
            ]
        );
        assert_eq!(
            request.body,
            b"name=Jane+Doe&note=a%26b%3Dc%2Bd%2F%C3%A9".to_vec()
        );
        assert_eq!(request.timeout, Duration::from_secs(3));
        assert!(request.validate().is_ok());
    }

    #[test]
    fn debug_output_hides_header_values_bodies_and_query_strings() {
        let request = OutboundRequest::post("https://api.example.com/v1?key=q_secret")
            .bearer("sk_live_secret")
            .json(&serde_json::json!({"card": "4242"}))
            .expect("json");
        let shown = format!("{request:?}");
        assert!(shown.contains("authorization"), "{shown}");
        for hidden in ["sk_live_secret", "q_secret", "4242"] {
            assert!(!shown.contains(hidden), "{shown}");
        }
        let response = OutboundResponse {
            status: 200,
            headers: vec![("set-cookie".into(), "session=s3cret".into())],
            body: b"{\"client_secret\":\"cs_1\"}".to_vec(),
        };
        let shown = format!("{response:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("cs_1"),
            "{shown}"
        );
    }

    #[test]
    fn requests_that_cannot_be_sent_are_refused_without_echoing_values() {
        let base = || OutboundRequest::get("https://api.example.com/");
        let cases = [
            OutboundRequest::get("ftp://example.com/file"),
            OutboundRequest::get("/relative"),
            base().timeout(Duration::ZERO),
            base().body(b"x".to_vec(), "text/plain"),
            base().header("bad name", "v"),
            base().header("x-token", "line\r\nbreak_secret"),
        ];
        for request in cases {
            match request.validate() {
                Err(OutboundError::InvalidRequest(message)) => {
                    assert!(!message.contains("break_secret"), "{message}");
                }
                other => panic!("{request:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn response_helpers_read_headers_in_any_case_and_json() {
        let response = OutboundResponse {
            status: 201,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: br#"{"id": 7}"#.to_vec(),
        };
        assert!(response.is_success());
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.header("x-missing"), None);
        let value: serde_json::Value = response.json().expect("json");
        assert_eq!(value["id"], 7);
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Wanted {
            id: String,
        }
        let error = response.json::<Wanted>().expect_err("shape");
        assert!(
            matches!(error, OutboundError::InvalidResponse(_)),
            "{error}"
        );
        assert!(!error.to_string().contains('7'), "{error}");
        assert!(
            !OutboundResponse {
                status: 302,
                headers: vec![],
                body: vec![]
            }
            .is_success()
        );
    }

    #[test]
    fn scrub_removes_credentials_and_query_strings() {
        let headers = vec![
            (
                "authorization".to_owned(),
                "Bearer sk_live_secret".to_owned(),
            ),
            ("x-n".to_owned(), "1".to_owned()),
        ];
        let message = "TypeError: fetch to https://api.example.com/v1/x?token=t0ps3cret&a=1 \
                       failed (auth sk_live_secret; sent 'Bearer sk_live_secret')";
        let scrubbed = scrub(
            message,
            "https://api.example.com/v1/x?token=t0ps3cret&a=1",
            &headers,
        );
        assert_eq!(
            scrubbed,
            "TypeError: fetch to https://api.example.com/v1/x failed \
             (auth [redacted]; sent '[redacted]')"
        );
        assert_eq!(
            strip_queries("see http://a.example/p?q=1#f and \"https://b.example?x\""),
            "see http://a.example/p and \"https://b.example\""
        );
    }
}
