//! The native host's own parts, in-process: the platform built from settings,
//! every service's identity, and the local object store served through
//! signed, expiring URLs.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use codex_config::{Config, Environment};
use codex_server::NativePlatform;
use codex_storage::Method;
use codex_testkit::TestDatabase;
use tower::ServiceExt;

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

async fn send(
    app: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body")
        .to_vec();
    (status, body, headers)
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
        let app = codex_server::service_app(name, &platform).expect("known service");
        let (status, body, _) = send(
            &app,
            Request::get("/health").body(Body::empty()).expect("r"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let json: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(json["service"], expected);
    }
    assert!(codex_server::service_app("nope", &platform).is_none());
    let _ = std::fs::remove_dir_all(data_dir);
}

#[tokio::test]
async fn signed_urls_upload_and_download_and_refuse_tampering() {
    let test = TestDatabase::new().await;
    let (platform, data_dir) = platform(&test).await;
    let media = codex_server::service_app("media", &platform).expect("media");
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
    let upload = Request::put(path_of(&put_url))
        .header("content-type", "video/mp4")
        .body(Body::from(&b"not really a video"[..]))
        .expect("request");
    assert_eq!(send(&media, upload).await.0, StatusCode::OK);

    let get_url = objects
        .presign(
            Method::Get,
            "u1/originals/m1/media.mp4",
            Duration::from_secs(60),
        )
        .await
        .expect("presign");
    let (status, body, headers) = send(
        &media,
        Request::get(path_of(&get_url))
            .body(Body::empty())
            .expect("r"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"not really a video");
    assert_eq!(headers["content-type"], "video/mp4");

    // The PUT URL does not allow a GET, and a changed key or signature is refused.
    let (status, body, _) = send(
        &media,
        Request::get(path_of(&put_url))
            .body(Body::empty())
            .expect("r"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let json: serde_json::Value = serde_json::from_slice(&body).expect("envelope");
    assert_eq!(json["error"]["code"], "FORBIDDEN");
    let tampered = path_of(&get_url).replace("m1/media.mp4", "m2/media.mp4");
    assert_eq!(
        send(
            &media,
            Request::get(tampered).body(Body::empty()).expect("r")
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let unsigned = path_of(&get_url)
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        send(
            &media,
            Request::get(unsigned).body(Body::empty()).expect("r")
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    let extended = path_of(&get_url).replace("expires=", "expires=1");
    assert_eq!(
        send(
            &media,
            Request::get(extended).body(Body::empty()).expect("r")
        )
        .await
        .0,
        StatusCode::FORBIDDEN,
        "a link whose expiry was pushed out no longer matches its signature"
    );

    // Other services do not serve local storage.
    let content = codex_server::service_app("content", &platform).expect("content");
    assert_eq!(
        send(
            &content,
            Request::get(path_of(&get_url))
                .body(Body::empty())
                .expect("r")
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let _ = std::fs::remove_dir_all(data_dir);
}
