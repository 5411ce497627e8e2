//! Transcoding speed on this machine's CPU, as multiples of real time:
//! each rendition of a generated 1080p clip encoded on its own, then the
//! whole ladder in one run (one decode), then the audio ladder.
//!
//! `cargo bench -p codex-transcoder` (`BENCH_SECONDS` sets the clip's
//! length, 20 by default).

use std::path::Path;
use std::time::Instant;

use codex_transcoder::encode::{self, EncodeSettings};
use codex_transcoder::ladder::{self, VideoRendition};
use codex_transcoder::{VideoEncoder, tool};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(20.0);
    let folder =
        std::env::temp_dir().join(format!("codex-transcoder-bench-{}", std::process::id()));
    tokio::fs::create_dir_all(&folder).await?;
    let source = folder.join("source.mp4");
    let deadline = std::time::Duration::from_secs(3_600);
    tool::run(
        "ffmpeg",
        [
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc2=s=1920x1080:r=30:d={seconds}"),
            "-f",
            "lavfi",
            "-i",
            &format!("sine=f=440:sample_rate=48000:d={seconds}"),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "18",
            "-c:a",
            "aac",
            source.to_str().ok_or("path")?,
        ],
        deadline,
    )
    .await?;
    let settings = EncodeSettings {
        encoder: VideoEncoder::Libx264,
        preset: "fast".to_owned(),
        frame_rate: Some(30.0),
        audio_filter: Some(codex_transcoder::loudness::OUTPUT_FORMAT.to_owned()),
    };
    let renditions = ladder::video_renditions(1920, 1080);
    let mut lines = vec![format!(
        "source: {seconds} s of 1920x1080 at 30 fps, libx264 preset fast, {} cores",
        std::thread::available_parallelism().map_or(1, usize::from)
    )];
    for rendition in &renditions {
        let speed = time(
            &source,
            &folder,
            std::slice::from_ref(rendition),
            &settings,
            seconds,
        )
        .await?;
        lines.push(format!(
            "{:>6} {}x{}: {speed:.2}x real time",
            rendition.name, rendition.width, rendition.height
        ));
    }
    let speed = time(&source, &folder, &renditions, &settings, seconds).await?;
    lines.push(format!("whole ladder, one decode: {speed:.2}x real time"));
    for (name, _) in codex_transcoder::ladder::AUDIO_LADDER {
        tokio::fs::create_dir_all(folder.join("audio").join(name)).await?;
    }
    let started = Instant::now();
    tool::run(
        "ffmpeg",
        encode::audio_ladder_args(
            &source,
            &folder.join("audio"),
            codex_transcoder::loudness::OUTPUT_FORMAT,
        ),
        deadline,
    )
    .await?;
    lines.push(format!(
        "audio ladder (128k + 64k): {:.1}x real time",
        seconds / started.elapsed().as_secs_f64()
    ));
    eprintln!("{}", lines.join("\n"));
    tokio::fs::remove_dir_all(&folder).await?;
    Ok(())
}

async fn time(
    source: &Path,
    folder: &Path,
    renditions: &[VideoRendition],
    settings: &EncodeSettings,
    seconds: f64,
) -> Result<f64, Box<dyn std::error::Error>> {
    for rendition in renditions {
        tokio::fs::create_dir_all(folder.join("hls").join(&rendition.name)).await?;
    }
    let started = Instant::now();
    tool::run(
        "ffmpeg",
        encode::video_ladder_args(source, &folder.join("hls"), renditions, settings),
        std::time::Duration::from_secs(3_600),
    )
    .await?;
    Ok(seconds / started.elapsed().as_secs_f64())
}
