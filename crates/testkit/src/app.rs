//! [`TestApp`]: any service's router (or several merged) on the in-process
//! context over a fresh database and a manual clock, called like the front
//! end calls it, without a socket.
//!
//! ```ignore
//! let app = TestApp::new(SERVICE, routes().merge(codex_auth_worker::routes())).await;
//! let cookie = app.sign_up("ann@example.com", "creator").await;
//! let response = app.get("/api/user/profile").cookie(&cookie).send().await;
//! assert_eq!(response.status, StatusCode::OK);
//! ```
//!
//! Signing users in goes through the auth service's development route
//! (`POST /api/test/fast-register`), so the auth routes must be merged in
//! for [`TestApp::sign_up`]; the test kit itself knows no account rules.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use codex_clock::ManualClock;
use codex_config::{Config, Environment};
use codex_context::Context;
use codex_http_kit::{AppState, Service};
use serde::Serialize;
use serde_json::Value;
use tower::ServiceExt;

use crate::world::World;

/// A service (or several) running in-process for a test.
pub struct TestApp {
    world: World,
    caller: Caller,
}

/// Calls any application router in-process, without a socket (for an app
/// built some other way, such as the native host's).
#[derive(Clone)]
pub struct Caller {
    router: Router,
}

impl Caller {
    pub fn new(router: Router) -> Self {
        Self { router }
    }

    pub fn request(&self, method: Method, path: &str) -> TestRequest {
        TestRequest {
            router: self.router.clone(),
            method,
            path: path.to_owned(),
            headers: HeaderMap::new(),
            body: Body::empty(),
            peer: SocketAddr::from(([127, 0, 0, 1], 40000)),
        }
    }

    pub fn get(&self, path: &str) -> TestRequest {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> TestRequest {
        self.request(Method::POST, path)
    }

    pub fn put(&self, path: &str) -> TestRequest {
        self.request(Method::PUT, path)
    }

    pub fn patch(&self, path: &str) -> TestRequest {
        self.request(Method::PATCH, path)
    }

    pub fn delete(&self, path: &str) -> TestRequest {
        self.request(Method::DELETE, path)
    }
}

/// The configuration the in-process apps run with unless told otherwise.
pub fn test_config(extra: &[(&str, &str)]) -> Config {
    let mut vars: Vec<(String, String)> = vec![
        ("ENVIRONMENT".to_owned(), "test".to_owned()),
        ("WEB_APP_URL".to_owned(), "http://localhost:5173".to_owned()),
        (
            "WORKER_SHARED_SECRET".to_owned(),
            "test-worker-secret".to_owned(),
        ),
    ];
    for (name, value) in extra {
        vars.retain(|(existing, _)| existing != name);
        vars.push(((*name).to_owned(), (*value).to_owned()));
    }
    let source: std::collections::HashMap<String, String> = vars.into_iter().collect();
    Config::from_source(&source, Environment::Test).expect("a valid test configuration")
}

impl TestApp {
    /// `routes` as `service`, in the test environment.
    pub async fn new(service: Service, routes: impl Into<codex_http_kit::Routes>) -> Self {
        Self::with_config(test_config(&[]), service, routes).await
    }

    pub async fn with_config(
        config: Config,
        service: Service,
        routes: impl Into<codex_http_kit::Routes>,
    ) -> Self {
        let world = World::with_config(config).await;
        Self::in_world(world, service, routes)
    }

    /// `routes` over an existing world (for a context with other ports).
    pub fn in_world(
        world: World,
        service: Service,
        routes: impl Into<codex_http_kit::Routes>,
    ) -> Self {
        let state = AppState::new(service, world.context());
        let caller = Caller::new(codex_http_kit::app(
            &codex_http_kit::ServiceRoutes::new(service, routes.into()),
            state,
        ));
        Self { world, caller }
    }

    pub fn ctx(&self) -> &Context {
        self.world.ctx()
    }

    /// The application router, to serve on a socket when the caller is
    /// another service's outbound HTTP client.
    pub fn router(&self) -> Router {
        self.caller.router.clone()
    }

    pub fn context(&self) -> Arc<Context> {
        self.world.context()
    }

    pub fn clock(&self) -> &ManualClock {
        &self.world.clock
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    pub fn request(&self, method: Method, path: &str) -> TestRequest {
        self.caller.request(method, path)
    }

    pub fn get(&self, path: &str) -> TestRequest {
        self.caller.get(path)
    }

    pub fn post(&self, path: &str) -> TestRequest {
        self.caller.post(path)
    }

    pub fn put(&self, path: &str) -> TestRequest {
        self.caller.put(path)
    }

    pub fn patch(&self, path: &str) -> TestRequest {
        self.caller.patch(path)
    }

    pub fn delete(&self, path: &str) -> TestRequest {
        self.caller.delete(path)
    }

    /// Creates a verified user with `role` (customer, creator, admin,
    /// platform_owner) through the auth service's development route and
    /// returns the `Cookie` header value of their session.
    pub async fn sign_up(&self, email: &str, role: &str) -> String {
        let response = self
            .post("/api/test/fast-register")
            .json(&serde_json::json!({
                "email": email,
                "password": "correct horse battery",
                "role": role,
            }))
            .send()
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "fast-register (are the auth routes merged in?): {}",
            response.text()
        );
        response
            .session_cookie()
            .expect("fast-register sets the session cookie")
    }
}

/// A request being built.
pub struct TestRequest {
    router: Router,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Body,
    peer: SocketAddr,
}

impl TestRequest {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(
            HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            HeaderValue::from_str(value).expect("a header value"),
        );
        self
    }

    /// The `Cookie` header, e.g. the value [`TestApp::sign_up`] returned.
    pub fn cookie(self, cookie: &str) -> Self {
        self.header("cookie", cookie)
    }

    /// A JSON body, with its `Content-Type` and `Content-Length`.
    pub fn json(self, body: &impl Serialize) -> Self {
        let body = serde_json::to_vec(body).expect("serialisable");
        self.body(body, "application/json")
    }

    /// A body, with its `Content-Type` and `Content-Length`, as a client
    /// sends it.
    pub fn body(mut self, body: impl Into<Vec<u8>>, content_type: &str) -> Self {
        let body = body.into();
        self = self.header("content-length", &body.len().to_string());
        self.body = Body::from(body);
        self.header("content-type", content_type)
    }

    /// A body that is produced as the app reads it (for example one that
    /// counts what was read). No header is added: declare a
    /// `Content-Length` with [`TestRequest::header`] if the request should.
    pub fn streaming_body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    /// The client's address as the native host sees it.
    pub fn from_peer(mut self, peer: SocketAddr) -> Self {
        self.peer = peer;
        self
    }

    pub async fn send(self) -> TestResponse {
        let mut request = Request::builder()
            .method(self.method)
            .uri(self.path)
            .body(self.body)
            .expect("a request");
        *request.headers_mut() = self.headers;
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let response = self.router.oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), 64 << 20)
            .await
            .expect("a readable body")
            .to_vec();
        TestResponse {
            status,
            headers,
            body,
        }
    }
}

/// What came back.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    /// The body as JSON (`Value::Null` when it is empty).
    pub fn json(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The error envelope's `error.code`, when the body is one.
    pub fn error_code(&self) -> Option<String> {
        self.json()["error"]["code"].as_str().map(str::to_owned)
    }

    /// `name=value` of the session cookie this response sets, for a later
    /// request's `Cookie` header.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| {
                value.starts_with("codex-session=") && !value.starts_with("codex-session=;")
            })
            .and_then(|value| value.split(';').next())
            .map(str::to_owned)
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn assert_status(&self, expected: StatusCode) -> &Self {
        assert_eq!(self.status, expected, "body: {}", self.text());
        self
    }
}
