//! An organisation's intro video: the branding's link (the organisations
//! crate's) to a video in the media library (the media crate's).

use codex_context::Context;
use codex_errors::ApiError;
use codex_media::{MediaItem, MediaStatus, MediaType};
use codex_orgs::intro_video::{self, IntroVideoState, IntroVideoStatus};
use codex_orgs::settings::{self, Branding};
use uuid::Uuid;

/// Links `media_item_id` as the organisation's intro video. The item must
/// exist (404), be the linking manager's own (403) and be a video (422).
pub async fn link(
    ctx: &Context,
    organization_id: Uuid,
    manager_id: &str,
    media_item_id: Uuid,
) -> Result<Branding, ApiError> {
    settings::branding(ctx, organization_id).await?;
    let Some(item) = codex_media::library::find_live(ctx, media_item_id).await? else {
        return Err(ApiError::not_found("Media item not found"));
    };
    if item.creator_id != manager_id {
        return Err(ApiError::forbidden(
            "Only your own media items can be the intro video",
        ));
    }
    if item.media_type != MediaType::Video {
        return Err(ApiError::business_rule("The intro video must be a video"));
    }
    intro_video::set(ctx, organization_id, media_item_id).await
}

/// Where the intro video stands: none, or the state of its media item.
pub async fn status(ctx: &Context, organization_id: Uuid) -> Result<IntroVideoStatus, ApiError> {
    let branding = settings::branding(ctx, organization_id).await?;
    let item = match branding.intro_video_media_item_id {
        Some(id) => codex_media::library::find_live(ctx, id).await?,
        None => None,
    };
    Ok(status_of(item.as_ref(), branding.intro_video_url))
}

fn status_of(item: Option<&MediaItem>, url: Option<String>) -> IntroVideoStatus {
    let Some(item) = item else {
        return IntroVideoStatus {
            status: IntroVideoState::None,
            intro_video_url: None,
            progress: None,
            error: None,
        };
    };
    let state = match item.status {
        MediaStatus::Uploading | MediaStatus::Uploaded => IntroVideoState::Uploading,
        MediaStatus::Transcoding => IntroVideoState::Processing,
        MediaStatus::Ready => IntroVideoState::Ready,
        MediaStatus::Failed => IntroVideoState::Failed,
    };
    IntroVideoStatus {
        status: state,
        intro_video_url: url.filter(|_| state == IntroVideoState::Ready),
        progress: item
            .transcoding_progress
            .filter(|_| state == IntroVideoState::Processing)
            .and_then(|percent| u8::try_from(percent.clamp(0, 100)).ok()),
        error: item
            .transcoding_error
            .clone()
            .filter(|_| state == IntroVideoState::Failed),
    }
}
