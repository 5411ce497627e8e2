//! Starting, retrying and following a transcoding job (rules in
//! `codex_media::transcoding`).

use axum::extract::State;
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::extract::Path;
use codex_http_kit::openapi::{DataEnvelope, ErrorEnvelope};
use codex_http_kit::respond::Data;
use codex_media::transcoding::{self, TranscodingStatus};
use codex_policy::{Viewer, WorkerCall};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The body of `POST /internal/media/:id/transcode`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TranscodeRequest {
    /// 0 to 4; the item's own (2 unless set) when left out.
    #[serde(default)]
    pub priority: Option<i32>,
    /// Sent by the content service; the item's creator is what counts.
    #[serde(default)]
    #[allow(dead_code)]
    #[schema(value_type = Option<String>)]
    pub creator_id: Option<serde_json::Value>,
}

/// A job started.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Triggered {
    pub message: String,
    pub media_id: Uuid,
}

/// Starts transcoding an uploaded item (the content service asks, once the
/// upload is checked).
#[utoipa::path(post,
    path = "/internal/media/{id}/transcode",
    tag = "transcoding",
    security(("workerSignature" = [])),
    params(("id" = Uuid, Path, description = "The media item's id")),
    request_body(content = TranscodeRequest, description = "Empty, or the job's priority"),
    responses(
        (status = 200, description = "The job was sent to the transcoder; the item is `transcoding`", body = DataEnvelope<Triggered>),
        (status = 422, description = "The item is not `uploaded` (`details.code` `INVALID_MEDIA_STATE`)", body = ErrorEnvelope)))]
pub async fn start(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    call: WorkerCall,
) -> Result<Data<Triggered>, ApiError> {
    let request: TranscodeRequest = if call.0.iter().all(u8::is_ascii_whitespace) {
        TranscodeRequest::default()
    } else {
        call.json()?
    };
    transcoding::start(state.ctx(), id, request.priority).await?;
    Ok(Data(Triggered {
        message: "Transcoding job triggered".to_owned(),
        media_id: id,
    }))
}

/// Transcodes the caller's failed item again (three attempts in all).
#[utoipa::path(post,
    path = "/api/transcoding/retry/{id}",
    tag = "transcoding",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The media item's id")),
    responses(
        (status = 200, description = "The job was sent again; the item is `transcoding`", body = DataEnvelope<Triggered>),
        (status = 422, description = "The item is not `failed` (`details.code` `INVALID_MEDIA_STATE`), or its three attempts are spent (`MAX_RETRIES_EXCEEDED`)", body = ErrorEnvelope)))]
pub async fn retry(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Path(id): Path<Uuid>,
) -> Result<Data<Triggered>, ApiError> {
    transcoding::retry(state.ctx(), &viewer.user.id, id).await?;
    Ok(Data(Triggered {
        message: "Transcoding retry triggered".to_owned(),
        media_id: id,
    }))
}

/// Where the caller's item stands in transcoding.
#[utoipa::path(get,
    path = "/api/transcoding/status/{id}",
    tag = "transcoding",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The media item's id")),
    responses((status = 200, description = "The item's transcoding state", body = DataEnvelope<TranscodingStatus>)))]
pub async fn status(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Path(id): Path<Uuid>,
) -> Result<Data<TranscodingStatus>, ApiError> {
    Ok(Data(
        transcoding::status(state.ctx(), &viewer.user.id, id).await?,
    ))
}
