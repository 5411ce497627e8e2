//! The native host's own transcoder: with no RunPod account configured,
//! jobs run here, in the background, a bounded number at a time, through
//! the same job path a RunPod worker runs (presigned storage URLs, signed
//! callbacks to the media service's webhook). So on a laptop an upload
//! becomes playable with no account anywhere.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use codex_context::ports::{PortError, TranscodeJob, Transcoder};
use codex_transcoder::job::{self, JobInput, JobSettings};
use codex_transcoder::{EncoderChoice, Options};
use tokio::sync::Semaphore;

/// Jobs run at once unless `TRANSCODER_CONCURRENCY` says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 1;
/// libx264's preset unless `TRANSCODER_PRESET` says otherwise: quicker
/// than production's `fast`, for a laptop.
pub const DEFAULT_PRESET: &str = "veryfast";

/// Runs transcoding jobs in this process.
pub struct LocalTranscoder {
    settings: Arc<JobSettings>,
    http: reqwest::Client,
    slots: Arc<Semaphore>,
}

impl LocalTranscoder {
    pub fn new(
        webhook_secret: String,
        work_dir: PathBuf,
        preset: String,
        concurrency: usize,
    ) -> Self {
        Self {
            settings: Arc::new(JobSettings {
                webhook_secret,
                // Storage and the webhook are this host's own.
                allow_private_addresses: true,
                work_dir,
                options: Options {
                    encoder: EncoderChoice::Auto,
                    preset,
                },
            }),
            http: reqwest::Client::new(),
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }
}

#[async_trait]
impl Transcoder for LocalTranscoder {
    /// Queues the job; it runs when a slot is free. The job id is new.
    async fn dispatch(&self, job: &TranscodeJob) -> Result<String, PortError> {
        let input: JobInput =
            serde_json::from_value(job.input.clone()).map_err(|error| PortError::Unreadable {
                service: "the local transcoder",
                reason: error.to_string(),
            })?;
        let mut id = [0_u8; 12];
        getrandom::fill(&mut id).map_err(|error| PortError::Unreadable {
            service: "the local transcoder",
            reason: error.to_string(),
        })?;
        let job_id = format!("local-{}", hex::encode(id));
        let (settings, http, slots) =
            (self.settings.clone(), self.http.clone(), self.slots.clone());
        let id = job_id.clone();
        tokio::spawn(async move {
            let Ok(_slot) = slots.acquire_owned().await else {
                return;
            };
            tracing::info!(job_id = %id, media_id = %input.media_id, "transcoding here");
            if let Err(error) = job::run(&id, &input, &settings, &http).await {
                tracing::warn!(job_id = %id, %error, "transcoding job failed");
            }
        });
        Ok(job_id)
    }
}
