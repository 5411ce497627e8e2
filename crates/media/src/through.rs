//! The fallback upload through the service (`POST /api/media/:id/upload`),
//! which the web app uses when the browser's direct `PUT` fails: the body
//! is the file itself, at most [`MAX_THROUGH_SERVICE`] (a Worker refuses
//! request bodies above 100 MB).
//!
//! The body is never held whole: it goes to storage as an S3 multipart
//! upload, one part at a time, so memory holds at most one part (8 MiB,
//! or the plan's part size) and one read from the connection. A multipart
//! item uses its own upload; a single one gets a multipart upload of the
//! service's, recorded on the item so that deleting the item or the
//! abandoned-upload sweep gives it up if the transfer dies half-way. Once
//! stored, the file is checked and the item completed exactly as
//! `upload-complete` does, which the web app may then call again.

use std::fmt::Display;

use bytes::{Bytes, BytesMut};
use codex_context::Context;
use codex_errors::{ApiError, ErrorCode};
use codex_storage::CompletedPart;
use futures::{Stream, StreamExt};
use serde::Serialize;
use uuid::Uuid;

use crate::item::{MediaItem, MediaStatus, UploadMode};
use crate::library::{self, UploadCompleted};
use crate::plan::{MIB, MIN_PART_SIZE};

/// The largest file that may travel through the service: 95 MiB.
pub const MAX_THROUGH_SERVICE: u64 = 95 * MIB;

/// The answer of an upload through the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadedThrough {
    pub success: bool,
    /// The original's key in storage.
    pub r2_key: String,
    /// `uploaded`: the file was checked and the upload completed
    /// (`transcoding` once transcoding started).
    pub status: MediaStatus,
}

/// What the request says of its body.
#[derive(Debug, Clone, Copy)]
pub struct Declared<'a> {
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The `Content-Length` header, when there is one.
    pub content_length: Option<u64>,
}

/// Stores `body` as the item's original and completes the upload.
pub async fn upload<S, E>(
    ctx: &Context,
    creator_id: &str,
    id: Uuid,
    declared: Declared<'_>,
    body: S,
) -> Result<UploadedThrough, ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    let item = library::get(ctx, creator_id, id).await?;
    check_request(&item, declared)?;
    let size = u64::try_from(item.file_size_bytes).map_err(ApiError::internal)?;

    let (upload_id, part_size) = service_upload(ctx, &item).await?;
    let stored = match store_parts(ctx, &item, &upload_id, part_size, size, body).await {
        Ok(parts) => ctx
            .objects()
            .complete_multipart(&item.r2_key, &upload_id, &parts)
            .await
            .map_err(ApiError::from),
        Err(error) => Err(error),
    };
    if let Err(error) = stored {
        give_up(ctx, &item, &upload_id).await;
        return Err(error);
    }
    if item.upload_mode == UploadMode::Single {
        // The service's upload is complete: nothing is left to give up.
        forget_upload(ctx, &item, &upload_id).await?;
    }

    let UploadCompleted { status, .. } = library::finish(ctx, &item).await?;
    Ok(UploadedThrough {
        success: true,
        r2_key: item.r2_key,
        status,
    })
}

/// The checks made before a byte is read: the item awaits its file, the
/// file is small enough to come this way, and the request's type and
/// length are the declared ones.
fn check_request(item: &MediaItem, declared: Declared<'_>) -> Result<(), ApiError> {
    if item.status != MediaStatus::Uploading {
        return Err(ApiError::business_rule(format!(
            "The upload is over: the media item is {}",
            item.status.as_str()
        )));
    }
    if u64::try_from(item.file_size_bytes).map_or(true, |size| size > MAX_THROUGH_SERVICE) {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            "Files above 95 MiB upload straight to storage: use the upload plan",
        ));
    }
    let content_type = declared
        .content_type
        .map(|value| value.split(';').next().unwrap_or("").trim());
    if !content_type.is_some_and(|value| value.eq_ignore_ascii_case(&item.mime_type)) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!(
                "The body must be sent as {}, the declared type",
                item.mime_type
            ),
        ));
    }
    if let Some(length) = declared.content_length
        && i64::try_from(length).ok() != Some(item.file_size_bytes)
    {
        return Err(ApiError::invalid_fields([(
            "Content-Length",
            format!("must be {}, the declared size", item.file_size_bytes),
        )]));
    }
    Ok(())
}

/// The multipart upload the body goes into, and its part size: the item's
/// own for a multipart item, else a new one recorded on the item (after
/// giving up any left by an earlier attempt).
async fn service_upload(ctx: &Context, item: &MediaItem) -> Result<(String, u64), ApiError> {
    if item.upload_mode == UploadMode::Multipart
        && let (Some(upload_id), Some(part_size)) = (&item.upload_id, item.part_size)
    {
        let part_size = u64::try_from(part_size).map_err(ApiError::internal)?;
        return Ok((upload_id.clone(), part_size));
    }
    if let Some(earlier) = &item.upload_id {
        ctx.objects().abort_multipart(&item.r2_key, earlier).await?;
    }
    let upload_id = ctx
        .objects()
        .create_multipart(&item.r2_key, &item.mime_type)
        .await?;
    let recorded = ctx
        .database()
        .execute(
            "UPDATE media_items SET upload_id = $2, updated_at = $3 \
             WHERE id = $1 AND status = 'uploading' AND deleted_at IS NULL",
            &[
                item.id.into(),
                upload_id.as_str().into(),
                ctx.clock().now().into(),
            ],
        )
        .await;
    match recorded {
        Ok(1) => Ok((upload_id, MIN_PART_SIZE)),
        Ok(_) => {
            let _ = ctx
                .objects()
                .abort_multipart(&item.r2_key, &upload_id)
                .await;
            Err(ApiError::business_rule(
                "The upload is over: the media item changed meanwhile",
            ))
        }
        Err(error) => {
            let _ = ctx
                .objects()
                .abort_multipart(&item.r2_key, &upload_id)
                .await;
            Err(error.into())
        }
    }
}

/// Reads the body into parts of `part_size` and stores each as it fills;
/// the body must be exactly `size` bytes.
async fn store_parts<S, E>(
    ctx: &Context,
    item: &MediaItem,
    upload_id: &str,
    part_size: u64,
    size: u64,
    mut body: S,
) -> Result<Vec<CompletedPart>, ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    let part_len = usize::try_from(part_size).map_err(ApiError::internal)?;
    let mut parts = Vec::new();
    let mut pending =
        BytesMut::with_capacity(part_len.min(usize::try_from(size).unwrap_or(usize::MAX)));
    let mut received: u64 = 0;
    loop {
        let chunk = match body.next().await {
            Some(Ok(chunk)) => Some(chunk),
            Some(Err(error)) => {
                tracing::info!(media_id = %item.id, error = %error, "an upload through the service broke off");
                return Err(ApiError::validation(
                    "The upload broke off before the whole file arrived",
                ));
            }
            None => None,
        };
        let finished = chunk.is_none();
        if let Some(chunk) = chunk {
            received += chunk.len() as u64;
            if received > size {
                return Err(too_long(size));
            }
            pending.extend_from_slice(&chunk);
        }
        while pending.len() >= part_len || (finished && !pending.is_empty()) {
            let take = pending.len().min(part_len);
            let part = pending.split_to(take).to_vec();
            let part_number = u32::try_from(parts.len() + 1).map_err(ApiError::internal)?;
            let etag = ctx
                .objects()
                .upload_part(&item.r2_key, upload_id, part_number, part)
                .await?;
            parts.push(CompletedPart { part_number, etag });
        }
        if finished {
            break;
        }
    }
    if received != size {
        return Err(ApiError::invalid_fields([(
            "body",
            format!("is {received} bytes, not the {size} declared"),
        )]));
    }
    Ok(parts)
}

fn too_long(size: u64) -> ApiError {
    ApiError::invalid_fields([("body", format!("is longer than the {size} bytes declared"))])
}

/// Drops what a failed transfer stored. A multipart item gets a new upload
/// so the browser can try its own way again; a single item forgets the
/// service's upload.
async fn give_up(ctx: &Context, item: &MediaItem, upload_id: &str) {
    if let Err(error) = ctx.objects().abort_multipart(&item.r2_key, upload_id).await {
        tracing::warn!(media_id = %item.id, error = %error, "could not give up an upload through the service");
        return;
    }
    let result = if item.upload_mode == UploadMode::Multipart {
        library::restart_multipart(ctx, item).await
    } else {
        forget_upload(ctx, item, upload_id).await
    };
    if let Err(error) = result {
        tracing::warn!(media_id = %item.id, error = %error.message(), "could not reset an item after a failed upload");
    }
}

/// Clears the service's upload from a single item.
async fn forget_upload(ctx: &Context, item: &MediaItem, upload_id: &str) -> Result<(), ApiError> {
    ctx.database()
        .execute(
            "UPDATE media_items SET upload_id = NULL, updated_at = $3 \
             WHERE id = $1 AND upload_id = $2 AND status = 'uploading'",
            &[item.id.into(), upload_id.into(), ctx.clock().now().into()],
        )
        .await?;
    Ok(())
}
