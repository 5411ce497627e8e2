//! Content thumbnails: an uploaded picture (PNG, JPEG, WebP or GIF, at most
//! 5 MB) re-encoded to WebP at three widths under
//! `content-thumbnails/{contentId}/`, public like avatars. The content's
//! `thumbnailUrl` points at the `md` file; `sm.webp` and `lg.webp` are
//! beside it. Only the piece's creator may change it, and in an
//! organisation only while they may publish there.

use codex_context::Context;
use codex_context::public_files::{self, PublicFile};
use codex_errors::ApiError;
use uuid::Uuid;

use crate::{listing_cache, studio};

/// The largest thumbnail accepted.
pub const MAX_THUMBNAIL: usize = 5 * 1024 * 1024;

/// Where a piece's thumbnails are kept.
pub fn folder(content_id: Uuid) -> String {
    format!("content-thumbnails/{content_id}")
}

async fn set_url(
    ctx: &Context,
    creator_id: &str,
    id: Uuid,
    url: Option<&str>,
) -> Result<bool, ApiError> {
    let changed = ctx
        .database()
        .execute(
            "UPDATE content SET thumbnail_url = $3, updated_at = $4 \
             WHERE id = $1 AND creator_id = $2 AND deleted_at IS NULL",
            &[
                id.into(),
                creator_id.into(),
                url.into(),
                ctx.clock().now().into(),
            ],
        )
        .await?;
    Ok(changed > 0)
}

/// Re-encodes and stores `bytes` as the piece's thumbnail, replacing the
/// old one (an uploaded one's files are removed; a link is simply
/// replaced). The answer is the stored file: the `md` one (WebP, but for
/// an upload kept as it is on Workers).
pub async fn replace(
    ctx: &Context,
    creator_id: &str,
    id: Uuid,
    bytes: &[u8],
) -> Result<PublicFile, ApiError> {
    studio::get_to_change(ctx, creator_id, id).await?;
    let folder = folder(id);
    let stored = public_files::store_picture_anywhere(ctx, &folder, "thumbnail", bytes).await?;
    if !set_url(ctx, creator_id, id, Some(&stored.url)).await? {
        // Deleted meanwhile: nothing points at the new files.
        public_files::remove_all(ctx, &folder, None).await;
        return Err(ApiError::not_found("Content not found"));
    }
    public_files::remove_all(ctx, &folder, Some(&stored.key)).await;
    listing_cache::content_changed(ctx, id).await;
    Ok(stored)
}

/// Clears the piece's thumbnail and removes its uploaded files.
pub async fn remove(ctx: &Context, creator_id: &str, id: Uuid) -> Result<(), ApiError> {
    studio::get_to_change(ctx, creator_id, id).await?;
    if !set_url(ctx, creator_id, id, None).await? {
        return Err(ApiError::not_found("Content not found"));
    }
    public_files::remove_all(ctx, &folder(id), None).await;
    listing_cache::content_changed(ctx, id).await;
    Ok(())
}
