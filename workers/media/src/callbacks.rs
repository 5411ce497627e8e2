//! What the transcoder and RunPod tell the service: the transcoder's
//! signed progress and completion calls, and RunPod's own completion
//! webhook (unsigned by RunPod: its URL carries a token of the media
//! item). Rules in `codex_media::transcoding`; the mail to the creator in
//! `codex_flows::transcoding`.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use codex_errors::{ApiError, ErrorCode};
use codex_http_kit::AppState;
use codex_http_kit::extract::{Json, Path, Query};
use codex_http_kit::openapi::ErrorEnvelope;
use codex_media::transcoding::{Callback, RunPodWebhook};
use codex_signature::transcoder::{
    CallbackRefusal, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_callback, verify_webhook_token,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// The largest callback body read.
pub const MAX_CALLBACK_BODY: usize = 64 * 1024;

/// The answer to a callback. `error` says why it changed nothing when it
/// broke the contract: it is not sent again.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Received {
    pub received: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn received(error: Option<String>) -> Response {
    axum::Json(Received {
        received: true,
        error,
    })
    .into_response()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn refused(refusal: CallbackRefusal) -> ApiError {
    tracing::warn!(
        code = refusal.code(),
        "refused a transcoder callback: {refusal}"
    );
    ApiError::new(ErrorCode::Unauthorized, "Invalid webhook signature")
        .with_details(json!({"code": refusal.code()}))
}

/// A call from the transcoder: `X-Runpod-Timestamp` (unix seconds) and
/// `X-Runpod-Signature` (hex HMAC-SHA256 over `{timestamp}.{body}` with
/// `RUNPOD_WEBHOOK_SECRET`, at most 300 s old and 60 s ahead). A body that
/// breaks the contract is answered 200 with `error`, so that it is not
/// sent again; a failure of the service is a 5xx, and is.
#[utoipa::path(post,
    path = "/api/transcoding/webhook",
    tag = "transcoding",
    request_body(content = Callback, description = "Progress, completion or failure of a job, signed"),
    responses(
        (status = 200, description = "Received (`error` when the body broke the contract and changed nothing)", body = Received),
        (status = 401, description = "Unsigned, badly signed, or outside the time window (`details.code` `MISSING_SIGNATURE`, `MISSING_TIMESTAMP`, `INVALID_TIMESTAMP`, `TIMESTAMP_EXPIRED`, `TIMESTAMP_FUTURE`, `INVALID_SIGNATURE`)", body = ErrorEnvelope),
        (status = 413, description = "A body over 64 KiB", body = ErrorEnvelope)))]
pub async fn callback(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let ctx = state.ctx();
    let Some(secret) = ctx.config().runpod_webhook_secret.clone() else {
        return Err(ApiError::configuration("RUNPOD_WEBHOOK_SECRET"));
    };
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_CALLBACK_BODY)
        .await
        .map_err(|_| ApiError::new(ErrorCode::PayloadTooLarge, "Request body is too large"))?;
    verify_callback(
        secret.expose().as_bytes(),
        header(&parts.headers, SIGNATURE_HEADER),
        header(&parts.headers, TIMESTAMP_HEADER),
        &body,
        ctx.clock().now().timestamp(),
    )
    .map_err(refused)?;
    let callback: Callback = match serde_json::from_slice(&body) {
        Ok(callback) => callback,
        Err(error) => {
            tracing::warn!(%error, "a signed callback broke the contract");
            return Ok(received(Some(format!("Invalid callback: {error}"))));
        }
    };
    match codex_flows::transcoding::apply_callback(ctx, &callback).await {
        Ok(_) => Ok(received(None)),
        Err(error) if error.status().is_client_error() => {
            tracing::warn!(job_id = callback.job_id(), error = %error.message(), details = ?error.details(), "a signed callback broke the contract");
            let detail = error
                .details()
                .and_then(|details| details["details"][0]["path"].as_str())
                .map(|path| format!(" ({path})"))
                .unwrap_or_default();
            Ok(received(Some(format!("{}{detail}", error.message()))))
        }
        Err(error) => Err(error),
    }
}

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: Option<String>,
}

/// RunPod's own word that a job ended, at the URL the job was sent with:
/// a failure, a time-out or a cancellation fails the item; anything else
/// is left to the transcoder's own callbacks.
#[utoipa::path(post,
    path = "/api/transcoding/runpod-webhook/{id}",
    tag = "transcoding",
    params(
        ("id" = Uuid, Path, description = "The media item's id"),
        ("token" = String, Query, description = "The item's token, from the URL the job was sent with")),
    request_body(content = RunPodWebhook, description = "RunPod's job as it ended"),
    responses(
        (status = 200, description = "Received", body = Received),
        (status = 401, description = "No token, or not this item's", body = ErrorEnvelope)))]
pub async fn runpod_webhook(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(query): Query<TokenQuery>,
    Json(webhook): Json<RunPodWebhook>,
) -> Result<Response, ApiError> {
    let ctx = state.ctx();
    let Some(secret) = ctx.config().runpod_webhook_secret.clone() else {
        return Err(ApiError::configuration("RUNPOD_WEBHOOK_SECRET"));
    };
    let token = query.token.unwrap_or_default();
    if !verify_webhook_token(secret.expose().as_bytes(), &id.to_string(), &token) {
        tracing::warn!(media_id = %id, "refused RunPod's webhook: a wrong token");
        return Err(ApiError::unauthorized());
    }
    codex_flows::transcoding::apply_runpod_webhook(ctx, id, &webhook).await?;
    Ok(received(None))
}
