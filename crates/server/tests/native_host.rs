//! The native host's own parts, called in-process (`codex_testkit::Caller`):
//! the platform built from settings, every service's identity, and the
//! embedded S3 endpoint that holds objects when nothing is configured.

use std::collections::HashMap;
use std::time::Duration;

use axum::http::StatusCode;
use codex_config::{Config, Environment};
use codex_server::NativePlatform;
use codex_testkit::{Caller, TestDatabase};

async fn platform(test: &TestDatabase) -> (NativePlatform, std::path::PathBuf) {
    let data_dir = std::env::temp_dir().join(format!("codex-host-{}", uuid::Uuid::new_v4()));
    let free_port = codex_testkit::free_local_port().to_string();
    let source: HashMap<String, String> = [
        ("ENVIRONMENT", "test"),
        ("DATABASE_URL", test.url()),
        ("DATA_DIR", data_dir.to_str().expect("utf-8 path")),
        ("LOCAL_STORAGE_PORT", free_port.as_str()),
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
async fn with_nothing_configured_objects_live_in_an_embedded_s3_endpoint() {
    let test = TestDatabase::new().await;
    let (platform, data_dir) = platform(&test).await;
    let objects = platform.context.objects();
    let endpoint = platform
        .local_storage
        .as_ref()
        .expect("the embedded endpoint runs when nothing is configured");
    let s3 = platform.context.config().s3.clone().expect("its settings");
    assert_eq!(
        s3.endpoint,
        format!("http://127.0.0.1:{}", endpoint.address().port())
    );

    // The browser's way in: a presigned PUT, then the service reads it.
    let http = reqwest::Client::new();
    let upload = objects
        .presign_upload(
            "u1/originals/m1/media.mp4",
            "video/mp4",
            Duration::from_secs(60),
        )
        .await
        .expect("presign");
    assert!(upload.url.starts_with(&s3.endpoint), "{}", upload.url);
    let stored = http
        .put(&upload.url)
        .header("content-type", "video/mp4")
        .body(b"not really a video".to_vec())
        .send()
        .await
        .expect("PUT");
    assert!(stored.status().is_success(), "{}", stored.status());
    let object = objects
        .get("u1/originals/m1/media.mp4")
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(object.bytes, b"not really a video");
    assert_eq!(object.content_type.as_deref(), Some("video/mp4"));

    // Unsigned or forged requests are refused by the endpoint itself.
    let bare = upload.url.split('?').next().unwrap_or_default().to_owned();
    let unsigned = http
        .put(&bare)
        .body(b"x".to_vec())
        .send()
        .await
        .expect("PUT");
    assert_eq!(unsigned.status(), reqwest::StatusCode::FORBIDDEN);
    let forged = forge(&upload.url);
    let forged = http
        .put(&forged)
        .header("content-type", "video/mp4")
        .body(b"x".to_vec())
        .send()
        .await
        .expect("PUT");
    assert_eq!(forged.status(), reqwest::StatusCode::FORBIDDEN);

    // The objects are files under the data folder, and the endpoint's
    // secret is kept there (mode 0600), so links survive a restart.
    assert!(
        data_dir
            .join("objects/codex-media/u1/originals/m1/media.mp4")
            .is_file()
    );
    let secret = data_dir.join("storage-secret");
    assert!(secret.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    drop(platform);
    let _ = std::fs::remove_dir_all(data_dir);
}

/// The URL with its signature changed in one character.
fn forge(url: &str) -> String {
    let (head, signature) = url.split_once("X-Amz-Signature=").expect("a signed URL");
    let mut forged: Vec<char> = signature.chars().collect();
    forged[0] = if forged[0] == '0' { '1' } else { '0' };
    format!(
        "{head}X-Amz-Signature={}",
        forged.into_iter().collect::<String>()
    )
}
