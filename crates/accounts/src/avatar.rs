//! Avatars: checked by content (PNG, JPEG, WebP or GIF, at most 5 MB),
//! re-encoded to WebP at three widths and stored as public files under
//! `avatars/{userId}/`; the user's `image` points at the `md` one. A new
//! upload replaces the old files; removal and account deletion remove the
//! folder.

use codex_context::Context;
use codex_context::public_files::{self, PublicFile};
use codex_errors::ApiError;

use crate::profile;

/// The largest avatar accepted.
pub const MAX_AVATAR: usize = 5 * 1024 * 1024;

fn folder(user_id: &str) -> String {
    format!("avatars/{user_id}")
}

/// Checks, re-encodes and stores `bytes` as the user's avatar; the answer
/// is its `md` file.
pub async fn replace(ctx: &Context, user_id: &str, bytes: &[u8]) -> Result<PublicFile, ApiError> {
    let folder = folder(user_id);
    let stored = public_files::store_picture(ctx, &folder, "avatar", bytes).await?;
    profile::set_image(ctx, user_id, Some(&stored.url)).await?;
    public_files::remove_all(ctx, &folder, Some(&stored.key)).await;
    Ok(stored)
}

/// Clears the user's image and removes the stored files.
pub async fn remove(ctx: &Context, user_id: &str) -> Result<(), ApiError> {
    profile::set_image(ctx, user_id, None).await?;
    remove_files(ctx, user_id).await;
    Ok(())
}

/// Removes the stored files only (after account deletion).
pub async fn remove_files(ctx: &Context, user_id: &str) {
    public_files::remove_all(ctx, &folder(user_id), None).await;
}
