//! The native host's own parts, called in-process (`codex_testkit::Caller`):
//! the platform built from settings,
//! every service's identity, and the local object store served through
//! signed, expiring URLs (uploads judged before their body is read, and
//! streamed to disk).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use codex_config::{Config, Environment};
use codex_server::NativePlatform;
use codex_storage::Method;
use codex_testkit::{Caller, TestDatabase};

async fn platform(test: &TestDatabase) -> (NativePlatform, std::path::PathBuf) {
    let data_dir = std::env::temp_dir().join(format!("codex-host-{}", uuid::Uuid::new_v4()));
    let source: HashMap<String, String> = [
        ("ENVIRONMENT", "test"),
        ("DATABASE_URL", test.url()),
        ("DATA_DIR", data_dir.to_str().expect("utf-8 path")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = Config::from_source(&source, Environment::Development).expect("config");
    let platform = NativePlatform::build(&source, config)
        .await
        .expect("platform");
    (platform, data_dir)
}

fn path_of(url: &str) -> String {
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    without_scheme[without_scheme.find('/').unwrap_or(0)..].to_owned()
}

#[tokio::test]
async fn every_service_answers_health_under_its_own_name() {
    let test = TestDatabase::new().await;
    let (platform, data_dir) = platform(&test).await;
    for (name, expected) in [
        ("auth", "auth-worker"),
        ("content", "content-api"),
        ("media", "media-api"),
        ("org", "organization-api"),
        ("ecom", "ecom-api"),
        ("admin", "admin-api"),
        ("identity", "identity-api"),
        ("notifications", "notifications-api"),
    ] {
        let app = Caller::new(codex_server::service_app(name, &platform).expect("known service"));
        let health = app.get("/health").send().await;
        health.assert_status(StatusCode::OK);
        assert_eq!(health.json()["service"], expected);
    }
    assert!(codex_server::service_app("nope", &platform).is_none());
    let _ = std::fs::remove_dir_all(data_dir);
}

#[tokio::test]
async fn signed_urls_upload_and_download_and_refuse_tampering() {
    let test = TestDatabase::new().await;
    let (platform, data_dir) = platform(&test).await;
    let media = Caller::new(codex_server::service_app("media", &platform).expect("media"));
    let objects = platform.context.objects();

    let put_url = objects
        .presign(
            Method::Put,
            "u1/originals/m1/media.mp4",
            Duration::from_secs(60),
        )
        .await
        .expect("presign");
    assert!(
        put_url.starts_with("http://127.0.0.1:4002/local-storage/"),
        "{put_url}"
    );
    media
        .put(&path_of(&put_url))
        .body(&b"not really a video"[..], "video/mp4")
        .send()
        .await
        .assert_status(StatusCode::OK);

    let get_url = objects
        .presign(
            Method::Get,
            "u1/originals/m1/media.mp4",
            Duration::from_secs(60),
        )
        .await
        .expect("presign");
    let downloaded = media.get(&path_of(&get_url)).send().await;
    downloaded.assert_status(StatusCode::OK);
    assert_eq!(downloaded.body, b"not really a video");
    assert_eq!(downloaded.header("content-type"), Some("video/mp4"));

    // The PUT URL does not allow a GET, and a changed key or signature is refused.
    let wrong_method = media.get(&path_of(&put_url)).send().await;
    wrong_method.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(wrong_method.error_code().as_deref(), Some("FORBIDDEN"));
    let tampered = path_of(&get_url).replace("m1/media.mp4", "m2/media.mp4");
    assert_eq!(
        media.get(&tampered).send().await.status,
        StatusCode::FORBIDDEN
    );
    let unsigned = path_of(&get_url)
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        media.get(&unsigned).send().await.status,
        StatusCode::BAD_REQUEST
    );
    let extended = path_of(&get_url).replace("expires=", "expires=1");
    assert_eq!(
        media.get(&extended).send().await.status,
        StatusCode::FORBIDDEN,
        "a link whose expiry was pushed out no longer matches its signature"
    );

    // Other services do not serve local storage.
    let content = Caller::new(codex_server::service_app("content", &platform).expect("content"));
    assert_eq!(
        content.get(&path_of(&get_url)).send().await.status,
        StatusCode::NOT_FOUND
    );
    let _ = std::fs::remove_dir_all(data_dir);
}

/// A body of `total` zero bytes, handed out a mebibyte at a time as it is
/// read; `read` counts what was handed out.
fn counted_body(total: usize, read: Arc<AtomicUsize>) -> Body {
    static CHUNK: [u8; 1 << 20] = [0; 1 << 20];
    let chunks = futures::stream::unfold(0_usize, move |sent| {
        let read = Arc::clone(&read);
        async move {
            if sent >= total {
                return None;
            }
            let size = (total - sent).min(CHUNK.len());
            read.fetch_add(size, Ordering::SeqCst);
            Some((
                Ok::<_, std::io::Error>(Bytes::from_static(&CHUNK[..size])),
                sent + size,
            ))
        }
    });
    Body::from_stream(chunks)
}

/// Files under `dir` whose name marks an unfinished upload.
fn partial_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.to_string_lossy().contains(".partial-") {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test]
async fn uploads_are_refused_before_their_body_is_read() {
    let test = TestDatabase::new().await;
    let (platform, data_dir) = platform(&test).await;
    let media = Caller::new(codex_server::service_app("media", &platform).expect("media"));
    let objects = platform.context.objects();
    let key = "u1/originals/m1/huge.mp4";
    let put_url = path_of(
        &objects
            .presign(Method::Put, key, Duration::from_secs(60))
            .await
            .expect("presign"),
    );
    let get_url = path_of(
        &objects
            .presign(Method::Get, key, Duration::from_secs(60))
            .await
            .expect("presign"),
    );
    let unsigned = put_url.split('?').next().unwrap_or_default().to_owned();
    let tampered = put_url.replace("signature=", "signature=00");
    let other_key = put_url.replace("m1/huge.mp4", "m2/huge.mp4");
    let extended = put_url.replace("expires=", "expires=1");
    let declared = 150_000_000_usize;

    for (what, path, expected) in [
        ("unsigned", unsigned.as_str(), StatusCode::BAD_REQUEST),
        ("tampered", tampered.as_str(), StatusCode::FORBIDDEN),
        (
            "signed for another key",
            other_key.as_str(),
            StatusCode::FORBIDDEN,
        ),
        (
            "expiry pushed out",
            extended.as_str(),
            StatusCode::FORBIDDEN,
        ),
    ] {
        let read = Arc::new(AtomicUsize::new(0));
        let response = media
            .put(path)
            .header("content-type", "video/mp4")
            .header("content-length", &declared.to_string())
            .streaming_body(counted_body(declared, Arc::clone(&read)))
            .send()
            .await;
        response.assert_status(expected);
        assert_eq!(read.load(Ordering::SeqCst), 0, "{what}: the body was read");
        assert_eq!(
            response.header("connection"),
            Some("close"),
            "{what}: the unread body leaves the connection unusable"
        );
    }

    // Signed, but without a Content-Length or with one over the limit.
    let read = Arc::new(AtomicUsize::new(0));
    let response = media
        .put(&put_url)
        .streaming_body(counted_body(declared, Arc::clone(&read)))
        .send()
        .await;
    response.assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(
        read.load(Ordering::SeqCst),
        0,
        "no length: the body was read"
    );
    let response = media
        .put(&put_url)
        .header("content-length", &(2_u64 << 30).to_string())
        .streaming_body(counted_body(declared, Arc::clone(&read)))
        .send()
        .await;
    response.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.error_code().as_deref(), Some("PAYLOAD_TOO_LARGE"));
    assert_eq!(
        read.load(Ordering::SeqCst),
        0,
        "too long: the body was read"
    );

    // A body shorter or longer than declared is refused and leaves nothing.
    for (declared, sent) in [(3 << 20, 2 << 20), (1 << 20, 3 << 20)] {
        let response = media
            .put(&put_url)
            .header("content-length", &declared.to_string())
            .streaming_body(counted_body(sent, Arc::new(AtomicUsize::new(0))))
            .send()
            .await;
        response.assert_status(StatusCode::BAD_REQUEST);
    }
    media
        .get(&get_url)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(partial_files(&data_dir), Vec::<std::path::PathBuf>::new());
    let _ = std::fs::remove_dir_all(data_dir);
}

#[tokio::test]
async fn a_signed_upload_of_several_megabytes_is_streamed_and_read_back() {
    let test = TestDatabase::new().await;
    let (platform, data_dir) = platform(&test).await;
    let media = Caller::new(codex_server::service_app("media", &platform).expect("media"));
    let objects = platform.context.objects();
    let key = "u1/originals/m3/media.bin";
    let bytes: Vec<u8> = (0..5 * 1024 * 1024 + 7)
        .map(|i: usize| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let chunks: Vec<Result<Bytes, std::io::Error>> = bytes
        .chunks(64 * 1024)
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .collect();
    let put_url = objects
        .presign(Method::Put, key, Duration::from_secs(60))
        .await
        .expect("presign");
    media
        .put(&path_of(&put_url))
        .header("content-type", "application/octet-stream")
        .header("content-length", &bytes.len().to_string())
        .streaming_body(Body::from_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .assert_status(StatusCode::OK);

    let get_url = objects
        .presign(Method::Get, key, Duration::from_secs(60))
        .await
        .expect("presign");
    let downloaded = media.get(&path_of(&get_url)).send().await;
    downloaded.assert_status(StatusCode::OK);
    assert_eq!(downloaded.body.len(), bytes.len());
    assert!(downloaded.body == bytes, "the bytes uploaded");
    assert_eq!(
        downloaded.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(partial_files(&data_dir), Vec::<std::path::PathBuf>::new());
    let _ = std::fs::remove_dir_all(data_dir);
}
