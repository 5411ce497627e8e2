//! Benchmark: a multipart upload of SIZE MiB (default 1024) into the
//! embedded S3 endpoint, the way a browser sends one (presigned part URLs,
//! 8 MiB parts, 4 at a time), then completed. Prints the throughput and
//! this process's memory (`VmRSS`, `VmHWM`) before and after: the endpoint
//! streams parts to files, so the peak must not grow with the file.
//!
//! `cargo run --release -p codex-storage --example multipart_upload [-- SIZE_MIB]`

// A benchmark prints its figures.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use codex_clock::SystemClock;
use codex_storage::embedded::EmbeddedS3;
use codex_storage::{CompletedPart, ObjectStore, S3Store};
use futures::StreamExt;

const MIB: usize = 1024 * 1024;
const PART: usize = 8 * MIB;

fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .filter(|line| line.starts_with("VmRSS") || line.starts_with("VmHWM"))
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::main]
async fn main() {
    let size_mib: usize = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(1024);
    let size = size_mib * MIB;
    let endpoint = EmbeddedS3::in_temporary_folder().expect("endpoint");
    let address = endpoint.settings().endpoint.clone();
    let store = Arc::new(S3Store::new(endpoint.settings(), Arc::new(SystemClock)));
    let http = reqwest::Client::new();
    let key = "bench/originals/m1/media.mp4";
    let parts = size.div_ceil(PART);
    // One part's bytes, reused for every part: the client holds 8 MiB per
    // upload in flight, whatever the file's size.
    let chunk = bytes::Bytes::from(vec![0x5a_u8; PART]);
    println!("before: {}", memory());

    let started = Instant::now();
    let upload_id = store
        .create_multipart(key, "video/mp4")
        .await
        .expect("create");
    let mut etags: Vec<CompletedPart> = futures::stream::iter(1..=parts)
        .map(|number| {
            let (store, http, upload_id, chunk) = (
                Arc::clone(&store),
                http.clone(),
                upload_id.clone(),
                chunk.clone(),
            );
            async move {
                let part_number = u32::try_from(number).unwrap_or(1);
                let url = store
                    .presign_part(key, &upload_id, part_number, Duration::from_secs(3600))
                    .await
                    .expect("part url");
                let length = if number == parts {
                    size - (parts - 1) * PART
                } else {
                    PART
                };
                let answer = http
                    .put(&url)
                    .body(chunk.slice(..length))
                    .send()
                    .await
                    .expect("PUT");
                assert!(answer.status().is_success(), "{}", answer.status());
                let etag = answer
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                CompletedPart { part_number, etag }
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    etags.sort_by_key(|part| part.part_number);
    let uploaded = started.elapsed();
    store
        .complete_multipart(key, &upload_id, &etags)
        .await
        .expect("complete");
    let total = started.elapsed();
    let info = store.head(key).await.expect("head").expect("stored");
    assert_eq!(info.size, size as u64);

    let seconds = total.as_secs_f64();
    println!("endpoint: {address}");
    println!(
        "{size_mib} MiB in {parts} parts: uploaded in {:.2} s, completed in {:.2} s: {:.0} MiB/s",
        uploaded.as_secs_f64(),
        seconds,
        size_mib as f64 / seconds
    );
    println!("after:  {}", memory());
    let _ = std::fs::remove_dir_all(endpoint.root());
}
