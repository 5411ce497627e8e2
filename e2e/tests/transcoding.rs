//! Transcoding end to end: an upload is handed to the transcoder through
//! RunPod's API (a stand-in that checks jobs as RunPod does), and the
//! suite plays the transcoder's signed callbacks to the media service:
//! progress, completion, forged, stale, future and replayed callbacks, and
//! the retry limit (`E2E_RUNPOD_URL`, `E2E_RUNPOD_API_KEY`,
//! `E2E_RUNPOD_WEBHOOK_SECRET`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use codex_e2e::accounts::Browser;
use codex_e2e::media::{complete, declare, mp4, put_single};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

fn setting(variable: &str) -> String {
    std::env::var(variable)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| panic!("{variable} is not set: run the suite through scripts/e2e.sh"))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(0))
}

/// A creator with an uploaded video whose upload is complete.
async fn uploaded_video() -> (Browser, String) {
    let mut browser = Browser::new();
    browser.fast_register("creator").await;
    let file = mp4(1, None);
    let media = declare(&browser, file.len()).await;
    let id = media["id"].as_str().expect("id").to_owned();
    assert!(put_single(&media["upload"], file).await.is_success());
    let done = complete(&browser, &id, None).await;
    done.expect_status(StatusCode::OK, "upload-complete");
    assert_eq!(
        done.body["data"]["transcodingTriggered"], true,
        "{}",
        done.body
    );
    (browser, id)
}

/// The jobs the RunPod stand-in took for `media_id`, oldest first.
async fn jobs_for(media_id: &str) -> Vec<Value> {
    let jobs: Value = reqwest::Client::new()
        .get(format!("{}/jobs", setting("E2E_RUNPOD_URL")))
        .bearer_auth(setting("E2E_RUNPOD_API_KEY"))
        .send()
        .await
        .expect("the stand-in")
        .json()
        .await
        .expect("JSON");
    jobs.as_array()
        .expect("a list")
        .iter()
        .filter(|job| job["body"]["input"]["mediaId"] == media_id)
        .cloned()
        .collect()
}

async fn latest_job(media_id: &str) -> Value {
    jobs_for(media_id)
        .await
        .pop()
        .expect("a job for the media item")
}

fn signature(timestamp: i64, body: &str) -> String {
    let secret = setting("E2E_RUNPOD_WEBHOOK_SECRET");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("a key");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Posts a callback to the media service's webhook; `headers` as
/// (timestamp, signature), or none.
async fn callback(body: &Value, headers: Option<(i64, String)>) -> (StatusCode, Value) {
    let text = body.to_string();
    let mut request = reqwest::Client::new()
        .post(codex_e2e::url("media", "/api/transcoding/webhook"))
        .header("content-type", "application/json")
        .body(text);
    if let Some((timestamp, signature)) = headers {
        request = request
            .header("x-runpod-timestamp", timestamp.to_string())
            .header("x-runpod-signature", signature);
    }
    let answer = request.send().await.expect("the webhook");
    let status = answer.status();
    (status, answer.json().await.unwrap_or(Value::Null))
}

async fn signed(body: &Value) -> (StatusCode, Value) {
    let timestamp = now();
    callback(
        body,
        Some((timestamp, signature(timestamp, &body.to_string()))),
    )
    .await
}

async fn status(browser: &Browser, id: &str) -> Value {
    let reply = browser
        .call(browser.get("media", &format!("/api/transcoding/status/{id}")))
        .await;
    reply.expect_status(StatusCode::OK, "the transcoding status");
    reply.body["data"].clone()
}

#[tokio::test]
async fn an_upload_is_dispatched_and_signed_callbacks_make_it_ready() {
    let (browser, id) = uploaded_video().await;
    let job = latest_job(&id).await;
    let job_id = job["id"].as_str().expect("a job id").to_owned();
    let input = &job["body"]["input"];
    assert_eq!(input["type"], "video");
    // The job reaches storage only through presigned URLs for this item.
    let outputs = input["storage"]["outputs"].as_object().expect("outputs");
    let master = outputs["hls/master.m3u8"]["key"]
        .as_str()
        .expect("a key")
        .to_owned();
    assert!(
        master.ends_with(&format!("/hls/{id}/master.m3u8")),
        "{master}"
    );
    assert!(
        input["storage"]["source"]
            .as_str()
            .is_some_and(|url| url.starts_with("http"))
    );
    assert!(job["body"]["policy"]["executionTimeout"].as_u64() >= Some(15 * 60 * 1000));

    let before = status(&browser, &id).await;
    assert_eq!(before["status"], "transcoding");
    assert_eq!(before["runpodJobId"], job_id.as_str());

    let progress = json!({"jobId": job_id, "status": "progress", "progress": 40,
        "step": "encoding_variants", "mediaId": id});
    let (code, body) = signed(&progress).await;
    assert_eq!(
        (code, &body["received"]),
        (StatusCode::OK, &json!(true)),
        "{body}"
    );
    let seen = status(&browser, &id).await;
    assert_eq!(
        (
            seen["transcodingProgress"].as_i64(),
            seen["transcodingStep"].as_str()
        ),
        (Some(40), Some("encoding_variants"))
    );

    // Forged, stale, future and unsigned callbacks are refused and change
    // nothing.
    let completed = json!({"jobId": job_id, "status": "completed", "output": {
        "mediaId": id, "type": "video", "hlsMasterKey": master,
        "hlsPreviewKey": outputs["hls/preview/preview.m3u8"]["key"],
        "thumbnailKey": outputs["thumbnails/lg.webp"]["key"],
        "durationSeconds": 1, "width": 640, "height": 360, "readyVariants": ["360p"],
        "loudnessIntegrated": -1600, "loudnessPeak": -150, "loudnessRange": 300,
        "encoder": "libx264"}});
    let text = completed.to_string();
    let t = now();
    for (why, headers) in [
        ("forged", Some((t, signature(t, "{}")))),
        ("stale", Some((t - 301, signature(t - 301, &text)))),
        ("future", Some((t + 61, signature(t + 61, &text)))),
        ("unsigned", None),
    ] {
        let (code, _) = callback(&completed, headers).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED, "{why}");
    }
    assert_eq!(
        status(&browser, &id).await,
        seen,
        "refused callbacks change nothing"
    );

    let (code, _) = signed(&completed).await;
    assert_eq!(code, StatusCode::OK);
    let ready = status(&browser, &id).await;
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["readyVariants"], json!(["360p"]));
    assert_eq!(ready["transcodingProgress"], 100);

    // A replayed completion and a late progress change nothing.
    let (code, _) = signed(&completed).await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = signed(&progress).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(status(&browser, &id).await, ready);
    let item = browser
        .call(browser.get("content", &format!("/api/media/{id}")))
        .await;
    assert_eq!(item.body["data"]["status"], "ready");
    assert_eq!(item.body["data"]["hlsMasterPlaylistKey"], master.as_str());
}

#[tokio::test]
async fn a_failed_job_can_be_retried_until_the_limit() {
    let (browser, id) = uploaded_video().await;
    let stranger = {
        let mut browser = Browser::new();
        browser.fast_register("creator").await;
        browser
    };
    let mut retries = 0;
    loop {
        let job_id = latest_job(&id).await["id"].as_str().expect("id").to_owned();
        let failed = json!({"jobId": job_id, "status": "failed", "error": "ffmpeg: no space left", "mediaId": id});
        let (code, _) = signed(&failed).await;
        assert_eq!(code, StatusCode::OK);
        let seen = status(&browser, &id).await;
        assert_eq!(seen["status"], "failed");
        assert_eq!(seen["transcodingError"], "ffmpeg: no space left");

        let theirs = stranger
            .call(stranger.post("media", &format!("/api/transcoding/retry/{id}")))
            .await;
        assert_eq!(
            theirs.status,
            StatusCode::NOT_FOUND,
            "only the owner retries"
        );
        let retry = browser
            .call(browser.post("media", &format!("/api/transcoding/retry/{id}")))
            .await;
        if retry.status == StatusCode::UNPROCESSABLE_ENTITY {
            assert_eq!(
                retry.body["error"]["details"]["code"], "MAX_RETRIES_EXCEEDED",
                "{}",
                retry.body
            );
            break;
        }
        retry.expect_status(StatusCode::OK, "a retry");
        retries += 1;
        assert!(retries <= 3, "the limit holds");
        assert_eq!(status(&browser, &id).await["status"], "transcoding");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(retries >= 1);
    assert_eq!(
        jobs_for(&id).await.len(),
        retries + 1,
        "one job per attempt"
    );
}
