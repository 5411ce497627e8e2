//! A creator's media library: declaring a file and receiving its upload
//! plan, the parts of a multipart upload, completing and checking the
//! upload, listing, renaming and deleting. Every operation is scoped to
//! the creator: another user's media item is a 404.
//!
//! The browser uploads straight to storage; the service never carries the
//! bytes. What it does check is the result: at `upload-complete` the
//! stored object must exist, have the declared size and begin like the
//! declared container, or it is deleted and the item stays `uploading`.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use codex_context::Context;
use codex_database::{SqlValue, Window, columns};
use codex_errors::ApiError;
use codex_storage::{CompletedPart, StorageError, StoredPart};
use codex_validation::{Page, multiline_text, required_text};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::item::{MediaItem, MediaStatus, UploadMode};
use crate::kinds::{self, MediaType};
use crate::plan::{self, MAX_FILE_SIZE, MIN_FILE_SIZE};
use crate::removals;

/// How long a presigned upload URL (single or part) lives.
pub const UPLOAD_URL_LIFETIME: Duration = Duration::from_secs(3600);
/// How long an upload may stay unfinished before the sweep aborts it.
pub const UPLOAD_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(24);
/// Most part URLs handed out in one call.
pub const MAX_PART_URLS: usize = 100;

/// The declared file: the body of `POST /api/media`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewMedia {
    /// 1 to 255 characters.
    pub title: String,
    /// At most 5,000 characters.
    #[serde(default)]
    pub description: Option<String>,
    pub media_type: MediaType,
    /// One of the nine accepted types.
    pub mime_type: String,
    /// 1 KiB to 5 GiB.
    pub file_size_bytes: u64,
    /// Accepted for the web app's sake; media belong to their creator.
    #[serde(default)]
    pub organization_id: Option<Uuid>,
}

/// How the browser uploads the file. `single`: `PUT` the whole file to
/// `url` with exactly `headers`. `multipart`: ask for part URLs
/// (`POST …/upload/parts`), `PUT` each part (all `partSize` long but the
/// last), keep each answer's `ETag`, and send them to `upload-complete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadPlan {
    pub mode: UploadMode,
    /// `single` only: the presigned `PUT` URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `single` only: the headers the `PUT` must send as they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// `multipart` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_count: Option<u32>,
    /// `single`: when the URL expires; `multipart`: when the unfinished
    /// upload is given up.
    pub expires_at: DateTime<Utc>,
}

/// A media item with the plan to upload its original.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MediaWithUpload {
    #[serde(flatten)]
    pub item: MediaItem,
    /// The single `PUT` URL, or null for a multipart upload (the web
    /// app's existing upload code reads this).
    #[schema(required = true)]
    pub presigned_url: Option<String>,
    pub upload: UploadPlan,
}

/// Checks the declared file, records the item and starts its upload.
pub async fn create(
    ctx: &Context,
    creator_id: &str,
    input: &NewMedia,
) -> Result<MediaWithUpload, ApiError> {
    let title = required_text("title", &input.title, 255)?;
    let description = input
        .description
        .as_deref()
        .map(|text| multiline_text("description", text, 5000))
        .transpose()?
        .flatten();
    let Some(kind) = kinds::by_mime_type(&input.mime_type) else {
        return Err(ApiError::invalid_fields([(
            "mimeType",
            "must be one of video/mp4, video/quicktime, video/x-msvideo, video/webm, \
             audio/mpeg, audio/mp4, audio/wav, audio/webm, audio/ogg",
        )]));
    };
    if kind.media_type != input.media_type {
        return Err(ApiError::invalid_fields([(
            "mimeType",
            format!("is not a {} type", input.media_type.as_str()),
        )]));
    }
    if !(MIN_FILE_SIZE..=MAX_FILE_SIZE).contains(&input.file_size_bytes) {
        return Err(ApiError::invalid_fields([(
            "fileSizeBytes",
            "must be from 1 KiB to 5 GiB",
        )]));
    }
    let size = i64::try_from(input.file_size_bytes).map_err(ApiError::internal)?;
    let id = Uuid::new_v4();
    let key = format!("{creator_id}/originals/{id}/media.{}", kind.extension);
    let now = ctx.clock().now();
    let multipart = input.file_size_bytes >= ctx.config().media_multipart_threshold;
    let (mode, upload_id, parts) = if multipart {
        let upload_id = ctx.objects().create_multipart(&key, kind.mime_type).await?;
        (
            UploadMode::Multipart,
            Some(upload_id),
            Some(plan::parts_for(input.file_size_bytes)),
        )
    } else {
        (UploadMode::Single, None, None)
    };
    let inserted = ctx
        .database()
        .query_opt(
            &format!(
                "INSERT INTO media_items (id, creator_id, title, description, media_type, r2_key, \
                 file_size_bytes, mime_type, upload_mode, upload_id, part_size, part_count, \
                 created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING {}",
                columns::<MediaItem>("")
            ),
            &[
                id.into(),
                creator_id.into(),
                title.into(),
                description.into(),
                kind.media_type.as_str().into(),
                key.as_str().into(),
                size.into(),
                kind.mime_type.into(),
                mode.as_str().into(),
                upload_id.clone().into(),
                parts
                    .map(|p| i64::try_from(p.part_size).unwrap_or(i64::MAX))
                    .into(),
                parts.map(|p| i64::from(p.part_count)).into(),
                now.into(),
            ],
        )
        .await;
    let item: MediaItem = match inserted {
        Ok(Some(row)) => row.decode()?,
        Ok(None) => return Err(ApiError::internal("the insert returned no row")),
        Err(error) => {
            if let Some(upload_id) = &upload_id {
                // Best effort: the storage's own lifecycle rule is the net.
                let _ = ctx.objects().abort_multipart(&key, upload_id).await;
            }
            return Err(error.into());
        }
    };
    with_upload(ctx, item).await
}

/// The item with a fresh plan for its upload (URLs are minted anew).
async fn with_upload(ctx: &Context, item: MediaItem) -> Result<MediaWithUpload, ApiError> {
    let now = ctx.clock().now();
    let upload = match (item.upload_mode, &item.upload_id) {
        (UploadMode::Multipart, Some(upload_id)) => UploadPlan {
            mode: UploadMode::Multipart,
            url: None,
            headers: None,
            upload_id: Some(upload_id.clone()),
            part_size: item.part_size.and_then(|n| u64::try_from(n).ok()),
            part_count: item.part_count.and_then(|n| u32::try_from(n).ok()),
            expires_at: item.created_at + UPLOAD_LIFETIME,
        },
        _ => {
            let presigned = ctx
                .objects()
                .presign_upload(&item.r2_key, &item.mime_type, UPLOAD_URL_LIFETIME)
                .await?;
            UploadPlan {
                mode: UploadMode::Single,
                url: Some(presigned.url),
                headers: Some(presigned.headers.into_iter().collect()),
                upload_id: None,
                part_size: None,
                part_count: None,
                expires_at: now
                    + chrono::TimeDelta::from_std(UPLOAD_URL_LIFETIME)
                        .unwrap_or(chrono::TimeDelta::zero()),
            }
        }
    };
    Ok(MediaWithUpload {
        presigned_url: upload.url.clone(),
        item,
        upload,
    })
}

/// The creator's live media item, or 404.
pub async fn get(ctx: &Context, creator_id: &str, id: Uuid) -> Result<MediaItem, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "SELECT {} FROM media_items WHERE id = $1 AND creator_id = $2 AND deleted_at IS NULL",
                columns::<MediaItem>("")
            ),
            &[id.into(), creator_id.into()],
        )
        .await?;
    match row {
        Some(row) => Ok(row.decode()?),
        None => Err(not_found()),
    }
}

/// Any creator's media item that is not deleted, for the operations of
/// other domains that refer to one (an organisation's intro video); they
/// decide who may use it.
pub async fn find_live(ctx: &Context, id: Uuid) -> Result<Option<MediaItem>, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "SELECT {} FROM media_items WHERE id = $1 AND deleted_at IS NULL",
                columns::<MediaItem>("")
            ),
            &[id.into()],
        )
        .await?;
    Ok(row.map(|row| row.decode()).transpose()?)
}

fn not_found() -> ApiError {
    ApiError::not_found("Media item not found")
}

/// The creator's item while it is still `uploading`, else 409.
async fn uploading(ctx: &Context, creator_id: &str, id: Uuid) -> Result<MediaItem, ApiError> {
    let item = get(ctx, creator_id, id).await?;
    if item.status != MediaStatus::Uploading {
        return Err(ApiError::conflict(format!(
            "The upload is over: the media item is {}",
            item.status.as_str()
        )));
    }
    Ok(item)
}

/// The plan to upload the item's original again (fresh URLs), while it is
/// `uploading`.
pub async fn upload_plan(
    ctx: &Context,
    creator_id: &str,
    id: Uuid,
) -> Result<MediaWithUpload, ApiError> {
    let item = uploading(ctx, creator_id, id).await?;
    with_upload(ctx, item).await
}

/// Presigned part URLs (`POST /api/media/:id/upload/parts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartUrls {
    pub parts: Vec<PartUrl>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartUrl {
    pub part_number: u32,
    /// `PUT` the part here, exactly as long as the plan says.
    pub url: String,
}

/// The multipart item, its upload id and its parts' shape.
fn multipart_of(item: &MediaItem) -> Result<(String, plan::Parts), ApiError> {
    match (
        item.upload_mode,
        &item.upload_id,
        item.part_size,
        item.part_count,
    ) {
        (UploadMode::Multipart, Some(upload_id), Some(size), Some(count)) => Ok((
            upload_id.clone(),
            plan::Parts {
                part_size: u64::try_from(size).map_err(ApiError::internal)?,
                part_count: u32::try_from(count).map_err(ApiError::internal)?,
            },
        )),
        _ => Err(ApiError::conflict(
            "This media item is uploaded with one PUT, not in parts",
        )),
    }
}

/// Presigned `UploadPart` URLs for `part_numbers` (1 to 100 of them, each
/// within the plan), minted now, so that a long or resumed upload asks
/// again rather than holding hundreds of URLs.
pub async fn part_urls(
    ctx: &Context,
    creator_id: &str,
    id: Uuid,
    part_numbers: &[u32],
) -> Result<PartUrls, ApiError> {
    if part_numbers.is_empty() || part_numbers.len() > MAX_PART_URLS {
        return Err(ApiError::invalid_fields([(
            "partNumbers",
            "must list 1 to 100 part numbers",
        )]));
    }
    let item = uploading(ctx, creator_id, id).await?;
    let (upload_id, parts) = multipart_of(&item)?;
    let mut numbers = part_numbers.to_vec();
    numbers.sort_unstable();
    numbers.dedup();
    if let Some(bad) = numbers.iter().find(|n| **n == 0 || **n > parts.part_count) {
        return Err(ApiError::invalid_fields([(
            "partNumbers",
            format!(
                "part {bad} is not in the plan: parts run from 1 to {}",
                parts.part_count
            ),
        )]));
    }
    let mut urls = Vec::with_capacity(numbers.len());
    for number in numbers {
        urls.push(PartUrl {
            part_number: number,
            url: ctx
                .objects()
                .presign_part(&item.r2_key, &upload_id, number, UPLOAD_URL_LIFETIME)
                .await?,
        });
    }
    Ok(PartUrls {
        parts: urls,
        expires_at: ctx.clock().now()
            + chrono::TimeDelta::from_std(UPLOAD_URL_LIFETIME).unwrap_or(chrono::TimeDelta::zero()),
    })
}

/// The parts stored so far (`GET /api/media/:id/upload/parts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoredParts {
    pub parts: Vec<StoredPartView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoredPartView {
    pub part_number: u32,
    pub etag: String,
    pub size: u64,
}

impl From<StoredPart> for StoredPartView {
    fn from(part: StoredPart) -> Self {
        Self {
            part_number: part.part_number,
            etag: part.etag,
            size: part.size,
        }
    }
}

/// What storage holds of the upload, so that a reload can resume.
pub async fn stored_parts(
    ctx: &Context,
    creator_id: &str,
    id: Uuid,
) -> Result<StoredParts, ApiError> {
    let item = uploading(ctx, creator_id, id).await?;
    let (upload_id, _) = multipart_of(&item)?;
    let parts = ctx.objects().list_parts(&item.r2_key, &upload_id).await?;
    Ok(StoredParts {
        parts: parts.into_iter().map(StoredPartView::from).collect(),
    })
}

/// The body of `upload-complete`: the parts of a multipart upload (none
/// for a single `PUT`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompleteUpload {
    #[serde(default)]
    pub parts: Option<Vec<ReportedPart>>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportedPart {
    pub part_number: u32,
    /// The `ETag` header the part's `PUT` was answered with.
    pub etag: String,
}

/// The answer of `upload-complete`, the same each time it is repeated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadCompleted {
    pub success: bool,
    pub status: MediaStatus,
    /// Whether the media service started transcoding it. When it could
    /// not, the item rests at `uploaded` (repeating `upload-complete` asks
    /// again), or is `failed` if the transcoder refused the job (a retry
    /// asks again).
    pub transcoding_triggered: bool,
}

/// Completes the upload (joining the parts of a multipart one), then
/// checks the stored object: it exists, has the declared size, and starts
/// like the declared container. A file that fails is deleted, and the item
/// stays `uploading` (with a new multipart upload if it had one) for
/// another attempt. On success the item is `uploaded`. Repeating it after
/// success gives the same answer.
pub async fn complete(
    ctx: &Context,
    creator_id: &str,
    id: Uuid,
    body: &CompleteUpload,
) -> Result<UploadCompleted, ApiError> {
    let item = get(ctx, creator_id, id).await?;
    match item.status {
        MediaStatus::Uploading => {}
        // Uploaded before, but its transcoding never started: ask again.
        MediaStatus::Uploaded => return transcode(ctx, item).await,
        // Completed before and its job started: a client repeating the
        // call (its answer lost) hears where the item stands.
        MediaStatus::Transcoding | MediaStatus::Ready => {
            return Ok(completed(item.status, true));
        }
        MediaStatus::Failed => return Ok(completed(item.status, false)),
    }
    if item.upload_mode == UploadMode::Multipart {
        let (upload_id, parts) = multipart_of(&item)?;
        let reported = check_reported_parts(body, parts)?;
        match ctx
            .objects()
            .complete_multipart(&item.r2_key, &upload_id, &reported)
            .await
        {
            Ok(()) => {}
            // Completed by an earlier call that did not get to record it:
            // the object, checked below, tells.
            Err(StorageError::NoSuchUpload) => {}
            Err(error) => return Err(error.into()),
        }
    } else if body.parts.as_ref().is_some_and(|parts| !parts.is_empty()) {
        return Err(ApiError::invalid_fields([(
            "parts",
            "a single upload has no parts",
        )]));
    }

    finish(ctx, &item).await
}

/// Checks the stored original and records the item `uploaded`, or deletes
/// a file that is not what was declared (422).
pub(crate) async fn finish(ctx: &Context, item: &MediaItem) -> Result<UploadCompleted, ApiError> {
    if let Err(problem) = check_stored(ctx, item).await? {
        refuse_file(ctx, item).await?;
        return Err(ApiError::business_rule(problem));
    }

    let now = ctx.clock().now();
    ctx.database()
        .execute(
            "UPDATE media_items SET status = 'uploaded', uploaded_at = $3, updated_at = $3 \
             WHERE id = $1 AND creator_id = $2 AND status = 'uploading' AND deleted_at IS NULL",
            &[item.id.into(), item.creator_id.as_str().into(), now.into()],
        )
        .await?;
    // Whoever recorded it, the item is now past `uploading`.
    let item = get(ctx, &item.creator_id, item.id).await?;
    transcode(ctx, item).await
}

/// Asks for the `uploaded` item to be transcoded, and answers where it
/// stands then.
async fn transcode(ctx: &Context, item: MediaItem) -> Result<UploadCompleted, ApiError> {
    if item.status != MediaStatus::Uploaded || !crate::transcoding::request(ctx, &item).await {
        return Ok(completed(item.status, false));
    }
    let item = get(ctx, &item.creator_id, item.id).await?;
    Ok(completed(item.status, true))
}

fn completed(status: MediaStatus, transcoding_triggered: bool) -> UploadCompleted {
    UploadCompleted {
        success: true,
        status,
        transcoding_triggered,
    }
}

/// The reported parts: every part of the plan, once, in order, with an
/// `ETag` each.
fn check_reported_parts(
    body: &CompleteUpload,
    parts: plan::Parts,
) -> Result<Vec<CompletedPart>, ApiError> {
    let Some(reported) = body.parts.as_ref().filter(|parts| !parts.is_empty()) else {
        return Err(ApiError::invalid_fields([(
            "parts",
            "list every part with the ETag its upload was answered with",
        )]));
    };
    if reported.len() != usize::try_from(parts.part_count).unwrap_or(usize::MAX) {
        return Err(ApiError::invalid_fields([(
            "parts",
            format!(
                "the plan has {} parts; {} were listed",
                parts.part_count,
                reported.len()
            ),
        )]));
    }
    let mut completed = Vec::with_capacity(reported.len());
    for (index, part) in reported.iter().enumerate() {
        let expected = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if part.part_number != expected {
            return Err(ApiError::invalid_fields([(
                format!("parts.{index}.partNumber"),
                format!("must be {expected}: parts are listed once each, in order"),
            )]));
        }
        let etag = part.etag.trim();
        if etag.is_empty() || etag.len() > 1024 || etag.chars().any(|c| c.is_control()) {
            return Err(ApiError::invalid_fields([(
                format!("parts.{index}.etag"),
                "must be the ETag the part's upload was answered with",
            )]));
        }
        completed.push(CompletedPart {
            part_number: expected,
            etag: etag.to_owned(),
        });
    }
    Ok(completed)
}

/// `Ok(Ok(()))` when the stored original is what was declared, or
/// `Ok(Err(why))` when it is not.
async fn check_stored(ctx: &Context, item: &MediaItem) -> Result<Result<(), String>, ApiError> {
    let Some(info) = ctx.objects().head(&item.r2_key).await? else {
        return Ok(Err("The file has not been uploaded".to_owned()));
    };
    if i64::try_from(info.size).ok() != Some(item.file_size_bytes) {
        return Ok(Err(format!(
            "The uploaded file is {} bytes, not the {} declared",
            info.size, item.file_size_bytes
        )));
    }
    let head = ctx
        .objects()
        .get_range(&item.r2_key, 0, kinds::SNIFF_BYTES)
        .await?
        .unwrap_or_default();
    let declared = kinds::by_mime_type(&item.mime_type).map(|kind| kind.container);
    if kinds::sniff(&head).is_none() || kinds::sniff(&head) != declared {
        return Ok(Err(format!("The uploaded file is not {}", item.mime_type)));
    }
    Ok(Ok(()))
}

/// Deletes a refused original; a multipart item gets a new upload so the
/// creator can try again.
///
/// The answer is the 422 whether or not the deletion succeeds: a refused
/// file left behind is harmless (the next upload replaces it and is
/// checked in turn; deleting the item or the sweep removes its folder).
async fn refuse_file(ctx: &Context, item: &MediaItem) -> Result<(), ApiError> {
    if let Err(error) = ctx.objects().delete(&item.r2_key).await {
        tracing::warn!(media_id = %item.id, %error, "could not delete a refused upload; the next upload replaces it");
    }
    if item.upload_mode == UploadMode::Multipart {
        restart_multipart(ctx, item).await?;
    }
    Ok(())
}

pub(crate) async fn restart_multipart(ctx: &Context, item: &MediaItem) -> Result<(), ApiError> {
    let upload_id = ctx
        .objects()
        .create_multipart(&item.r2_key, &item.mime_type)
        .await?;
    ctx.database()
        .execute(
            "UPDATE media_items SET upload_id = $2, updated_at = $3 WHERE id = $1 AND status = 'uploading'",
            &[
                item.id.into(),
                upload_id.into(),
                ctx.clock().now().into(),
            ],
        )
        .await?;
    Ok(())
}

/// Gives up the parts uploaded so far (`DELETE /api/media/:id/upload`) and
/// starts a new multipart upload for the same item, so the creator can
/// begin again; deleting the item is `DELETE /api/media/:id`.
pub async fn abort_upload(
    ctx: &Context,
    creator_id: &str,
    id: Uuid,
) -> Result<MediaWithUpload, ApiError> {
    let item = uploading(ctx, creator_id, id).await?;
    let (upload_id, _) = multipart_of(&item)?;
    ctx.objects()
        .abort_multipart(&item.r2_key, &upload_id)
        .await?;
    restart_multipart(ctx, &item).await?;
    upload_plan(ctx, creator_id, id).await
}

/// What a creator may change: the body of `PATCH /api/media/:id`. Status,
/// storage keys, duration and dimensions are the service's alone, and
/// naming them is a 400.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MediaChanges {
    /// 1 to 255 characters.
    #[serde(default)]
    pub title: Option<String>,
    /// At most 5,000 characters; null or empty clears it.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: codex_database::Patch<String>,
}

pub async fn update(
    ctx: &Context,
    creator_id: &str,
    id: Uuid,
    changes: &MediaChanges,
) -> Result<MediaItem, ApiError> {
    let title = changes
        .title
        .as_deref()
        .map(|title| required_text("title", title, 255))
        .transpose()?;
    let description: Option<Option<String>> = match &changes.description {
        codex_database::Patch::Absent => None,
        codex_database::Patch::Null => Some(None),
        codex_database::Patch::Value(text) => Some(multiline_text("description", text, 5000)?),
    };
    get(ctx, creator_id, id).await?;
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "UPDATE media_items SET title = COALESCE($3, title), \
                 description = CASE WHEN $4 THEN $5 ELSE description END, updated_at = $6 \
                 WHERE id = $1 AND creator_id = $2 AND deleted_at IS NULL RETURNING {}",
                columns::<MediaItem>("")
            ),
            &[
                id.into(),
                creator_id.into(),
                title.into(),
                description.is_some().into(),
                description.flatten().into(),
                ctx.clock().now().into(),
            ],
        )
        .await?;
    match row {
        Some(row) => Ok(row.decode()?),
        None => Err(not_found()),
    }
}

/// The filters and order of `GET /api/media`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum SortBy {
    #[default]
    CreatedAt,
    UploadedAt,
    Title,
}

pub use codex_validation::SortOrder;

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<MediaStatus>,
    pub media_type: Option<MediaType>,
    pub sort_by: SortBy,
    pub sort_order: SortOrder,
}

/// The creator's live media items, a page at a time.
pub async fn list(
    ctx: &Context,
    creator_id: &str,
    page: Page,
    filter: &ListFilter,
) -> Result<(Vec<MediaItem>, u64), ApiError> {
    let direction = filter.sort_order.sql();
    let order_by = match filter.sort_by {
        SortBy::CreatedAt => format!("created_at {direction}, id"),
        SortBy::UploadedAt => format!("uploaded_at {direction} NULLS LAST, id"),
        SortBy::Title => format!("lower(title) {direction}, id"),
    };
    let condition = "creator_id = $1 AND deleted_at IS NULL \
                     AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR media_type = $3)";
    let params: [SqlValue; 3] = [
        creator_id.into(),
        filter.status.map(MediaStatus::as_str).into(),
        filter.media_type.map(MediaType::as_str).into(),
    ];
    Ok(codex_database::fetch_page(
        ctx.database(),
        &format!(
            "SELECT {} FROM media_items WHERE {condition} ORDER BY {order_by}",
            columns::<MediaItem>("")
        ),
        &format!("SELECT count(*) AS total FROM media_items WHERE {condition}"),
        &params,
        Window {
            limit: i64::from(page.limit),
            offset: page.offset(),
        },
    )
    .await?)
}

/// Soft-deletes the item and removes everything stored under it: the
/// original (and an unfinished upload), HLS, thumbnails and waveforms.
/// The removals are recorded first, in the same transaction, and carried
/// out now; one that fails stays recorded and is retried later.
pub async fn delete(ctx: &Context, creator_id: &str, id: Uuid) -> Result<(), ApiError> {
    let item = get(ctx, creator_id, id).await?;
    let now = ctx.clock().now();
    let mut transaction = ctx.database().begin().await?;
    let changed = transaction
        .execute(
            "UPDATE media_items SET deleted_at = $3, updated_at = $3 \
             WHERE id = $1 AND creator_id = $2 AND deleted_at IS NULL",
            &[id.into(), creator_id.into(), now.into()],
        )
        .await?;
    if changed == 0 {
        return Err(not_found());
    }
    let upload_id = (item.status == MediaStatus::Uploading)
        .then(|| item.upload_id.clone())
        .flatten();
    let upload_key = upload_id.as_ref().map(|_| item.r2_key.clone());
    let mut targets = vec![(
        format!("{creator_id}/originals/{id}/"),
        upload_key,
        upload_id,
    )];
    for folder in [
        "hls",
        "thumbnails",
        "waveforms",
        "mezzanine",
        "media-thumbnails",
    ] {
        targets.push((format!("{creator_id}/{folder}/{id}/"), None, None));
    }
    let mut queued = Vec::with_capacity(targets.len());
    for (target, upload_key, upload_id) in targets {
        let removal_id = Uuid::new_v4();
        transaction
            .execute(
                "INSERT INTO storage_removals (id, target, upload_key, upload_id, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $5)",
                &[
                    removal_id.into(),
                    target.as_str().into(),
                    upload_key.into(),
                    upload_id.into(),
                    now.into(),
                ],
            )
            .await?;
        queued.push(removal_id);
    }
    transaction.commit().await?;
    for removal_id in queued {
        removals::attempt(ctx, removal_id).await;
    }
    Ok(())
}

/// Gives up uploads still `uploading` a day after they were declared: the
/// item is deleted and its stored parts removed. Returns how many.
pub async fn sweep_abandoned_uploads(ctx: &Context) -> Result<u64, ApiError> {
    let cutoff = ctx.clock().now() - UPLOAD_LIFETIME;
    let rows = ctx
        .database()
        .query(
            "SELECT id, creator_id FROM media_items \
             WHERE status = 'uploading' AND deleted_at IS NULL AND created_at < $1 LIMIT 100",
            &[cutoff.into()],
        )
        .await?;
    let mut swept = 0;
    for row in rows {
        let id: Uuid = row.get("id")?;
        let creator_id: String = row.get("creator_id")?;
        match delete(ctx, &creator_id, id).await {
            Ok(()) => swept += 1,
            Err(error) => {
                tracing::warn!(media_id = %id, error = %error.message(), "could not sweep an abandoned upload");
            }
        }
    }
    Ok(swept)
}

/// A presigned download of the original (`GET /api/media/:id/original`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OriginalDownload {
    /// `GET` the original here, without credentials, until `expiresAt`.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// A link to the creator's own original, once it has been uploaded.
pub async fn original(
    ctx: &Context,
    creator_id: &str,
    id: Uuid,
) -> Result<OriginalDownload, ApiError> {
    let item = get(ctx, creator_id, id).await?;
    if item.uploaded_at.is_none() {
        return Err(ApiError::conflict("The original has not been uploaded yet"));
    }
    let url = ctx
        .objects()
        .presign(
            codex_storage::Method::Get,
            &item.r2_key,
            UPLOAD_URL_LIFETIME,
        )
        .await?;
    Ok(OriginalDownload {
        url,
        expires_at: ctx.clock().now()
            + chrono::TimeDelta::from_std(UPLOAD_URL_LIFETIME).unwrap_or(chrono::TimeDelta::zero()),
    })
}

/// Whether the user has media items that are not deleted, read inside the
/// caller's transaction (account deletion refuses while they do).
pub async fn has_live_media_in(
    transaction: &mut dyn codex_database::Transaction,
    user_id: &str,
) -> Result<bool, ApiError> {
    let row = transaction
        .query_opt(
            "SELECT 1 AS live FROM media_items WHERE creator_id = $1 AND deleted_at IS NULL LIMIT 1",
            &[user_id.into()],
        )
        .await?;
    Ok(row.is_some())
}
