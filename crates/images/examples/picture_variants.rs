//! Benchmark: a phone photo (WIDTHxHEIGHT, default 4032x3024, as a JPEG of
//! quality 90) and a screenshot-like PNG re-encoded to the three WebP
//! widths, RUNS times each (default 5). Prints the upload's size, each
//! variant's size, the time per picture (median and worst) and this
//! process's peak memory (`VmHWM`).
//!
//! `cargo run --release -p codex-images --example picture_variants [-- 4032x3024 5]`

// A benchmark prints its figures.
#![allow(clippy::print_stdout)]

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};

fn peak_memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|line| line.starts_with("VmHWM"))
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// A picture with smooth gradients and fine texture, closer to a photo
/// than a flat colour (a flat colour would flatter every codec).
fn photo(width: u32, height: u32) -> DynamicImage {
    let mut seed = 0x2545_f491_u32;
    DynamicImage::ImageRgb8(ImageBuffer::from_fn(width, height, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed % 24) as u8;
        let gradient = |value: u32, span: u32| u8::try_from(value * 200 / span).unwrap_or(200);
        Rgb([
            gradient(x, width).saturating_add(noise),
            gradient(y, height).saturating_add(noise / 2),
            gradient(x + y, width + height).saturating_add(noise / 3),
        ])
    }))
}

fn screenshot(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(ImageBuffer::from_fn(width, height, |x, y| {
        if (x / 64 + y / 32) % 5 == 0 {
            Rgb([30, 30, 30])
        } else {
            Rgb([245, 245, 240])
        }
    }))
}

fn measure(label: &str, upload: &[u8], runs: usize) {
    let mut times = Vec::with_capacity(runs);
    let mut result = None;
    for _ in 0..runs {
        let started = Instant::now();
        result = Some(codex_images::variants(upload).expect("accepted"));
        times.push(started.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let worst = times.last().copied().unwrap_or(Duration::ZERO);
    let result = result.expect("at least one run");
    println!(
        "{label}: {}x{} upload of {} KiB -> {} ; median {:.0} ms, worst {:.0} ms",
        result.width,
        result.height,
        upload.len() / 1024,
        result
            .variants
            .iter()
            .map(|v| format!(
                "{} {}x{} {} KiB",
                v.size.name(),
                v.width,
                v.height,
                v.bytes.len() / 1024
            ))
            .collect::<Vec<_>>()
            .join(", "),
        median.as_secs_f64() * 1000.0,
        worst.as_secs_f64() * 1000.0,
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (width, height) = args
        .next()
        .and_then(|arg| {
            let (w, h) = arg.split_once('x')?;
            Some((w.parse().ok()?, h.parse().ok()?))
        })
        .unwrap_or((4032_u32, 3024_u32));
    let runs: usize = args
        .next()
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(5)
        .max(1);

    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&photo(width, height))
        .expect("encodes");
    let mut png = Cursor::new(Vec::new());
    screenshot(width.min(2560), height.min(1440))
        .write_to(&mut png, ImageFormat::Png)
        .expect("encodes");
    println!("before: {}", peak_memory());
    measure("photo (JPEG)", &jpeg, runs);
    measure("screenshot (PNG)", &png.into_inner(), runs);
    println!("after: {}", peak_memory());
}
