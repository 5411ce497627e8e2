//! The transcoder on media generated here with real ffmpeg: a test
//! pattern and a tone, a few seconds each, checked with ffprobe.

use std::path::{Path, PathBuf};
use std::time::Duration;

use codex_transcoder::{
    EncoderChoice, MediaKind, Options, Report, Step, TranscodeError, VideoEncoder, playlist, tool,
    transcode,
};
use serde_json::Value;

const DEADLINE: Duration = Duration::from_secs(300);

/// A folder of its own for each test, removed when the test passes.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("codex-transcoder-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a scratch folder");
        Self(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn options() -> Options {
    Options {
        encoder: EncoderChoice::Only(VideoEncoder::Libx264),
        // The ladder's structure does not depend on the preset; the
        // quickest one keeps the suite short.
        preset: "ultrafast".to_owned(),
    }
}

async fn ffmpeg(args: &[&str]) {
    let mut all = vec!["-hide_banner", "-loglevel", "error", "-y"];
    all.extend_from_slice(args);
    tool::run("ffmpeg", all, DEADLINE)
        .await
        .expect("ffmpeg makes the test media");
}

/// `seconds` of a moving test pattern at `width`×`height` with a tone,
/// after `black` seconds of black.
async fn video(path: &Path, width: u32, height: u32, seconds: f64, black: f64) {
    let size = format!("{width}x{height}");
    let pattern = format!("testsrc2=s={size}:r=25:d={seconds}");
    let tone = format!("sine=f=440:sample_rate=44100:d={}", seconds + black);
    let black_source = format!("color=black:s={size}:r=25:d={black}");
    let mut args = vec!["-f", "lavfi", "-i", &pattern, "-f", "lavfi", "-i", &tone];
    if black > 0.0 {
        args.extend(["-f", "lavfi", "-i", &black_source]);
        args.extend(["-filter_complex", "[2:v][0:v]concat=n=2:v=1:a=0[v]"]);
        args.extend(["-map", "[v]", "-map", "1:a"]);
    }
    args.extend(["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"]);
    args.push(path.to_str().expect("a UTF-8 path"));
    ffmpeg(&args).await;
}

async fn probe_json(path: &Path) -> Value {
    let json = codex_transcoder::probe::ffprobe_json(path)
        .await
        .expect("ffprobe");
    serde_json::from_slice(&json).expect("ffprobe's JSON")
}

fn stream<'a>(probe: &'a Value, kind: &str) -> &'a Value {
    probe["streams"]
        .as_array()
        .expect("an array")
        .iter()
        .find(|s| s["codec_type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} stream in {probe}"))
}

fn seconds(value: &Value) -> f64 {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .expect("a number in a string")
}

async fn run(input: &Path, kind: MediaKind, output: &Path) -> (Report, Vec<Step>) {
    let mut steps = Vec::new();
    let report = transcode(input, kind, output, &options(), |step| {
        steps.push(step);
    })
    .await
    .expect("the transcode");
    (report, steps)
}

/// The variants the master lists, as (playlist path, RESOLUTION).
fn master_variants(master: &str) -> Vec<(String, Option<String>)> {
    let lines: Vec<&str> = master.lines().collect();
    lines
        .windows(2)
        .filter(|pair| pair[0].starts_with("#EXT-X-STREAM-INF:"))
        .map(|pair| {
            let resolution = pair[0]
                .split(',')
                .find_map(|attribute| attribute.strip_prefix("RESOLUTION="))
                .map(str::to_owned);
            (pair[1].to_owned(), resolution)
        })
        .collect()
}

/// Checks every rendition the master lists: its size, its segments and
/// its length against the source.
async fn check_renditions(hls: &Path, source: (u32, u32), source_seconds: f64) -> Vec<String> {
    let master = std::fs::read_to_string(hls.join("master.m3u8")).expect("a playlist");
    let mut names = Vec::new();
    for (path, resolution) in master_variants(&master) {
        let name = path.split('/').next().unwrap_or_default().to_owned();
        let media = std::fs::read_to_string(hls.join(&path)).expect("a playlist");
        let segments = playlist::segments(&media);
        assert!(!segments.is_empty(), "{name} has no segments");
        // Keyframes are forced every 6 s: no segment runs over by a GOP.
        for segment in &segments {
            assert!(segment.duration <= 6.0 + 0.05, "{name}: {segment:?}");
        }
        for segment in &segments[..segments.len() - 1] {
            assert!((segment.duration - 6.0).abs() < 0.05, "{name}: {segment:?}");
        }
        let total: f64 = segments.iter().map(|s| s.duration).sum();
        assert!(
            (total - source_seconds).abs() <= 0.5,
            "{name}: {total} s of {source_seconds}"
        );

        let probe = probe_json(&hls.join(&name).join("stream.ts")).await;
        let video = stream(&probe, "video");
        let (width, height) = (
            video["width"].as_u64().expect("a number") as u32,
            video["height"].as_u64().expect("a number") as u32,
        );
        assert!(
            width <= source.0 && height <= source.1,
            "{name} is {width}x{height}"
        );
        // The shape is kept, and the master says what was made.
        let aspect = f64::from(width) / f64::from(height);
        let source_aspect = f64::from(source.0) / f64::from(source.1);
        assert!(
            (aspect - source_aspect).abs() < 0.02,
            "{name}: {aspect} vs {source_aspect}"
        );
        assert_eq!(resolution, Some(format!("{width}x{height}")));
        // CODECS names the profile and level that were written.
        let line = master
            .lines()
            .take_while(|line| *line != path)
            .last()
            .expect("the variant's line");
        let codec = playlist::avc_codec(
            video["profile"].as_str().expect("a string"),
            video["level"].as_u64().expect("a number") as u32,
        );
        assert!(
            line.contains(&format!("CODECS=\"{codec},mp4a.40.2\"")),
            "{line}"
        );
        let audio = stream(&probe, "audio");
        assert_eq!(audio["sample_rate"], "48000", "{name}");
        assert_eq!(audio["codec_name"], "aac");
        names.push(name);
    }
    names
}

/// The mean luma of a picture, 0..255.
async fn mean_luma(picture: &Path) -> f64 {
    let output = tool::run(
        "ffmpeg",
        [
            "-hide_banner".as_ref(),
            "-loglevel".as_ref(),
            "error".as_ref(),
            "-i".as_ref(),
            picture.as_os_str(),
            "-vf".as_ref(),
            "format=gray".as_ref(),
            "-f".as_ref(),
            "rawvideo".as_ref(),
            "-".as_ref(),
        ],
        DEADLINE,
    )
    .await
    .expect("ffmpeg decodes the picture");
    let pixels = &output.stdout;
    pixels.iter().map(|&p| f64::from(p)).sum::<f64>() / pixels.len() as f64
}

#[tokio::test]
async fn a_1080p_video_gets_every_rung_cut_at_the_same_instants() {
    let scratch = Scratch::new("1080p");
    let input = scratch.0.join("source.mp4");
    video(&input, 1920, 1080, 7.0, 0.0).await;
    let output = scratch.0.join("out");
    let (report, steps) = run(&input, MediaKind::Video, &output).await;

    let names = check_renditions(&output.join("hls"), (1920, 1080), 7.0).await;
    assert_eq!(names, ["1080p", "720p", "480p", "360p"]);
    assert_eq!(report.ready_variants, names);
    assert_eq!((report.width, report.height), (Some(1920), Some(1080)));
    assert_eq!(report.duration_seconds, 7);
    assert_eq!(report.encoder, Some(VideoEncoder::Libx264));
    assert_eq!(
        steps,
        [
            Step::Probing,
            Step::Loudness,
            Step::EncodingVariants,
            Step::Preview,
            Step::Thumbnails
        ]
    );
    // One media file per rendition: byte ranges into it.
    let media = std::fs::read_to_string(output.join("hls/720p/index.m3u8")).expect("a playlist");
    assert!(media.contains("#EXT-X-BYTERANGE:"));
    assert!(media.contains("#EXT-X-PLAYLIST-TYPE:VOD"));
    // The master's BANDWIDTH is the peak of what was written, audio in.
    let master = std::fs::read_to_string(output.join("hls/master.m3u8")).expect("a playlist");
    for variant in &report.variants {
        assert!(master.contains(&format!("BANDWIDTH={}", variant.bandwidth)));
        assert!(variant.bandwidth >= variant.average_bandwidth);
        assert!(variant.codecs.starts_with("avc1.") && variant.codecs.ends_with(",mp4a.40.2"));
    }
    assert!(master.contains("FRAME-RATE=25.000"));
}

#[tokio::test]
async fn the_thumbnail_skips_a_black_opening_and_the_preview_is_short() {
    let scratch = Scratch::new("720p");
    let input = scratch.0.join("source.mp4");
    video(&input, 1280, 720, 6.0, 2.0).await;
    let output = scratch.0.join("out");
    let (report, _) = run(&input, MediaKind::Video, &output).await;

    assert_eq!(report.ready_variants, ["720p", "480p", "360p"]);
    check_renditions(&output.join("hls"), (1280, 720), 8.0).await;
    for (name, width) in [("sm", 200), ("md", 400), ("lg", 800)] {
        let picture = output.join(format!("thumbnails/{name}.webp"));
        let probe = probe_json(&picture).await;
        assert_eq!(stream(&probe, "video")["width"], width);
        let luma = mean_luma(&picture).await;
        assert!(luma > 40.0, "{name} is black: mean luma {luma}");
    }
    let preview =
        std::fs::read_to_string(output.join("hls/preview/preview.m3u8")).expect("a playlist");
    let total: f64 = playlist::segments(&preview)
        .iter()
        .map(|s| s.duration)
        .sum();
    // From a tenth of the way in to the end: at most 30 s.
    assert!((total - 8.0).abs() <= 0.5, "{total}");
    let paths: Vec<&str> = report.files.iter().map(|f| f.path.as_str()).collect();
    assert!(paths.contains(&"hls/preview/stream.ts"));
    assert!(paths.contains(&"thumbnails/lg.webp"));
}

#[tokio::test]
async fn portrait_and_odd_sizes_keep_their_shape_and_small_ones_are_not_upscaled() {
    let scratch = Scratch::new("shapes");
    for (width, height, expected) in [
        (720, 1280, vec!["720p", "480p", "360p"]),
        (641, 361, vec!["360p"]),
        (320, 240, vec!["source"]),
    ] {
        let input = scratch.0.join(format!("{width}x{height}.mp4"));
        video(&input, width, height, 3.0, 0.0).await;
        let output = scratch.0.join(format!("{width}x{height}"));
        let (report, _) = run(&input, MediaKind::Video, &output).await;
        assert_eq!(report.ready_variants, expected, "{width}x{height}");
        let names = check_renditions(&output.join("hls"), (width, height), 3.0).await;
        assert_eq!(names, expected);
        // Thumbnails are never wider than the source.
        let probe = probe_json(&output.join("thumbnails/lg.webp")).await;
        assert!(stream(&probe, "video")["width"].as_u64().expect("a number") <= u64::from(width));
    }
}

#[tokio::test]
async fn audio_gets_two_rates_a_waveform_and_a_loudness_reading() {
    let scratch = Scratch::new("audio");
    let input = scratch.0.join("tone.m4a");
    // A tone at half scale: the waveform must reach about ±64.
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=f=220:sample_rate=44100:d=4.25,volume=4,pan=stereo|c0=c0|c1=c0",
        "-c:a",
        "aac",
        "-b:a",
        "192k",
        input.to_str().expect("a UTF-8 path"),
    ])
    .await;
    let output = scratch.0.join("out");
    let (report, steps) = run(&input, MediaKind::Audio, &output).await;

    assert_eq!(report.ready_variants, ["audio"]);
    assert_eq!(report.encoder, None);
    assert!(steps.contains(&Step::Waveform));
    let master = std::fs::read_to_string(output.join("hls/master.m3u8")).expect("a playlist");
    let variants: Vec<String> = master_variants(&master)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(variants, ["128k/index.m3u8", "64k/index.m3u8"]);
    assert!(master.contains("CODECS=\"mp4a.40.2\""));
    for name in ["128k", "64k"] {
        let probe = probe_json(&output.join(format!("hls/{name}/stream.ts"))).await;
        assert_eq!(stream(&probe, "audio")["sample_rate"], "48000");
        let total = seconds(&probe["format"]["duration"]);
        assert!((total - 4.25).abs() <= 0.5, "{name}: {total}");
    }
    // A half-scale tone in both channels reads about -7 LUFS: the
    // reading is of the input, before normalisation.
    assert!((-900..=-500).contains(&report.loudness.loudness_integrated));

    // ... and the renditions are brought to -16 LUFS by one linear gain.
    let normalised =
        codex_transcoder::loudness::measure(&output.join("hls/128k/stream.ts"), DEADLINE)
            .await
            .expect("measured");
    assert!((normalised.integrated + 16.0).abs() < 1.0, "{normalised:?}");

    let waveform: Value = serde_json::from_slice(
        &std::fs::read(output.join("waveforms/waveform.json")).expect("the waveform"),
    )
    .expect("waveform JSON");
    assert_eq!(waveform["version"], 2);
    assert_eq!(waveform["channels"], 1);
    assert_eq!(waveform["bits"], 8);
    assert_eq!(waveform["sample_rate"], 44_100);
    assert_eq!(waveform["samples_per_pixel"], 4_410);
    let length = waveform["length"].as_u64().expect("a number");
    // Ten pixels a second, a last partial one counted.
    assert!((42..=44).contains(&length), "{length}");
    let data: Vec<i64> = waveform["data"]
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_i64().expect("a number"))
        .collect();
    assert_eq!(data.len() as u64, length * 2);
    assert!(data.iter().all(|v| (-128..=127).contains(v)));
    let peak = data.iter().map(|v| v.abs()).max().unwrap_or_default();
    assert!((55..=70).contains(&peak), "peak {peak}");
    let png = probe_json(&output.join("waveforms/waveform.png")).await;
    assert_eq!(stream(&png, "video")["width"], 1800);
}

#[tokio::test]
async fn silence_transcodes_with_a_flat_waveform() {
    let scratch = Scratch::new("silence");
    let input = scratch.0.join("silence.webm");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "anullsrc=r=48000:cl=mono",
        "-t",
        "2",
        "-c:a",
        "libopus",
        input.to_str().expect("a UTF-8 path"),
    ])
    .await;
    let output = scratch.0.join("out");
    let (report, _) = run(&input, MediaKind::Audio, &output).await;
    assert_eq!(report.loudness.loudness_integrated, -7_000);
    let waveform: Value = serde_json::from_slice(
        &std::fs::read(output.join("waveforms/waveform.json")).expect("the waveform"),
    )
    .expect("waveform JSON");
    assert!(
        waveform["data"]
            .as_array()
            .expect("an array")
            .iter()
            .all(|v| v == 0)
    );
}

#[tokio::test]
async fn a_corrupt_file_or_the_wrong_kind_is_refused_as_unusable() {
    let scratch = Scratch::new("corrupt");
    let corrupt = scratch.0.join("corrupt.mp4");
    let mut bytes = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41".to_vec();
    bytes.extend(std::iter::repeat_n(0x5a_u8, 4_096));
    std::fs::write(&corrupt, bytes).expect("the corrupt file");
    assert_unreadable(&corrupt, &scratch.0.join("a")).await;

    let audio = scratch.0.join("tone.m4a");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=d=1",
        "-c:a",
        "aac",
        audio.to_str().expect("a UTF-8 path"),
    ])
    .await;
    // Declared as video, but only sound.
    assert_unreadable(&audio, &scratch.0.join("b")).await;
}

async fn assert_unreadable(input: &Path, output: &Path) {
    let error = transcode(input, MediaKind::Video, output, &options(), |_| {})
        .await
        .expect_err("refused");
    assert!(matches!(error, TranscodeError::Unreadable(_)), "{error}");
}
