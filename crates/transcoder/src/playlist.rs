//! Reading the media playlists ffmpeg wrote and writing the master
//! playlist from what was actually produced.

use std::fmt::Write as _;

use serde::Serialize;

/// One segment of a single-file, byte-range media playlist.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub duration: f64,
    pub length: u64,
}

/// The segments of a media playlist, in order.
pub fn segments(playlist: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut duration = None;
    for line in playlist.lines().map(str::trim) {
        if let Some(value) = line.strip_prefix("#EXTINF:") {
            duration = value.split(',').next().and_then(|d| d.parse::<f64>().ok());
        } else if let Some(value) = line.strip_prefix("#EXT-X-BYTERANGE:") {
            let length = value.split('@').next().and_then(|l| l.parse::<u64>().ok());
            if let (Some(duration), Some(length)) = (duration.take(), length) {
                segments.push(Segment { duration, length });
            }
        }
    }
    segments
}

/// Peak and average bits per second over the segments.
pub fn bandwidth(segments: &[Segment]) -> (u64, u64) {
    let peak = segments
        .iter()
        .filter(|segment| segment.duration > 0.0)
        .map(|segment| (segment.length as f64 * 8.0 / segment.duration).ceil() as u64)
        .max()
        .unwrap_or(0);
    let seconds: f64 = segments.iter().map(|segment| segment.duration).sum();
    let bytes: u64 = segments.iter().map(|segment| segment.length).sum();
    let average = if seconds > 0.0 {
        (bytes as f64 * 8.0 / seconds).ceil() as u64
    } else {
        0
    };
    (peak, average)
}

/// A variant as the master playlist lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    pub name: String,
    /// Peak bits per second, video and audio and container together.
    pub bandwidth: u64,
    pub average_bandwidth: u64,
    pub codecs: String,
    pub resolution: Option<(u32, u32)>,
    pub frame_rate: Option<f64>,
}

/// The master playlist over `variants`, each at `{name}/index.m3u8`.
pub fn master(variants: &[Variant]) -> String {
    let mut text = String::from("#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for variant in variants {
        let _ = write!(
            text,
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={}",
            variant.bandwidth, variant.average_bandwidth
        );
        if let Some((width, height)) = variant.resolution {
            let _ = write!(text, ",RESOLUTION={width}x{height}");
        }
        let _ = write!(text, ",CODECS=\"{}\"", variant.codecs);
        if let Some(rate) = variant.frame_rate {
            let _ = write!(text, ",FRAME-RATE={rate:.3}");
        }
        let _ = write!(text, "\n{}/index.m3u8\n", variant.name);
    }
    text
}

/// The RFC 6381 name of an H.264 stream from ffprobe's profile name and
/// level (`"High"`, 31 → `avc1.64001f`).
pub fn avc_codec(profile: &str, level: u32) -> String {
    let (profile_idc, constraints) = match profile {
        "Constrained Baseline" => (0x42, 0xe0),
        "Baseline" => (0x42, 0x00),
        "Main" => (0x4d, 0x40),
        "High 10" => (0x6e, 0x00),
        "High 4:2:2" => (0x7a, 0x00),
        _ => (0x64, 0x00),
    };
    format!("avc1.{profile_idc:02x}{constraints:02x}{level:02x}")
}

/// AAC-LC, the only audio the transcoder writes.
pub const AAC_LC: &str = "mp4a.40.2";

#[cfg(test)]
mod tests {
    use super::*;

    const PLAYLIST: &str = "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:6\n\
        #EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n\
        #EXTINF:6.000000,\n#EXT-X-BYTERANGE:750000@0\nstream.ts\n\
        #EXTINF:2.000000,\n#EXT-X-BYTERANGE:100000@750000\nstream.ts\n#EXT-X-ENDLIST\n";

    #[test]
    fn segments_and_their_rates_come_from_the_playlist() {
        let segments = segments(PLAYLIST);
        assert_eq!(
            segments,
            [
                Segment {
                    duration: 6.0,
                    length: 750_000
                },
                Segment {
                    duration: 2.0,
                    length: 100_000
                }
            ]
        );
        assert_eq!(bandwidth(&segments), (1_000_000, 850_000));
        assert_eq!(bandwidth(&[]), (0, 0));
    }

    #[test]
    fn the_master_lists_what_was_made() {
        let text = master(&[
            Variant {
                name: "480p".to_owned(),
                bandwidth: 1_700_000,
                average_bandwidth: 1_500_000,
                codecs: format!("{},{AAC_LC}", avc_codec("High", 30)),
                resolution: Some((480, 854)),
                frame_rate: Some(29.97),
            },
            Variant {
                name: "128k".to_owned(),
                bandwidth: 140_000,
                average_bandwidth: 131_000,
                codecs: AAC_LC.to_owned(),
                resolution: None,
                frame_rate: None,
            },
        ]);
        assert!(text.starts_with("#EXTM3U\n#EXT-X-VERSION:6\n"));
        assert!(text.contains(
            "#EXT-X-STREAM-INF:BANDWIDTH=1700000,AVERAGE-BANDWIDTH=1500000,RESOLUTION=480x854,\
             CODECS=\"avc1.64001e,mp4a.40.2\",FRAME-RATE=29.970\n480p/index.m3u8\n"
        ));
        assert!(text.contains(
            "#EXT-X-STREAM-INF:BANDWIDTH=140000,AVERAGE-BANDWIDTH=131000,CODECS=\"mp4a.40.2\"\n128k/index.m3u8\n"
        ));
        assert_eq!(avc_codec("Main", 40), "avc1.4d4028");
        assert_eq!(avc_codec("Constrained Baseline", 30), "avc1.42e01e");
    }
}
