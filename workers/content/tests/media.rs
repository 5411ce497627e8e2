//! The media library's routes in-process (`TestApp`, with the auth routes
//! merged in to sign users up), uploading for real to the embedded S3
//! endpoint the test kit runs: single and multipart uploads, the check at
//! `upload-complete`, what a creator may change, and who sees what.

use axum::http::StatusCode;
use codex_clock::Clock as _;
use codex_content_api::{SERVICE, routes};
use codex_testkit::{TestApp, test_config};
use serde_json::{Value, json};

const MIB: usize = 1024 * 1024;

async fn app_with(extra: &[(&str, &str)]) -> TestApp {
    let app = TestApp::with_config(
        test_config(extra),
        SERVICE,
        routes().merge(codex_auth_worker::routes()),
    )
    .await;
    // Presigned URLs are checked by the endpoint against the real time.
    let behind = chrono::Utc::now() - app.clock().now();
    app.clock().advance(behind.to_std().unwrap_or_default());
    app
}

async fn app() -> TestApp {
    app_with(&[]).await
}

/// The start of an MP4 (`ftyp`), padded to `len` bytes.
fn mp4(len: usize) -> Vec<u8> {
    let mut bytes = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41".to_vec();
    bytes.resize(len, 0x2a);
    bytes
}

async fn declare(app: &TestApp, cookie: &str, mime: &str, kind: &str, size: usize) -> Value {
    let created = app
        .post("/api/media")
        .cookie(cookie)
        .json(&json!({"title": "Night walk", "mediaType": kind, "mimeType": mime, "fileSizeBytes": size}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    created.json()["data"].clone()
}

/// PUTs `body` as the single plan says; returns the storage's status.
async fn put_single(plan: &Value, body: Vec<u8>) -> reqwest::StatusCode {
    let mut request = reqwest::Client::new()
        .put(plan["url"].as_str().expect("a URL"))
        .body(body);
    for (name, value) in plan["headers"].as_object().expect("headers") {
        request = request.header(name, value.as_str().unwrap_or_default());
    }
    request.send().await.expect("PUT").status()
}

#[tokio::test]
async fn a_single_upload_goes_straight_to_storage_and_is_checked_once_complete() {
    let app = app().await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    let media = declare(&app, &creator, "video/mp4", "video", 4096).await;
    let id = media["id"].as_str().expect("id").to_owned();
    assert_eq!(media["status"], "uploading");
    assert_eq!(media["upload"]["mode"], "single");
    assert_eq!(media["presignedUrl"], media["upload"]["url"]);
    assert_eq!(media["upload"]["headers"]["content-type"], "video/mp4");
    let key = media["r2Key"].as_str().expect("key");
    assert!(
        key.ends_with(&format!("/originals/{id}/media.mp4")),
        "{key}"
    );

    // Completing before anything is stored is refused, and changes nothing.
    let early = app
        .post(&format!("/api/media/{id}/upload-complete"))
        .cookie(&creator)
        .send()
        .await;
    early.assert_status(StatusCode::UNPROCESSABLE_ENTITY);

    assert!(put_single(&media["upload"], mp4(4096)).await.is_success());
    let complete = app
        .post(&format!("/api/media/{id}/upload-complete"))
        .cookie(&creator)
        .send()
        .await;
    complete.assert_status(StatusCode::OK);
    assert_eq!(
        complete.json()["data"],
        json!({"success": true, "status": "uploaded", "transcodingTriggered": false})
    );
    // Repeating it gives the same answer.
    let again = app
        .post(&format!("/api/media/{id}/upload-complete"))
        .cookie(&creator)
        .send()
        .await;
    again.assert_status(StatusCode::OK);
    assert_eq!(again.json()["data"], complete.json()["data"]);

    let item = app
        .get(&format!("/api/media/{id}"))
        .cookie(&creator)
        .send()
        .await;
    item.assert_status(StatusCode::OK);
    assert_eq!(item.json()["data"]["status"], "uploaded");
    assert!(item.json()["data"]["uploadedAt"].is_string());
}

#[tokio::test]
async fn a_disguised_or_short_file_is_deleted_and_the_item_waits_for_a_real_one() {
    let app = app().await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    let media = declare(&app, &creator, "video/mp4", "video", 4096).await;
    let id = media["id"].as_str().expect("id").to_owned();
    let key = media["r2Key"].as_str().expect("key").to_owned();

    // An HTML page of the declared size, sent as video/mp4.
    let mut page = b"<html><script>alert(document.cookie)</script>".to_vec();
    page.resize(4096, b' ');
    assert!(put_single(&media["upload"], page).await.is_success());
    let refused = app
        .post(&format!("/api/media/{id}/upload-complete"))
        .cookie(&creator)
        .send()
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("not video/mp4"),
        "{}",
        refused.text()
    );
    assert_eq!(app.ctx().objects().head(&key).await.expect("head"), None);

    // A real MP4 of another size than declared.
    let plan = app
        .get(&format!("/api/media/{id}/upload"))
        .cookie(&creator)
        .send()
        .await;
    plan.assert_status(StatusCode::OK);
    let plan = plan.json()["data"]["upload"].clone();
    assert!(put_single(&plan, mp4(2048)).await.is_success());
    let short = app
        .post(&format!("/api/media/{id}/upload-complete"))
        .cookie(&creator)
        .send()
        .await;
    short.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.text().contains("2048 bytes"), "{}", short.text());

    // The item still waits, and the right file then completes it.
    assert!(put_single(&plan, mp4(4096)).await.is_success());
    app.post(&format!("/api/media/{id}/upload-complete"))
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_multipart_upload_resumes_from_the_stored_parts_and_completes() {
    // Multipart from 1 MiB on, so that a 17 MiB file makes three parts.
    let app = app_with(&[("MEDIA_MULTIPART_THRESHOLD_BYTES", "1048576")]).await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    let size = 17 * MIB;
    let media = declare(&app, &creator, "video/mp4", "video", size).await;
    let id = media["id"].as_str().expect("id").to_owned();
    let upload = &media["upload"];
    assert_eq!(upload["mode"], "multipart");
    assert_eq!(upload["partSize"], 8 * MIB);
    assert_eq!(upload["partCount"], 3);
    assert!(media["presignedUrl"].is_null());
    let file = mp4(size);

    // Part numbers outside the plan, none, or too many are refused.
    for numbers in [
        json!([0]),
        json!([4]),
        json!([]),
        json!((1..=101).collect::<Vec<_>>()),
    ] {
        app.post(&format!("/api/media/{id}/upload/parts"))
            .cookie(&creator)
            .json(&json!({"partNumbers": numbers}))
            .send()
            .await
            .assert_status(StatusCode::BAD_REQUEST);
    }

    let http = reqwest::Client::new();
    let mut etags = Vec::new();
    for number in 1..=3_usize {
        // URLs are asked for one part at a time, as a resumed upload would.
        let urls = app
            .post(&format!("/api/media/{id}/upload/parts"))
            .cookie(&creator)
            .json(&json!({"partNumbers": [number]}))
            .send()
            .await;
        urls.assert_status(StatusCode::OK);
        let url = urls.json()["data"]["parts"][0]["url"]
            .as_str()
            .expect("a URL")
            .to_owned();
        let start = (number - 1) * 8 * MIB;
        let end = (start + 8 * MIB).min(size);
        let answer = http
            .put(&url)
            .body(file[start..end].to_vec())
            .send()
            .await
            .expect("PUT");
        assert!(
            answer.status().is_success(),
            "part {number}: {}",
            answer.status()
        );
        etags.push(
            answer
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
        );
        let stored = app
            .get(&format!("/api/media/{id}/upload/parts"))
            .cookie(&creator)
            .send()
            .await;
        stored.assert_status(StatusCode::OK);
        let parts = stored.json()["data"]["parts"].clone();
        assert_eq!(parts.as_array().map(Vec::len), Some(number));
        assert_eq!(parts[number - 1]["size"], end - start);
    }

    // The parts must all be listed, in order.
    app.post(&format!("/api/media/{id}/upload-complete"))
        .cookie(&creator)
        .json(&json!({"parts": [{"partNumber": 1, "etag": etags[0]}]}))
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    let parts: Vec<Value> = etags
        .iter()
        .enumerate()
        .map(|(i, etag)| json!({"partNumber": i + 1, "etag": etag}))
        .collect();
    let complete = app
        .post(&format!("/api/media/{id}/upload-complete"))
        .cookie(&creator)
        .json(&json!({"parts": parts}))
        .send()
        .await;
    complete.assert_status(StatusCode::OK);
    assert_eq!(complete.json()["data"]["status"], "uploaded");
    let key = media["r2Key"].as_str().expect("key");
    let stored = app
        .ctx()
        .objects()
        .get(key)
        .await
        .expect("get")
        .expect("joined");
    assert!(
        stored.bytes == file,
        "the stored object is the file, byte for byte"
    );
}

#[tokio::test]
async fn the_declared_file_is_checked_and_the_client_never_sets_status_or_keys() {
    let app = app().await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    let customer = app.sign_up("viewer@example.com", "customer").await;
    let valid = json!({"title": "Song", "mediaType": "audio", "mimeType": "audio/mpeg", "fileSizeBytes": 2048});
    for (change, field) in [
        (json!({"mimeType": "image/png"}), "mimeType"),
        (json!({"mimeType": "video/mp4"}), "mimeType"),
        (json!({"fileSizeBytes": 1023}), "fileSizeBytes"),
        (json!({"fileSizeBytes": 5_368_709_121_u64}), "fileSizeBytes"),
        (json!({"title": "   "}), "title"),
        (json!({"title": "x".repeat(256)}), "title"),
        (json!({"r2Key": "someone/else"}), "body"),
        (json!({"status": "ready"}), "body"),
    ] {
        let mut body = valid.clone();
        for (name, value) in change.as_object().expect("object") {
            body[name] = value.clone();
        }
        let refused = app
            .post("/api/media")
            .cookie(&creator)
            .json(&body)
            .send()
            .await;
        refused.assert_status(StatusCode::BAD_REQUEST);
        assert!(
            refused.text().contains(field),
            "{change}: {}",
            refused.text()
        );
    }
    app.post("/api/media")
        .json(&valid)
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.post("/api/media")
        .cookie(&customer)
        .json(&valid)
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);

    let media = declare(&app, &creator, "audio/mpeg", "audio", 2048).await;
    let id = media["id"].as_str().expect("id");
    for forbidden in [
        json!({"status": "ready"}),
        json!({"durationSeconds": 60}),
        json!({"hlsMasterPlaylistKey": "x"}),
        json!({"r2Key": "x"}),
    ] {
        app.patch(&format!("/api/media/{id}"))
            .cookie(&creator)
            .json(&forbidden)
            .send()
            .await
            .assert_status(StatusCode::BAD_REQUEST);
    }
    let renamed = app
        .patch(&format!("/api/media/{id}"))
        .cookie(&creator)
        .json(&json!({"title": "Song (final)", "description": "Mixed"}))
        .send()
        .await;
    renamed.assert_status(StatusCode::OK);
    assert_eq!(renamed.json()["data"]["title"], "Song (final)");
    assert_eq!(renamed.json()["data"]["description"], "Mixed");
    assert_eq!(renamed.json()["data"]["status"], "uploading");
    let cleared = app
        .patch(&format!("/api/media/{id}"))
        .cookie(&creator)
        .json(&json!({"description": null}))
        .send()
        .await;
    assert_eq!(cleared.json()["data"]["description"], Value::Null);
    assert_eq!(cleared.json()["data"]["title"], "Song (final)");
}

#[tokio::test]
async fn another_user_cannot_see_or_touch_a_creators_media() {
    let app = app_with(&[("MEDIA_MULTIPART_THRESHOLD_BYTES", "1048576")]).await;
    let owner = app.sign_up("maker@example.com", "creator").await;
    let other = app.sign_up("rival@example.com", "creator").await;
    let customer = app.sign_up("viewer@example.com", "customer").await;
    let media = declare(&app, &owner, "video/mp4", "video", 2 * MIB).await;
    let id = media["id"].as_str().expect("id").to_owned();

    for cookie in [&other, &customer] {
        let get = app
            .get(&format!("/api/media/{id}"))
            .cookie(cookie)
            .send()
            .await;
        get.assert_status(StatusCode::NOT_FOUND);
        let listed = app.get("/api/media").cookie(cookie).send().await;
        listed.assert_status(StatusCode::OK);
        assert_eq!(listed.json()["items"], json!([]));
    }
    let not_found = [
        app.patch(&format!("/api/media/{id}"))
            .cookie(&other)
            .json(&json!({"title": "Mine now"}))
            .send()
            .await,
        app.post(&format!("/api/media/{id}/upload/parts"))
            .cookie(&other)
            .json(&json!({"partNumbers": [1]}))
            .send()
            .await,
        app.get(&format!("/api/media/{id}/upload/parts"))
            .cookie(&other)
            .send()
            .await,
        app.post(&format!("/api/media/{id}/upload-complete"))
            .cookie(&other)
            .send()
            .await,
        app.delete(&format!("/api/media/{id}/upload"))
            .cookie(&other)
            .send()
            .await,
        app.delete(&format!("/api/media/{id}"))
            .cookie(&other)
            .send()
            .await,
    ];
    for response in not_found {
        response.assert_status(StatusCode::NOT_FOUND);
    }
    let listed = app.get("/api/media").cookie(&owner).send().await;
    assert_eq!(listed.json()["pagination"]["total"], 1);
    assert_eq!(listed.json()["items"][0]["title"], "Night walk");
}

#[tokio::test]
async fn deleting_media_removes_what_was_stored_and_nothing_is_left_to_retry() {
    let app = app().await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    let media = declare(&app, &creator, "video/mp4", "video", 4096).await;
    let id = media["id"].as_str().expect("id").to_owned();
    assert!(put_single(&media["upload"], mp4(4096)).await.is_success());
    let key = media["r2Key"].as_str().expect("key").to_owned();
    let creator_id = media["creatorId"].as_str().expect("creator").to_owned();
    // What transcoding would leave beside it.
    let hls = format!("{creator_id}/hls/{id}/720p/index.m3u8");
    app.ctx()
        .objects()
        .put(&hls, b"#EXTM3U".to_vec(), None)
        .await
        .expect("put");

    app.delete(&format!("/api/media/{id}"))
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.get(&format!("/api/media/{id}"))
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(app.ctx().objects().head(&key).await.expect("head"), None);
    assert_eq!(app.ctx().objects().head(&hls).await.expect("head"), None);
    let pending = app
        .ctx()
        .database()
        .query("SELECT id FROM storage_removals", &[])
        .await
        .expect("query");
    assert!(
        pending.is_empty(),
        "every removal succeeded and was cleared"
    );
}

#[tokio::test]
async fn an_account_with_media_cannot_be_deleted_until_the_media_are() {
    let app = TestApp::with_config(
        test_config(&[]),
        SERVICE,
        routes()
            .merge(codex_auth_worker::routes())
            .merge(codex_identity_api::routes()),
    )
    .await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    let media = declare(&app, &creator, "audio/ogg", "audio", 2048).await;
    let id = media["id"].as_str().expect("id");

    let refused = app
        .delete("/api/user/account")
        .cookie(&creator)
        .json(&json!({"confirmation": "DELETE"}))
        .send()
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.json()["error"]["details"]["code"],
        "ACCOUNT_HAS_MEDIA"
    );
    app.get(&format!("/api/media/{id}"))
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::OK);

    app.delete(&format!("/api/media/{id}"))
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let deleted = app
        .delete("/api/user/account")
        .cookie(&creator)
        .json(&json!({"confirmation": "DELETE"}))
        .send()
        .await;
    assert!(deleted.status.is_success(), "{}", deleted.text());
}

#[tokio::test]
async fn an_upload_left_unfinished_for_a_day_is_given_up_by_the_upkeep() {
    let app = app_with(&[("MEDIA_MULTIPART_THRESHOLD_BYTES", "1048576")]).await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    let finished = declare(&app, &creator, "video/mp4", "video", 4096).await;
    let finished_id = finished["id"].as_str().expect("id").to_owned();
    assert!(
        put_single(&finished["upload"], mp4(4096))
            .await
            .is_success()
    );
    app.post(&format!("/api/media/{finished_id}/upload-complete"))
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::OK);
    let abandoned = declare(&app, &creator, "video/mp4", "video", 2 * MIB).await;
    let abandoned_id = abandoned["id"].as_str().expect("id").to_owned();

    // Within the day nothing is swept.
    app.clock()
        .advance(std::time::Duration::from_secs(23 * 3600));
    codex_media::maintain(app.ctx()).await;
    app.get(&format!("/api/media/{abandoned_id}"))
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::OK);

    app.clock()
        .advance(std::time::Duration::from_secs(2 * 3600));
    codex_media::maintain(app.ctx()).await;
    app.get(&format!("/api/media/{abandoned_id}"))
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    app.get(&format!("/api/media/{finished_id}"))
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::OK);
    let pending = app
        .ctx()
        .database()
        .query("SELECT id FROM storage_removals", &[])
        .await
        .expect("query");
    assert!(
        pending.is_empty(),
        "the abandoned upload's removal was carried out"
    );
}

#[tokio::test]
async fn a_file_sent_through_the_service_is_stored_in_parts_and_checked() {
    let app = app().await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    // Above one 8 MiB part, so the body is stored as two.
    let size = 9 * MIB + 5;
    let media = declare(&app, &creator, "video/mp4", "video", size).await;
    let id = media["id"].as_str().expect("id").to_owned();
    let key = media["r2Key"].as_str().expect("key").to_owned();
    let path = format!("/api/media/{id}/upload");

    // Refused before a byte is stored: another type, another length.
    app.post(&path)
        .cookie(&creator)
        .body(mp4(size), "application/octet-stream")
        .send()
        .await
        .assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    app.post(&path)
        .cookie(&creator)
        .body(mp4(size - 1), "video/mp4")
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert!(
        app.ctx()
            .objects()
            .head(&key)
            .await
            .expect("head")
            .is_none()
    );
    // Another user's item, and no session.
    let other = app.sign_up("other@example.com", "creator").await;
    app.post(&path)
        .cookie(&other)
        .body(mp4(size), "video/mp4")
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    app.post(&path)
        .body(mp4(size), "video/mp4")
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);

    let file = mp4(size);
    let sent = app
        .post(&path)
        .cookie(&creator)
        .body(file.clone(), "video/mp4")
        .send()
        .await;
    sent.assert_status(StatusCode::OK);
    assert_eq!(
        sent.json()["data"],
        json!({"success": true, "r2Key": key, "status": "uploaded"})
    );
    let stored = app
        .ctx()
        .objects()
        .get(&key)
        .await
        .expect("get")
        .expect("stored");
    assert!(stored.bytes == file, "the stored object is the body");
    assert_eq!(stored.content_type.as_deref(), Some("video/mp4"));
    // The web app calls upload-complete next: the same outcome.
    let complete = app
        .post(&format!("/api/media/{id}/upload-complete"))
        .cookie(&creator)
        .send()
        .await;
    complete.assert_status(StatusCode::OK);
    assert_eq!(complete.json()["data"]["status"], "uploaded");
    // Once uploaded, the route is closed.
    app.post(&path)
        .cookie(&creator)
        .body(mp4(size), "video/mp4")
        .send()
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_disguised_body_is_refused_and_a_large_file_must_go_straight_to_storage() {
    let app = app().await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    let media = declare(&app, &creator, "audio/mpeg", "audio", 4096).await;
    let id = media["id"].as_str().expect("id").to_owned();
    let key = media["r2Key"].as_str().expect("key").to_owned();
    // An MP4 sent as MP3: stored, found out, deleted; the item still waits.
    let refused = app
        .post(&format!("/api/media/{id}/upload"))
        .cookie(&creator)
        .body(mp4(4096), "audio/mpeg")
        .send()
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        app.ctx()
            .objects()
            .head(&key)
            .await
            .expect("head")
            .is_none()
    );
    let item = app
        .get(&format!("/api/media/{id}"))
        .cookie(&creator)
        .send()
        .await;
    assert_eq!(item.json()["data"]["status"], "uploading");
    // Nothing of the service's upload is left on the item to resume.
    assert!(item.json()["data"]["uploadId"].is_null());
    // A real MP3 start then goes through.
    let mut mp3 = b"ID3\x04\0\0\0\0\0\0".to_vec();
    mp3.resize(4096, 0);
    app.post(&format!("/api/media/{id}/upload"))
        .cookie(&creator)
        .body(mp3, "audio/mpeg")
        .send()
        .await
        .assert_status(StatusCode::OK);

    let large = declare(&app, &creator, "video/mp4", "video", 96 * MIB).await;
    let large_id = large["id"].as_str().expect("id");
    app.post(&format!("/api/media/{large_id}/upload"))
        .cookie(&creator)
        .header("content-type", "video/mp4")
        .send()
        .await
        .assert_status(StatusCode::PAYLOAD_TOO_LARGE);
}
