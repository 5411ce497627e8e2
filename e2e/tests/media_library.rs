//! The media library end to end, the way the studio uses it: real MP4
//! files made with ffmpeg, declared to the content service and uploaded
//! straight to storage through the presigned URLs it hands out, once with
//! a single `PUT` and once in three parts (the suite runs with the
//! multipart threshold lowered to 1 MiB), then read back byte for byte.
//! Also: the web app's fallback, the file sent through the service; a
//! disguised file refused at `upload-complete`, a tampered URL refused by
//! the storage, and who may see whose media.

use codex_e2e::accounts::{Browser, Reply};
use codex_e2e::media::{complete, declare, mp4, put_single};
use reqwest::StatusCode;
use serde_json::json;

const MIB: usize = 1024 * 1024;

async fn creator() -> Browser {
    let mut browser = Browser::new();
    browser.fast_register("creator").await;
    browser
}

/// Downloads the original through its presigned link.
async fn original(browser: &Browser, id: &str) -> Vec<u8> {
    let link = browser
        .call(browser.get("content", &format!("/api/media/{id}/original")))
        .await;
    link.expect_status(StatusCode::OK, "the original's link");
    let url = link.body["data"]["url"].as_str().expect("a URL");
    let response = reqwest::get(url).await.expect("GET from storage");
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.expect("body").to_vec()
}

#[tokio::test]
async fn a_real_mp4_goes_up_in_one_presigned_put_and_comes_back_byte_for_byte() {
    let browser = creator().await;
    let file = mp4(1, None);
    assert!(file.len() < MIB, "a small file: {} bytes", file.len());
    let media = declare(&browser, file.len()).await;
    let id = media["id"].as_str().expect("id");
    assert_eq!(media["upload"]["mode"], "single");
    assert_eq!(media["presignedUrl"], media["upload"]["url"]);

    assert!(
        put_single(&media["upload"], file.clone())
            .await
            .is_success()
    );
    let done = complete(&browser, id, None).await;
    done.expect_status(StatusCode::OK, "upload-complete");
    // The media service has handed the job to the transcoder.
    assert_eq!(done.body["data"]["status"], "transcoding");
    assert_eq!(done.body["data"]["transcodingTriggered"], true);
    let again = complete(&browser, id, None).await;
    assert_eq!(again.body, done.body, "repeating it gives the same answer");

    let item = browser
        .call(browser.get("content", &format!("/api/media/{id}")))
        .await;
    assert_eq!(item.body["data"]["status"], "transcoding");
    assert!(original(&browser, id).await == file, "byte for byte");
}

#[tokio::test]
async fn a_larger_mp4_goes_up_in_three_parts_and_comes_back_byte_for_byte() {
    let browser = creator().await;
    // About 17 MiB: parts of 8, 8 and 1 MiB.
    let file = mp4(6, Some("24M"));
    let media = declare(&browser, file.len()).await;
    let id = media["id"].as_str().expect("id").to_owned();
    let upload = &media["upload"];
    assert_eq!(upload["mode"], "multipart", "{media}");
    let part_size = usize::try_from(upload["partSize"].as_u64().expect("size")).unwrap_or(0);
    assert_eq!(part_size, 8 * MIB);
    assert_eq!(upload["partCount"], 3);
    assert!(media["presignedUrl"].is_null());

    let urls = browser
        .call(
            browser
                .post("content", &format!("/api/media/{id}/upload/parts"))
                .json(&json!({"partNumbers": [1, 2, 3]})),
        )
        .await;
    urls.expect_status(StatusCode::OK, "part URLs");
    let http = reqwest::Client::new();
    let mut uploads = Vec::new();
    for part in urls.body["data"]["parts"].as_array().expect("parts") {
        let number = usize::try_from(part["partNumber"].as_u64().expect("n")).unwrap_or(0);
        let start = (number - 1) * part_size;
        let end = (start + part_size).min(file.len());
        // The parts go up side by side, as the browser sends them.
        uploads.push(
            http.put(part["url"].as_str().expect("url"))
                .body(file[start..end].to_vec())
                .send(),
        );
    }
    let mut parts = Vec::new();
    for (index, answer) in futures::future::join_all(uploads)
        .await
        .into_iter()
        .enumerate()
    {
        let answer = answer.expect("PUT a part");
        assert!(
            answer.status().is_success(),
            "part {}: {}",
            index + 1,
            answer.status()
        );
        let etag = answer
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .expect("the storage answers each part with its ETag")
            .to_owned();
        parts.push(json!({"partNumber": index + 1, "etag": etag}));
    }

    // What a reloaded page reads to resume. R2's S3 API lists the parts;
    // Miniflare's (the local stand-in for R2) has no `ListParts`, which
    // must come back as a 503 saying so, never as a 500.
    let stored = browser
        .call(browser.get("content", &format!("/api/media/{id}/upload/parts")))
        .await;
    if stored.status == StatusCode::OK {
        assert_eq!(
            stored.body["data"]["parts"].as_array().map(Vec::len),
            Some(3)
        );
    } else {
        stored.expect_status(StatusCode::SERVICE_UNAVAILABLE, "the stored parts");
        let message = stored.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("does not support"), "{message}");
    }

    let done = complete(&browser, &id, Some(json!({"parts": parts}))).await;
    done.expect_status(StatusCode::OK, "upload-complete");
    assert_eq!(done.body["data"]["status"], "transcoding");
    assert!(original(&browser, &id).await == file, "byte for byte");
}

/// The web app's fallback when the browser's `PUT` fails: the file as the
/// body of `POST /api/media/:id/upload`, sent as its type.
async fn send_through(browser: &Browser, id: &str, file: Vec<u8>, content_type: &str) -> Reply {
    browser
        .call(
            browser
                .post("content", &format!("/api/media/{id}/upload"))
                .header("content-type", content_type)
                .body(file),
        )
        .await
}

#[tokio::test]
async fn the_web_apps_fallback_sends_the_file_through_the_service_small_or_in_parts() {
    let browser = creator().await;
    // A small file (single plan), and one of about 17 MiB whose plan is
    // multipart at the suite's 1 MiB threshold: the service stores it in
    // the plan's own parts.
    for file in [mp4(1, None), mp4(6, Some("24M"))] {
        let media = declare(&browser, file.len()).await;
        let id = media["id"].as_str().expect("id").to_owned();
        // Refused before the body is read (so none is sent here: a
        // refused body is not read, and its connection is closed).
        let wrong_type = send_through(&browser, &id, Vec::new(), "application/octet-stream").await;
        wrong_type.expect_status(StatusCode::UNSUPPORTED_MEDIA_TYPE, "another type");

        let sent = send_through(&browser, &id, file.clone(), "video/mp4").await;
        sent.expect_status(StatusCode::OK, "the file through the service");
        assert_eq!(sent.body["data"]["status"], "transcoding");
        assert_eq!(sent.body["data"]["r2Key"], media["r2Key"]);
        // The web app then calls upload-complete, as after a PUT.
        let done = complete(&browser, &id, None).await;
        done.expect_status(StatusCode::OK, "upload-complete after the fallback");
        assert_eq!(done.body["data"]["status"], "transcoding");
        assert!(original(&browser, &id).await == file, "byte for byte");
    }
}

#[tokio::test]
async fn a_disguised_file_is_refused_and_a_tampered_url_is_refused_by_the_storage() {
    let browser = creator().await;
    let mut page = b"<html><script>fetch('/steal')</script>".to_vec();
    page.resize(50_000, b' ');
    let media = declare(&browser, page.len()).await;
    let id = media["id"].as_str().expect("id");

    // The signature covers the key and the content type.
    let url = media["upload"]["url"].as_str().expect("url");
    let (head, signature) = url.split_once("X-Amz-Signature=").expect("a signed URL");
    let first = if signature.starts_with('0') { "1" } else { "0" };
    let tampered = format!("{head}X-Amz-Signature={first}{}", &signature[1..]);
    let answer = reqwest::Client::new()
        .put(&tampered)
        .header("content-type", "video/mp4")
        .body(page.clone())
        .send()
        .await
        .expect("PUT");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let answer = reqwest::Client::new()
        .put(url)
        .header("content-type", "text/html")
        .body(page.clone())
        .send()
        .await
        .expect("PUT");
    assert_eq!(
        answer.status(),
        StatusCode::FORBIDDEN,
        "another content type"
    );

    // Declared video/mp4, uploaded as such, but an HTML page.
    assert!(put_single(&media["upload"], page).await.is_success());
    let refused = complete(&browser, id, None).await;
    refused.expect_status(StatusCode::UNPROCESSABLE_ENTITY, "a disguised file");
    let item = browser
        .call(browser.get("content", &format!("/api/media/{id}")))
        .await;
    assert_eq!(
        item.body["data"]["status"], "uploading",
        "ready for a real file"
    );
}

#[tokio::test]
async fn media_belong_to_their_creator_alone() {
    let owner = creator().await;
    let media = declare(&owner, 4096).await;
    let id = media["id"].as_str().expect("id");

    let other = creator().await;
    let mut customer = Browser::new();
    customer.fast_register("customer").await;
    let anonymous = Browser::new();
    for (who, browser, expected) in [
        ("another creator", &other, StatusCode::NOT_FOUND),
        ("a customer", &customer, StatusCode::NOT_FOUND),
        ("nobody", &anonymous, StatusCode::UNAUTHORIZED),
    ] {
        let reply = browser
            .call(browser.get("content", &format!("/api/media/{id}")))
            .await;
        assert_eq!(reply.status, expected, "{who} reads it");
        let reply = browser
            .call(
                browser
                    .patch("content", &format!("/api/media/{id}"))
                    .json(&json!({"title": "Taken"})),
            )
            .await;
        assert!(
            [expected, StatusCode::FORBIDDEN].contains(&reply.status),
            "{who} renames it: {}",
            reply.status
        );
        let reply = browser
            .call(browser.delete("content", &format!("/api/media/{id}")))
            .await;
        assert!(
            [expected, StatusCode::FORBIDDEN].contains(&reply.status),
            "{who} deletes it: {}",
            reply.status
        );
    }
    let reply = customer
        .call(customer.post("content", "/api/media").json(&json!({
            "title": "x", "mediaType": "video", "mimeType": "video/mp4", "fileSizeBytes": 4096,
        })))
        .await;
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "customers do not upload"
    );

    let listed = owner.call(owner.get("content", "/api/media")).await;
    listed.expect_status(StatusCode::OK, "the owner's library");
    assert_eq!(listed.body["items"][0]["id"], id);
    let deleted = owner
        .call(owner.delete("content", &format!("/api/media/{id}")))
        .await;
    deleted.expect_status(StatusCode::NO_CONTENT, "delete");
}
