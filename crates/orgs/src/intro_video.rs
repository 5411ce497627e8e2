//! An organisation's intro video (part of its branding): a video from the
//! media library, linked by a manager, played on the storefront at
//! `introVideoUrl` once it is ready.
//!
//! This crate owns the branding columns; the media item is the media
//! library's. Linking (which checks the item) and the status (which
//! follows the item) are therefore written in `codex-flows`, over
//! [`set`] and the types here.

use codex_context::Context;
use codex_database::columns;
use codex_errors::ApiError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::settings::{self, Branding};

/// Where the intro video stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntroVideoState {
    /// No intro video is linked (or its media item was deleted).
    None,
    /// The linked video is still being uploaded.
    Uploading,
    /// The linked video is being prepared for playback.
    Processing,
    /// The video plays at `introVideoUrl`.
    Ready,
    /// Preparing the video failed: see `error`.
    Failed,
}

/// `GET …/settings/branding/intro-video/status`: polled by the brand
/// editor while a video is prepared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntroVideoStatus {
    pub status: IntroVideoState,
    #[schema(required = true)]
    pub intro_video_url: Option<String>,
    /// Percent done while the video is prepared; none otherwise.
    #[schema(required = true)]
    pub progress: Option<u8>,
    /// Why preparing the video failed; none otherwise.
    #[schema(required = true)]
    pub error: Option<String>,
}

/// Records `media_item_id` as the intro video (its URL is set once the
/// video is ready) and drops the cached public views. The caller has
/// checked the media item.
pub async fn set(
    ctx: &Context,
    organization_id: Uuid,
    media_item_id: Uuid,
) -> Result<Branding, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "UPDATE branding_settings SET intro_video_media_item_id = $2, intro_video_url = NULL \
                 WHERE organization_id = $1 RETURNING {}",
                columns::<Branding>("")
            ),
            &[organization_id.into(), media_item_id.into()],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("Organization not found"))?;
    settings::forget_public_of(ctx, organization_id).await;
    Ok(row.decode()?)
}

/// Removes the intro video (both the media item and the URL) and drops the
/// cached public views.
pub async fn remove(ctx: &Context, organization_id: Uuid) -> Result<Branding, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "UPDATE branding_settings SET intro_video_media_item_id = NULL, intro_video_url = NULL \
                 WHERE organization_id = $1 RETURNING {}",
                columns::<Branding>("")
            ),
            &[organization_id.into()],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("Organization not found"))?;
    settings::forget_public_of(ctx, organization_id).await;
    Ok(row.decode()?)
}
