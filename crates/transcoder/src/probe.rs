//! What an input is made of, from ffprobe's JSON.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::{TranscodeError, tool};

const PROBE_DEADLINE: Duration = Duration::from_secs(60);

/// The first video stream, as it is displayed (rotation applied).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoStream {
    pub width: u32,
    pub height: u32,
    /// Frames per second; 0 when ffprobe cannot tell.
    pub frame_rate: f64,
}

/// The first audio stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioStream {
    pub sample_rate: u32,
    pub channels: u32,
}

/// An input's duration and its first video and audio streams. A still
/// picture (cover art in an audio file) is not a video stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Probe {
    pub duration_seconds: f64,
    pub video: Option<VideoStream>,
    pub audio: Option<AudioStream>,
}

#[derive(Deserialize)]
struct RawProbe {
    #[serde(default)]
    streams: Vec<RawStream>,
    format: Option<RawFormat>,
}

#[derive(Deserialize)]
struct RawFormat {
    duration: Option<String>,
}

#[derive(Deserialize)]
struct RawStream {
    codec_type: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    r_frame_rate: Option<String>,
    avg_frame_rate: Option<String>,
    sample_rate: Option<String>,
    channels: Option<u32>,
    duration: Option<String>,
    #[serde(default)]
    disposition: RawDisposition,
    #[serde(default)]
    tags: RawTags,
    #[serde(default)]
    side_data_list: Vec<RawSideData>,
}

#[derive(Default, Deserialize)]
struct RawDisposition {
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Default, Deserialize)]
struct RawTags {
    rotate: Option<String>,
}

#[derive(Deserialize)]
struct RawSideData {
    rotation: Option<f64>,
}

/// Runs ffprobe on `input`.
pub async fn probe(input: &Path) -> Result<Probe, TranscodeError> {
    let json = ffprobe_json(input)
        .await
        .map_err(|error| TranscodeError::Unreadable(error.to_string()))?;
    parse(&json)
}

/// ffprobe's `-show_format -show_streams` JSON of `path`, as it prints it.
pub async fn ffprobe_json(path: &Path) -> Result<Vec<u8>, TranscodeError> {
    let output = tool::run(
        "ffprobe",
        [
            "-v".as_ref(),
            "error".as_ref(),
            "-print_format".as_ref(),
            "json".as_ref(),
            "-show_format".as_ref(),
            "-show_streams".as_ref(),
            path.as_os_str(),
        ],
        PROBE_DEADLINE,
    )
    .await?;
    Ok(output.stdout)
}

/// Reads ffprobe's `-show_format -show_streams` JSON.
pub fn parse(json: &[u8]) -> Result<Probe, TranscodeError> {
    let raw: RawProbe = serde_json::from_slice(json)
        .map_err(|error| TranscodeError::Unreadable(format!("ffprobe's answer: {error}")))?;
    let video_stream = raw.streams.iter().find(|stream| {
        stream.codec_type.as_deref() == Some("video") && stream.disposition.attached_pic == 0
    });
    let audio_stream = raw
        .streams
        .iter()
        .find(|stream| stream.codec_type.as_deref() == Some("audio"));

    let video = match video_stream {
        Some(stream) => Some(video(stream)?),
        None => None,
    };
    let audio = audio_stream.map(|stream| AudioStream {
        sample_rate: stream
            .sample_rate
            .as_deref()
            .and_then(|rate| rate.parse().ok())
            .unwrap_or(48_000),
        channels: stream.channels.unwrap_or(2).max(1),
    });
    let duration_seconds = raw
        .format
        .and_then(|format| format.duration)
        .or_else(|| video_stream.and_then(|stream| stream.duration.clone()))
        .or_else(|| audio_stream.and_then(|stream| stream.duration.clone()))
        .and_then(|duration| duration.parse::<f64>().ok())
        .filter(|duration| duration.is_finite() && *duration > 0.0)
        .ok_or_else(|| TranscodeError::Unreadable("the input has no duration".to_owned()))?;
    if video.is_none() && audio.is_none() {
        return Err(TranscodeError::Unreadable(
            "the input has neither video nor audio".to_owned(),
        ));
    }
    Ok(Probe {
        duration_seconds,
        video,
        audio,
    })
}

fn video(stream: &RawStream) -> Result<VideoStream, TranscodeError> {
    let (Some(width), Some(height)) = (stream.width, stream.height) else {
        return Err(TranscodeError::Unreadable(
            "the video stream has no dimensions".to_owned(),
        ));
    };
    if width == 0 || height == 0 || width > 7_680 || height > 7_680 {
        return Err(TranscodeError::Unreadable(format!(
            "the video is {width}x{height}, outside 1..7680"
        )));
    }
    let rotation = stream
        .side_data_list
        .iter()
        .find_map(|side| side.rotation)
        .or_else(|| stream.tags.rotate.as_deref().and_then(|r| r.parse().ok()))
        .unwrap_or(0.0);
    // ffmpeg turns the picture upright while decoding: a quarter turn swaps
    // the displayed width and height.
    let quarter_turn = (rotation.round() as i64).rem_euclid(180) == 90;
    let (width, height) = if quarter_turn {
        (height, width)
    } else {
        (width, height)
    };
    let frame_rate = [&stream.avg_frame_rate, &stream.r_frame_rate]
        .into_iter()
        .filter_map(|rate| rate.as_deref().and_then(ratio))
        .find(|rate| *rate > 0.0 && *rate <= 240.0)
        .unwrap_or(0.0);
    Ok(VideoStream {
        width,
        height,
        frame_rate,
    })
}

/// An encoded H.264 stream as the master playlist describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedVideo {
    pub width: u32,
    pub height: u32,
    pub frame_rate: f64,
    /// ffprobe's profile name, e.g. `High`.
    pub profile: String,
    /// ffprobe's level, e.g. 31 for 3.1.
    pub level: u32,
}

#[derive(Deserialize)]
struct RawEncoded {
    #[serde(default)]
    streams: Vec<RawEncodedStream>,
}

#[derive(Deserialize)]
struct RawEncodedStream {
    width: u32,
    height: u32,
    profile: Option<String>,
    level: Option<i64>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
}

/// The first video stream of an output file.
pub async fn probe_video_stream(path: &Path) -> Result<EncodedVideo, TranscodeError> {
    let output = tool::run(
        "ffprobe",
        [
            "-v".as_ref(),
            "error".as_ref(),
            "-select_streams".as_ref(),
            "v:0".as_ref(),
            "-show_entries".as_ref(),
            "stream=width,height,profile,level,avg_frame_rate,r_frame_rate".as_ref(),
            "-print_format".as_ref(),
            "json".as_ref(),
            path.as_os_str(),
        ],
        PROBE_DEADLINE,
    )
    .await?;
    let raw: RawEncoded = serde_json::from_slice(&output.stdout)
        .map_err(|error| TranscodeError::Output(format!("ffprobe's answer: {error}")))?;
    let stream = raw
        .streams
        .into_iter()
        .next()
        .ok_or_else(|| TranscodeError::Output(format!("{} has no video", path.display())))?;
    let frame_rate = [&stream.avg_frame_rate, &stream.r_frame_rate]
        .into_iter()
        .filter_map(|rate| rate.as_deref().and_then(ratio))
        .find(|rate| *rate > 0.0 && *rate <= 240.0)
        .unwrap_or(0.0);
    Ok(EncodedVideo {
        width: stream.width,
        height: stream.height,
        frame_rate,
        profile: stream.profile.unwrap_or_default(),
        level: stream
            .level
            .and_then(|level| u32::try_from(level).ok())
            .unwrap_or(0),
    })
}

/// `"30000/1001"` → 29.97.
pub fn ratio(text: &str) -> Option<f64> {
    let (numerator, denominator) = text.split_once('/')?;
    let numerator: f64 = numerator.parse().ok()?;
    let denominator: f64 = denominator.parse().ok()?;
    (denominator != 0.0).then(|| numerator / denominator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_portrait_phone_video_is_measured_upright() {
        let json = br#"{"streams":[{"codec_type":"video","width":1920,"height":1080,
            "avg_frame_rate":"30000/1001","side_data_list":[{"rotation":-90}]},
            {"codec_type":"audio","sample_rate":"44100","channels":2}],
            "format":{"duration":"12.5"}}"#;
        let probe = parse(json).expect("a probe");
        let video = probe.video.expect("a video stream");
        assert_eq!((video.width, video.height), (1080, 1920));
        assert!((video.frame_rate - 29.97).abs() < 0.01);
        assert_eq!(probe.audio.expect("an audio stream").sample_rate, 44_100);
        assert_eq!(probe.duration_seconds, 12.5);
    }

    #[test]
    fn cover_art_is_not_video_and_nothing_playable_is_refused() {
        let json = br#"{"streams":[{"codec_type":"video","width":600,"height":600,
            "disposition":{"attached_pic":1}},{"codec_type":"audio","sample_rate":"48000","channels":1}],
            "format":{"duration":"3.0"}}"#;
        let probe = parse(json).expect("a probe");
        assert!(probe.video.is_none());
        assert!(probe.audio.is_some());

        let nothing = br#"{"streams":[{"codec_type":"data"}],"format":{"duration":"3.0"}}"#;
        assert!(parse(nothing).is_err());
        let no_duration = br#"{"streams":[{"codec_type":"audio"}],"format":{}}"#;
        assert!(parse(no_duration).is_err());
        assert!(parse(b"not json").is_err());
    }
}
