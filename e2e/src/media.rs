//! Uploading media as the web app does: a file made by ffmpeg, declared to
//! the content service, sent through its presigned URL, completed.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::accounts::{Browser, Reply};
use crate::made_by_ffmpeg;

/// A real MP4 made by ffmpeg: `seconds` of test pattern, at a constant
/// `bitrate` (e.g. `24M`) when given.
pub fn mp4(seconds: u32, bitrate: Option<&str>) -> Vec<u8> {
    let seconds = seconds.to_string();
    let mut arguments = vec![
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=640x360:rate=25",
        "-t",
        &seconds,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
    ];
    if let Some(rate) = bitrate {
        arguments.extend([
            "-b:v", rate, "-minrate", rate, "-maxrate", rate, "-bufsize", "12M",
        ]);
        arguments.extend(["-x264-params", "nal-hrd=cbr"]);
    }
    arguments.extend(["-pix_fmt", "yuv420p", "-movflags", "+faststart"]);
    made_by_ffmpeg("mp4", &arguments)
}

pub async fn declare(browser: &Browser, size: usize) -> Value {
    let reply = browser
        .call(browser.post("content", "/api/media").json(&json!({
            "title": "Test pattern",
            "mediaType": "video",
            "mimeType": "video/mp4",
            "fileSizeBytes": size,
        })))
        .await;
    reply.expect_status(StatusCode::CREATED, "declare a media item");
    reply.body["data"].clone()
}

/// The single plan's PUT, as the browser makes it (no cookie).
pub async fn put_single(plan: &Value, body: Vec<u8>) -> StatusCode {
    let mut request = reqwest::Client::new()
        .put(plan["url"].as_str().expect("a URL"))
        .body(body);
    for (name, value) in plan["headers"].as_object().expect("headers") {
        request = request.header(name, value.as_str().unwrap_or_default());
    }
    request.send().await.expect("PUT to storage").status()
}

pub async fn complete(browser: &Browser, id: &str, body: Option<Value>) -> Reply {
    let mut request = browser.post("content", &format!("/api/media/{id}/upload-complete"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    browser.call(request).await
}
