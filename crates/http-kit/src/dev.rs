//! Development and test diagnostics, mounted on every service only when
//! `ENVIRONMENT` is development or test (elsewhere the paths do not exist).
//!
//! They let the black-box suite prove, on both runtimes and through HTTP
//! alone, that the shared extractors answer bad input with the envelope and
//! that every service reaches the same database, key-value store, object
//! store and mail outbox:
//! - `POST /__dev__/echo/{id}?times=N` with `{"message": "…"}`;
//! - `POST /__dev__/mail` with `{"to", "subject", "text", "html"?}`, and
//!   `GET /__dev__/outbox?to=ADDRESS` (newest first);
//! - `PUT`/`GET /__dev__/kv/{key}`;
//! - `PUT`/`GET /__dev__/objects/{*key}`.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::{get, post};
use codex_errors::ApiError;
use codex_mail::{Email, MailError, read_outbox};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::extract::{Json, Path, Query};
use crate::respond::{self, Data, no_content};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/__dev__/echo/{id}", post(echo))
        .route("/__dev__/mail", post(send_mail))
        .route("/__dev__/outbox", get(outbox))
        .route("/__dev__/kv/{key}", get(kv_get).put(kv_put))
        .route("/__dev__/objects/{*key}", get(object_get).put(object_put))
}

/// Fails with the 404 envelope outside development and test (the routes are
/// not mounted there; this is the second lock on the door).
pub fn require_local(state: &AppState) -> Result<(), ApiError> {
    if state.config().environment.is_local() {
        Ok(())
    } else {
        Err(ApiError::route_not_found())
    }
}

#[derive(Debug, Deserialize)]
struct EchoQuery {
    times: Option<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EchoBody {
    message: String,
}

async fn echo(
    State(state): State<AppState>,
    Path(id): Path<uuid::Uuid>,
    Query(query): Query<EchoQuery>,
    Json(body): Json<EchoBody>,
) -> Result<Data<serde_json::Value>, ApiError> {
    require_local(&state)?;
    let times = query.times.unwrap_or(1);
    if body.message.is_empty() || body.message.chars().count() > 200 {
        return Err(ApiError::invalid_fields([(
            "message",
            "must be 1 to 200 characters",
        )]));
    }
    if !(1..=5).contains(&times) {
        return Err(ApiError::invalid_fields([("times", "must be from 1 to 5")]));
    }
    Ok(Data(json!({
        "id": id,
        "service": state.service().name,
        "echo": body.message.repeat(usize::from(times)),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MailBody {
    to: String,
    subject: String,
    text: String,
    html: Option<String>,
}

async fn send_mail(
    State(state): State<AppState>,
    Json(body): Json<MailBody>,
) -> Result<Response, ApiError> {
    require_local(&state)?;
    let email = Email {
        to: body.to,
        subject: body.subject,
        text: body.text,
        html: body.html,
    };
    match state.mailer().send(&email).await {
        Ok(()) => Ok(no_content()),
        Err(MailError::Invalid(reason)) => Err(ApiError::invalid_fields([("email", reason)])),
        Err(other) => Err(ApiError::internal(other)),
    }
}

#[derive(Debug, Deserialize)]
pub struct OutboxQuery {
    to: String,
}

/// The messages the mailer sent to `?to=`, newest first (also mounted by
/// the auth service as `/api/test/outbox`).
pub async fn outbox(
    State(state): State<AppState>,
    Query(query): Query<OutboxQuery>,
) -> Result<Data<Vec<codex_mail::OutboxEntry>>, ApiError> {
    require_local(&state)?;
    let entries = read_outbox(state.database(), &query.to, 20).await?;
    Ok(Data(entries))
}

const MAX_KEY: usize = 200;
const MAX_VALUE: usize = 10_000;

fn check_kv_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() || key.len() > MAX_KEY {
        return Err(ApiError::invalid_fields([(
            "key",
            "must be 1 to 200 bytes",
        )]));
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KvBody {
    value: String,
    ttl_seconds: Option<u32>,
}

async fn kv_put(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Json(body): Json<KvBody>,
) -> Result<Response, ApiError> {
    require_local(&state)?;
    check_kv_key(&key)?;
    if body.value.len() > MAX_VALUE {
        return Err(ApiError::invalid_fields([(
            "value",
            "must be at most 10000 bytes",
        )]));
    }
    let ttl = body
        .ttl_seconds
        .map(|seconds| Duration::from_secs(u64::from(seconds)));
    state
        .kv()
        .put(&format!("dev:{key}"), &body.value, ttl)
        .await
        .map_err(ApiError::internal)?;
    Ok(no_content())
}

async fn kv_get(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Data<serde_json::Value>, ApiError> {
    require_local(&state)?;
    check_kv_key(&key)?;
    let value = state
        .kv()
        .get(&format!("dev:{key}"))
        .await
        .map_err(ApiError::internal)?;
    Ok(Data(json!({ "key": key, "value": value })))
}

async fn object_put(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_local(&state)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    state
        .objects()
        .put(&format!("dev/{key}"), body.to_vec(), content_type)
        .await?;
    Ok(no_content())
}

async fn object_get(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    require_local(&state)?;
    let object = state
        .objects()
        .get(&format!("dev/{key}"))
        .await?
        .ok_or_else(|| ApiError::not_found("Object not found"))?;
    Ok(respond::object(object))
}
