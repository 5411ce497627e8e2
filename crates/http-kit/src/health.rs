//! `GET /health`: 200 when the database and the key-value store answer,
//! 503 when either does not (each check bounded at 2 s).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::SecondsFormat;
use codex_clock::{TimedOut, with_timeout};
use serde::Serialize;

use crate::AppState;

/// How long a dependency may take to answer before it counts as down.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Healthy,
    Unhealthy,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Checks {
    pub database: Status,
    pub kv: Status,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthReport {
    pub status: Status,
    pub service: &'static str,
    pub version: &'static str,
    pub timestamp: String,
    pub checks: Checks,
}

/// A check's status, logging why it failed.
fn outcome<E: std::fmt::Display>(check: &str, result: Result<Result<(), E>, TimedOut>) -> Status {
    match result {
        Ok(Ok(())) => Status::Healthy,
        Ok(Err(error)) => {
            tracing::warn!(check, %error, "health check failed");
            Status::Unhealthy
        }
        Err(TimedOut) => {
            tracing::warn!(check, "health check timed out");
            Status::Unhealthy
        }
    }
}

/// Whether the service and what it depends on answer.
#[utoipa::path(
    get,
    path = "/health",
    tag = "shared",
    responses(
        (status = 200, description = "Healthy", body = HealthReport),
        (status = 503, description = "The database or the key-value store does not answer", body = HealthReport),
    )
)]
pub async fn health(State(state): State<AppState>) -> Response {
    let clock = state.clock();
    let database = with_timeout(clock, CHECK_TIMEOUT, state.database().ping());
    let kv = with_timeout(clock, CHECK_TIMEOUT, state.kv().ping());
    let (database, kv) = futures::join!(database, kv);
    let database = outcome("database", database);
    let kv = outcome("key-value store", kv);
    let status = if database == Status::Healthy && kv == Status::Healthy {
        Status::Healthy
    } else {
        Status::Unhealthy
    };
    let report = HealthReport {
        status,
        service: state.service().name,
        version: state.service().version,
        timestamp: clock.now().to_rfc3339_opts(SecondsFormat::Millis, true),
        checks: Checks { database, kv },
    };
    let code = if status == Status::Healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut response = (code, Json(report)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
