//! Transcoding a media item on RunPod: starting a job from `uploaded`,
//! retrying a failed one, its status, the transcoder's signed callbacks
//! (progress, completed, failed), RunPod's own terminal webhook, and the
//! sweep of jobs that went silent.
//!
//! `uploaded` → `transcoding` → `ready` | `failed`; `failed` → `uploaded`
//! again on a retry (at most three attempts). Every change a callback
//! makes is one guarded `UPDATE` on the item that is still `transcoding`,
//! not deleted, under the job named: a duplicate, late or reordered
//! callback, or one for another job, changes nothing.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use codex_context::Context;
use codex_context::ports::{JobKind, TranscodeJob, Transcoder};
use codex_database::{FromRow, columns};
use codex_errors::ApiError;
use codex_signature::transcoder::webhook_token;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::item::{MediaItem, MediaStatus};
use crate::kinds::MediaType;
use crate::library;

/// How many times an item may be transcoded: the first attempt and two
/// retries.
pub const MAX_ATTEMPTS: i32 = 3;
/// How long a job may stay silent before the sweep fails it.
pub const STUCK_AFTER: TimeDelta = TimeDelta::minutes(120);
/// The longest error kept on an item, in characters.
pub const MAX_ERROR_CHARS: usize = 2000;
/// A job's time limit when the length of the media is not known.
pub const DEFAULT_EXECUTION_TIMEOUT: Duration = Duration::from_secs(60 * 60);
pub const MIN_EXECUTION_TIMEOUT: Duration = Duration::from_secs(15 * 60);
pub const MAX_EXECUTION_TIMEOUT: Duration = Duration::from_secs(4 * 60 * 60);
/// How long RunPod keeps a job beyond its time limit (queueing included).
pub const TTL_BEYOND_TIMEOUT: Duration = Duration::from_secs(2 * 60 * 60);

const NO_VARIANTS: &str = "Transcoding completed but produced no playable variants";
const STUCK: &str = "Stuck in transcoding for over 120 minutes — no webhook received";

/// The steps a progress callback may name.
pub const STEPS: [&str; 10] = [
    "downloading",
    "probing",
    "mezzanine",
    "loudness",
    "encoding_variants",
    "preview",
    "thumbnails",
    "waveform",
    "uploading_outputs",
    "finalizing",
];
/// The variants a completed job may report.
pub const VARIANTS: [&str; 6] = ["1080p", "720p", "480p", "360p", "source", "audio"];

/// Where an item's transcoding stands (`GET /api/transcoding/status/:id`).
#[derive(Debug, Clone, PartialEq, Serialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscodingStatus {
    #[row(parse)]
    pub status: MediaStatus,
    pub transcoding_attempts: i32,
    #[schema(required = true)]
    pub transcoding_error: Option<String>,
    #[schema(required = true)]
    pub runpod_job_id: Option<String>,
    pub transcoding_priority: i32,
    #[schema(required = true)]
    pub transcoding_progress: Option<i32>,
    #[schema(required = true)]
    pub transcoding_step: Option<String>,
    #[row(json)]
    #[schema(required = true, value_type = Option<Vec<String>>)]
    pub ready_variants: Option<Value>,
}

/// A job that ended, for the creator to hear of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub media_id: Uuid,
    pub creator_id: String,
    pub title: String,
    /// `None` when the item is ready; why it failed otherwise.
    pub error: Option<String>,
}

fn invalid_state(status: MediaStatus, expected: &str) -> ApiError {
    ApiError::business_rule(format!(
        "The media item is {}; it must be {expected}",
        status.as_str()
    ))
    .with_details(json!({"code": "INVALID_MEDIA_STATE", "mediaStatus": status.as_str()}))
}

/// `text` cut to [`MAX_ERROR_CHARS`] characters.
fn cut(text: &str) -> String {
    text.chars().take(MAX_ERROR_CHARS).collect()
}

/// A job's time limit: three times the media's length, within 15 minutes
/// and 4 hours ([`DEFAULT_EXECUTION_TIMEOUT`] when the length is unknown).
pub fn execution_timeout(duration_seconds: Option<i32>) -> Duration {
    duration_seconds
        .and_then(|seconds| u64::try_from(seconds).ok())
        .filter(|seconds| *seconds > 0)
        .map_or(DEFAULT_EXECUTION_TIMEOUT, |seconds| {
            Duration::from_secs(seconds.saturating_mul(3))
        })
        .clamp(MIN_EXECUTION_TIMEOUT, MAX_EXECUTION_TIMEOUT)
}

/// What starting a job needs, all checked before an item changes.
struct Dispatcher<'a> {
    transcoder: &'a dyn Transcoder,
    media_url: &'a str,
    secret: &'a [u8],
}

impl<'a> Dispatcher<'a> {
    fn of(ctx: &'a Context) -> Result<Self, ApiError> {
        let transcoder = ctx.transcoder()?;
        let secret = ctx
            .config()
            .runpod_webhook_secret
            .as_ref()
            .ok_or_else(|| ApiError::configuration("RUNPOD_WEBHOOK_SECRET"))?;
        let media_url = ctx
            .config()
            .service_url("media")
            .ok_or_else(|| ApiError::configuration("MEDIA_API_URL"))?;
        Ok(Self {
            transcoder,
            media_url,
            secret: secret.expose().as_bytes(),
        })
    }

    /// The job for `item`: upstream's input, plus `storage`, presigned
    /// access to exactly what the job reads and may write, valid for the
    /// job's whole life. The transcoder holds no storage credentials.
    async fn job(&self, ctx: &Context, item: &MediaItem) -> Result<TranscodeJob, ApiError> {
        let timeout = execution_timeout(item.duration_seconds);
        let lifetime = timeout + TTL_BEYOND_TIMEOUT;
        let millis = |duration: Duration| u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        let id = item.id.to_string();
        let objects = ctx.objects();
        let mut outputs = serde_json::Map::new();
        for (path, key) in job_outputs(&item.creator_id, &id, item.media_type) {
            let upload = objects
                .presign_upload(&key, output_content_type(&path), lifetime)
                .await?;
            let headers: serde_json::Map<String, Value> = upload
                .headers
                .into_iter()
                .map(|(name, value)| (name, Value::from(value)))
                .collect();
            let delete = objects
                .presign(codex_storage::Method::Delete, &key, lifetime)
                .await?;
            outputs.insert(
                path,
                json!({"key": key, "put": upload.url, "putHeaders": headers, "delete": delete}),
            );
        }
        let source = objects
            .presign(codex_storage::Method::Get, &item.r2_key, lifetime)
            .await?;
        Ok(TranscodeJob {
            kind: match item.media_type {
                MediaType::Audio => JobKind::Audio,
                MediaType::Video => JobKind::Video,
            },
            input: json!({
                "mediaId": id,
                "type": item.media_type.as_str(),
                "creatorId": item.creator_id,
                "inputKey": item.r2_key,
                "webhookUrl": format!("{}/api/transcoding/webhook", self.media_url),
                "priority": item.transcoding_priority,
                "storage": {"source": source, "outputs": outputs},
            }),
            webhook: Some(format!(
                "{}/api/transcoding/runpod-webhook/{id}?token={}",
                self.media_url,
                webhook_token(self.secret, &id)
            )),
            execution_timeout_ms: Some(millis(timeout)),
            ttl_ms: Some(millis(lifetime)),
        })
    }
}

/// Every file a job for a `kind` item may write, by its path in the
/// transcoder's output folder, and the key it is stored under: the HLS
/// renditions the ladder can make, the preview and thumbnails of a video,
/// the waveform of audio.
pub fn job_outputs(creator_id: &str, media_id: &str, kind: MediaType) -> Vec<(String, String)> {
    let hls = |path: &str| {
        (
            format!("hls/{path}"),
            format!("{creator_id}/hls/{media_id}/{path}"),
        )
    };
    let mut outputs = vec![hls("master.m3u8")];
    let renditions: &[&str] = match kind {
        MediaType::Video => &["1080p", "720p", "480p", "360p", "source"],
        MediaType::Audio => &["128k", "64k"],
    };
    for rendition in renditions {
        outputs.push(hls(&format!("{rendition}/index.m3u8")));
        outputs.push(hls(&format!("{rendition}/stream.ts")));
    }
    match kind {
        MediaType::Video => {
            outputs.push(hls("preview/preview.m3u8"));
            outputs.push(hls("preview/stream.ts"));
            for size in ["sm", "md", "lg"] {
                outputs.push((
                    format!("thumbnails/{size}.webp"),
                    format!("{creator_id}/media-thumbnails/{media_id}/{size}.webp"),
                ));
            }
        }
        MediaType::Audio => {
            for file in ["waveform.json", "waveform.png"] {
                outputs.push((
                    format!("waveforms/{file}"),
                    format!("{creator_id}/waveforms/{media_id}/{file}"),
                ));
            }
        }
    }
    outputs
}

/// The type an output is stored with.
fn output_content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("m3u8") => "application/vnd.apple.mpegurl",
        Some("ts") => "video/mp2t",
        Some("webp") => "image/webp",
        Some("png") => "image/png",
        _ => "application/json",
    }
}

/// Starts transcoding an `uploaded` item (422 `INVALID_MEDIA_STATE`
/// otherwise): it becomes `transcoding` and the job is sent to RunPod,
/// whose job id is kept. When RunPod cannot be reached or refuses, the
/// item is `failed` with the reason (so it can be retried) and the error
/// is returned. Without the transcoder's settings nothing changes.
pub async fn start(ctx: &Context, media_id: Uuid, priority: Option<i32>) -> Result<(), ApiError> {
    if priority.is_some_and(|priority| !(0..=4).contains(&priority)) {
        return Err(ApiError::invalid_fields([(
            "priority",
            "must be from 0 to 4",
        )]));
    }
    let dispatcher = Dispatcher::of(ctx)?;
    let now = ctx.clock().now();
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "UPDATE media_items SET status = 'transcoding', transcoding_progress = 0, \
                 transcoding_step = NULL, transcoding_error = NULL, runpod_job_id = NULL, \
                 transcoding_priority = COALESCE($2, transcoding_priority), updated_at = $3 \
                 WHERE id = $1 AND status = 'uploaded' AND deleted_at IS NULL RETURNING {}",
                columns::<MediaItem>("")
            ),
            &[media_id.into(), priority.into(), now.into()],
        )
        .await?;
    let Some(row) = row else {
        return Err(match library::find_live(ctx, media_id).await? {
            Some(item) => invalid_state(item.status, "uploaded"),
            None => ApiError::not_found("Media item not found"),
        });
    };
    let item: MediaItem = row.decode()?;
    let job = match dispatcher.job(ctx, &item).await {
        Ok(job) => job,
        Err(error) => {
            fail_dispatch(ctx, media_id, "the storage could not sign its URLs").await?;
            return Err(error);
        }
    };
    match dispatcher.transcoder.dispatch(&job).await {
        Ok(job_id) => {
            ctx.database()
                .execute(
                    "UPDATE media_items SET runpod_job_id = $2, updated_at = $3 \
                     WHERE id = $1 AND status = 'transcoding' AND runpod_job_id IS NULL",
                    &[
                        media_id.into(),
                        job_id.as_str().into(),
                        ctx.clock().now().into(),
                    ],
                )
                .await?;
            tracing::info!(%media_id, job_id, "transcoding job started");
            Ok(())
        }
        Err(error) => {
            fail_dispatch(ctx, media_id, &error.to_string()).await?;
            Err(error.into())
        }
    }
}

/// Marks an item whose job could not be started `failed`, with the
/// reason, so that it can be retried.
async fn fail_dispatch(ctx: &Context, media_id: Uuid, cause: &str) -> Result<(), ApiError> {
    tracing::warn!(%media_id, cause, "the transcoding job could not be started");
    let reason = cut(&format!(
        "The transcoding job could not be started: {cause}"
    ));
    ctx.database()
        .execute(
            "UPDATE media_items SET status = 'failed', transcoding_error = $2, updated_at = $3 \
             WHERE id = $1 AND status = 'transcoding' AND runpod_job_id IS NULL",
            &[media_id.into(), reason.into(), ctx.clock().now().into()],
        )
        .await?;
    Ok(())
}

/// Asks the media service, with a signed call, to start transcoding the
/// item that was just uploaded; whether it did. A refusal or an
/// unreachable service is logged, and the item stays where it is (a
/// retry, or repeating `upload-complete` while it is `uploaded`, asks
/// again).
pub async fn request(ctx: &Context, item: &MediaItem) -> bool {
    let path = format!("/internal/media/{}/transcode", item.id);
    let body = json!({"priority": item.transcoding_priority});
    let asked = async { ctx.services()?.post("media", &path, &body).await }.await;
    match asked {
        Ok(_) => true,
        Err(error) => {
            tracing::warn!(media_id = %item.id, %error, "transcoding could not be requested");
            false
        }
    }
}

/// Whether a retry is allowed for `item` (its creator's, not deleted).
fn retryable(item: &MediaItem) -> Result<(), ApiError> {
    if item.status != MediaStatus::Failed {
        return Err(invalid_state(item.status, "failed"));
    }
    if item.transcoding_attempts >= MAX_ATTEMPTS {
        return Err(ApiError::business_rule(format!(
            "Transcoding was attempted {MAX_ATTEMPTS} times; no retry is left"
        ))
        .with_details(
            json!({"code": "MAX_RETRIES_EXCEEDED", "attempts": item.transcoding_attempts}),
        ));
    }
    Ok(())
}

/// Transcodes the creator's `failed` item again (422 otherwise, and once
/// three attempts are spent): back to `uploaded` with one attempt more and
/// the error and job cleared, then [`start`].
pub async fn retry(ctx: &Context, creator_id: &str, media_id: Uuid) -> Result<(), ApiError> {
    let item = library::get(ctx, creator_id, media_id).await?;
    retryable(&item)?;
    Dispatcher::of(ctx)?;
    let changed = ctx
        .database()
        .execute(
            "UPDATE media_items SET status = 'uploaded', \
             transcoding_attempts = transcoding_attempts + 1, transcoding_error = NULL, \
             runpod_job_id = NULL, transcoding_progress = NULL, transcoding_step = NULL, \
             updated_at = $3 \
             WHERE id = $1 AND creator_id = $2 AND status = 'failed' \
             AND transcoding_attempts < $4 AND deleted_at IS NULL",
            &[
                media_id.into(),
                creator_id.into(),
                ctx.clock().now().into(),
                MAX_ATTEMPTS.into(),
            ],
        )
        .await?;
    if changed == 0 {
        // Someone else moved it meanwhile: say where it is now.
        let item = library::get(ctx, creator_id, media_id).await?;
        retryable(&item)?;
        return Err(invalid_state(item.status, "failed"));
    }
    start(ctx, media_id, None).await
}

/// Where the creator's item stands.
pub async fn status(
    ctx: &Context,
    creator_id: &str,
    media_id: Uuid,
) -> Result<TranscodingStatus, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "SELECT {} FROM media_items WHERE id = $1 AND creator_id = $2 AND deleted_at IS NULL",
                columns::<TranscodingStatus>("")
            ),
            &[media_id.into(), creator_id.into()],
        )
        .await?;
    match row {
        Some(row) => Ok(row.decode()?),
        None => Err(ApiError::not_found("Media item not found")),
    }
}

/// A call from the transcoder, once its signature is checked: the body of
/// `POST /api/transcoding/webhook`, by its `status`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Callback {
    /// The job is under way.
    #[serde(rename_all = "camelCase")]
    Progress {
        job_id: String,
        /// 0 to 100; a lower figure than the last one is ignored.
        progress: i64,
        /// One of downloading, probing, mezzanine, loudness,
        /// encoding_variants, preview, thumbnails, waveform,
        /// uploading_outputs, finalizing.
        step: String,
        #[serde(default)]
        media_id: Option<Uuid>,
    },
    /// The job is done: what it stored.
    #[serde(rename_all = "camelCase")]
    Completed {
        job_id: String,
        output: Box<CompletedOutput>,
        /// At most 2,000 characters: a problem that did not stop the job.
        #[serde(default)]
        error: Option<String>,
    },
    /// The job gave up.
    #[serde(rename_all = "camelCase")]
    Failed {
        job_id: String,
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        media_id: Option<Uuid>,
    },
}

/// What a completed job stored. Keys lie under the creator's folders for
/// this item (`{creatorId}/…/{mediaId}/…`). Fields not listed here (the
/// encoder used, say) are accepted and logged.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompletedOutput {
    pub media_id: Uuid,
    #[serde(rename = "type")]
    pub media_type: MediaType,
    #[serde(default)]
    pub hls_master_key: Option<String>,
    #[serde(default)]
    pub hls_preview_key: Option<String>,
    #[serde(default)]
    pub thumbnail_key: Option<String>,
    #[serde(default)]
    pub waveform_key: Option<String>,
    #[serde(default)]
    pub waveform_image_key: Option<String>,
    #[serde(default)]
    pub mezzanine_key: Option<String>,
    /// `{sm, md, lg}` keys of the thumbnail's sizes.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub thumbnail_variants: Option<Value>,
    /// 1 to 86,400.
    #[serde(default)]
    pub duration_seconds: Option<i64>,
    /// 1 to 7,680.
    #[serde(default)]
    pub width: Option<i64>,
    /// 1 to 4,320.
    #[serde(default)]
    pub height: Option<i64>,
    /// At most 10 of 1080p, 720p, 480p, 360p, source, audio; none makes
    /// the job a failure.
    #[serde(default)]
    pub ready_variants: Vec<String>,
    /// LUFS × 100, −10,000 to 1,000.
    #[serde(default)]
    pub loudness_integrated: Option<i64>,
    /// dBTP × 100, −10,000 to 2,000.
    #[serde(default)]
    pub loudness_peak: Option<i64>,
    /// LU × 100, 0 to 50,000.
    #[serde(default)]
    pub loudness_range: Option<i64>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub extra: serde_json::Map<String, Value>,
}

impl Callback {
    pub fn job_id(&self) -> &str {
        match self {
            Self::Progress { job_id, .. }
            | Self::Completed { job_id, .. }
            | Self::Failed { job_id, .. } => job_id,
        }
    }

    /// The media item the callback names, if it names one.
    pub fn media_id(&self) -> Option<Uuid> {
        match self {
            Self::Progress { media_id, .. } | Self::Failed { media_id, .. } => *media_id,
            Self::Completed { output, .. } => Some(output.media_id),
        }
    }

    /// The ranges of the contract; a 400 naming the first field out of
    /// them.
    fn check(&self) -> Result<(), ApiError> {
        let job_id = self.job_id();
        if job_id.is_empty() || job_id.chars().count() > 255 {
            return Err(ApiError::invalid_fields([(
                "jobId",
                "must be 1 to 255 characters",
            )]));
        }
        match self {
            Self::Progress { progress, step, .. } => {
                if !(0..=100).contains(progress) {
                    return Err(ApiError::invalid_fields([(
                        "progress",
                        "must be from 0 to 100",
                    )]));
                }
                if !STEPS.contains(&step.as_str()) {
                    return Err(ApiError::invalid_fields([(
                        "step",
                        format!("must be one of {}", STEPS.join(", ")),
                    )]));
                }
                Ok(())
            }
            Self::Completed { output, error, .. } => {
                if error
                    .as_ref()
                    .is_some_and(|error| error.chars().count() > MAX_ERROR_CHARS)
                {
                    return Err(ApiError::invalid_fields([(
                        "error",
                        "must be at most 2000 characters",
                    )]));
                }
                output.check()
            }
            Self::Failed { .. } => Ok(()),
        }
    }
}

fn out_of_range(
    field: &str,
    value: Option<i64>,
    range: std::ops::RangeInclusive<i64>,
) -> Result<(), ApiError> {
    match value {
        Some(value) if !range.contains(&value) => Err(ApiError::invalid_fields([(
            format!("output.{field}"),
            format!("must be from {} to {}", range.start(), range.end()),
        )])),
        _ => Ok(()),
    }
}

impl CompletedOutput {
    fn check(&self) -> Result<(), ApiError> {
        out_of_range("durationSeconds", self.duration_seconds, 1..=86_400)?;
        out_of_range("width", self.width, 1..=7680)?;
        out_of_range("height", self.height, 1..=4320)?;
        out_of_range(
            "loudnessIntegrated",
            self.loudness_integrated,
            -10_000..=1000,
        )?;
        out_of_range("loudnessPeak", self.loudness_peak, -10_000..=2000)?;
        out_of_range("loudnessRange", self.loudness_range, 0..=50_000)?;
        if self.ready_variants.len() > 10
            || self
                .ready_variants
                .iter()
                .any(|variant| !VARIANTS.contains(&variant.as_str()))
        {
            return Err(ApiError::invalid_fields([(
                "output.readyVariants",
                format!("must list at most 10 of {}", VARIANTS.join(", ")),
            )]));
        }
        Ok(())
    }

    fn keys(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("hlsMasterKey", self.hls_master_key.as_deref()),
            ("hlsPreviewKey", self.hls_preview_key.as_deref()),
            ("thumbnailKey", self.thumbnail_key.as_deref()),
            ("waveformKey", self.waveform_key.as_deref()),
            ("waveformImageKey", self.waveform_image_key.as_deref()),
            ("mezzanineKey", self.mezzanine_key.as_deref()),
        ]
    }

    /// Every key is at most 500 characters, without control characters,
    /// under the item's own folders.
    fn check_keys(&self, job: &Job) -> Result<(), ApiError> {
        let prefix = format!("{}/", job.creator_id);
        let folder = format!("/{}/", job.id);
        for (field, key) in self.keys() {
            let Some(key) = key else { continue };
            if key.chars().count() > 500
                || key.chars().any(char::is_control)
                || key.contains("..")
                || !key.starts_with(&prefix)
                || !key.contains(&folder)
            {
                return Err(ApiError::invalid_fields([(
                    format!("output.{field}"),
                    "must be a key under the media item's folders",
                )]));
            }
        }
        Ok(())
    }

    /// What a playable item of `media_type` lacks, if anything.
    fn missing(&self, media_type: MediaType) -> Option<&'static str> {
        if self.ready_variants.is_empty() {
            return Some(NO_VARIANTS);
        }
        if self.hls_master_key.is_none() {
            return Some("Transcoding completed without an HLS master playlist");
        }
        if self.duration_seconds.is_none() {
            return Some("Transcoding completed without the media's duration");
        }
        match media_type {
            MediaType::Video if self.thumbnail_key.is_none() => {
                Some("Transcoding completed without a thumbnail")
            }
            MediaType::Audio if self.waveform_key.is_none() => {
                Some("Transcoding completed without a waveform")
            }
            _ => None,
        }
    }
}

/// The item a job belongs to.
#[derive(Debug, Clone, FromRow)]
struct Job {
    id: Uuid,
    creator_id: String,
    title: String,
    #[row(parse)]
    media_type: MediaType,
}

/// What a callback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The item changed; `Some` when its job ended.
    Changed(Option<Finished>),
    /// Nothing changed, and why.
    Unchanged(&'static str),
}

async fn find_job(ctx: &Context, job_id: &str) -> Result<Option<Job>, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "SELECT {} FROM media_items WHERE runpod_job_id = $1 LIMIT 1",
                columns::<Job>("")
            ),
            &[job_id.into()],
        )
        .await?;
    Ok(row.map(|row| row.decode()).transpose()?)
}

const STILL_RUNNING: &str = "the media item is not transcoding under this job any more";

/// Applies a verified callback. A check of the contract that fails is a
/// 400 and changes nothing; so does nothing a callback for an unknown job,
/// for a deleted item, for an item no longer `transcoding` under this job,
/// or naming another media item than its job's.
pub async fn apply_callback(ctx: &Context, callback: &Callback) -> Result<Applied, ApiError> {
    callback.check()?;
    let job_id = callback.job_id();
    let Some(job) = find_job(ctx, job_id).await? else {
        tracing::info!(job_id, "a callback for an unknown job was ignored");
        return Ok(Applied::Unchanged("no media item has this job"));
    };
    if callback.media_id().is_some_and(|named| named != job.id) {
        tracing::warn!(job_id, media_id = %job.id, "a callback naming another media item was ignored");
        return Ok(Applied::Unchanged("the callback names another media item"));
    }
    let now = ctx.clock().now();
    match callback {
        Callback::Progress { progress, step, .. } => {
            let changed = ctx
                .database()
                .execute(
                    "UPDATE media_items SET \
                     transcoding_step = CASE WHEN $3 >= COALESCE(transcoding_progress, 0) \
                         THEN $4 ELSE transcoding_step END, \
                     transcoding_progress = GREATEST(COALESCE(transcoding_progress, 0), $3), \
                     updated_at = $5 \
                     WHERE id = $1 AND status = 'transcoding' AND deleted_at IS NULL \
                     AND runpod_job_id = $2",
                    &[
                        job.id.into(),
                        job_id.into(),
                        i32::try_from(*progress).unwrap_or(0).into(),
                        step.as_str().into(),
                        now.into(),
                    ],
                )
                .await?;
            Ok(if changed == 0 {
                Applied::Unchanged(STILL_RUNNING)
            } else {
                Applied::Changed(None)
            })
        }
        Callback::Failed { error, .. } => {
            let reason = error
                .as_deref()
                .map(str::trim)
                .filter(|error| !error.is_empty())
                .unwrap_or("Transcoding failed");
            fail(ctx, &job, job_id, reason, now).await
        }
        Callback::Completed { output, error, .. } => {
            if !output.extra.is_empty() {
                let fields: Vec<&str> = output.extra.keys().map(String::as_str).collect();
                tracing::info!(job_id, media_id = %job.id, ?fields, "a completed job reported more than the contract names");
            }
            if let Some(error) = error {
                tracing::info!(job_id, media_id = %job.id, error = %error, "a completed job reported a problem");
            }
            output.check_keys(&job)?;
            match output.missing(job.media_type) {
                Some(reason) => fail(ctx, &job, job_id, reason, now).await,
                None => ready(ctx, &job, job_id, output, now).await,
            }
        }
    }
}

async fn ready(
    ctx: &Context,
    job: &Job,
    job_id: &str,
    output: &CompletedOutput,
    now: DateTime<Utc>,
) -> Result<Applied, ApiError> {
    let int = |value: Option<i64>| value.and_then(|value| i32::try_from(value).ok());
    let changed = ctx
        .database()
        .execute(
            "UPDATE media_items SET status = 'ready', hls_master_playlist_key = $3, \
             hls_preview_key = $4, thumbnail_key = $5, waveform_key = $6, \
             waveform_image_key = $7, mezzanine_key = $8, \
             mezzanine_status = CASE WHEN $8::text IS NULL THEN mezzanine_status ELSE 'ready' END, \
             duration_seconds = $9, width = $10, height = $11, ready_variants = $12, \
             loudness_integrated = $13, loudness_peak = $14, loudness_range = $15, \
             transcoding_progress = 100, transcoding_step = NULL, transcoding_error = NULL, \
             updated_at = $16 \
             WHERE id = $1 AND status = 'transcoding' AND deleted_at IS NULL AND runpod_job_id = $2",
            &[
                job.id.into(),
                job_id.into(),
                output.hls_master_key.clone().into(),
                output.hls_preview_key.clone().into(),
                output.thumbnail_key.clone().into(),
                output.waveform_key.clone().into(),
                output.waveform_image_key.clone().into(),
                output.mezzanine_key.clone().into(),
                int(output.duration_seconds).into(),
                int(output.width).into(),
                int(output.height).into(),
                json!(output.ready_variants).into(),
                int(output.loudness_integrated).into(),
                int(output.loudness_peak).into(),
                int(output.loudness_range).into(),
                now.into(),
            ],
        )
        .await?;
    if changed == 0 {
        return Ok(Applied::Unchanged(STILL_RUNNING));
    }
    tracing::info!(job_id, media_id = %job.id, "transcoded: the media item is ready");
    Ok(Applied::Changed(Some(Finished {
        media_id: job.id,
        creator_id: job.creator_id.clone(),
        title: job.title.clone(),
        error: None,
    })))
}

async fn fail(
    ctx: &Context,
    job: &Job,
    job_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Applied, ApiError> {
    let reason = cut(reason);
    let changed = ctx
        .database()
        .execute(
            "UPDATE media_items SET status = 'failed', transcoding_error = $3, \
             transcoding_attempts = LEAST(transcoding_attempts + 1, $5), transcoding_step = NULL, \
             updated_at = $4 \
             WHERE id = $1 AND status = 'transcoding' AND deleted_at IS NULL AND runpod_job_id = $2",
            &[
                job.id.into(),
                job_id.into(),
                reason.as_str().into(),
                now.into(),
                MAX_ATTEMPTS.into(),
            ],
        )
        .await?;
    if changed == 0 {
        return Ok(Applied::Unchanged(STILL_RUNNING));
    }
    tracing::warn!(job_id, media_id = %job.id, reason, "transcoding failed");
    Ok(Applied::Changed(Some(Finished {
        media_id: job.id,
        creator_id: job.creator_id.clone(),
        title: job.title.clone(),
        error: Some(reason),
    })))
}

/// The body of RunPod's own completion webhook (its other fields are
/// ignored).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct RunPodWebhook {
    /// RunPod's job id.
    pub id: String,
    /// `COMPLETED`, `FAILED`, `TIMED_OUT`, `CANCELLED`, …
    pub status: String,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub error: Option<Value>,
}

/// RunPod's own word that job `webhook.id` of item `media_id` ended (its
/// token checked by the caller): `FAILED`, `TIMED_OUT` and `CANCELLED`
/// fail the item if it is still transcoding under that job; anything else
/// is left to the transcoder's own callbacks.
pub async fn apply_runpod_webhook(
    ctx: &Context,
    media_id: Uuid,
    webhook: &RunPodWebhook,
) -> Result<Applied, ApiError> {
    if !matches!(
        webhook.status.as_str(),
        "FAILED" | "TIMED_OUT" | "CANCELLED"
    ) {
        return Ok(Applied::Unchanged("RunPod reported no failure"));
    }
    let Some(job) = find_job(ctx, &webhook.id).await? else {
        return Ok(Applied::Unchanged("no media item has this job"));
    };
    if job.id != media_id {
        tracing::warn!(media_id = %media_id, job_id = webhook.id, "RunPod's webhook names another media item's job");
        return Ok(Applied::Unchanged("the job belongs to another media item"));
    }
    let detail = match &webhook.error {
        Some(Value::String(text)) if !text.trim().is_empty() => format!(": {}", text.trim()),
        Some(Value::Null) | None => String::new(),
        Some(Value::String(_)) => String::new(),
        Some(other) => format!(": {other}"),
    };
    let reason = format!("RunPod reported the job {}{detail}", webhook.status);
    fail(ctx, &job, &webhook.id, &reason, ctx.clock().now()).await
}

/// Fails the items `transcoding` with no word for [`STUCK_AFTER`] (one
/// attempt more, at most three); returns them.
pub async fn sweep_stuck(ctx: &Context) -> Result<Vec<Finished>, ApiError> {
    let now = ctx.clock().now();
    let rows = ctx
        .database()
        .query(
            "UPDATE media_items SET status = 'failed', transcoding_error = $2, \
             transcoding_attempts = LEAST(transcoding_attempts + 1, $4), transcoding_step = NULL, \
             updated_at = $1 \
             WHERE status = 'transcoding' AND deleted_at IS NULL AND updated_at < $3 \
             RETURNING id, creator_id, title",
            &[
                now.into(),
                STUCK.into(),
                (now - STUCK_AFTER).into(),
                MAX_ATTEMPTS.into(),
            ],
        )
        .await?;
    let mut swept = Vec::with_capacity(rows.len());
    for row in rows {
        swept.push(Finished {
            media_id: row.get("id")?,
            creator_id: row.get("creator_id")?,
            title: row.get("title")?,
            error: Some(STUCK.to_owned()),
        });
    }
    Ok(swept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_limit_is_three_times_the_length_within_bounds() {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        assert_eq!(execution_timeout(None), DEFAULT_EXECUTION_TIMEOUT);
        assert_eq!(execution_timeout(Some(0)), DEFAULT_EXECUTION_TIMEOUT);
        assert_eq!(execution_timeout(Some(60)), minutes(15));
        assert_eq!(execution_timeout(Some(20 * 60)), minutes(60));
        assert_eq!(execution_timeout(Some(86_400)), minutes(240));
    }

    #[test]
    fn errors_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_ERROR_CHARS + 10);
        let kept = cut(&long);
        assert_eq!(kept.chars().count(), MAX_ERROR_CHARS);
        assert!(long.starts_with(&kept));
    }
}
