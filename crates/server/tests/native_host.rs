//! The native host's own parts, called in-process (`codex_testkit::Caller`):
//! the platform built from settings,
//! every service's identity, and the local object store served through
//! signed, expiring URLs.

use std::collections::HashMap;
use std::time::Duration;

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
