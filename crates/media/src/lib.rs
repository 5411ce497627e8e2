//! The media library: a creator's video and audio, from the declared file
//! through its direct upload to storage and the check of what arrived, to
//! listing, renaming and deleting. Owns the tables `media_items` and
//! `storage_removals`.
//!
//! - [`kinds`]: the nine accepted types and how their first bytes look;
//! - [`plan`]: single or multipart, and the parts' size;
//! - [`item`]: the media item and its states;
//! - [`library`]: the operations, each scoped to the creator;
//! - [`removals`]: stored objects still to remove, retried until removed;
//! - [`through`]: the fallback upload whose body passes through the service;
//! - [`transcoding`]: jobs on the transcoder, their callbacks, retries and
//!   the sweep of silent ones.

pub mod item;
pub mod kinds;
pub mod library;
pub mod plan;
pub mod removals;
pub mod through;
pub mod transcoding;

pub use item::{MediaItem, MediaStatus, UploadMode};
pub use kinds::MediaType;

/// The media library's scheduled upkeep (hourly on Workers, every 15
/// minutes natively): gives up uploads abandoned for a day, and retries
/// the stored objects still to remove. Failures are logged, never lost:
/// what is not done stays recorded for the next run.
pub async fn maintain(ctx: &codex_context::Context) {
    match library::sweep_abandoned_uploads(ctx).await {
        Ok(0) => {}
        Ok(swept) => tracing::info!(swept, "abandoned uploads given up"),
        Err(error) => {
            tracing::warn!(error = %error.message(), "the sweep of abandoned uploads failed");
        }
    }
    match removals::retry_due(ctx).await {
        Ok(0) => {}
        Ok(attempted) => tracing::info!(attempted, "storage removals retried"),
        Err(error) => {
            tracing::warn!(error = %error.message(), "retrying storage removals failed");
        }
    }
}
