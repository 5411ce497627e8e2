//! The media library (`/api/media`; rules in `codex_media::library`). The
//! browser uploads straight to storage: these routes declare the file,
//! hand out presigned URLs, and check what arrived.

use axum::extract::{Request, State};
use axum::http::header;
use axum::response::Response;
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::extract::{Json, OptionalJson, Path, Query};
use codex_http_kit::openapi::{DataEnvelope, ErrorEnvelope, ListEnvelope};
use codex_http_kit::respond::{Created, Data, List, no_content};
use codex_media::library::{
    self, CompleteUpload, ListFilter, MediaChanges, MediaWithUpload, NewMedia, OriginalDownload,
    PartUrls, SortBy, SortOrder, StoredParts, UploadCompleted,
};
use codex_media::through::{self, Declared, UploadedThrough};
use codex_media::{MediaItem, MediaStatus, MediaType};
use codex_policy::{Creators, RoleIn, Viewer};
use codex_validation::PageQuery;
use serde::Deserialize;
use uuid::Uuid;

/// Declares a file and answers with the plan to upload it: one presigned
/// `PUT` below the multipart threshold (100 MiB), otherwise an S3
/// multipart upload.
#[utoipa::path(post,
    path = "/api/media",
    tag = "media",
    security(("session" = [])),
    request_body = NewMedia,
    responses((status = 201, description = "Declared; status `uploading`, with the upload plan", body = DataEnvelope<MediaWithUpload>)))]
pub async fn create(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Json(input): Json<NewMedia>,
) -> Result<Created<MediaWithUpload>, ApiError> {
    let viewer = creator.into_inner();
    Ok(Created(
        library::create(state.ctx(), &viewer.user.id, &input).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    #[serde(flatten)]
    page: PageQuery,
    status: Option<MediaStatus>,
    media_type: Option<MediaType>,
    #[serde(default)]
    sort_by: SortBy,
    #[serde(default)]
    sort_order: SortOrder,
}

#[utoipa::path(get,
    path = "/api/media",
    tag = "media",
    security(("session" = [])),
    params(("page" = Option<u32>, Query, description = "1..=1000, default 1"), ("limit" = Option<u32>, Query, description = "1..=100, default 20"), ("status" = inline(Option<MediaStatus>), Query), ("mediaType" = inline(Option<MediaType>), Query), ("sortBy" = inline(Option<SortBy>), Query), ("sortOrder" = inline(Option<SortOrder>), Query)),
    responses((status = 200, description = "A page of the caller's media items", body = ListEnvelope<MediaItem>)))]
pub async fn list(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Query(query): Query<ListQuery>,
) -> Result<List<MediaItem>, ApiError> {
    let page = query.page.check()?;
    let filter = ListFilter {
        status: query.status,
        media_type: query.media_type,
        sort_by: query.sort_by,
        sort_order: query.sort_order,
    };
    let (items, total) = library::list(state.ctx(), &viewer.user.id, page, &filter).await?;
    Ok(List::new(items, page, total))
}

#[utoipa::path(get,
    path = "/api/media/{id}",
    tag = "media",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The media item's id")),
    responses((status = 200, description = "The caller's media item", body = DataEnvelope<MediaItem>)))]
pub async fn get(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Path(id): Path<Uuid>,
) -> Result<Data<MediaItem>, ApiError> {
    Ok(Data(library::get(state.ctx(), &viewer.user.id, id).await?))
}

/// Title and description only: status, keys, duration and dimensions are
/// the service's.
#[utoipa::path(patch,
    path = "/api/media/{id}",
    tag = "media",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The media item's id")),
    request_body = MediaChanges,
    responses((status = 200, description = "Updated", body = DataEnvelope<MediaItem>)))]
pub async fn update(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
    Json(changes): Json<MediaChanges>,
) -> Result<Data<MediaItem>, ApiError> {
    let viewer = creator.into_inner();
    Ok(Data(
        library::update(state.ctx(), &viewer.user.id, id, &changes).await?,
    ))
}

/// Deletes the item and everything stored under it.
#[utoipa::path(delete,
    path = "/api/media/{id}",
    tag = "media",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The media item's id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let viewer = creator.into_inner();
    library::delete(state.ctx(), &viewer.user.id, id).await?;
    Ok(no_content())
}

/// The upload plan again, with fresh URLs, while the item is `uploading`.
#[utoipa::path(get,
    path = "/api/media/{id}/upload",
    tag = "media",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The media item's id")),
    responses((status = 200, description = "The item and its upload plan", body = DataEnvelope<MediaWithUpload>)))]
pub async fn upload_plan(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
) -> Result<Data<MediaWithUpload>, ApiError> {
    let viewer = creator.into_inner();
    Ok(Data(
        library::upload_plan(state.ctx(), &viewer.user.id, id).await?,
    ))
}

/// Gives up the parts uploaded so far and starts the multipart upload
/// afresh (the item stays `uploading`).
#[utoipa::path(delete,
    path = "/api/media/{id}/upload",
    tag = "media",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The media item's id")),
    responses((status = 200, description = "The item with its new upload plan", body = DataEnvelope<MediaWithUpload>)))]
pub async fn abort_upload(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
) -> Result<Data<MediaWithUpload>, ApiError> {
    let viewer = creator.into_inner();
    Ok(Data(
        library::abort_upload(state.ctx(), &viewer.user.id, id).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PartNumbers {
    /// 1 to 100 part numbers, each within the plan.
    pub part_numbers: Vec<u32>,
}

/// Presigned `UploadPart` URLs, an hour each, minted on demand.
#[utoipa::path(post,
    path = "/api/media/{id}/upload/parts",
    tag = "media",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The media item's id")),
    request_body = PartNumbers,
    responses((status = 200, description = "One URL per part asked for", body = DataEnvelope<PartUrls>)))]
pub async fn part_urls(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
    Json(body): Json<PartNumbers>,
) -> Result<Data<PartUrls>, ApiError> {
    let viewer = creator.into_inner();
    Ok(Data(
        library::part_urls(state.ctx(), &viewer.user.id, id, &body.part_numbers).await?,
    ))
}

/// The parts storage holds so far, so that a reloaded page can resume.
#[utoipa::path(get,
    path = "/api/media/{id}/upload/parts",
    tag = "media",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The media item's id")),
    responses((status = 200, description = "The stored parts, in order", body = DataEnvelope<StoredParts>)))]
pub async fn stored_parts(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
) -> Result<Data<StoredParts>, ApiError> {
    let viewer = creator.into_inner();
    Ok(Data(
        library::stored_parts(state.ctx(), &viewer.user.id, id).await?,
    ))
}

/// The fallback when the browser's own `PUT` fails: the file itself is the
/// body (at most 95 MiB, sent as its declared type), stored part by part
/// and checked as `upload-complete` checks it. Calling `upload-complete`
/// afterwards gives the same answer.
#[utoipa::path(post,
    path = "/api/media/{id}/upload",
    tag = "media",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The media item's id")),
    request_body(description = "The file's bytes, exactly the declared size, with its declared type as `Content-Type`",
        content(("video/mp4"), ("video/quicktime"), ("video/x-msvideo"), ("video/webm"),
            ("audio/mpeg"), ("audio/mp4"), ("audio/wav"), ("audio/webm"), ("audio/ogg"))),
    responses(
        (status = 200, description = "Stored, checked and uploaded", body = DataEnvelope<UploadedThrough>),
        (status = 413, description = "The declared file is above 95 MiB: it must go straight to storage", body = ErrorEnvelope),
        (status = 415, description = "The body is not sent as the declared type", body = ErrorEnvelope),
        (status = 422, description = "The item is past `uploading`, or the file is not the declared type (it is deleted)", body = ErrorEnvelope)))]
pub async fn upload_through(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
    request: Request,
) -> Result<Data<UploadedThrough>, ApiError> {
    let viewer = creator.into_inner();
    let (parts, body) = request.into_parts();
    let declared = Declared {
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok()),
        content_length: parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse().ok()),
    };
    Ok(Data(
        through::upload(
            state.ctx(),
            &viewer.user.id,
            id,
            declared,
            body.into_data_stream(),
        )
        .await?,
    ))
}

/// Completes the upload and checks the stored file (size and container).
/// No body for a single `PUT`; the parts for a multipart upload.
#[utoipa::path(post,
    path = "/api/media/{id}/upload-complete",
    tag = "media",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The media item's id")),
    request_body(content = Option<CompleteUpload>, description = "Omitted for a single upload"),
    responses(
        (status = 200, description = "Uploaded (the same answer when repeated)", body = DataEnvelope<UploadCompleted>),
        (status = 422, description = "The stored file is missing, of another size or not the declared type: it is deleted and the item stays `uploading`", body = ErrorEnvelope)))]
pub async fn complete(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
    OptionalJson(body): OptionalJson<CompleteUpload>,
) -> Result<Data<UploadCompleted>, ApiError> {
    let viewer = creator.into_inner();
    Ok(Data(
        library::complete(state.ctx(), &viewer.user.id, id, &body).await?,
    ))
}

/// A presigned link to the creator's own original, an hour long.
#[utoipa::path(get,
    path = "/api/media/{id}/original",
    tag = "media",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The media item's id")),
    responses((status = 200, description = "Where to download the original", body = DataEnvelope<OriginalDownload>)))]
pub async fn original(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
) -> Result<Data<OriginalDownload>, ApiError> {
    let viewer = creator.into_inner();
    Ok(Data(
        library::original(state.ctx(), &viewer.user.id, id).await?,
    ))
}
