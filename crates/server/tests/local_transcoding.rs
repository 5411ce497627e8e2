//! Without a RunPod account the native host transcodes itself: a real
//! video in the embedded S3 endpoint goes through the host's own
//! transcoder (real ffmpeg) and signed callbacks to the media service,
//! served on a socket, until the item is ready.

use std::collections::HashMap;
use std::time::Duration;

use axum::http::StatusCode;
use codex_config::{Config, Environment};
use codex_server::NativePlatform;
use codex_testkit::{Caller, TestDatabase};
use uuid::Uuid;

async fn test_clip() -> Vec<u8> {
    let path = std::env::temp_dir().join(format!("codex-clip-{}.mp4", Uuid::new_v4()));
    let status = tokio::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc2=s=640x360:r=25:d=3")
        .args([
            "-f", "lavfi", "-i", "sine=d=3", "-c:v", "libx264", "-preset",
        ])
        .args(["ultrafast", "-c:a", "aac"])
        .arg(&path)
        .status()
        .await
        .expect("ffmpeg runs");
    assert!(status.success());
    let bytes = std::fs::read(&path).expect("the clip");
    let _ = std::fs::remove_file(path);
    bytes
}

#[tokio::test]
async fn without_runpod_the_host_transcodes_an_upload_until_it_is_ready() {
    let test = TestDatabase::new().await;
    let data_dir = std::env::temp_dir().join(format!("codex-host-{}", Uuid::new_v4()));
    let storage_port = codex_testkit::free_local_port().to_string();
    let media_port = codex_testkit::free_local_port();
    let source: HashMap<String, String> = [
        ("ENVIRONMENT", "test"),
        ("DATABASE_URL", test.url()),
        ("DATA_DIR", data_dir.to_str().expect("utf-8 path")),
        ("LOCAL_STORAGE_PORT", storage_port.as_str()),
        ("MEDIA_PORT", &media_port.to_string()),
        ("TRANSCODER_PRESET", "ultrafast"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = Config::from_source(&source, Environment::Development).expect("config");
    assert!(config.transcoder.is_none(), "no RunPod account");
    let platform = NativePlatform::build(&source, config)
        .await
        .expect("platform");
    // The callbacks come back over HTTP, to the media service's port.
    let media = codex_server::service_app("media", &platform).expect("media");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", media_port))
        .await
        .expect("bind");
    tokio::spawn(async move { axum::serve(listener, media).await });

    let auth = Caller::new(codex_server::service_app("auth", &platform).expect("auth"));
    let registered = auth
        .post("/api/test/fast-register")
        .json(&serde_json::json!({"email": "maker@example.com",
            "password": "correct horse battery", "role": "creator"}))
        .send()
        .await;
    registered.assert_status(StatusCode::OK);
    let ctx = &platform.context;
    let creator_id: String = ctx
        .database()
        .query_opt(
            "SELECT id FROM users WHERE email = $1",
            &["maker@example.com".into()],
        )
        .await
        .expect("a query")
        .expect("the user")
        .get("id")
        .expect("an id");

    // An uploaded original, as upload-complete leaves it.
    let id = Uuid::new_v4();
    let key = format!("{creator_id}/originals/{id}/media.mp4");
    let clip = test_clip().await;
    let size = i64::try_from(clip.len()).expect("small");
    ctx.objects()
        .put(&key, clip, Some("video/mp4"))
        .await
        .expect("stored");
    ctx.database()
        .execute(
            "INSERT INTO media_items (id, creator_id, title, media_type, status, r2_key, \
             file_size_bytes, mime_type, upload_mode, uploaded_at) \
             VALUES ($1, $2, 'Test pattern', 'video', 'uploaded', $3, $4, 'video/mp4', 'single', now())",
            &[id.into(), creator_id.as_str().into(), key.as_str().into(), size.into()],
        )
        .await
        .expect("the item");

    codex_media::transcoding::start(ctx, id, None)
        .await
        .expect("the job starts here");
    let mut status = String::new();
    for _ in 0..600 {
        let row = ctx
            .database()
            .query_opt("SELECT status FROM media_items WHERE id = $1", &[id.into()])
            .await
            .expect("a query")
            .expect("the item");
        status = row.get("status").expect("a status");
        if status != "transcoding" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, "ready");
    let row = ctx
        .database()
        .query_opt(
            "SELECT hls_master_playlist_key, thumbnail_key, duration_seconds, width, height, \
             runpod_job_id FROM media_items WHERE id = $1",
            &[id.into()],
        )
        .await
        .expect("a query")
        .expect("the item");
    let master: String = row.get("hls_master_playlist_key").expect("a master");
    assert_eq!(master, format!("{creator_id}/hls/{id}/master.m3u8"));
    let job: String = row.get("runpod_job_id").expect("a job id");
    assert!(job.starts_with("local-"), "{job}");
    assert_eq!(row.get::<i32>("duration_seconds").expect("a length"), 3);
    assert_eq!(row.get::<i32>("width").expect("a width"), 640);
    let playlist = ctx
        .objects()
        .get(&master)
        .await
        .expect("get")
        .expect("stored");
    assert!(String::from_utf8_lossy(&playlist.bytes).contains("360p/index.m3u8"));
    let thumbnail: String = row.get("thumbnail_key").expect("a thumbnail");
    assert!(
        ctx.objects()
            .head(&thumbnail)
            .await
            .expect("head")
            .is_some()
    );
    let _ = std::fs::remove_dir_all(data_dir);
}
