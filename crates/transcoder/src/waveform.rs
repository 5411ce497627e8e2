//! The waveform the audio player draws: audiowaveform's version-2 JSON
//! (`{"version":2,"channels":1,"sample_rate","samples_per_pixel","bits":8,
//! "length","data":[min,max,…]}`, ten pixels a second), computed here from
//! ffmpeg's PCM so that every format ffmpeg reads has one, and a PNG.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde::Serialize;
use tokio::io::AsyncReadExt;
use tokio::process::Command;

use crate::{TranscodeError, tool};

/// Pixels per second of audio.
pub const PIXELS_PER_SECOND: u32 = 10;

/// The PNG's size.
const IMAGE_SIZE: &str = "1800x140";

/// audiowaveform's version-2 data format, 8 bits, one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waveform {
    pub version: u8,
    pub channels: u8,
    pub sample_rate: u32,
    pub samples_per_pixel: u32,
    pub bits: u8,
    pub length: usize,
    /// `min, max` for each pixel.
    pub data: Vec<i8>,
}

/// Folds interleaved 16-bit frames into min/max pairs, as audiowaveform
/// does: the channels of a frame averaged (integer mean), the minimum and
/// maximum over each block of `samples_per_pixel` frames (a last partial
/// block counts), each divided by 256 with truncation.
pub struct Folder {
    channels: usize,
    samples_per_pixel: u32,
    sample_rate: u32,
    in_block: u32,
    low: i32,
    high: i32,
    data: Vec<i8>,
    /// A sample split between two reads.
    pending: Vec<u8>,
}

impl Folder {
    pub fn new(sample_rate: u32, channels: u32) -> Self {
        Self {
            channels: channels.max(1) as usize,
            samples_per_pixel: (sample_rate / PIXELS_PER_SECOND).max(1),
            sample_rate,
            in_block: 0,
            low: i32::from(i16::MAX),
            high: i32::from(i16::MIN),
            data: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Takes the next bytes of `s16le` PCM, whatever their alignment.
    pub fn push(&mut self, bytes: &[u8]) {
        let frame_bytes = 2 * self.channels;
        self.pending.extend_from_slice(bytes);
        let whole = self.pending.len() / frame_bytes * frame_bytes;
        let frames = std::mem::take(&mut self.pending);
        for frame in frames[..whole].chunks_exact(frame_bytes) {
            let sum: i32 = frame
                .chunks_exact(2)
                .map(|sample| i32::from(i16::from_le_bytes([sample[0], sample[1]])))
                .sum();
            self.add(sum / self.channels as i32);
        }
        self.pending.extend_from_slice(&frames[whole..]);
    }

    fn add(&mut self, sample: i32) {
        self.low = self.low.min(sample);
        self.high = self.high.max(sample);
        self.in_block += 1;
        if self.in_block == self.samples_per_pixel {
            self.close_block();
        }
    }

    fn close_block(&mut self) {
        self.data.push((self.low / 256) as i8);
        self.data.push((self.high / 256) as i8);
        self.in_block = 0;
        self.low = i32::from(i16::MAX);
        self.high = i32::from(i16::MIN);
    }

    pub fn finish(mut self) -> Waveform {
        if self.in_block > 0 {
            self.close_block();
        }
        Waveform {
            version: 2,
            channels: 1,
            sample_rate: self.sample_rate,
            samples_per_pixel: self.samples_per_pixel,
            bits: 8,
            length: self.data.len() / 2,
            data: self.data,
        }
    }
}

/// Decodes the first audio stream of `input` to PCM at its own rate and
/// channels and folds it as it arrives.
pub async fn compute(
    input: &Path,
    sample_rate: u32,
    channels: u32,
    deadline: Duration,
) -> Result<Waveform, TranscodeError> {
    let failed = |reason: String| TranscodeError::Tool {
        program: "ffmpeg".to_owned(),
        reason,
    };
    let mut child = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-loglevel", "error", "-i"])
        .arg(input)
        .args(["-map", "0:a:0", "-f", "s16le", "-acodec", "pcm_s16le"])
        .args([
            "-ar",
            &sample_rate.to_string(),
            "-ac",
            &channels.to_string(),
            "-",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| failed(format!("could not start: {error}")))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| failed("no output".to_owned()))?;
    let mut folder = Folder::new(sample_rate, channels);
    let read_all = async {
        let mut buffer = vec![0_u8; 64 * 1024];
        loop {
            let read = stdout.read(&mut buffer).await?;
            if read == 0 {
                break;
            }
            folder.push(&buffer[..read]);
        }
        child.wait().await
    };
    let status = tokio::time::timeout(deadline, read_all)
        .await
        .map_err(|_| failed(format!("still running after {} s", deadline.as_secs())))?
        .map_err(|error| failed(error.to_string()))?;
    if !status.success() {
        return Err(failed(format!("{status} while decoding the audio")));
    }
    Ok(folder.finish())
}

/// Draws the waveform as a PNG with ffmpeg.
pub async fn draw(input: &Path, png: &Path, deadline: Duration) -> Result<(), TranscodeError> {
    let filter = format!(
        "[0:a:0]aformat=channel_layouts=mono,showwavespic=s={IMAGE_SIZE}:colors=0x3b82f6[picture]"
    );
    tool::run(
        "ffmpeg",
        [
            "-hide_banner".as_ref(),
            "-nostats".as_ref(),
            "-y".as_ref(),
            "-i".as_ref(),
            input.as_os_str(),
            "-filter_complex".as_ref(),
            filter.as_ref(),
            "-map".as_ref(),
            "[picture]".as_ref(),
            "-frames:v".as_ref(),
            "1".as_ref(),
            png.as_os_str(),
        ],
        deadline,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcm(frames: &[[i16; 2]]) -> Vec<u8> {
        frames
            .iter()
            .flat_map(|frame| frame.iter().flat_map(|sample| sample.to_le_bytes()))
            .collect()
    }

    #[test]
    fn channels_are_averaged_and_blocks_folded_with_a_last_partial_one() {
        // 20 frames a second: two frames a pixel.
        let mut folder = Folder::new(20, 2);
        let bytes = pcm(&[
            [1_000, 3_000],   // 2000
            [-5_000, -5_000], // -5000
            [i16::MAX, i16::MAX],
            [i16::MIN, i16::MIN],
            [511, 0], // 255: truncated to 0
        ]);
        // Split in the middle of a sample.
        folder.push(&bytes[..7]);
        folder.push(&bytes[7..]);
        let waveform = folder.finish();
        assert_eq!(waveform.samples_per_pixel, 2);
        assert_eq!(waveform.length, 3);
        assert_eq!(waveform.data, [-19, 7, -128, 127, 0, 0]);
    }

    #[test]
    fn the_json_is_audiowaveforms_version_2() {
        let mut folder = Folder::new(48_000, 1);
        folder.push(&[0, 0]);
        let json = serde_json::to_value(folder.finish()).expect("JSON");
        assert_eq!(
            json,
            serde_json::json!({"version":2,"channels":1,"sample_rate":48000,
                "samples_per_pixel":4800,"bits":8,"length":1,"data":[0,0]})
        );
    }
}
