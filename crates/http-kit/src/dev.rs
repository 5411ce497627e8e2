//! Development and test diagnostics, mounted on every service only when
//! `ENVIRONMENT` is development or test (elsewhere the paths do not exist).
//!
//! `POST /__dev__/echo/{id}?times=N` with `{"message": "…"}` exercises the
//! shared extractors (path, query and JSON body) end to end on both
//! runtimes, so that the black-box suite can prove every service answers bad
//! input with the error envelope.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use codex_errors::ApiError;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::extract::{Json, Path, Query};
use crate::respond::Data;

pub fn routes() -> Router<AppState> {
    Router::new().route("/__dev__/echo/{id}", post(echo))
}

/// Fails with the 404 envelope outside development and test.
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
