//! Transcoding in-process (`TestApp`, with the auth routes merged in to
//! sign users up) against a RunPod stand-in on a local port: starting a
//! job, a refused dispatch and its retry, the retry limit, the status, the
//! transcoder's signed callbacks (in order, repeated, late, forged, for
//! another item), RunPod's own webhook, the sweep of silent jobs, and
//! `upload-complete` on the content service starting the job.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use codex_clock::Clock as _;
use codex_media_api::{SERVICE, routes};
use codex_signature::transcoder::{sign_callback, webhook_token};
use codex_testkit::runpod::StandIn;
use codex_testkit::{TestApp, TestResponse, test_config};
use serde_json::{Value, json};
use uuid::Uuid;

const RUNPOD_KEY: &str = "rp-test-key";
const SECRET: &str = "runpod-webhook-secret";
const WORKER_SECRET: &str = "test-worker-secret";
const MEDIA_URL: &str = "https://media.example.com";

struct Scene {
    app: TestApp,
    runpod: StandIn,
    cookie: String,
    creator_id: String,
}

async fn runpod() -> (StandIn, String) {
    let (runpod, address) = StandIn::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        RUNPOD_KEY,
        &["ep-video", "ep-audio"],
    )
    .await
    .expect("the RunPod stand-in starts");
    (runpod, format!("http://{address}"))
}

fn settings<'a>(runpod_url: &'a str, media_url: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("RUNPOD_API_KEY", RUNPOD_KEY),
        ("RUNPOD_ENDPOINT_ID", "ep-video"),
        ("RUNPOD_AUDIO_ENDPOINT_ID", "ep-audio"),
        ("RUNPOD_API_URL", runpod_url),
        ("RUNPOD_WEBHOOK_SECRET", SECRET),
        ("MEDIA_API_URL", media_url),
    ]
}

async fn user_id(app: &TestApp, email: &str) -> String {
    app.ctx()
        .database()
        .query_opt("SELECT id FROM users WHERE email = $1", &[email.into()])
        .await
        .expect("a query")
        .expect("the user")
        .get("id")
        .expect("an id")
}

async fn scene() -> Scene {
    let (runpod, url) = runpod().await;
    let app = TestApp::with_config(
        test_config(&settings(&url, MEDIA_URL)),
        SERVICE,
        routes().merge(codex_auth_worker::routes()),
    )
    .await;
    let cookie = app.sign_up("maker@example.com", "creator").await;
    let creator_id = user_id(&app, "maker@example.com").await;
    Scene {
        app,
        runpod,
        cookie,
        creator_id,
    }
}

/// An `uploaded` item of `kind` (video or audio), set in place.
async fn uploaded(app: &TestApp, creator_id: &str, kind: &str) -> Uuid {
    let id = Uuid::new_v4();
    let (extension, mime) = match kind {
        "audio" => ("mp3", "audio/mpeg"),
        _ => ("mp4", "video/mp4"),
    };
    app.ctx()
        .database()
        .execute(
            "INSERT INTO media_items (id, creator_id, title, media_type, status, r2_key, \
             file_size_bytes, mime_type, upload_mode, uploaded_at, created_at, updated_at) \
             VALUES ($1, $2, 'Night walk', $3, 'uploaded', $4, 4096, $5, 'single', $6, $6, $6)",
            &[
                id.into(),
                creator_id.into(),
                kind.into(),
                format!("{creator_id}/originals/{id}/media.{extension}").into(),
                mime.into(),
                app.clock().now().into(),
            ],
        )
        .await
        .expect("inserted");
    id
}

/// The item's row, as JSON with the columns' names.
async fn row(app: &TestApp, id: Uuid) -> Value {
    app.ctx()
        .database()
        .query_opt(
            "SELECT row_to_json(m)::jsonb AS item FROM media_items m WHERE id = $1",
            &[id.into()],
        )
        .await
        .expect("a query")
        .expect("the item")
        .get("item")
        .expect("JSON")
}

async fn set(app: &TestApp, id: Uuid, assignments: &str) {
    app.ctx()
        .database()
        .execute(
            &format!("UPDATE media_items SET {assignments} WHERE id = $1"),
            &[id.into()],
        )
        .await
        .expect("updated");
}

/// `POST /internal/media/:id/transcode`, signed as the content service
/// signs it.
async fn trigger(app: &TestApp, id: Uuid, body: &Value) -> TestResponse {
    let bytes = serde_json::to_vec(body).expect("JSON");
    let timestamp = app.clock().now().timestamp();
    let signature = codex_context::signature::sign(WORKER_SECRET.as_bytes(), timestamp, &bytes);
    app.post(&format!("/internal/media/{id}/transcode"))
        .header("x-worker-timestamp", &timestamp.to_string())
        .header("x-worker-signature", &signature)
        .body(bytes, "application/json")
        .send()
        .await
}

/// Starts the item's job; its RunPod id.
async fn started(scene: &Scene, id: Uuid) -> String {
    trigger(&scene.app, id, &json!({}))
        .await
        .assert_status(StatusCode::OK);
    row(&scene.app, id).await["runpod_job_id"]
        .as_str()
        .expect("a job id")
        .to_owned()
}

/// A callback signed `skew` seconds off the clock.
async fn signed_callback(app: &TestApp, body: &Value, skew: i64) -> TestResponse {
    let bytes = serde_json::to_vec(body).expect("JSON");
    let timestamp = app.clock().now().timestamp() + skew;
    app.post("/api/transcoding/webhook")
        .header("x-runpod-timestamp", &timestamp.to_string())
        .header(
            "x-runpod-signature",
            &sign_callback(SECRET.as_bytes(), timestamp, &bytes),
        )
        .body(bytes, "application/json")
        .send()
        .await
}

async fn callback(app: &TestApp, body: &Value) -> TestResponse {
    let response = signed_callback(app, body, 0).await;
    response.assert_status(StatusCode::OK);
    response
}

fn completed(job_id: &str, creator_id: &str, id: Uuid) -> Value {
    json!({
        "status": "completed",
        "jobId": job_id,
        "output": {
            "mediaId": id,
            "type": "video",
            "hlsMasterKey": format!("{creator_id}/hls/{id}/master.m3u8"),
            "hlsPreviewKey": format!("{creator_id}/hls/{id}/preview/preview.m3u8"),
            "thumbnailKey": format!("{creator_id}/thumbnails/{id}/auto-generated.jpg"),
            "mezzanineKey": format!("{creator_id}/mezzanine/{id}/mezzanine.mp4"),
            "thumbnailVariants": {"sm": "a", "md": "b", "lg": "c"},
            "durationSeconds": 754,
            "width": 1280,
            "height": 720,
            "readyVariants": ["720p", "480p"],
            "loudnessIntegrated": -1600,
            "loudnessPeak": -150,
            "loudnessRange": 700,
            "encoder": "h264_nvenc"
        }
    })
}

#[tokio::test]
async fn a_job_is_sent_to_runpod_with_the_contracts_input_and_its_id_kept() {
    let scene = scene().await;
    let app = &scene.app;
    let id = uploaded(app, &scene.creator_id, "video").await;

    let answer = trigger(app, id, &json!({"priority": 3, "creatorId": "ignored"})).await;
    answer.assert_status(StatusCode::OK);
    assert_eq!(
        answer.json()["data"],
        json!({"message": "Transcoding job triggered", "mediaId": id})
    );
    let jobs = scene.runpod.jobs();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job.endpoint, "ep-video");
    let mut input = job.body["input"].clone();
    let storage = input
        .as_object_mut()
        .and_then(|input| input.remove("storage"))
        .expect("presigned storage access");
    // Every file the ladder can make, under this item's prefixes only,
    // each with a signed PUT of its type and a signed DELETE.
    let outputs = storage["outputs"].as_object().expect("outputs");
    assert_eq!(outputs.len(), 16, "{:?}", outputs.keys());
    for (path, target) in outputs {
        let key = target["key"].as_str().expect("a key");
        let folder = if path.starts_with("thumbnails/") {
            "media-thumbnails"
        } else {
            "hls"
        };
        assert!(
            key.starts_with(&format!("{}/{folder}/{id}/", scene.creator_id)),
            "{path}: {key}"
        );
        for method in ["put", "delete"] {
            let url = target[method].as_str().expect("a URL");
            assert!(
                url.contains(key) && url.contains("X-Amz-Signature="),
                "{path} {method}"
            );
        }
        assert!(target["putHeaders"]["content-type"].is_string(), "{path}");
    }
    assert_eq!(
        outputs["thumbnails/lg.webp"]["putHeaders"]["content-type"],
        "image/webp"
    );
    let source = storage["source"].as_str().expect("the original's URL");
    assert!(source.contains(&format!("{}/originals/{id}/media.mp4", scene.creator_id)));
    assert!(source.contains("x-id=GetObject"), "{source}");
    assert_eq!(
        input,
        json!({
            "mediaId": id,
            "type": "video",
            "creatorId": scene.creator_id,
            "inputKey": format!("{}/originals/{id}/media.mp4", scene.creator_id),
            "webhookUrl": format!("{MEDIA_URL}/api/transcoding/webhook"),
            "priority": 3,
        })
    );
    // The length is unknown before transcoding: an hour, and two more to live.
    assert_eq!(job.body["policy"]["executionTimeout"], 3_600_000);
    assert_eq!(job.body["policy"]["ttl"], 3_600_000 + 7_200_000);
    assert_eq!(
        job.body["webhook"],
        format!(
            "{MEDIA_URL}/api/transcoding/runpod-webhook/{id}?token={}",
            webhook_token(SECRET.as_bytes(), &id.to_string())
        )
    );
    let item = row(app, id).await;
    assert_eq!(item["status"], "transcoding");
    assert_eq!(item["runpod_job_id"], job.id.as_str());
    assert_eq!(item["transcoding_progress"], 0);
    assert_eq!(item["transcoding_priority"], 3);

    // Only from `uploaded`.
    let again = trigger(app, id, &json!({})).await;
    again.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        again.json()["error"]["details"]["code"],
        "INVALID_MEDIA_STATE"
    );
    assert_eq!(scene.runpod.jobs().len(), 1);

    // Audio goes to the audio endpoint; a bad priority and an unsigned
    // call are refused.
    let audio = uploaded(app, &scene.creator_id, "audio").await;
    trigger(app, audio, &json!({"priority": 5}))
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    app.post(&format!("/internal/media/{audio}/transcode"))
        .json(&json!({}))
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(row(app, audio).await["status"], "uploaded");
    trigger(app, audio, &json!({}))
        .await
        .assert_status(StatusCode::OK);
    let jobs = scene.runpod.jobs();
    assert_eq!(jobs[1].endpoint, "ep-audio");
    assert_eq!(jobs[1].body["input"]["type"], "audio");
    assert_eq!(jobs[1].body["input"]["priority"], 2);

    // Someone else's or nobody's item.
    trigger(app, Uuid::new_v4(), &json!({}))
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_the_transcoders_settings_nothing_changes() {
    let app = TestApp::with_config(
        test_config(&[("RUNPOD_WEBHOOK_SECRET", SECRET)]),
        SERVICE,
        routes().merge(codex_auth_worker::routes()),
    )
    .await;
    app.sign_up("maker@example.com", "creator").await;
    let creator_id = user_id(&app, "maker@example.com").await;
    let id = uploaded(&app, &creator_id, "video").await;
    let refused = trigger(&app, id, &json!({})).await;
    refused.assert_status(StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(refused.error_code().as_deref(), Some("CONFIGURATION_ERROR"));
    assert_eq!(row(&app, id).await["status"], "uploaded");
}

#[tokio::test]
async fn a_refused_dispatch_fails_the_item_and_a_retry_sends_it_again() {
    let scene = scene().await;
    let app = &scene.app;
    let id = uploaded(app, &scene.creator_id, "video").await;

    scene.runpod.refuse(true);
    let refused = trigger(app, id, &json!({})).await;
    assert!(refused.status.is_server_error(), "{}", refused.text());
    let item = row(app, id).await;
    assert_eq!(item["status"], "failed");
    assert_eq!(item["runpod_job_id"], Value::Null);
    assert_eq!(item["transcoding_attempts"], 0);
    let error = item["transcoding_error"].as_str().expect("an error");
    assert!(error.contains("could not be started"), "{error}");
    assert!(!error.contains(RUNPOD_KEY), "{error}");

    // The status says so, to the creator only.
    let status = app
        .get(&format!("/api/transcoding/status/{id}"))
        .cookie(&scene.cookie)
        .send()
        .await;
    status.assert_status(StatusCode::OK);
    assert_eq!(status.json()["data"]["status"], "failed");
    assert_eq!(status.json()["data"]["transcodingError"], error);
    let other = app.sign_up("other@example.com", "creator").await;
    for path in [
        format!("/api/transcoding/status/{id}"),
        format!("/api/transcoding/retry/{id}"),
    ] {
        let request = if path.contains("retry") {
            app.post(&path)
        } else {
            app.get(&path)
        };
        request
            .cookie(&other)
            .send()
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    app.post(&format!("/api/transcoding/retry/{id}"))
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);

    scene.runpod.refuse(false);
    let retried = app
        .post(&format!("/api/transcoding/retry/{id}"))
        .cookie(&scene.cookie)
        .send()
        .await;
    retried.assert_status(StatusCode::OK);
    assert_eq!(
        retried.json()["data"],
        json!({"message": "Transcoding retry triggered", "mediaId": id})
    );
    let item = row(app, id).await;
    assert_eq!(item["status"], "transcoding");
    assert_eq!(item["transcoding_attempts"], 1);
    assert_eq!(item["transcoding_error"], Value::Null);
    assert_eq!(item["runpod_job_id"], scene.runpod.jobs()[0].id.as_str());

    let status = app
        .get(&format!("/api/transcoding/status/{id}"))
        .cookie(&scene.cookie)
        .send()
        .await;
    assert_eq!(
        status.json()["data"],
        json!({
            "status": "transcoding",
            "transcodingAttempts": 1,
            "transcodingError": null,
            "runpodJobId": scene.runpod.jobs()[0].id,
            "transcodingPriority": 2,
            "transcodingProgress": 0,
            "transcodingStep": null,
            "readyVariants": null,
        })
    );
}

#[tokio::test]
async fn a_retry_needs_a_failed_item_with_attempts_left() {
    let scene = scene().await;
    let app = &scene.app;
    let id = uploaded(app, &scene.creator_id, "video").await;
    let retry = || {
        app.post(&format!("/api/transcoding/retry/{id}"))
            .cookie(&scene.cookie)
            .send()
    };

    let not_failed = retry().await;
    not_failed.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        not_failed.json()["error"]["details"]["code"],
        "INVALID_MEDIA_STATE"
    );

    set(app, id, "status = 'failed', transcoding_attempts = 3").await;
    let spent = retry().await;
    spent.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        spent.json()["error"]["details"]["code"],
        "MAX_RETRIES_EXCEEDED"
    );
    assert!(scene.runpod.jobs().is_empty());

    set(app, id, "transcoding_attempts = 2").await;
    retry().await.assert_status(StatusCode::OK);
    assert_eq!(row(app, id).await["transcoding_attempts"], 3);

    // A deleted item is nobody's.
    set(app, id, "status = 'failed', deleted_at = now()").await;
    retry().await.assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn progress_then_completion_makes_the_item_ready_once() {
    let scene = scene().await;
    let app = &scene.app;
    let id = uploaded(app, &scene.creator_id, "video").await;
    let job = started(&scene, id).await;

    let progress = |value: i64, step: &str| json!({"status": "progress", "jobId": job, "progress": value, "step": step, "mediaId": id});
    let answer = callback(app, &progress(40, "encoding_variants")).await;
    assert_eq!(answer.json(), json!({"received": true}));
    // A late, lower figure does not take it back.
    callback(app, &progress(10, "probing")).await;
    let item = row(app, id).await;
    assert_eq!(item["transcoding_progress"], 40);
    assert_eq!(item["transcoding_step"], "encoding_variants");

    let done = completed(&job, &scene.creator_id, id);
    assert_eq!(callback(app, &done).await.json(), json!({"received": true}));
    let item = row(app, id).await;
    assert_eq!(item["status"], "ready");
    assert_eq!(
        item["hls_master_playlist_key"],
        format!("{}/hls/{id}/master.m3u8", scene.creator_id)
    );
    assert_eq!(item["duration_seconds"], 754);
    assert_eq!(
        (item["width"].clone(), item["height"].clone()),
        (json!(1280), json!(720))
    );
    assert_eq!(item["ready_variants"], json!(["720p", "480p"]));
    assert_eq!(item["loudness_integrated"], -1600);
    assert_eq!(item["mezzanine_status"], "ready");
    assert_eq!(item["transcoding_progress"], 100);
    assert_eq!(item["transcoding_step"], Value::Null);

    // The creator hears of it.
    let mail = codex_mail::read_outbox(app.ctx().database(), "maker@example.com", 20)
        .await
        .expect("the outbox");
    let ready: Vec<_> = mail
        .iter()
        .filter(|message| message.subject.contains("ready"))
        .collect();
    assert_eq!(ready.len(), 1, "{mail:?}");
    assert!(ready[0].subject.contains("Night walk"));

    // A repeated completion, a late progress or failure change nothing.
    let before = row(app, id).await;
    callback(app, &done).await;
    callback(app, &progress(60, "thumbnails")).await;
    callback(
        app,
        &json!({"status": "failed", "jobId": job, "error": "late"}),
    )
    .await;
    assert_eq!(row(app, id).await, before);
    let mail = codex_mail::read_outbox(app.ctx().database(), "maker@example.com", 20)
        .await
        .expect("the outbox");
    assert_eq!(
        mail.iter().filter(|m| m.subject.contains("ready")).count(),
        1
    );
}

#[tokio::test]
async fn a_completion_that_is_not_playable_is_a_failure() {
    let scene = scene().await;
    let app = &scene.app;

    // No variants at all.
    let id = uploaded(app, &scene.creator_id, "video").await;
    let job = started(&scene, id).await;
    let mut done = completed(&job, &scene.creator_id, id);
    done["output"]["readyVariants"] = json!([]);
    callback(app, &done).await;
    let item = row(app, id).await;
    assert_eq!(item["status"], "failed");
    assert_eq!(
        item["transcoding_error"],
        "Transcoding completed but produced no playable variants"
    );
    assert_eq!(item["transcoding_attempts"], 1);

    // No thumbnail for a video.
    let id = uploaded(app, &scene.creator_id, "video").await;
    let job = started(&scene, id).await;
    let mut done = completed(&job, &scene.creator_id, id);
    done["output"]
        .as_object_mut()
        .expect("an object")
        .remove("thumbnailKey");
    callback(app, &done).await;
    let item = row(app, id).await;
    assert_eq!(item["status"], "failed");
    assert!(
        item["transcoding_error"]
            .as_str()
            .is_some_and(|e| e.contains("thumbnail")),
        "{item}"
    );

    // A failure reported by the transcoder, its error cut to 2,000
    // characters; attempts never pass three.
    let id = uploaded(app, &scene.creator_id, "video").await;
    let job = started(&scene, id).await;
    set(app, id, "transcoding_attempts = 3").await;
    let long = "é".repeat(2500);
    callback(
        app,
        &json!({"status": "failed", "jobId": job, "error": long, "mediaId": id}),
    )
    .await;
    let item = row(app, id).await;
    assert_eq!(item["status"], "failed");
    assert_eq!(
        item["transcoding_error"]
            .as_str()
            .map(|e| e.chars().count()),
        Some(2000)
    );
    assert_eq!(item["transcoding_attempts"], 3);
}

#[tokio::test]
async fn callbacks_out_of_the_contract_are_answered_and_change_nothing() {
    let scene = scene().await;
    let app = &scene.app;
    let id = uploaded(app, &scene.creator_id, "video").await;
    let job = started(&scene, id).await;
    let before = row(app, id).await;

    let mut wide = completed(&job, &scene.creator_id, id);
    wide["output"]["width"] = json!(7681);
    let mut elsewhere = completed(&job, &scene.creator_id, id);
    elsewhere["output"]["hlsMasterKey"] = json!("someone-else/hls/x/master.m3u8");
    for body in [
        wide,
        elsewhere,
        json!({"status": "progress", "jobId": job, "progress": 101, "step": "probing"}),
        json!({"status": "progress", "jobId": job, "progress": 5, "step": "dancing"}),
        json!({"status": "paused", "jobId": job}),
        json!({"jobId": job}),
    ] {
        let answer = callback(app, &body).await;
        assert_eq!(answer.json()["received"], true, "{body}");
        assert!(
            answer.json()["error"].is_string(),
            "{body}: {}",
            answer.text()
        );
    }
    let not_json = app
        .post("/api/transcoding/webhook")
        .header(
            "x-runpod-timestamp",
            &app.clock().now().timestamp().to_string(),
        )
        .header(
            "x-runpod-signature",
            &sign_callback(SECRET.as_bytes(), app.clock().now().timestamp(), b"{"),
        )
        .body(b"{".to_vec(), "application/json")
        .send()
        .await;
    not_json.assert_status(StatusCode::OK);
    assert!(not_json.json()["error"].is_string());
    assert_eq!(row(app, id).await, before);
}

#[tokio::test]
async fn callbacks_for_another_item_an_unknown_job_or_a_deleted_item_change_nothing() {
    let scene = scene().await;
    let app = &scene.app;
    let id = uploaded(app, &scene.creator_id, "video").await;
    let job = started(&scene, id).await;
    let other = uploaded(app, &scene.creator_id, "video").await;
    let other_job = started(&scene, other).await;
    let before = (row(app, id).await, row(app, other).await);

    // The job of one item, naming the other.
    callback(
        app,
        &json!({"status": "failed", "jobId": job, "mediaId": other}),
    )
    .await;
    callback(app, &completed(&job, &scene.creator_id, other)).await;
    callback(
        app,
        &json!({"status": "progress", "jobId": other_job, "progress": 50, "step": "probing", "mediaId": id}),
    )
    .await;
    // A job nobody has.
    callback(app, &completed("job-unknown", &scene.creator_id, id)).await;
    callback(app, &json!({"status": "failed", "jobId": "job-unknown"})).await;
    assert_eq!((row(app, id).await, row(app, other).await), before);

    // A deleted item.
    set(app, id, "deleted_at = now()").await;
    let deleted = row(app, id).await;
    callback(app, &completed(&job, &scene.creator_id, id)).await;
    callback(app, &json!({"status": "failed", "jobId": job})).await;
    assert_eq!(row(app, id).await, deleted);
}

#[tokio::test]
async fn unsigned_forged_stale_or_early_callbacks_are_refused() {
    let scene = scene().await;
    let app = &scene.app;
    let id = uploaded(app, &scene.creator_id, "video").await;
    let job = started(&scene, id).await;
    let before = row(app, id).await;
    let body = completed(&job, &scene.creator_id, id);
    let bytes = serde_json::to_vec(&body).expect("JSON");
    let now = app.clock().now().timestamp();

    let stale = signed_callback(app, &body, -301).await;
    let early = signed_callback(app, &body, 61).await;
    let forged = app
        .post("/api/transcoding/webhook")
        .header("x-runpod-timestamp", &now.to_string())
        .header(
            "x-runpod-signature",
            &sign_callback(b"another-secret", now, &bytes),
        )
        .body(bytes.clone(), "application/json")
        .send()
        .await;
    let tampered = {
        let signature = sign_callback(SECRET.as_bytes(), now, &bytes);
        let mut other = body.clone();
        other["output"]["durationSeconds"] = json!(1);
        app.post("/api/transcoding/webhook")
            .header("x-runpod-timestamp", &now.to_string())
            .header("x-runpod-signature", &signature)
            .json(&other)
            .send()
            .await
    };
    let unsigned = app
        .post("/api/transcoding/webhook")
        .header("x-runpod-timestamp", &now.to_string())
        .json(&body)
        .send()
        .await;
    let undated = app
        .post("/api/transcoding/webhook")
        .header(
            "x-runpod-signature",
            &sign_callback(SECRET.as_bytes(), now, &bytes),
        )
        .body(bytes.clone(), "application/json")
        .send()
        .await;
    for (answer, code) in [
        (stale, "TIMESTAMP_EXPIRED"),
        (early, "TIMESTAMP_FUTURE"),
        (forged, "INVALID_SIGNATURE"),
        (tampered, "INVALID_SIGNATURE"),
        (unsigned, "MISSING_SIGNATURE"),
        (undated, "MISSING_TIMESTAMP"),
    ] {
        answer.assert_status(StatusCode::UNAUTHORIZED);
        assert_eq!(answer.json()["error"]["details"]["code"], code);
    }
    // Within the window on both sides it is taken.
    assert_eq!(row(app, id).await, before);
    signed_callback(app, &body, -300)
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(row(app, id).await["status"], "ready");

    // A body over 64 KiB is not read.
    let huge = vec![b' '; 64 * 1024 + 1];
    app.post("/api/transcoding/webhook")
        .header("x-runpod-timestamp", &now.to_string())
        .header(
            "x-runpod-signature",
            &sign_callback(SECRET.as_bytes(), now, &huge),
        )
        .body(huge, "application/json")
        .send()
        .await
        .assert_status(StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn runpods_own_webhook_needs_the_items_token_and_fails_the_job() {
    let scene = scene().await;
    let app = &scene.app;
    let id = uploaded(app, &scene.creator_id, "video").await;
    let job = started(&scene, id).await;
    let token = webhook_token(SECRET.as_bytes(), &id.to_string());
    let other_token = webhook_token(SECRET.as_bytes(), &Uuid::new_v4().to_string());
    let path = |token: &str| format!("/api/transcoding/runpod-webhook/{id}?token={token}");

    for bad in [
        path(&other_token),
        path(""),
        format!("/api/transcoding/runpod-webhook/{id}"),
    ] {
        app.post(&bad)
            .json(&json!({"id": job, "status": "FAILED"}))
            .send()
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
    // Done, still running, or another job: nothing changes.
    for body in [
        json!({"id": job, "status": "COMPLETED", "output": {"ok": true}}),
        json!({"id": job, "status": "IN_PROGRESS"}),
        json!({"id": "job-other", "status": "FAILED"}),
    ] {
        let answer = app.post(&path(&token)).json(&body).send().await;
        answer.assert_status(StatusCode::OK);
        assert_eq!(answer.json(), json!({"received": true}));
    }
    assert_eq!(row(app, id).await["status"], "transcoding");

    app.post(&path(&token))
        .json(&json!({"id": job, "status": "TIMED_OUT", "error": "execution timeout", "delayTime": 12}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    let item = row(app, id).await;
    assert_eq!(item["status"], "failed");
    assert_eq!(
        item["transcoding_error"],
        "RunPod reported the job TIMED_OUT: execution timeout"
    );
    assert_eq!(item["transcoding_attempts"], 1);
}

#[tokio::test]
async fn the_sweep_fails_jobs_silent_for_two_hours() {
    let scene = scene().await;
    let app = &scene.app;
    let quiet = uploaded(app, &scene.creator_id, "video").await;
    started(&scene, quiet).await;
    let busy = uploaded(app, &scene.creator_id, "video").await;
    let busy_job = started(&scene, busy).await;

    app.clock().advance(Duration::from_secs(100 * 60));
    callback(
        app,
        &json!({"status": "progress", "jobId": busy_job, "progress": 30, "step": "encoding_variants"}),
    )
    .await;
    assert_eq!(
        codex_flows::transcoding::sweep_stuck(app.ctx())
            .await
            .expect("swept"),
        0
    );
    app.clock().advance(Duration::from_secs(21 * 60));
    assert_eq!(
        codex_flows::transcoding::sweep_stuck(app.ctx())
            .await
            .expect("swept"),
        1
    );
    let item = row(app, quiet).await;
    assert_eq!(item["status"], "failed");
    assert_eq!(
        item["transcoding_error"],
        "Stuck in transcoding for over 120 minutes — no webhook received"
    );
    assert_eq!(item["transcoding_attempts"], 1);
    assert_eq!(row(app, busy).await["status"], "transcoding");
    let mail = codex_mail::read_outbox(app.ctx().database(), "maker@example.com", 20)
        .await
        .expect("the outbox");
    assert!(
        mail.iter()
            .any(|m| m.subject.starts_with("Transcoding failed")),
        "{mail:?}"
    );
}

/// The start of an MP4 (`ftyp`), padded to `len` bytes.
fn mp4(len: usize) -> Vec<u8> {
    let mut bytes = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41".to_vec();
    bytes.resize(len, 0x2a);
    bytes
}

#[tokio::test]
async fn upload_complete_on_the_content_service_starts_the_job() {
    let (runpod, runpod_url) = runpod().await;
    // The media service listens on a socket: the content service calls it
    // as it would another worker.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a local port");
    let media_url = format!("http://{}", listener.local_addr().expect("an address"));
    let app = TestApp::with_config(
        test_config(&settings(&runpod_url, &media_url)),
        SERVICE,
        routes()
            .merge(codex_content_api::routes())
            .merge(codex_auth_worker::routes()),
    )
    .await;
    let router = app.router();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    // Presigned URLs are checked by the endpoint against the real time.
    let behind = chrono::Utc::now() - app.clock().now();
    app.clock().advance(behind.to_std().unwrap_or_default());
    let cookie = app.sign_up("maker@example.com", "creator").await;

    let declared = app
        .post("/api/media")
        .cookie(&cookie)
        .json(&json!({"title": "Night walk", "mediaType": "video", "mimeType": "video/mp4", "fileSizeBytes": 4096}))
        .send()
        .await;
    declared.assert_status(StatusCode::CREATED);
    let media = declared.json()["data"].clone();
    let id = media["id"].as_str().expect("an id").to_owned();
    let mut put = reqwest::Client::new()
        .put(media["upload"]["url"].as_str().expect("a URL"))
        .body(mp4(4096));
    for (name, value) in media["upload"]["headers"].as_object().expect("headers") {
        put = put.header(name, value.as_str().unwrap_or_default());
    }
    assert!(put.send().await.expect("PUT").status().is_success());

    let complete = app
        .post(&format!("/api/media/{id}/upload-complete"))
        .cookie(&cookie)
        .send()
        .await;
    complete.assert_status(StatusCode::OK);
    assert_eq!(
        complete.json()["data"],
        json!({"success": true, "status": "transcoding", "transcodingTriggered": true})
    );
    let jobs = runpod.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].body["input"]["mediaId"], id.as_str());
    assert_eq!(
        jobs[0].body["input"]["webhookUrl"],
        format!("{media_url}/api/transcoding/webhook")
    );
}

#[tokio::test]
async fn upload_complete_keeps_the_upload_when_the_media_service_is_away() {
    let (runpod, runpod_url) = runpod().await;
    // Nothing listens at the media service's address.
    let media_url = format!("http://127.0.0.1:{}", codex_testkit::free_local_port());
    let app = TestApp::with_config(
        test_config(&settings(&runpod_url, &media_url)),
        SERVICE,
        routes()
            .merge(codex_content_api::routes())
            .merge(codex_auth_worker::routes()),
    )
    .await;
    let cookie = app.sign_up("maker@example.com", "creator").await;
    let creator_id = user_id(&app, "maker@example.com").await;
    // Completing an `uploaded` item again asks for transcoding again.
    let id = uploaded(&app, &creator_id, "video").await;
    let complete = app
        .post(&format!("/api/media/{id}/upload-complete"))
        .cookie(&cookie)
        .send()
        .await;
    complete.assert_status(StatusCode::OK);
    assert_eq!(
        complete.json()["data"],
        json!({"success": true, "status": "uploaded", "transcodingTriggered": false})
    );
    assert_eq!(row(&app, id).await["status"], "uploaded");
    assert!(runpod.jobs().is_empty());
}
