//! The media item as its creator sees it, and its states.

use chrono::{DateTime, Utc};
use codex_database::FromRow;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::kinds::MediaType;

/// Where a media item is between upload and playback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MediaStatus {
    /// Declared; the browser is uploading the original.
    Uploading,
    /// The original is stored and checked; transcoding comes next.
    Uploaded,
    Transcoding,
    /// Playable.
    Ready,
    Failed,
}

impl MediaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Uploading => "uploading",
            Self::Uploaded => "uploaded",
            Self::Transcoding => "transcoding",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }
}

impl std::str::FromStr for MediaStatus {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(match value {
            "uploading" => Self::Uploading,
            "uploaded" => Self::Uploaded,
            "transcoding" => Self::Transcoding,
            "ready" => Self::Ready,
            "failed" => Self::Failed,
            other => return Err(format!("unknown media status {other:?}")),
        })
    }
}

/// How the original is uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UploadMode {
    /// One presigned `PUT`.
    Single,
    /// An S3 multipart upload: parts `PUT` to presigned part URLs.
    Multipart,
}

impl UploadMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Multipart => "multipart",
        }
    }
}

impl std::str::FromStr for UploadMode {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "single" => Ok(Self::Single),
            "multipart" => Ok(Self::Multipart),
            other => Err(format!("unknown upload mode {other:?}")),
        }
    }
}

/// A media item, as its creator reads it. Public views never use this
/// type: it carries storage keys.
#[derive(Debug, Clone, PartialEq, Serialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MediaItem {
    pub id: Uuid,
    pub creator_id: String,
    pub title: String,
    #[schema(required = true)]
    pub description: Option<String>,
    #[row(parse)]
    pub media_type: MediaType,
    #[row(parse)]
    pub status: MediaStatus,
    /// The original's key in storage.
    pub r2_key: String,
    pub file_size_bytes: i64,
    pub mime_type: String,
    #[row(parse)]
    pub upload_mode: UploadMode,
    /// The multipart upload in progress: the browser's (multipart
    /// uploads), or the service's while a file passes through it.
    #[schema(required = true)]
    pub upload_id: Option<String>,
    #[schema(required = true)]
    pub part_size: Option<i64>,
    #[schema(required = true)]
    pub part_count: Option<i32>,
    #[schema(required = true)]
    pub duration_seconds: Option<i32>,
    #[schema(required = true)]
    pub width: Option<i32>,
    #[schema(required = true)]
    pub height: Option<i32>,
    #[schema(required = true)]
    pub hls_master_playlist_key: Option<String>,
    #[schema(required = true)]
    pub hls_preview_key: Option<String>,
    #[schema(required = true)]
    pub thumbnail_key: Option<String>,
    #[schema(required = true)]
    pub waveform_key: Option<String>,
    #[schema(required = true)]
    pub waveform_image_key: Option<String>,
    #[schema(required = true)]
    pub transcoding_error: Option<String>,
    pub transcoding_attempts: i32,
    pub transcoding_priority: i32,
    #[schema(required = true)]
    pub transcoding_progress: Option<i32>,
    #[schema(required = true)]
    pub transcoding_step: Option<String>,
    #[row(json)]
    #[schema(required = true, value_type = Option<Vec<String>>)]
    pub ready_variants: Option<serde_json::Value>,
    #[schema(required = true)]
    pub uploaded_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
