//! Which renditions a source gets: the rungs it allows, never upscaled,
//! its shape kept (portrait too).

use serde::Serialize;

/// One rung of the video ladder: the size of its shorter side and its
/// rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rung {
    pub name: &'static str,
    pub short_side: u32,
    pub video_kbps: u32,
    pub audio_kbps: u32,
}

/// The video ladder, largest first.
pub const VIDEO_LADDER: [Rung; 4] = [
    Rung {
        name: "1080p",
        short_side: 1080,
        video_kbps: 5_000,
        audio_kbps: 128,
    },
    Rung {
        name: "720p",
        short_side: 720,
        video_kbps: 3_000,
        audio_kbps: 128,
    },
    Rung {
        name: "480p",
        short_side: 480,
        video_kbps: 1_500,
        audio_kbps: 96,
    },
    Rung {
        name: "360p",
        short_side: 360,
        video_kbps: 800,
        audio_kbps: 96,
    },
];

/// The one rung of a source smaller than every rung of the ladder: its
/// own size.
const SOURCE_RATES: (u32, u32) = (800, 64);

/// The audio-only ladder: names and AAC rates.
pub const AUDIO_LADDER: [(&str, u32); 2] = [("128k", 128), ("64k", 64)];

/// A video rendition to encode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoRendition {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub video_kbps: u32,
    pub audio_kbps: u32,
}

/// The renditions a `width`×`height` source gets, largest first: every
/// rung whose shorter side the source reaches, else one `source` rung.
/// Sizes are even (4:2:0 H.264 needs it) and keep the source's shape.
pub fn video_renditions(width: u32, height: u32) -> Vec<VideoRendition> {
    let short = width.min(height);
    let renditions: Vec<VideoRendition> = VIDEO_LADDER
        .iter()
        .filter(|rung| rung.short_side <= short)
        .map(|rung| {
            let (width, height) = fit(width, height, rung.short_side);
            VideoRendition {
                name: rung.name.to_owned(),
                width,
                height,
                video_kbps: rung.video_kbps,
                audio_kbps: rung.audio_kbps,
            }
        })
        .collect();
    if !renditions.is_empty() {
        return renditions;
    }
    vec![VideoRendition {
        name: "source".to_owned(),
        width: even_floor(width),
        height: even_floor(height),
        video_kbps: SOURCE_RATES.0,
        audio_kbps: SOURCE_RATES.1,
    }]
}

/// The size with `short_side` as its shorter side and the source's
/// aspect, both sides even.
fn fit(width: u32, height: u32, short_side: u32) -> (u32, u32) {
    let scale = |long: u32, short: u32| {
        even_round(f64::from(long) * f64::from(short_side) / f64::from(short))
    };
    if width >= height {
        (scale(width, height), short_side)
    } else {
        (short_side, scale(height, width))
    }
}

fn even_round(value: f64) -> u32 {
    ((value / 2.0).round() as u32 * 2).max(2)
}

fn even_floor(value: u32) -> u32 {
    (value & !1).max(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(renditions: &[VideoRendition]) -> Vec<(&str, u32, u32)> {
        renditions
            .iter()
            .map(|r| (r.name.as_str(), r.width, r.height))
            .collect()
    }

    #[test]
    fn a_1080p_source_gets_the_whole_ladder() {
        assert_eq!(
            sizes(&video_renditions(1920, 1080)),
            [
                ("1080p", 1920, 1080),
                ("720p", 1280, 720),
                ("480p", 854, 480),
                ("360p", 640, 360)
            ]
        );
    }

    #[test]
    fn nothing_is_upscaled_and_portrait_keeps_its_shape() {
        assert_eq!(
            sizes(&video_renditions(1280, 720)),
            [("720p", 1280, 720), ("480p", 854, 480), ("360p", 640, 360)]
        );
        assert_eq!(
            sizes(&video_renditions(720, 1280)),
            [("720p", 720, 1280), ("480p", 480, 854), ("360p", 360, 640)]
        );
    }

    #[test]
    fn odd_and_small_sources() {
        assert_eq!(sizes(&video_renditions(641, 361)), [("360p", 640, 360)]);
        assert_eq!(sizes(&video_renditions(321, 241)), [("source", 320, 240)]);
        let only = &video_renditions(1, 1)[0];
        assert_eq!((only.width, only.height), (2, 2));
    }
}
