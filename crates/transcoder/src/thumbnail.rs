//! Thumbnails from a representative frame: a few candidate instants are
//! looked at in miniature and the first that is neither dark nor flat is
//! used, so a fade from black or a title card does not become the picture.

use std::path::Path;
use std::time::Duration;

use crate::{TranscodeError, tool};

/// Where candidates are taken, as fractions of the duration.
const CANDIDATES: [f64; 5] = [0.1, 0.25, 0.5, 0.75, 0.02];

/// The miniature a candidate is judged on.
const SAMPLE_SIDE: usize = 32;

/// A frame darker than this mean luma (of 255) is "black".
const DARK: f64 = 24.0;
/// A frame whose luma varies less than this is "flat".
const FLAT: f64 = 6.0;

/// The three widths, their names and WebP quality.
pub const SIZES: [(&str, u32, u32); 3] = [("sm", 200, 75), ("md", 400, 80), ("lg", 800, 82)];

/// How a candidate frame looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    pub mean: f64,
    pub deviation: f64,
}

impl Look {
    pub fn of(luma: &[u8]) -> Self {
        if luma.is_empty() {
            return Self {
                mean: 0.0,
                deviation: 0.0,
            };
        }
        let count = luma.len() as f64;
        let mean = luma.iter().map(|&value| f64::from(value)).sum::<f64>() / count;
        let variance = luma
            .iter()
            .map(|&value| (f64::from(value) - mean).powi(2))
            .sum::<f64>()
            / count;
        Self {
            mean,
            deviation: variance.sqrt(),
        }
    }

    pub fn is_representative(&self) -> bool {
        self.mean >= DARK && self.deviation >= FLAT
    }

    fn score(&self) -> f64 {
        self.mean + 2.0 * self.deviation
    }
}

/// The instant to take the thumbnail from: the first representative
/// candidate, else the liveliest one.
pub async fn choose_instant(
    input: &Path,
    duration: f64,
    deadline: Duration,
) -> Result<f64, TranscodeError> {
    let mut best: Option<(f64, Look)> = None;
    for fraction in CANDIDATES {
        let instant = duration * fraction;
        let Some(look) = look_at(input, instant, deadline).await? else {
            continue;
        };
        if look.is_representative() {
            return Ok(instant);
        }
        if best.is_none_or(|(_, seen)| look.score() > seen.score()) {
            best = Some((instant, look));
        }
    }
    Ok(best.map_or(0.0, |(instant, _)| instant))
}

/// The luma of the frame at `instant` in miniature; `None` when there is
/// no frame there.
async fn look_at(
    input: &Path,
    instant: f64,
    deadline: Duration,
) -> Result<Option<Look>, TranscodeError> {
    let at = format!("{instant:.3}");
    let scale = format!("scale={SAMPLE_SIDE}:{SAMPLE_SIDE},format=gray");
    let output = tool::run(
        "ffmpeg",
        [
            "-hide_banner".as_ref(),
            "-loglevel".as_ref(),
            "error".as_ref(),
            "-ss".as_ref(),
            at.as_ref(),
            "-i".as_ref(),
            input.as_os_str(),
            "-map".as_ref(),
            "0:v:0".as_ref(),
            "-frames:v".as_ref(),
            "1".as_ref(),
            "-vf".as_ref(),
            scale.as_ref(),
            "-f".as_ref(),
            "rawvideo".as_ref(),
            "-".as_ref(),
        ],
        deadline,
    )
    .await?;
    if output.stdout.len() < SAMPLE_SIDE * SAMPLE_SIDE {
        return Ok(None);
    }
    Ok(Some(Look::of(&output.stdout)))
}

/// Writes `sm.webp`, `md.webp` and `lg.webp` into `folder` from the frame
/// at `instant`, never wider than the source.
pub async fn write(
    input: &Path,
    instant: f64,
    source_width: u32,
    folder: &Path,
    deadline: Duration,
) -> Result<(), TranscodeError> {
    let at = format!("{instant:.3}");
    let mut graph = format!("[0:v:0]split={}", SIZES.len());
    for (name, _, _) in SIZES {
        graph.push_str(&format!("[{name}_in]"));
    }
    for (name, width, _) in SIZES {
        let width = width.min(source_width);
        graph.push_str(&format!(";[{name}_in]scale={width}:-2[{name}]"));
    }
    let mut args: Vec<std::ffi::OsString> =
        ["-hide_banner", "-loglevel", "error", "-y", "-ss", &at, "-i"]
            .iter()
            .map(Into::into)
            .collect();
    args.push(input.into());
    args.extend(["-filter_complex".into(), graph.into()]);
    for (name, _, quality) in SIZES {
        args.extend(
            [
                "-map".to_owned(),
                format!("[{name}]"),
                "-frames:v".to_owned(),
                "1".to_owned(),
                "-c:v".to_owned(),
                "libwebp".to_owned(),
                "-quality".to_owned(),
                quality.to_string(),
            ]
            .map(Into::into),
        );
        args.push(folder.join(format!("{name}.webp")).into());
    }
    tool::run("ffmpeg", args, deadline).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn black_and_flat_frames_are_not_representative() {
        assert!(!Look::of(&[0; 64]).is_representative());
        assert!(!Look::of(&[200; 64]).is_representative());
        let pattern: Vec<u8> = (0..64).map(|i| (i * 4) as u8).collect();
        assert!(Look::of(&pattern).is_representative());
        assert!(!Look::of(&[]).is_representative());
    }
}
