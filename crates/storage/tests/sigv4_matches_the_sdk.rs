//! Our SigV4 presigner (the one Workers use) must produce exactly the URL
//! aws-sdk-s3's own presigner produces for the same request and instant.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use codex_clock::ManualClock;
use codex_config::{S3Settings, Secret};
use codex_storage::sigv4::{self, Bucket};
use codex_storage::{Method, ObjectStore, S3Store};

fn split(url: &str) -> (String, BTreeMap<String, String>) {
    let (base, query) = url.split_once('?').expect("a query string");
    let pairs = query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').expect("k=v");
            (k.to_owned(), v.to_owned())
        })
        .collect();
    (base.to_owned(), pairs)
}

async fn compare(endpoint: &str, region: &str, key: &str, method: Method, expires: Duration) {
    let now = DateTime::<Utc>::from_timestamp(1_795_000_123, 0).expect("instant");
    let settings = S3Settings {
        endpoint: endpoint.to_owned(),
        region: region.to_owned(),
        bucket: "codex-media".to_owned(),
        access_key_id: "AKIDEXAMPLE".to_owned(),
        secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
    };
    let sdk = S3Store::new(&settings, Arc::new(ManualClock::new(now)))
        .presign(method, key, expires)
        .await
        .expect("sdk presign");
    let x_id = match method {
        Method::Get => "GetObject",
        Method::Put => "PutObject",
        other => panic!("the store presigns GET and PUT only, not {other:?}"),
    };
    let ours = sigv4::presign(
        &Bucket {
            endpoint,
            region,
            name: "codex-media",
            access_key_id: "AKIDEXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        },
        method,
        key,
        now,
        expires,
        &[("x-id", x_id)],
    )
    .expect("our presign");
    assert_eq!(split(&ours), split(&sdk), "\nours: {ours}\nsdk:  {sdk}");
}

#[tokio::test]
async fn get_urls_match_for_r2_style_endpoints() {
    compare(
        "https://0123456789abcdef.r2.cloudflarestorage.com",
        "auto",
        "creator-1/originals/0d9f/media.mp4",
        Method::Get,
        Duration::from_secs(600),
    )
    .await;
}

#[tokio::test]
async fn put_urls_match_with_a_port_and_a_region() {
    compare(
        "http://127.0.0.1:9000",
        "eu-west-2",
        "a/b_c-d.e=f/x.m3u8",
        Method::Put,
        Duration::from_secs(3600),
    )
    .await;
}

#[tokio::test]
async fn urls_match_for_an_endpoint_with_a_path() {
    compare(
        "http://127.0.0.1:8787/cdn-cgi/local/r2/s3/",
        "auto",
        "hls/seg_001.ts",
        Method::Get,
        Duration::from_secs(7 * 24 * 3600),
    )
    .await;
}
