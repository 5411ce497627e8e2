//! The ffmpeg command lines: every rendition from one decode (`split` in
//! one filter graph), keyframes forced every six seconds so that all
//! renditions cut at the same instants, AAC at 48 kHz, single-file
//! byte-range HLS.

use std::ffi::OsString;
use std::path::Path;

use serde::Serialize;

use crate::ladder::{AUDIO_LADDER, VideoRendition};

/// Seconds per segment.
pub const SEGMENT_SECONDS: u32 = 6;

/// How long the preview is.
pub const PREVIEW_SECONDS: f64 = 30.0;

/// The H.264 encoder in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VideoEncoder {
    /// libx264 on the CPU.
    Libx264,
    /// NVIDIA's hardware encoder.
    Nvenc,
}

impl VideoEncoder {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Libx264 => "libx264",
            Self::Nvenc => "h264_nvenc",
        }
    }

    /// The encoder options for one rendition at `video_kbps`.
    fn options(self, preset: &str, video_kbps: u32, gop: Option<u32>) -> Vec<String> {
        let mut options = vec!["-c:v".to_owned(), self.as_str().to_owned()];
        match self {
            Self::Libx264 => options
                .extend(["-preset", preset, "-crf", "23", "-sc_threshold", "0"].map(str::to_owned)),
            // Forced keyframes must be IDR frames for a segment to start
            // with one.
            Self::Nvenc => options.extend(
                [
                    "-preset",
                    "p4",
                    "-rc",
                    "vbr",
                    "-cq",
                    "23",
                    "-forced-idr",
                    "1",
                ]
                .map(str::to_owned),
            ),
        }
        options.extend([
            "-maxrate".to_owned(),
            format!("{video_kbps}k"),
            "-bufsize".to_owned(),
            format!("{}k", video_kbps * 2),
            "-profile:v".to_owned(),
            "high".to_owned(),
            "-pix_fmt".to_owned(),
            "yuv420p".to_owned(),
            "-force_key_frames".to_owned(),
            format!("expr:gte(t,n_forced*{SEGMENT_SECONDS})"),
        ]);
        if let Some(gop) = gop {
            options.extend(["-g".to_owned(), gop.to_string()]);
        }
        options
    }
}

/// What an encode needs to know besides its input and outputs.
#[derive(Debug, Clone)]
pub struct EncodeSettings {
    pub encoder: VideoEncoder,
    /// libx264's preset.
    pub preset: String,
    /// The source's frames per second, when known (for the GOP length).
    pub frame_rate: Option<f64>,
    /// The audio filter chain (loudness and resampling), or no audio.
    pub audio_filter: Option<String>,
}

impl EncodeSettings {
    /// The video encoder's options for `rendition`.
    fn video_options(&self, rendition: &VideoRendition) -> impl Iterator<Item = OsString> {
        self.encoder
            .options(&self.preset, rendition.video_kbps, self.gop())
            .into_iter()
            .map(OsString::from)
    }

    fn gop(&self) -> Option<u32> {
        self.frame_rate
            .filter(|rate| *rate > 0.0)
            .map(|rate| (rate * f64::from(SEGMENT_SECONDS)).round().max(1.0) as u32)
    }
}

fn hls_output(folder: &Path, playlist: &str) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "-f",
        "hls",
        "-hls_time",
        "6",
        "-hls_playlist_type",
        "vod",
        "-hls_flags",
        "single_file+independent_segments",
        "-hls_segment_type",
        "mpegts",
        "-hls_segment_filename",
    ]
    .map(OsString::from)
    .to_vec();
    args.push(folder.join("stream.ts").into());
    args.push(folder.join(playlist).into());
    args
}

fn audio_options(kbps: u32) -> Vec<OsString> {
    ["-c:a", "aac", "-b:a", &format!("{kbps}k"), "-ar", "48000"]
        .map(OsString::from)
        .to_vec()
}

fn head(input: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-hide_banner", "-nostats", "-loglevel", "error", "-y", "-i"]
        .map(OsString::from)
        .to_vec();
    args.push(input.into());
    args
}

/// One run for every video rendition: `{hls}/{name}/index.m3u8` and
/// `stream.ts` each.
pub fn video_ladder_args(
    input: &Path,
    hls: &Path,
    renditions: &[VideoRendition],
    settings: &EncodeSettings,
) -> Vec<OsString> {
    let count = renditions.len();
    let mut graph = format!("[0:v:0]split={count}");
    for index in 0..count {
        graph.push_str(&format!("[split{index}]"));
    }
    for (index, rendition) in renditions.iter().enumerate() {
        graph.push_str(&format!(
            ";[split{index}]scale={}:{}:flags=bicubic,setsar=1[v{index}]",
            rendition.width, rendition.height
        ));
    }
    if let Some(filter) = &settings.audio_filter {
        graph.push_str(&format!(";[0:a:0]{filter},asplit={count}"));
        for index in 0..count {
            graph.push_str(&format!("[a{index}]"));
        }
    }
    let mut args = head(input);
    args.extend(["-filter_complex".into(), graph.into()]);
    for (index, rendition) in renditions.iter().enumerate() {
        args.extend(["-map".into(), format!("[v{index}]").into()]);
        if settings.audio_filter.is_some() {
            args.extend(["-map".into(), format!("[a{index}]").into()]);
            args.extend(audio_options(rendition.audio_kbps));
        }
        args.extend(settings.video_options(rendition));
        args.extend(hls_output(&hls.join(&rendition.name), "index.m3u8"));
    }
    args
}

/// One run for both audio renditions (`128k`, `64k`).
pub fn audio_ladder_args(input: &Path, hls: &Path, audio_filter: &str) -> Vec<OsString> {
    let count = AUDIO_LADDER.len();
    let mut graph = format!("[0:a:0]{audio_filter},asplit={count}");
    for index in 0..count {
        graph.push_str(&format!("[a{index}]"));
    }
    let mut args = head(input);
    args.extend(["-filter_complex".into(), graph.into()]);
    for (index, (name, kbps)) in AUDIO_LADDER.iter().enumerate() {
        args.extend(["-map".into(), format!("[a{index}]").into()]);
        args.extend(audio_options(*kbps));
        args.extend(hls_output(&hls.join(name), "index.m3u8"));
    }
    args
}

/// Where the preview starts and how long it is: from a tenth of the way
/// in, at most [`PREVIEW_SECONDS`].
pub fn preview_window(duration: f64) -> (f64, f64) {
    let start = (duration * 0.1).floor().max(0.0);
    (start, PREVIEW_SECONDS.min(duration - start).max(0.1))
}

/// The preview: `{hls}/preview/preview.m3u8` at `rendition`'s size.
pub fn preview_args(
    input: &Path,
    hls: &Path,
    duration: f64,
    rendition: &VideoRendition,
    settings: &EncodeSettings,
) -> Vec<OsString> {
    let (start, length) = preview_window(duration);
    let mut args: Vec<OsString> = [
        "-hide_banner",
        "-nostats",
        "-loglevel",
        "error",
        "-y",
        "-ss",
        &format!("{start:.3}"),
        "-t",
        &format!("{length:.3}"),
        "-i",
    ]
    .map(OsString::from)
    .to_vec();
    args.push(input.into());
    args.extend(["-map".into(), "0:v:0".into()]);
    args.extend([
        "-vf".into(),
        format!(
            "scale={}:{}:flags=bicubic,setsar=1",
            rendition.width, rendition.height
        )
        .into(),
    ]);
    if let Some(filter) = &settings.audio_filter {
        args.extend(["-map".into(), "0:a:0".into(), "-af".into(), filter.into()]);
        args.extend(audio_options(rendition.audio_kbps));
    }
    args.extend(settings.video_options(rendition));
    args.extend(hls_output(&hls.join("preview"), "preview.m3u8"));
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ladder::video_renditions;

    fn joined(args: &[OsString]) -> String {
        args.iter()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_ladder_is_decoded_once_and_cut_at_the_same_instants() {
        let settings = EncodeSettings {
            encoder: VideoEncoder::Libx264,
            preset: "fast".to_owned(),
            frame_rate: Some(25.0),
            audio_filter: Some("aresample=48000".to_owned()),
        };
        let args = video_ladder_args(
            Path::new("in.mp4"),
            Path::new("out"),
            &video_renditions(1280, 720),
            &settings,
        );
        let line = joined(&args);
        assert_eq!(line.matches(" -i ").count(), 1, "{line}");
        assert!(
            line.contains("[0:v:0]split=3[split0][split1][split2]"),
            "{line}"
        );
        assert!(
            line.contains("[0:a:0]aresample=48000,asplit=3[a0][a1][a2]"),
            "{line}"
        );
        assert_eq!(line.matches("expr:gte(t,n_forced*6)").count(), 3);
        assert_eq!(line.matches("-ar 48000").count(), 3);
        assert_eq!(line.matches("-g 150").count(), 3);
        assert!(
            line.contains("out/480p/stream.ts out/480p/index.m3u8"),
            "{line}"
        );
    }

    #[test]
    fn nvenc_forces_idr_frames() {
        let options = VideoEncoder::Nvenc.options("fast", 3_000, None).join(" ");
        assert!(options.contains("-c:v h264_nvenc"));
        assert!(options.contains("-forced-idr 1"));
        assert!(options.contains("-maxrate 3000k -bufsize 6000k"));
    }

    #[test]
    fn the_preview_window_fits_in_the_source() {
        assert_eq!(preview_window(600.0), (60.0, 30.0));
        assert_eq!(preview_window(8.0), (0.0, 8.0));
        assert_eq!(preview_window(20.0), (2.0, 18.0));
    }
}
