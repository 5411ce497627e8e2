//! Helpers for the account tests (`tests/accounts.rs`, `tests/identity.rs`).
//!
//! The tests run in parallel against one platform, so every account gets a
//! fresh address and every [`Browser`] its own client IP: sign-up, sign-in
//! and the password-reset routes are rate-limited per (client IP, path), and
//! in test environments the client IP is the first `X-Forwarded-For` entry.
//! Cookies are handled by hand, as a browser would: the session cookie from
//! `Set-Cookie` is sent back as `Cookie: codex-session=VALUE`.

use reqwest::header::{COOKIE, HeaderMap, ORIGIN, SET_COOKIE};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::{allowed_origin, client, url};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "codex-session";

/// A password every rule accepts.
pub const PASSWORD: &str = "correct horse battery staple";

/// A fresh lower-case address nobody else uses.
pub fn fresh_email() -> String {
    format!("e2e-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// A fresh username in the allowed form (lower-case letters, digits, single
/// hyphens).
pub fn fresh_username() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("e2e-{}", &id[..12])
}

/// A random client IP in 10.0.0.0/8, for the `X-Forwarded-For` header.
pub fn client_ip() -> String {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    format!("10.{}.{}.{}", bytes[0], bytes[1], 1 + bytes[2] % 254)
}

/// One `Set-Cookie` header for the session cookie.
#[derive(Debug, Clone)]
pub struct SetCookie {
    /// The whole header, for assertion messages.
    pub raw: String,
    pub value: String,
    /// `(name, value)` of each attribute after the first `;`; flags such as
    /// `HttpOnly` have an empty value.
    pub attributes: Vec<(String, String)>,
}

impl SetCookie {
    /// Parses a `Set-Cookie` header; `None` when it is for another cookie.
    pub fn parse(header: &str) -> Option<Self> {
        let mut parts = header.split(';');
        let (name, value) = parts.next()?.split_once('=')?;
        if name.trim() != SESSION_COOKIE {
            return None;
        }
        let attributes = parts
            .map(|part| {
                let (name, value) = part.split_once('=').unwrap_or((part, ""));
                (name.trim().to_owned(), value.trim().to_owned())
            })
            .collect();
        Some(Self {
            raw: header.to_owned(),
            value: value.trim().to_owned(),
            attributes,
        })
    }

    /// The value of an attribute (case-insensitive name), if present.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(attribute, _)| attribute.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.attribute(name).is_some()
    }

    /// Whether the header tells the browser to drop the cookie.
    pub fn clears(&self) -> bool {
        self.value.is_empty() || self.attribute("Max-Age") == Some("0")
    }
}

/// A response read whole: status, headers and body (JSON, `Null` when
/// empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// Reads a response, failing with the body when it is neither empty nor
    /// JSON.
    pub async fn of(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("response body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("expected JSON, got {status}: {text}"))
        };
        Self {
            status,
            headers,
            body,
        }
    }

    /// Sends a request and reads its reply, checked against the OpenAPI
    /// document ([`crate::contract`]) when the request can be inspected (a
    /// streamed multipart body cannot).
    pub async fn exchange(request: RequestBuilder) -> Self {
        let sent = request
            .try_clone()
            .and_then(|copy| copy.build().ok())
            .map(|built| (built.method().to_string(), built.url().clone()));
        let reply = Self::of(request.send().await.expect("request sent")).await;
        if let Some((method, url)) = sent {
            crate::contract::check_url(&method, &url, reply.status.as_u16(), &reply.body);
        }
        reply
    }

    /// The session cookie this response sets, if any.
    pub fn session_cookie(&self) -> Option<SetCookie> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(SetCookie::parse)
            .next_back()
    }

    /// A header as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Asserts the status, with the body in the message.
    pub fn expect_status(&self, status: StatusCode, what: &str) {
        assert_eq!(self.status, status, "{what}: {}", self.body);
    }
}

/// Asserts an error from `/api/auth/*`, which carries both forms:
/// `{"code": CODE, "message": M, "error": {"code": _, "message": M}}`.
pub fn assert_auth_error(body: &Value, code: &str) {
    assert_eq!(body["code"], code, "top-level code: {body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "top-level message missing: {body}");
    assert_eq!(body["error"]["message"], message, "same message: {body}");
    assert!(
        body["error"]["code"]
            .as_str()
            .is_some_and(|c| !c.is_empty()),
        "envelope code missing: {body}"
    );
}

/// Asserts some error envelope, whatever its code.
pub fn assert_any_error_envelope(body: &Value) {
    assert!(
        body["error"]["code"]
            .as_str()
            .is_some_and(|c| !c.is_empty()),
        "envelope code missing: {body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "envelope message missing: {body}"
    );
}

/// An account made for one test.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub password: String,
}

/// A browser: one client IP, at most one session cookie.
#[derive(Debug, Clone)]
pub struct Browser {
    http: reqwest::Client,
    ip: String,
    cookie: Option<String>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A browser with a fresh client IP and no cookie.
    pub fn new() -> Self {
        Self::with_ip(&client_ip())
    }

    pub fn with_ip(ip: &str) -> Self {
        Self {
            http: client(),
            ip: ip.to_owned(),
            cookie: None,
        }
    }

    pub fn ip(&self) -> &str {
        &self.ip
    }

    pub fn cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }

    /// The same client IP holding another cookie (or none), e.g. a cookie
    /// kept from before a sign-out.
    pub fn holding(&self, cookie: Option<&str>) -> Self {
        Self {
            http: self.http.clone(),
            ip: self.ip.clone(),
            cookie: cookie.map(str::to_owned),
        }
    }

    /// A request carrying this browser's IP, origin and cookie.
    pub fn request(&self, method: Method, service: &str, path: &str) -> RequestBuilder {
        let request = self
            .http
            .request(method, url(service, path))
            .header("x-forwarded-for", &self.ip)
            .header(ORIGIN, allowed_origin());
        match &self.cookie {
            Some(cookie) => request.header(COOKIE, format!("{SESSION_COOKIE}={cookie}")),
            None => request,
        }
    }

    pub fn get(&self, service: &str, path: &str) -> RequestBuilder {
        self.request(Method::GET, service, path)
    }

    pub fn post(&self, service: &str, path: &str) -> RequestBuilder {
        self.request(Method::POST, service, path)
    }

    pub fn put(&self, service: &str, path: &str) -> RequestBuilder {
        self.request(Method::PUT, service, path)
    }

    pub fn patch(&self, service: &str, path: &str) -> RequestBuilder {
        self.request(Method::PATCH, service, path)
    }

    pub fn delete(&self, service: &str, path: &str) -> RequestBuilder {
        self.request(Method::DELETE, service, path)
    }

    /// Downloads an absolute URL (e.g. an avatar) with this browser's IP and
    /// cookie: status, `Content-Type` and the raw bytes.
    pub async fn download(&self, absolute_url: &str) -> (StatusCode, Option<String>, Vec<u8>) {
        let mut request = self
            .http
            .get(absolute_url)
            .header("x-forwarded-for", &self.ip);
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, format!("{SESSION_COOKIE}={cookie}"));
        }
        let response = request.send().await.expect("download");
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let bytes = response.bytes().await.expect("downloaded body").to_vec();
        (status, content_type, bytes)
    }

    /// Sends a request and reads the reply; the cookie jar is left alone.
    /// The reply is checked against the OpenAPI document
    /// ([`crate::contract`]) when the request can be inspected (a
    /// streamed multipart body cannot).
    pub async fn call(&self, request: RequestBuilder) -> Reply {
        Reply::exchange(request).await
    }

    /// Keeps (or drops) the session cookie a reply sets.
    pub fn remember(&mut self, reply: &Reply) {
        if let Some(set) = reply.session_cookie() {
            self.cookie = if set.clears() { None } else { Some(set.value) };
        }
    }

    /// Sends a request, reads the reply and keeps the cookie it sets.
    pub async fn send(&mut self, request: RequestBuilder) -> Reply {
        let reply = self.call(request).await;
        self.remember(&reply);
        reply
    }

    /// `POST /api/auth/sign-up/email`.
    pub async fn sign_up(&self, email: &str, password: &str) -> Reply {
        self.call(self.post("auth", "/api/auth/sign-up/email").json(&json!({
            "name": "E2E Tester",
            "email": email,
            "password": password,
        })))
        .await
    }

    /// `POST /api/auth/sign-in/email`, keeping the cookie.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Reply {
        self.send(
            self.post("auth", "/api/auth/sign-in/email")
                .json(&json!({"email": email, "password": password})),
        )
        .await
    }

    /// `POST /api/test/fast-signin` (not rate-limited), keeping the cookie.
    pub async fn fast_sign_in(&mut self, email: &str, password: &str) -> Reply {
        self.send(
            self.post("auth", "/api/test/fast-signin")
                .json(&json!({"email": email, "password": password})),
        )
        .await
    }

    /// `POST /api/test/fast-register`: a verified account with `role`,
    /// signed in here.
    pub async fn fast_register(&mut self, role: &str) -> Account {
        let email = fresh_email();
        let reply = self
            .send(self.post("auth", "/api/test/fast-register").json(&json!({
                "email": email,
                "password": PASSWORD,
                "name": "E2E Tester",
                "role": role,
            })))
            .await;
        reply.expect_status(StatusCode::OK, "fast-register");
        assert!(self.cookie.is_some(), "fast-register sets a session cookie");
        let id = reply.body["user"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("user id: {}", reply.body))
            .to_owned();
        Account {
            id,
            email,
            password: PASSWORD.to_owned(),
        }
    }

    /// `GET /api/auth/get-session`: the body, `Null` when signed out.
    pub async fn session(&self) -> Value {
        let reply = self.call(self.get("auth", "/api/auth/get-session")).await;
        reply.expect_status(StatusCode::OK, "get-session");
        reply.body
    }

    /// `POST /api/auth/sign-out`, dropping the cookie.
    pub async fn sign_out(&mut self) -> Reply {
        self.send(self.post("auth", "/api/auth/sign-out").json(&json!({})))
            .await
    }

    /// `GET /api/user/profile` on identity.
    pub async fn profile(&self) -> Reply {
        self.call(self.get("identity", "/api/user/profile")).await
    }
}

/// The mail sent to `address`, newest first (`GET /api/test/outbox`).
pub async fn outbox(address: &str) -> Vec<Value> {
    let reply = Reply::of(
        client()
            .get(url("auth", "/api/test/outbox"))
            .query(&[("to", address)])
            .send()
            .await
            .expect("outbox"),
    )
    .await;
    reply.expect_status(StatusCode::OK, "outbox");
    reply.body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("outbox list: {}", reply.body))
        .clone()
}

/// The newest mail to `address`; fails when there is none.
pub async fn newest_mail(address: &str) -> Value {
    let mail = outbox(address).await;
    let Some(newest) = mail.first() else {
        panic!("no mail to {address}");
    };
    newest.clone()
}

/// The newest mail to `address` with `subject`, waiting up to 10 s for it:
/// some mail (a password reset's, natively) is written after the answer.
pub async fn awaited_mail(address: &str, subject: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(mail) = outbox(address)
            .await
            .into_iter()
            .find(|mail| mail["subject"] == subject)
        {
            return mail;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no mail to {address} about {subject:?} within 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The token after the first `marker` in `text` (e.g. `"token="`): the run
/// of URL-safe base64 characters that follows.
pub fn token_after(text: &str, marker: &str) -> Option<String> {
    let start = text.find(marker)? + marker.len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!token.is_empty()).then_some(token)
}

/// Asserts a mailed token's form: 43 characters of URL-safe base64.
pub fn assert_token_form(token: &str) {
    assert_eq!(token.len(), 43, "token length: {token}");
    assert!(
        token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "token alphabet: {token}"
    );
}

/// Where a verification link leads: the web app's page (at the allowed
/// origin, which the platform under test has as `WEB_APP_URL`), which
/// reads the token and calls `GET /api/auth/verify-email` itself.
pub fn verification_page() -> String {
    format!("{}/verify-email?token=", allowed_origin())
}

/// The verification token in the newest mail to `address`, taken from its
/// `{web app}/verify-email?token=` link.
pub async fn mailed_verification_token(address: &str) -> String {
    let mail = newest_mail(address).await;
    let text = mail["text"].as_str().unwrap_or_default();
    let token = token_after(text, &verification_page())
        .unwrap_or_else(|| panic!("no link to the web app's verification page in {mail}"));
    assert_token_form(&token);
    token
}
