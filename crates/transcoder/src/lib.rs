//! The transcoder: from an uploaded original to adaptive HLS, thumbnails,
//! a waveform and loudness figures, with ffmpeg.
//!
//! [`transcode`] works on local files: it probes the input, measures its
//! loudness, encodes every rendition in one ffmpeg run, writes the master
//! playlist from what was produced, then the preview and thumbnails
//! (video) or the waveform (audio). The output folder mirrors the storage
//! layout under a media item's prefixes:
//!
//! ```text
//! hls/master.m3u8            hls/{rendition}/index.m3u8 + stream.ts
//! hls/preview/preview.m3u8   hls/preview/stream.ts            (video)
//! thumbnails/{sm,md,lg}.webp                                  (video)
//! waveforms/waveform.json    waveforms/waveform.png           (audio)
//! ```

pub mod encode;
pub mod job;
pub mod ladder;
pub mod loudness;
pub mod playlist;
pub mod probe;
pub mod runpod;
pub mod thumbnail;
pub mod tool;
pub mod waveform;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use encode::VideoEncoder;
use ladder::{AUDIO_LADDER, VideoRendition};
use playlist::Variant;
use probe::Probe;

/// Why a transcode failed.
#[derive(Debug, thiserror::Error)]
pub enum TranscodeError {
    /// The input is not media ffmpeg can read, or not of the declared
    /// kind: the upload's fault, not worth a retry.
    #[error("the input cannot be used: {0}")]
    Unreadable(String),
    #[error("{program} failed: {reason}")]
    Tool { program: String, reason: String },
    #[error("the outputs are not usable: {0}")]
    Output(String),
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
}

/// What a media item was declared as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Video,
    Audio,
}

/// The steps reported while a job runs, with the share of the work done
/// when each starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Downloading,
    Probing,
    Loudness,
    EncodingVariants,
    Preview,
    Thumbnails,
    Waveform,
    UploadingOutputs,
    Finalizing,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Downloading => "downloading",
            Self::Probing => "probing",
            Self::Loudness => "loudness",
            Self::EncodingVariants => "encoding_variants",
            Self::Preview => "preview",
            Self::Thumbnails => "thumbnails",
            Self::Waveform => "waveform",
            Self::UploadingOutputs => "uploading_outputs",
            Self::Finalizing => "finalizing",
        }
    }

    pub fn percent(self) -> u8 {
        match self {
            Self::Downloading => 0,
            Self::Probing => 5,
            Self::Loudness => 10,
            Self::EncodingVariants => 17,
            Self::Preview => 72,
            Self::Thumbnails => 77,
            Self::Waveform => 80,
            Self::UploadingOutputs => 85,
            Self::Finalizing => 95,
        }
    }
}

/// Which H.264 encoder to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncoderChoice {
    /// NVENC when the GPU and ffmpeg both have it, libx264 otherwise.
    #[default]
    Auto,
    Only(VideoEncoder),
}

/// How to transcode.
#[derive(Debug, Clone)]
pub struct Options {
    pub encoder: EncoderChoice,
    /// libx264's preset (`fast` in production; tests use a quicker one).
    pub preset: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            encoder: EncoderChoice::Auto,
            preset: "fast".to_owned(),
        }
    }
}

/// A file written under the output folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputFile {
    /// Relative to the output folder, `/`-separated.
    pub path: String,
    pub content_type: &'static str,
}

/// What a transcode produced: the completion callback's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    #[serde(rename = "type")]
    pub kind: MediaKind,
    pub duration_seconds: u32,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// `1080p`, `720p`, `480p`, `360p`, `source`, or `audio`.
    pub ready_variants: Vec<String>,
    pub variants: Vec<Variant>,
    #[serde(flatten)]
    pub loudness: loudness::Reported,
    /// The H.264 encoder used (none for audio).
    pub encoder: Option<VideoEncoder>,
    pub files: Vec<OutputFile>,
}

/// Transcodes `input`, declared as `kind`, into the folder `output`
/// (created if need be). `progress` is told each step as it starts; it
/// must not block (a job hands the steps to another task to report).
pub async fn transcode(
    input: &Path,
    kind: MediaKind,
    output: &Path,
    options: &Options,
    mut progress: impl FnMut(Step) + Send,
) -> Result<Report, TranscodeError> {
    progress(Step::Probing);
    let probe = probe::probe(input).await?;
    let deadline = deadline_for(probe.duration_seconds);
    let hls = output.join("hls");
    tokio::fs::create_dir_all(&hls).await?;

    let audio_filter = match probe.audio {
        Some(_) => {
            progress(Step::Loudness);
            Some(loudness::measure(input, deadline).await?)
        }
        None => None,
    };
    let loudness = audio_filter.map_or(
        loudness::Reported {
            loudness_integrated: -7_000,
            loudness_peak: -10_000,
            loudness_range: 0,
        },
        |measured| measured.reported(),
    );
    let audio_filter = audio_filter.map(|measured| measured.filter());

    match kind {
        MediaKind::Video => {
            let Some(video) = probe.video else {
                return Err(TranscodeError::Unreadable(
                    "declared as video but has no video stream".to_owned(),
                ));
            };
            let encoder = match options.encoder {
                EncoderChoice::Only(encoder) => encoder,
                EncoderChoice::Auto => detect_encoder().await,
            };
            tracing::info!(encoder = encoder.as_str(), "encoding video");
            let settings = encode::EncodeSettings {
                encoder,
                preset: options.preset.clone(),
                frame_rate: (video.frame_rate > 0.0).then_some(video.frame_rate),
                audio_filter,
            };
            let renditions = ladder::video_renditions(video.width, video.height);
            for name in renditions
                .iter()
                .map(|r| r.name.as_str())
                .chain(["preview"])
            {
                tokio::fs::create_dir_all(hls.join(name)).await?;
            }
            progress(Step::EncodingVariants);
            tool::run(
                "ffmpeg",
                encode::video_ladder_args(input, &hls, &renditions, &settings),
                deadline,
            )
            .await?;
            let variants = describe_video(&hls, &renditions, probe.audio.is_some()).await?;
            tokio::fs::write(hls.join("master.m3u8"), playlist::master(&variants)).await?;

            progress(Step::Preview);
            let preview_size = renditions
                .iter()
                .find(|rendition| rendition.width.min(rendition.height) <= 720)
                .unwrap_or(&renditions[renditions.len() - 1]);
            tool::run(
                "ffmpeg",
                encode::preview_args(input, &hls, probe.duration_seconds, preview_size, &settings),
                deadline,
            )
            .await?;

            progress(Step::Thumbnails);
            let thumbnails = output.join("thumbnails");
            tokio::fs::create_dir_all(&thumbnails).await?;
            let instant =
                thumbnail::choose_instant(input, probe.duration_seconds, deadline).await?;
            thumbnail::write(input, instant, video.width, &thumbnails, deadline).await?;

            Ok(Report {
                kind,
                duration_seconds: whole_seconds(&probe),
                width: Some(video.width),
                height: Some(video.height),
                ready_variants: renditions.iter().map(|r| r.name.clone()).collect(),
                variants,
                loudness,
                encoder: Some(encoder),
                files: list_files(output).await?,
            })
        }
        MediaKind::Audio => {
            let (Some(audio), Some(filter)) = (probe.audio, audio_filter) else {
                return Err(TranscodeError::Unreadable(
                    "declared as audio but has no audio stream".to_owned(),
                ));
            };
            for (name, _) in AUDIO_LADDER {
                tokio::fs::create_dir_all(hls.join(name)).await?;
            }
            progress(Step::EncodingVariants);
            tool::run(
                "ffmpeg",
                encode::audio_ladder_args(input, &hls, &filter),
                deadline,
            )
            .await?;
            let mut variants = Vec::new();
            for (name, _) in AUDIO_LADDER {
                let (bandwidth, average_bandwidth) = measure_rendition(&hls.join(name)).await?;
                variants.push(Variant {
                    name: name.to_owned(),
                    bandwidth,
                    average_bandwidth,
                    codecs: playlist::AAC_LC.to_owned(),
                    resolution: None,
                    frame_rate: None,
                });
            }
            tokio::fs::write(hls.join("master.m3u8"), playlist::master(&variants)).await?;

            progress(Step::Waveform);
            let waveforms = output.join("waveforms");
            tokio::fs::create_dir_all(&waveforms).await?;
            let waveform =
                waveform::compute(input, audio.sample_rate, audio.channels, deadline).await?;
            let json = serde_json::to_vec(&waveform)
                .map_err(|error| TranscodeError::Output(error.to_string()))?;
            tokio::fs::write(waveforms.join("waveform.json"), json).await?;
            waveform::draw(input, &waveforms.join("waveform.png"), deadline).await?;

            Ok(Report {
                kind,
                duration_seconds: whole_seconds(&probe),
                width: None,
                height: None,
                ready_variants: vec!["audio".to_owned()],
                variants,
                loudness,
                encoder: None,
                files: list_files(output).await?,
            })
        }
    }
}

/// The longest one ffmpeg run may take: generous for the CPU encoder,
/// bounded so that a wedged process does not hold a worker for ever.
fn deadline_for(duration_seconds: f64) -> Duration {
    let seconds = 300.0 + duration_seconds * 10.0;
    Duration::from_secs_f64(seconds.min(6.0 * 3600.0))
}

fn whole_seconds(probe: &Probe) -> u32 {
    (probe.duration_seconds.round() as u32).clamp(1, 86_400)
}

/// The bandwidth of the rendition in `folder`, from its playlist.
async fn measure_rendition(folder: &Path) -> Result<(u64, u64), TranscodeError> {
    let text = tokio::fs::read_to_string(folder.join("index.m3u8"))
        .await
        .map_err(|error| TranscodeError::Output(format!("{}: {error}", folder.display())))?;
    let segments = playlist::segments(&text);
    if segments.is_empty() {
        return Err(TranscodeError::Output(format!(
            "{} has no segments",
            folder.display()
        )));
    }
    Ok(playlist::bandwidth(&segments))
}

/// Each video rendition as the master lists it, from its playlist and an
/// ffprobe of what was written.
async fn describe_video(
    hls: &Path,
    renditions: &[VideoRendition],
    with_audio: bool,
) -> Result<Vec<Variant>, TranscodeError> {
    let mut variants = Vec::new();
    for rendition in renditions {
        let folder = hls.join(&rendition.name);
        let (bandwidth, average_bandwidth) = measure_rendition(&folder).await?;
        let stream = probe::probe_video_stream(&folder.join("stream.ts")).await?;
        let mut codecs = playlist::avc_codec(&stream.profile, stream.level);
        if with_audio {
            codecs.push(',');
            codecs.push_str(playlist::AAC_LC);
        }
        variants.push(Variant {
            name: rendition.name.clone(),
            bandwidth,
            average_bandwidth,
            codecs,
            resolution: Some((stream.width, stream.height)),
            frame_rate: (stream.frame_rate > 0.0).then_some(stream.frame_rate),
        });
    }
    Ok(variants)
}

/// Whether ffmpeg can encode with NVENC here: there must be a GPU with an
/// encoder (data-centre GPUs such as the A100 have none).
pub async fn detect_encoder() -> VideoEncoder {
    let probe = tool::run(
        "ffmpeg",
        [
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "nullsrc=s=256x256:d=0.1",
            "-c:v",
            "h264_nvenc",
            "-f",
            "null",
            "-",
        ],
        Duration::from_secs(30),
    )
    .await;
    match probe {
        Ok(_) => VideoEncoder::Nvenc,
        Err(error) => {
            tracing::info!(%error, "no NVENC here; encoding with libx264");
            VideoEncoder::Libx264
        }
    }
}

/// Every file under `root`, sorted, with its content type.
async fn list_files(root: &Path) -> Result<Vec<OutputFile>, TranscodeError> {
    let mut files = Vec::new();
    let mut folders = vec![PathBuf::from(root)];
    while let Some(folder) = folders.pop() {
        let mut entries = tokio::fs::read_dir(&folder).await?;
        while let Some(entry) = entries.next_entry().await? {
            let path = entry.path();
            if entry.file_type().await?.is_dir() {
                folders.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(root)
                .map_err(|error| TranscodeError::Output(error.to_string()))?
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push(OutputFile {
                content_type: content_type(&relative),
                path: relative,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The content type stored with an output.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("m3u8") => "application/vnd.apple.mpegurl",
        Some("ts") => "video/mp2t",
        Some("webp") => "image/webp",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}
