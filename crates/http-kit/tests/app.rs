//! The shared application driven in-process against real PostgreSQL: health
//! (including a real outage through the fault proxy), envelopes, panics,
//! production-only headers and development-only routes.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use codex_clock::SystemClock;
use codex_config::{Config, Environment};
use codex_database::Database;
use codex_database::native::PgDatabase;
use codex_http_kit::{AppState, Platform, Service};
use codex_testkit::TestDatabase;
use codex_testkit::fault_proxy::FaultProxy;
use tower::ServiceExt;

const SERVICE: Service = Service {
    name: "test-api",
    version: "9.9.9",
};

fn platform(database: Arc<dyn Database>, environment: Environment) -> Arc<Platform> {
    let mut vars = vec![("ENVIRONMENT", environment.as_str())];
    if environment.is_production() {
        vars.extend([
            ("WORKER_SHARED_SECRET", "s3cret"),
            ("RESEND_API_KEY", "re_test"),
        ]);
    }
    let source: std::collections::HashMap<String, String> = vars
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let config = Config::from_source(&source, Environment::Development).expect("config");
    codex_testkit::platform::platform(config, database, Arc::new(SystemClock))
}

#[allow(clippy::panic)]
async fn boom() -> String {
    panic!("secret detail that must not leak")
}

fn routes() -> Router<AppState> {
    Router::new().route("/boom", get(boom))
}

async fn call(
    app: &Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, headers, json)
}

fn get_request(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

#[tokio::test]
async fn health_is_200_with_the_service_identity() {
    let test = TestDatabase::new().await;
    let app = codex_http_kit::app(
        routes(),
        AppState::new(SERVICE, platform(test.database(), Environment::Test)),
    );
    let (status, headers, body) = call(&app, get_request("/health")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["service"], "test-api");
    assert_eq!(body["version"], "9.9.9");
    assert_eq!(body["checks"]["database"], "healthy");
    assert!(headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn health_follows_the_database_down_and_back_up_without_a_restart() {
    let test = TestDatabase::new().await;
    let upstream: SocketAddr = {
        let url = codex_testkit::server_url();
        let host_port = url.split('@').next_back().unwrap_or("127.0.0.1:5432");
        let host_port = host_port.split('/').next().unwrap_or(host_port);
        host_port
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 5432)))
    };
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let proxy = FaultProxy::start(any, upstream, any).await.expect("proxy");
    let database_name = test.url().rsplit('/').next().unwrap_or_default().to_owned();
    let through_proxy = format!("postgres://postgres@{}/{database_name}", proxy.listen);
    let database: Arc<dyn Database> =
        Arc::new(PgDatabase::connect_lazy(&through_proxy, 2).expect("url"));
    let app = codex_http_kit::app(
        routes(),
        AppState::new(SERVICE, platform(database, Environment::Test)),
    );

    assert_eq!(call(&app, get_request("/health")).await.0, StatusCode::OK);
    proxy.set_up(false);
    let started = std::time::Instant::now();
    let (status, _, body) = call(&app, get_request("/health")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["checks"]["database"], "unhealthy");
    assert_eq!(body["checks"]["kv"], "healthy");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "bounded: {:?}",
        started.elapsed()
    );
    proxy.set_up(true);
    let (status, _, body) = call(&app, get_request("/health")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_panicking_handler_answers_a_generic_500_envelope_with_the_shared_headers() {
    let test = TestDatabase::new().await;
    let app = codex_http_kit::app(
        routes(),
        AppState::new(SERVICE, platform(test.database(), Environment::Test)),
    );
    let (status, headers, body) = call(&app, get_request("/boom")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"]["code"], "INTERNAL_ERROR");
    assert_eq!(body["error"]["message"], "An unexpected error occurred");
    assert!(!body.to_string().contains("secret detail"));
    assert!(headers.contains_key("x-request-id"));
    assert_eq!(headers["x-frame-options"], "DENY");
}

#[tokio::test]
async fn production_adds_hsts_and_has_no_development_routes() {
    let test = TestDatabase::new().await;
    let app = codex_http_kit::app(
        routes(),
        AppState::new(SERVICE, platform(test.database(), Environment::Production)),
    );
    let (_, headers, _) = call(&app, get_request("/health")).await;
    assert_eq!(
        headers["strict-transport-security"],
        "max-age=31536000; includeSubDomains; preload"
    );
    let echo = Request::post(format!("/__dev__/echo/{}", uuid::Uuid::new_v4()))
        .header("content-type", "application/json")
        .body(Body::from("{\"message\":\"hi\"}"))
        .expect("request");
    let (status, _, body) = call(&app, echo).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    let (status, _, _) = call(
        &app,
        Request::get("/__dev__/echo/x")
            .body(Body::empty())
            .expect("r"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "no 405 that would reveal the route"
    );
}

#[tokio::test]
async fn oversized_json_bodies_get_413_in_the_envelope() {
    let test = TestDatabase::new().await;
    let app = codex_http_kit::app(
        routes(),
        AppState::new(SERVICE, platform(test.database(), Environment::Test)),
    );
    let huge = format!("{{\"message\":\"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let request = Request::post(format!("/__dev__/echo/{}", uuid::Uuid::new_v4()))
        .header("content-type", "application/json")
        .body(Body::from(huge))
        .expect("request");
    let (status, _, body) = call(&app, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
}
