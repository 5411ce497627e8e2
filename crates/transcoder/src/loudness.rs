//! EBU R128 loudness: measured in a first pass, then applied in a linear
//! second pass with the measured values, so the whole programme is moved
//! by one gain rather than compressed by loudnorm's dynamic mode.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{TranscodeError, tool};

/// The target: −16 LUFS integrated, −1.5 dBTP true peak, 11 LU range.
pub const TARGET: &str = "I=-16:TP=-1.5:LRA=11";

/// What every rendition's audio is made into: 48 kHz stereo.
pub const OUTPUT_FORMAT: &str = "aresample=48000,aformat=sample_rates=48000:channel_layouts=stereo";

/// What the first pass measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    /// LUFS; −∞ for silence.
    pub integrated: f64,
    /// dBTP; −∞ for silence.
    pub true_peak: f64,
    /// LU.
    pub range: f64,
    pub threshold: f64,
    pub offset: f64,
}

/// The measurement as the callback reports it: hundredths, clamped to the
/// ranges the media service accepts (silence reads as −70 LUFS, −100 dBTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reported {
    pub loudness_integrated: i32,
    pub loudness_peak: i32,
    pub loudness_range: i32,
}

#[derive(Deserialize)]
struct RawMeasurement {
    input_i: String,
    input_tp: String,
    input_lra: String,
    input_thresh: String,
    target_offset: String,
}

/// Measures the first audio stream of `input`.
pub async fn measure(input: &Path, deadline: Duration) -> Result<Measurement, TranscodeError> {
    let filter = format!("loudnorm={TARGET}:print_format=json");
    let output = tool::run(
        "ffmpeg",
        [
            "-hide_banner".as_ref(),
            "-nostats".as_ref(),
            "-i".as_ref(),
            input.as_os_str(),
            "-map".as_ref(),
            "0:a:0".as_ref(),
            "-af".as_ref(),
            filter.as_ref(),
            "-f".as_ref(),
            "null".as_ref(),
            "-".as_ref(),
        ],
        deadline,
    )
    .await?;
    parse(&output.stderr)
}

/// Reads the JSON block loudnorm prints last on stderr.
pub fn parse(stderr: &str) -> Result<Measurement, TranscodeError> {
    let unreadable = || TranscodeError::Unreadable("no loudness measurement".to_owned());
    let start = stderr.rfind('{').ok_or_else(unreadable)?;
    let end = stderr[start..].find('}').ok_or_else(unreadable)? + start;
    let raw: RawMeasurement =
        serde_json::from_str(&stderr[start..=end]).map_err(|_| unreadable())?;
    let number = |text: &str| -> f64 {
        match text.trim() {
            "-inf" => f64::NEG_INFINITY,
            "inf" => f64::INFINITY,
            other => other.parse().unwrap_or(f64::NAN),
        }
    };
    Ok(Measurement {
        integrated: number(&raw.input_i),
        true_peak: number(&raw.input_tp),
        range: number(&raw.input_lra),
        threshold: number(&raw.input_thresh),
        offset: number(&raw.target_offset),
    })
}

impl Measurement {
    /// Whether there is anything to normalise: silence measures −∞.
    pub fn is_audible(&self) -> bool {
        [
            self.integrated,
            self.true_peak,
            self.range,
            self.threshold,
            self.offset,
        ]
        .iter()
        .all(|value| value.is_finite())
    }

    /// The second pass: the measured values fed back, linear mode, then
    /// back to 48 kHz (loudnorm works at 192 kHz), in stereo. Silence is
    /// only resampled.
    ///
    /// The layout is fixed at the end of the chain: without it, a decoder
    /// whose first frames change layout makes ffmpeg rebuild the graph and
    /// fail to link the split that follows.
    pub fn filter(&self) -> String {
        if !self.is_audible() {
            return OUTPUT_FORMAT.to_owned();
        }
        format!(
            "loudnorm={TARGET}:measured_I={:.2}:measured_TP={:.2}:measured_LRA={:.2}:\
             measured_thresh={:.2}:offset={:.2}:linear=true,{OUTPUT_FORMAT}",
            self.integrated, self.true_peak, self.range, self.threshold, self.offset
        )
    }

    pub fn reported(&self) -> Reported {
        let hundredths = |value: f64, silent: f64, low: i32, high: i32| -> i32 {
            let value = if value.is_finite() { value } else { silent };
            ((value * 100.0).round() as i64).clamp(i64::from(low), i64::from(high)) as i32
        };
        Reported {
            loudness_integrated: hundredths(self.integrated, -70.0, -10_000, 1_000),
            loudness_peak: hundredths(self.true_peak, -100.0, -10_000, 2_000),
            loudness_range: hundredths(self.range, 0.0, 0, 50_000),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TONE: &str = r#"size=N/A time=00:00:03.00 bitrate=N/A speed= 411x
[Parsed_loudnorm_0 @ 0x55dc8e334f00]
{
	"input_i" : "-21.75",
	"input_tp" : "-18.06",
	"input_lra" : "0.00",
	"input_thresh" : "-31.75",
	"output_i" : "-15.95",
	"output_tp" : "-12.27",
	"output_lra" : "0.00",
	"output_thresh" : "-25.95",
	"normalization_type" : "dynamic",
	"target_offset" : "-0.05"
}
"#;

    #[test]
    fn the_measurement_is_fed_back_into_a_linear_pass() {
        let measured = parse(TONE).expect("the tone's measurement");
        assert!(measured.is_audible());
        let filter = measured.filter();
        assert!(filter.contains("measured_I=-21.75"), "{filter}");
        assert!(filter.contains("offset=-0.05"), "{filter}");
        assert!(filter.contains("linear=true"), "{filter}");
        assert!(filter.ends_with(OUTPUT_FORMAT), "{filter}");
        assert_eq!(
            measured.reported(),
            Reported {
                loudness_integrated: -2_175,
                loudness_peak: -1_806,
                loudness_range: 0
            }
        );
    }

    #[test]
    fn silence_is_only_resampled_and_reported_in_range() {
        let silence = TONE
            .replace("\"-21.75\"", "\"-inf\"")
            .replace("\"-18.06\"", "\"-inf\"")
            .replace("\"-0.05\"", "\"inf\"");
        let measured = parse(&silence).expect("the silence's measurement");
        assert!(!measured.is_audible());
        assert_eq!(measured.filter(), OUTPUT_FORMAT);
        assert_eq!(measured.reported().loudness_integrated, -7_000);
        assert_eq!(measured.reported().loudness_peak, -10_000);
        assert!(parse("no json here").is_err());
    }
}
