//! One transcoding job as the media service dispatches it: the input
//! fetched through a presigned URL, the outputs stored through presigned
//! URLs, and signed callbacks to the media service's webhook.
//!
//! The job carries what the transcoder needs to reach storage and nothing
//! more: a presigned `GET` of the original, and for each file it may write
//! a presigned `PUT` and `DELETE`. Its identifiers and every URL are
//! checked before anything is fetched: no path tricks, and, unless the
//! transcoder runs beside its storage (a laptop, a test), no private or
//! loopback address.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{MediaKind, Options, Report, Step, TranscodeError, VideoEncoder, transcode};

/// The longest error a callback carries (the media service keeps 2,000
/// characters).
const MAX_ERROR: usize = 2_000;
/// Attempts of each callback, with one and then two seconds between.
const CALLBACK_ATTEMPTS: u32 = 3;
const CALLBACK_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed to each transfer to or from storage.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(6 * 3600);

/// A job's `input`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobInput {
    pub media_id: String,
    #[serde(rename = "type")]
    pub kind: MediaKind,
    pub creator_id: String,
    /// The original's key (for the record; it is read through
    /// `storage.source`).
    pub input_key: String,
    /// Where callbacks go: the media service's `/api/transcoding/webhook`.
    pub webhook_url: String,
    #[serde(default)]
    pub priority: Option<u8>,
    pub storage: StorageAccess,
}

/// Presigned access to exactly what the job reads and writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageAccess {
    /// A `GET` of the original.
    pub source: String,
    /// Each file the transcoder may write, by its path in the output
    /// folder (`hls/master.m3u8`, `thumbnails/lg.webp`, …).
    pub outputs: BTreeMap<String, OutputTarget>,
}

/// Where one output goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputTarget {
    pub key: String,
    /// A `PUT` whose signature covers the headers given.
    pub put: String,
    #[serde(default)]
    pub put_headers: BTreeMap<String, String>,
    /// A `DELETE`, to take the file back when the job fails.
    pub delete: String,
}

/// How the transcoder runs jobs.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// The key callbacks are signed with (`RUNPOD_WEBHOOK_SECRET`).
    pub webhook_secret: String,
    /// Whether URLs may point at private and loopback addresses: only
    /// when the transcoder runs beside the service (a laptop, tests).
    pub allow_private_addresses: bool,
    /// Where jobs keep their files while they run.
    pub work_dir: PathBuf,
    pub options: Options,
}

/// Why a job failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The job itself is unacceptable: nothing was fetched or called.
    #[error("refused: {0}")]
    Refused(String),
    #[error(transparent)]
    Transcode(#[from] TranscodeError),
    #[error("storage: {0}")]
    Storage(String),
}

/// Runs the job `job_id`: checks it, fetches the original, transcodes,
/// stores the outputs and reports. Whatever happens after the checks, the
/// webhook hears `completed` or `failed` (a failed job first takes back
/// what it stored). Returns the completion payload.
pub async fn run(
    job_id: &str,
    input: &JobInput,
    settings: &JobSettings,
    http: &reqwest::Client,
) -> Result<Value, JobError> {
    check(input, settings.allow_private_addresses).await?;
    let reporter = Reporter {
        http,
        url: &input.webhook_url,
        secret: &settings.webhook_secret,
        job_id,
        media_id: &input.media_id,
    };
    let folder = settings.work_dir.join(format!("job-{}", input.media_id));
    let _ = tokio::fs::remove_dir_all(&folder).await;
    tokio::fs::create_dir_all(&folder)
        .await
        .map_err(TranscodeError::from)?;
    let mut stored = Vec::new();
    let mut encoder = None;
    let outcome = work(
        input,
        settings,
        http,
        &reporter,
        &folder,
        &mut stored,
        &mut encoder,
    )
    .await;
    let _ = tokio::fs::remove_dir_all(&folder).await;
    match outcome {
        Ok(payload) => {
            reporter.send(&payload).await;
            Ok(payload)
        }
        Err(error) => {
            for target in &stored {
                if let Err(cause) = transfer(http.delete(&target.delete)).await {
                    tracing::warn!(key = %target.key, %cause, "could not take back an output");
                }
            }
            let mut payload = json!({
                "jobId": job_id,
                "status": "failed",
                "mediaId": input.media_id,
                "error": cut(&error.to_string(), MAX_ERROR),
            });
            if let Some(encoder) = encoder {
                payload["encoder"] = json!(encoder);
            }
            reporter.send(&payload).await;
            Err(error)
        }
    }
}

async fn work<'a>(
    input: &'a JobInput,
    settings: &JobSettings,
    http: &reqwest::Client,
    reporter: &Reporter<'_>,
    folder: &Path,
    stored: &mut Vec<&'a OutputTarget>,
    encoder: &mut Option<VideoEncoder>,
) -> Result<Value, JobError> {
    reporter.progress(Step::Downloading).await;
    let source = folder.join("source");
    download(http, &input.storage.source, &source).await?;

    let output = folder.join("out");
    // Steps are reported from here, in order, while the transcode goes on.
    let (steps, mut reported) = tokio::sync::mpsc::unbounded_channel();
    let transcoding = async {
        let report = transcode(&source, input.kind, &output, &settings.options, |step| {
            let _ = steps.send(step);
        })
        .await;
        drop(steps);
        report
    };
    let reporting = async {
        while let Some(step) = reported.recv().await {
            reporter.progress(step).await;
        }
    };
    let (report, ()) = tokio::join!(transcoding, reporting);
    let report = report?;
    *encoder = report.encoder;

    reporter.progress(Step::UploadingOutputs).await;
    for file in &report.files {
        let target =
            input.storage.outputs.get(&file.path).ok_or_else(|| {
                JobError::Storage(format!("the job has no place for {}", file.path))
            })?;
        upload(http, target, &output.join(&file.path)).await?;
        stored.push(target);
    }
    reporter.progress(Step::Finalizing).await;
    Ok(completion(reporter.job_id, input, &report))
}

/// The `completed` callback: upstream's fields, plus the encoder used.
pub fn completion(job_id: &str, input: &JobInput, report: &Report) -> Value {
    let key = |path: &str| {
        report
            .files
            .iter()
            .any(|file| file.path == path)
            .then(|| {
                input
                    .storage
                    .outputs
                    .get(path)
                    .map(|target| target.key.clone())
            })
            .flatten()
    };
    let mut output = json!({
        "mediaId": input.media_id,
        "type": input.kind,
        "hlsMasterKey": key("hls/master.m3u8"),
        "durationSeconds": report.duration_seconds,
        "readyVariants": report.ready_variants,
        "loudnessIntegrated": report.loudness.loudness_integrated,
        "loudnessPeak": report.loudness.loudness_peak,
        "loudnessRange": report.loudness.loudness_range,
    });
    let optional = [
        (
            "hlsPreviewKey",
            key("hls/preview/preview.m3u8").map(Value::from),
        ),
        ("thumbnailKey", key("thumbnails/lg.webp").map(Value::from)),
        (
            "waveformKey",
            key("waveforms/waveform.json").map(Value::from),
        ),
        (
            "waveformImageKey",
            key("waveforms/waveform.png").map(Value::from),
        ),
        ("width", report.width.map(Value::from)),
        ("height", report.height.map(Value::from)),
        ("encoder", report.encoder.map(|encoder| json!(encoder))),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            output[name] = value;
        }
    }
    if let (Some(sm), Some(md), Some(lg)) = (
        key("thumbnails/sm.webp"),
        key("thumbnails/md.webp"),
        key("thumbnails/lg.webp"),
    ) {
        output["thumbnailVariants"] = json!({ "sm": sm, "md": md, "lg": lg });
    }
    json!({ "jobId": job_id, "status": "completed", "output": output })
}

/// Sends callbacks, each signed as the media service checks them.
struct Reporter<'a> {
    http: &'a reqwest::Client,
    url: &'a str,
    secret: &'a str,
    job_id: &'a str,
    media_id: &'a str,
}

impl Reporter<'_> {
    async fn progress(&self, step: Step) {
        let payload = json!({
            "jobId": self.job_id,
            "status": "progress",
            "progress": step.percent(),
            "step": step.as_str(),
            "mediaId": self.media_id,
        });
        self.send(&payload).await;
    }

    /// Posts `payload`, three times at most while the answer is a
    /// network error, a 429 or a 5xx. A lost callback is logged, not
    /// fatal: the media service's sweep and RunPod's own webhook notice a
    /// job that went quiet.
    async fn send(&self, payload: &Value) {
        let body = payload.to_string();
        for attempt in 1..=CALLBACK_ATTEMPTS {
            let timestamp = unix_seconds();
            let request = self
                .http
                .post(self.url)
                .timeout(CALLBACK_TIMEOUT)
                .header("content-type", "application/json")
                .header("x-runpod-timestamp", timestamp.to_string())
                .header(
                    "x-runpod-signature",
                    codex_signature::transcoder::sign_callback(
                        self.secret.as_bytes(),
                        timestamp,
                        body.as_bytes(),
                    ),
                )
                .body(body.clone());
            match request.send().await {
                Ok(answer) if answer.status().is_success() => return,
                Ok(answer)
                    if answer.status().is_client_error()
                        && answer.status() != reqwest::StatusCode::TOO_MANY_REQUESTS =>
                {
                    tracing::warn!(status = %answer.status(), "the webhook refused a callback");
                    return;
                }
                Ok(answer) => {
                    tracing::warn!(status = %answer.status(), attempt, "callback failed");
                }
                Err(error) => {
                    tracing::warn!(error = %error.without_url(), attempt, "callback failed");
                }
            }
            if attempt < CALLBACK_ATTEMPTS {
                tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
            }
        }
    }
}

fn unix_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

async fn download(http: &reqwest::Client, url: &str, path: &Path) -> Result<(), JobError> {
    let mut answer = transfer(http.get(url)).await?;
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(TranscodeError::from)?;
    while let Some(chunk) = answer
        .chunk()
        .await
        .map_err(|error| JobError::Storage(error.without_url().to_string()))?
    {
        tokio::io::AsyncWriteExt::write_all(&mut file, &chunk)
            .await
            .map_err(TranscodeError::from)?;
    }
    tokio::io::AsyncWriteExt::flush(&mut file)
        .await
        .map_err(TranscodeError::from)?;
    Ok(())
}

async fn upload(
    http: &reqwest::Client,
    target: &OutputTarget,
    path: &Path,
) -> Result<(), JobError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(TranscodeError::from)?;
    let length = file.metadata().await.map_err(TranscodeError::from)?.len();
    let mut request = http
        .put(&target.put)
        .header("content-length", length)
        .body(reqwest::Body::from(file));
    for (name, value) in &target.put_headers {
        request = request.header(name, value);
    }
    transfer(request).await.map(drop)
}

/// Sends a storage request; anything but a 2xx is an error that names
/// the status, never the URL (its query is a credential).
async fn transfer(request: reqwest::RequestBuilder) -> Result<reqwest::Response, JobError> {
    let answer = request
        .timeout(TRANSFER_TIMEOUT)
        .send()
        .await
        .map_err(|error| JobError::Storage(error.without_url().to_string()))?;
    if !answer.status().is_success() {
        return Err(JobError::Storage(format!(
            "storage answered {}",
            answer.status()
        )));
    }
    Ok(answer)
}

/// `text` cut to at most `limit` bytes on a character boundary.
fn cut(text: &str, limit: usize) -> String {
    let mut end = text.len().min(limit);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// The checks made before anything is fetched.
pub async fn check(input: &JobInput, allow_private: bool) -> Result<(), JobError> {
    for (name, value) in [
        ("mediaId", &input.media_id),
        ("creatorId", &input.creator_id),
    ] {
        if !is_identifier(value) {
            return Err(JobError::Refused(format!(
                "{name} is not a plain identifier"
            )));
        }
    }
    let originals = format!("{}/originals/{}/", input.creator_id, input.media_id);
    if !input.input_key.starts_with(&originals) || has_path_tricks(&input.input_key) {
        return Err(JobError::Refused(
            "inputKey is not this media item's original".to_owned(),
        ));
    }
    if input.storage.outputs.is_empty() {
        return Err(JobError::Refused("the job has no outputs".to_owned()));
    }
    let creator = format!("{}/", input.creator_id);
    let media = format!("/{}/", input.media_id);
    for (path, target) in &input.storage.outputs {
        if has_path_tricks(path)
            || has_path_tricks(&target.key)
            || !target.key.starts_with(&creator)
            || !target.key.contains(&media)
        {
            return Err(JobError::Refused(format!(
                "the output {path} is outside this media item"
            )));
        }
    }
    check_url("webhookUrl", &input.webhook_url, allow_private).await?;
    check_url("the source", &input.storage.source, allow_private).await?;
    for target in input.storage.outputs.values() {
        check_url("an output", &target.put, allow_private).await?;
        check_url("an output", &target.delete, allow_private).await?;
    }
    Ok(())
}

fn is_identifier(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

fn has_path_tricks(value: &str) -> bool {
    value.is_empty()
        || value.starts_with('/')
        || value
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        || value.contains('\\')
        || value.contains('%')
        || value.chars().any(char::is_control)
}

/// An http(s) URL whose host, unless allowed, is not private, loopback or
/// link-local, by name or by any address it resolves to.
async fn check_url(name: &str, url: &str, allow_private: bool) -> Result<(), JobError> {
    let refused = |why: &str| Err(JobError::Refused(format!("{name}: {why}")));
    let Ok(parsed) = Url::parse(url) else {
        return refused("not a URL");
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return refused("not http or https");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return refused("carries credentials");
    }
    let Some(host) = parsed.host_str() else {
        return refused("has no host");
    };
    if allow_private {
        return Ok(());
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return refused("points at this machine");
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(address) => vec![address],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| JobError::Refused(format!("{name}: its host does not resolve")))?
            .map(|address| address.ip())
            .collect(),
    };
    if addresses.iter().any(|address| is_private(*address)) {
        return refused("points at a private address");
    }
    Ok(())
}

/// Loopback, private, link-local, shared (CGNAT), unspecified or
/// broadcast addresses.
pub fn is_private(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> JobInput {
        let target = OutputTarget {
            key: "u1/hls/m1/master.m3u8".to_owned(),
            put: "https://storage.example.com/put".to_owned(),
            put_headers: BTreeMap::new(),
            delete: "https://storage.example.com/delete".to_owned(),
        };
        JobInput {
            media_id: "m1".to_owned(),
            kind: MediaKind::Video,
            creator_id: "u1".to_owned(),
            input_key: "u1/originals/m1/media.mp4".to_owned(),
            webhook_url: "https://93.184.215.14/api/transcoding/webhook".to_owned(),
            priority: Some(2),
            storage: StorageAccess {
                source: "https://93.184.215.14/source".to_owned(),
                outputs: BTreeMap::from([("hls/master.m3u8".to_owned(), target)]),
            },
        }
    }

    #[tokio::test]
    async fn a_job_for_public_addresses_and_its_own_keys_passes() {
        let mut job = input();
        job.storage.outputs.values_mut().for_each(|target| {
            target.put = "https://93.184.215.14/put".to_owned();
            target.delete = "https://93.184.215.14/delete".to_owned();
        });
        check(&job, false).await.expect("a good job");
    }

    #[tokio::test]
    async fn private_and_loopback_webhooks_are_refused_in_production() {
        for url in [
            "http://127.0.0.1:4002/api/transcoding/webhook",
            "http://localhost/webhook",
            "http://10.0.0.5/webhook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/webhook",
            "http://[::ffff:192.168.1.1]/webhook",
            "http://100.100.1.1/webhook",
            "file:///etc/passwd",
            "https://user:pass@93.184.215.14/webhook",
        ] {
            let mut job = input();
            job.webhook_url = url.to_owned();
            let error = check(&job, false).await.expect_err(url);
            assert!(matches!(error, JobError::Refused(_)), "{url}: {error}");
        }
        let mut job = input();
        job.webhook_url = "http://127.0.0.1:4002/api/transcoding/webhook".to_owned();
        job.storage.source = "http://127.0.0.1:9000/source".to_owned();
        job.storage.outputs.values_mut().for_each(|target| {
            target.put = "http://127.0.0.1:9000/put".to_owned();
            target.delete = "http://127.0.0.1:9000/delete".to_owned();
        });
        check(&job, true).await.expect("allowed beside its storage");
    }

    #[tokio::test]
    async fn identifiers_and_keys_with_path_tricks_are_refused() {
        let changes: [fn(&mut JobInput); 6] = [
            |job| job.media_id = "../m1".to_owned(),
            |job| job.creator_id = "u1/x".to_owned(),
            |job| job.input_key = "u1/originals/m2/media.mp4".to_owned(),
            |job| job.input_key = "u1/originals/m1/../../u2/x".to_owned(),
            |job| {
                let target = job.storage.outputs.values_mut().next().expect("a target");
                target.key = "u2/hls/m1/master.m3u8".to_owned();
            },
            |job| {
                let target = job.storage.outputs.values_mut().next().expect("a target");
                target.key = "u1/hls/m1/%2e%2e/master.m3u8".to_owned();
            },
        ];
        for change in changes {
            let mut job = input();
            change(&mut job);
            let error = check(&job, true).await.expect_err("refused");
            assert!(matches!(error, JobError::Refused(_)), "{error}");
        }
    }

    #[test]
    fn errors_are_cut_on_a_character_boundary() {
        assert_eq!(cut("ééé", 3), "é");
    }
}
