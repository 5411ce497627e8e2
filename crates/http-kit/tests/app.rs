//! The shared application driven in-process against real PostgreSQL: health
//! (including a real outage through the fault proxy), envelopes, panics,
//! production-only headers and development-only routes.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use codex_config::{DEFAULT_DATABASE_STATEMENT_TIMEOUT, Environment};
use codex_database::Database;
use codex_database::native::PgDatabase;
use codex_http_kit::{AppState, Service};
use codex_testkit::fault_proxy::FaultProxy;
use codex_testkit::world::World;
use codex_testkit::{TestApp, TestDatabase, test_config};

const SERVICE: Service = Service {
    name: "test-api",
    version: "9.9.9",
    envelope: codex_http_kit::Envelope::Procedure,
};

async fn app(environment: Environment) -> TestApp {
    let mut vars = vec![("ENVIRONMENT", environment.as_str())];
    if environment.is_production() {
        vars.extend([
            ("WORKER_SHARED_SECRET", "s3cret"),
            ("RESEND_API_KEY", "re_test"),
        ]);
    }
    TestApp::with_config(test_config(&vars), SERVICE, routes()).await
}

#[allow(clippy::panic)]
async fn boom() -> String {
    panic!("secret detail that must not leak")
}

fn routes() -> Router<AppState> {
    Router::new().route("/boom", get(boom))
}

#[tokio::test]
async fn health_is_200_with_the_service_identity() {
    let app = app(Environment::Test).await;
    let response = app.get("/health").send().await;
    let (status, headers, body) = (response.status, &response.headers, response.json());
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["service"], "test-api");
    assert_eq!(body["version"], "9.9.9");
    assert_eq!(body["checks"]["database"], "healthy");
    assert!(headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn health_follows_the_database_down_and_back_up_without_a_restart() {
    let test = TestDatabase::new().await;
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let proxy = FaultProxy::start(any, codex_testkit::server_address(), any)
        .await
        .expect("proxy");
    let through_proxy = test.url_via(proxy.listen);
    let database: Arc<dyn Database> = Arc::new(
        PgDatabase::connect_lazy(&through_proxy, 2, DEFAULT_DATABASE_STATEMENT_TIMEOUT)
            .expect("url"),
    );
    let world = World::through(test_config(&[]), test, database);
    let app = TestApp::in_world(world, SERVICE, routes());

    assert_eq!(app.get("/health").send().await.status, StatusCode::OK);
    proxy.set_up(false);
    let started = std::time::Instant::now();
    let response = app.get("/health").send().await;
    let (status, body) = (response.status, response.json());
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
    let response = app.get("/health").send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
}

#[tokio::test]
async fn a_panicking_handler_answers_a_generic_500_envelope_with_the_shared_headers() {
    let app = app(Environment::Test).await;
    let response = app.get("/boom").send().await;
    let (status, headers, body) = (response.status, &response.headers, response.json());
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"]["code"], "INTERNAL_ERROR");
    assert_eq!(body["error"]["message"], "An unexpected error occurred");
    assert!(!body.to_string().contains("secret detail"));
    assert!(headers.contains_key("x-request-id"));
    assert_eq!(headers["x-frame-options"], "DENY");
}

#[tokio::test]
async fn production_adds_hsts_and_has_no_development_routes() {
    let app = app(Environment::Production).await;
    let health = app.get("/health").send().await;
    assert_eq!(
        health.header("strict-transport-security"),
        Some("max-age=31536000; includeSubDomains; preload")
    );
    let echo = app
        .post(&format!("/__dev__/echo/{}", uuid::Uuid::new_v4()))
        .body("{\"message\":\"hi\"}", "application/json")
        .send()
        .await;
    assert_eq!(echo.status, StatusCode::NOT_FOUND, "{}", echo.text());
    assert_eq!(echo.error_code().as_deref(), Some("NOT_FOUND"));
    let status = app.get("/__dev__/echo/x").send().await.status;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "no 405 that would reveal the route"
    );
}

#[tokio::test]
async fn oversized_json_bodies_get_413_in_the_envelope() {
    let app = app(Environment::Test).await;
    let huge = format!("{{\"message\":\"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let response = app
        .post(&format!("/__dev__/echo/{}", uuid::Uuid::new_v4()))
        .body(huge, "application/json")
        .send()
        .await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.error_code().as_deref(), Some("PAYLOAD_TOO_LARGE"));
}
