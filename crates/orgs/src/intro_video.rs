//! An organisation's intro video (part of its branding): a media item of
//! the organisation's, linked by a manager, played on the storefront at
//! `introVideoUrl`.
//!
//! The media library (the `media_items` table, uploads and transcoding) is
//! not built yet, so no media item can exist: linking answers 404 "Media
//! item not found" for every id, the status is `none`, and removing clears
//! both columns. When the media library lands, `link` checks that the item
//! exists and belongs to the organisation, stores its id, and the status
//! follows the item's transcoding (`uploading`, `processing`, `ready`,
//! `failed`) with `introVideoUrl` set once it is ready.

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
    /// No intro video is linked.
    None,
    /// A video is linked and plays at `introVideoUrl`.
    Ready,
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

/// Where the organisation's intro video stands.
pub async fn status(ctx: &Context, organization_id: Uuid) -> Result<IntroVideoStatus, ApiError> {
    let branding = settings::branding(ctx, organization_id).await?;
    let state = if branding.intro_video_url.is_some() {
        IntroVideoState::Ready
    } else {
        IntroVideoState::None
    };
    Ok(IntroVideoStatus {
        status: state,
        intro_video_url: branding.intro_video_url,
        progress: None,
        error: None,
    })
}

fn media_item_not_found() -> ApiError {
    ApiError::not_found("Media item not found")
}

/// Links the media item `media_item_id` as the intro video. No media item
/// exists until the media library is built, so this is always 404 (after
/// the organisation itself is found); see the module documentation.
pub async fn link(
    ctx: &Context,
    organization_id: Uuid,
    media_item_id: Uuid,
) -> Result<Branding, ApiError> {
    settings::branding(ctx, organization_id).await?;
    tracing::info!(%organization_id, %media_item_id, "intro video asked for a media item that does not exist");
    Err(media_item_not_found())
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
