//! A whole job as the media service dispatches it: the original read and
//! the outputs written through presigned URLs of a real S3 endpoint (the
//! embedded one, which checks SigV4), and signed callbacks to a webhook.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use codex_clock::SystemClock;
use codex_storage::embedded::EmbeddedS3;
use codex_storage::{Method, ObjectStore, S3Store};
use codex_transcoder::job::{self, JobError, JobInput, JobSettings, OutputTarget, StorageAccess};
use codex_transcoder::{EncoderChoice, MediaKind, Options, VideoEncoder, tool};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

const SECRET: &str = "callback-secret";
const HOUR: Duration = Duration::from_secs(3600);

/// The callbacks a webhook received, each checked against its signature.
#[derive(Clone, Default)]
struct Webhook(Arc<Mutex<Vec<Value>>>);

impl Webhook {
    async fn serve(&self) -> String {
        let received = self.clone();
        let app = axum::Router::new().route(
            "/api/transcoding/webhook",
            post(async move |headers: HeaderMap, body: Bytes| {
                let timestamp = headers["x-runpod-timestamp"].to_str().expect("a timestamp");
                let signature = headers["x-runpod-signature"].to_str().expect("a signature");
                let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("a key");
                mac.update(format!("{timestamp}.").as_bytes());
                mac.update(&body);
                mac.verify_slice(&hex::decode(signature).expect("hex"))
                    .expect("a good signature");
                let age = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("after 1970")
                    .as_secs()
                    .abs_diff(timestamp.parse().expect("unix seconds"));
                assert!(age < 5, "the timestamp is {age} s off");
                let payload: Value = serde_json::from_slice(&body).expect("JSON");
                received.0.lock().expect("lock").push(payload);
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{address}/api/transcoding/webhook")
    }

    fn received(&self) -> Vec<Value> {
        self.0.lock().expect("lock").clone()
    }
}

/// Every file a video job may write, and where the media service keeps it.
fn video_outputs(creator: &str, media: &str) -> Vec<(String, String)> {
    let mut outputs = vec![(
        "hls/master.m3u8".to_owned(),
        format!("{creator}/hls/{media}/master.m3u8"),
    )];
    for rendition in ["1080p", "720p", "480p", "360p", "source"] {
        for file in ["index.m3u8", "stream.ts"] {
            outputs.push((
                format!("hls/{rendition}/{file}"),
                format!("{creator}/hls/{media}/{rendition}/{file}"),
            ));
        }
    }
    for file in ["preview.m3u8", "stream.ts"] {
        outputs.push((
            format!("hls/preview/{file}"),
            format!("{creator}/hls/{media}/preview/{file}"),
        ));
    }
    for size in ["sm", "md", "lg"] {
        outputs.push((
            format!("thumbnails/{size}.webp"),
            format!("{creator}/media-thumbnails/{media}/{size}.webp"),
        ));
    }
    outputs
}

async fn job_for(store: &S3Store, webhook_url: String) -> JobInput {
    let mut outputs = BTreeMap::new();
    for (path, key) in video_outputs("u1", "m1") {
        let upload = store
            .presign_upload(&key, codex_transcoder::content_type(&path), HOUR)
            .await
            .expect("presign a PUT");
        let target = OutputTarget {
            put: upload.url,
            put_headers: upload.headers.into_iter().collect(),
            delete: store
                .presign(Method::Delete, &key, HOUR)
                .await
                .expect("presign a DELETE"),
            key,
        };
        outputs.insert(path, target);
    }
    let input_key = "u1/originals/m1/media.mp4".to_owned();
    JobInput {
        media_id: "m1".to_owned(),
        kind: MediaKind::Video,
        creator_id: "u1".to_owned(),
        storage: StorageAccess {
            source: store
                .presign(Method::Get, &input_key, HOUR)
                .await
                .expect("presign a GET"),
            outputs,
        },
        input_key,
        webhook_url,
        priority: Some(2),
    }
}

fn settings(work: &std::path::Path) -> JobSettings {
    JobSettings {
        webhook_secret: SECRET.to_owned(),
        // The storage and the webhook are on this machine.
        allow_private_addresses: true,
        work_dir: work.to_owned(),
        options: Options {
            encoder: EncoderChoice::Only(VideoEncoder::Libx264),
            preset: "ultrafast".to_owned(),
        },
    }
}

async fn clip(path: &std::path::Path) -> Vec<u8> {
    tool::run(
        "ffmpeg",
        [
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=640x360:r=25:d=3",
            "-f",
            "lavfi",
            "-i",
            "sine=d=3",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            path.to_str().expect("a UTF-8 path"),
        ],
        Duration::from_secs(120),
    )
    .await
    .expect("ffmpeg makes the clip");
    std::fs::read(path).expect("the clip")
}

async fn stored_under(store: &S3Store, prefix: &str) -> Vec<String> {
    let mut keys = store.list(prefix, 100).await.expect("list");
    keys.sort();
    keys
}

#[tokio::test]
async fn a_job_stores_every_output_and_reports_each_step_signed() {
    let endpoint = EmbeddedS3::in_temporary_folder().expect("endpoint");
    let store = S3Store::new(endpoint.settings(), Arc::new(SystemClock));
    let work = endpoint.root().join("work");
    let source = clip(&endpoint.root().join("clip.mp4")).await;
    store
        .put("u1/originals/m1/media.mp4", source, Some("video/mp4"))
        .await
        .expect("the original");
    let webhook = Webhook::default();
    let input = job_for(&store, webhook.serve().await).await;

    let completed = job::run("job-1", &input, &settings(&work), &reqwest::Client::new())
        .await
        .expect("the job");

    let callbacks = webhook.received();
    let steps: Vec<&str> = callbacks
        .iter()
        .filter(|c| c["status"] == "progress")
        .map(|c| c["step"].as_str().expect("a step"))
        .collect();
    assert_eq!(
        steps,
        [
            "downloading",
            "probing",
            "loudness",
            "encoding_variants",
            "preview",
            "thumbnails",
            "uploading_outputs",
            "finalizing"
        ]
    );
    let progress: Vec<u64> = callbacks
        .iter()
        .filter_map(|c| c["progress"].as_u64())
        .collect();
    assert!(
        progress.windows(2).all(|pair| pair[0] <= pair[1]),
        "{progress:?}"
    );
    let last = callbacks.last().expect("a final callback");
    assert_eq!(last, &completed);
    assert_eq!(last["status"], "completed");
    assert_eq!(last["jobId"], "job-1");
    let output = &last["output"];
    assert_eq!(output["mediaId"], "m1");
    assert_eq!(output["type"], "video");
    assert_eq!(output["hlsMasterKey"], "u1/hls/m1/master.m3u8");
    assert_eq!(output["hlsPreviewKey"], "u1/hls/m1/preview/preview.m3u8");
    assert_eq!(output["thumbnailKey"], "u1/media-thumbnails/m1/lg.webp");
    assert_eq!(
        output["thumbnailVariants"]["sm"],
        "u1/media-thumbnails/m1/sm.webp"
    );
    assert_eq!(output["readyVariants"], serde_json::json!(["360p"]));
    assert_eq!(output["durationSeconds"], 3);
    assert_eq!(
        (output["width"].as_u64(), output["height"].as_u64()),
        (Some(640), Some(360))
    );
    assert_eq!(output["encoder"], "libx264");

    assert_eq!(
        stored_under(&store, "u1/hls/m1/").await,
        [
            "u1/hls/m1/360p/index.m3u8",
            "u1/hls/m1/360p/stream.ts",
            "u1/hls/m1/master.m3u8",
            "u1/hls/m1/preview/preview.m3u8",
            "u1/hls/m1/preview/stream.ts",
        ]
    );
    let master = store
        .head("u1/hls/m1/master.m3u8")
        .await
        .expect("head")
        .expect("the master");
    assert_eq!(
        master.content_type.as_deref(),
        Some("application/vnd.apple.mpegurl")
    );
    let thumbnail = store
        .get("u1/media-thumbnails/m1/lg.webp")
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(thumbnail.content_type.as_deref(), Some("image/webp"));
    assert!(thumbnail.bytes.starts_with(b"RIFF"));
    // The job's scratch files are gone.
    assert!(
        std::fs::read_dir(&work)
            .expect("the work folder")
            .next()
            .is_none()
    );
}

#[tokio::test]
async fn a_failed_job_takes_back_what_it_stored_and_says_why() {
    let endpoint = EmbeddedS3::in_temporary_folder().expect("endpoint");
    let store = S3Store::new(endpoint.settings(), Arc::new(SystemClock));
    let source = clip(&endpoint.root().join("clip.mp4")).await;
    store
        .put("u1/originals/m1/media.mp4", source, Some("video/mp4"))
        .await
        .expect("the original");
    let webhook = Webhook::default();
    let mut input = job_for(&store, webhook.serve().await).await;
    // The last thumbnail's URL was signed for another type: storage
    // refuses it after everything else is stored.
    let target = input
        .storage
        .outputs
        .get_mut("thumbnails/sm.webp")
        .expect("sm");
    target
        .put_headers
        .insert("content-type".to_owned(), "image/png".to_owned());

    let error = run_job("job-2", &input, &endpoint)
        .await
        .expect_err("the upload fails");
    assert!(matches!(error, JobError::Storage(_)), "{error}");

    let last = webhook.received().pop().expect("a final callback");
    assert_eq!(last["status"], "failed");
    assert_eq!(last["jobId"], "job-2");
    assert_eq!(last["mediaId"], "m1");
    assert_eq!(last["encoder"], "libx264");
    let reason = last["error"].as_str().expect("a reason");
    assert!(reason.contains("403"), "{reason}");
    assert!(!reason.contains("X-Amz-Signature"), "{reason}");
    assert_eq!(stored_under(&store, "u1/hls/").await, Vec::<String>::new());
    assert_eq!(
        stored_under(&store, "u1/media-thumbnails/").await,
        Vec::<String>::new()
    );
    assert_eq!(
        stored_under(&store, "u1/originals/").await,
        ["u1/originals/m1/media.mp4"]
    );
}

#[tokio::test]
async fn a_corrupt_original_fails_with_nothing_stored_and_a_refused_job_calls_no_one() {
    let endpoint = EmbeddedS3::in_temporary_folder().expect("endpoint");
    let store = S3Store::new(endpoint.settings(), Arc::new(SystemClock));
    store
        .put(
            "u1/originals/m1/media.mp4",
            vec![0x5a; 4096],
            Some("video/mp4"),
        )
        .await
        .expect("the original");
    let webhook = Webhook::default();
    let input = job_for(&store, webhook.serve().await).await;
    let error = run_job("job-3", &input, &endpoint)
        .await
        .expect_err("not media");
    assert!(error.to_string().contains("cannot be used"), "{error}");
    let last = webhook.received().pop().expect("a final callback");
    assert_eq!(last["status"], "failed");
    assert_eq!(stored_under(&store, "u1/hls/").await, Vec::<String>::new());

    // In production a webhook on this machine is refused before anything
    // is fetched or called.
    let refusing = JobSettings {
        allow_private_addresses: false,
        ..settings(&endpoint.root().join("work"))
    };
    let before = webhook.received().len();
    let error = job::run("job-4", &input, &refusing, &reqwest::Client::new())
        .await
        .expect_err("refused");
    assert!(matches!(error, JobError::Refused(_)), "{error}");
    assert_eq!(webhook.received().len(), before);
}

async fn run_job(job_id: &str, input: &JobInput, endpoint: &EmbeddedS3) -> Result<Value, JobError> {
    let settings = settings(&endpoint.root().join("work"));
    job::run(job_id, input, &settings, &reqwest::Client::new()).await
}

/// What a RunPod job API saw of a worker.
#[derive(Clone, Default)]
struct RunPodSeen {
    takes: Arc<Mutex<u32>>,
    results: Arc<Mutex<Vec<(HeaderMap, String, String)>>>,
    pings: Arc<Mutex<Vec<String>>>,
}

#[tokio::test]
async fn as_a_runpod_worker_it_takes_a_job_runs_it_and_posts_the_result() {
    use axum::extract::{Path as UrlPath, RawQuery, State};
    use axum::http::StatusCode;
    use axum::routing::get;

    let endpoint = EmbeddedS3::in_temporary_folder().expect("endpoint");
    let store = S3Store::new(endpoint.settings(), Arc::new(SystemClock));
    let source = clip(&endpoint.root().join("clip.mp4")).await;
    store
        .put("u1/originals/m1/media.mp4", source, Some("video/mp4"))
        .await
        .expect("the original");
    let webhook = Webhook::default();
    let input = job_for(&store, webhook.serve().await).await;

    let seen = RunPodSeen::default();
    let job = serde_json::json!({ "id": "rp-job-1", "input": input });
    let authorised = |headers: &HeaderMap| headers["authorization"] == "worker-key";
    let app = axum::Router::new()
        .route(
            "/v2/endpoint/job-take/{worker}",
            get(
                async move |State(seen): State<RunPodSeen>,
                            UrlPath(worker): UrlPath<String>,
                            RawQuery(query): RawQuery,
                            headers: HeaderMap| {
                    assert!(authorised(&headers), "the raw key");
                    assert_eq!(worker, "pod-1");
                    assert!(query.unwrap_or_default().contains("job_in_progress=0"));
                    let mut takes = seen.takes.lock().expect("lock");
                    *takes += 1;
                    if *takes == 1 {
                        (StatusCode::OK, job.to_string())
                    } else {
                        (StatusCode::NO_CONTENT, String::new())
                    }
                },
            ),
        )
        .route(
            "/v2/endpoint/job-done/{worker}/{job}",
            post(
                async move |State(seen): State<RunPodSeen>,
                            UrlPath((worker, job)): UrlPath<(String, String)>,
                            RawQuery(query): RawQuery,
                            headers: HeaderMap,
                            body: String| {
                    assert!(authorised(&headers), "the raw key");
                    assert_eq!(worker, "pod-1");
                    seen.results.lock().expect("lock").push((
                        headers,
                        format!("{job}?{}", query.unwrap_or_default()),
                        body,
                    ));
                },
            ),
        )
        .route(
            "/v2/endpoint/ping/{worker}",
            get(
                async move |State(seen): State<RunPodSeen>, RawQuery(query): RawQuery| {
                    seen.pings
                        .lock()
                        .expect("lock")
                        .push(query.unwrap_or_default());
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!(
        "http://{}/v2/endpoint",
        listener.local_addr().expect("address")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let vars = [
        ("RUNPOD_POD_ID", "pod-1".to_owned()),
        ("RUNPOD_WEBHOOK_GET_JOB", format!("{base}/job-take/$ID")),
        (
            "RUNPOD_WEBHOOK_POST_OUTPUT",
            format!("{base}/job-done/$RUNPOD_POD_ID/$ID"),
        ),
        ("RUNPOD_WEBHOOK_PING", format!("{base}/ping/$RUNPOD_POD_ID")),
        ("RUNPOD_PING_INTERVAL", "100".to_owned()),
        ("RUNPOD_AI_API_KEY", "worker-key".to_owned()),
    ];
    let endpoints = codex_transcoder::runpod::WorkerEndpoints::from_env(|name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    })
    .expect("RunPod's variables");
    codex_transcoder::runpod::serve(
        &endpoints,
        &settings(&endpoint.root().join("work")),
        &reqwest::Client::new(),
        Some(1),
    )
    .await;

    let results = seen.results.lock().expect("lock").clone();
    assert_eq!(results.len(), 1);
    let (headers, target, body) = &results[0];
    assert_eq!(target, "rp-job-1?isStream=false");
    assert_eq!(headers["x-request-id"], "rp-job-1");
    let result: Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(result["output"]["status"], "completed");
    assert_eq!(
        result["output"]["output"]["hlsMasterKey"],
        "u1/hls/m1/master.m3u8"
    );
    // The media service heard the same completion, signed.
    assert_eq!(webhook.received().last(), Some(&result["output"]));
    let pings = seen.pings.lock().expect("lock").clone();
    assert!(
        pings.iter().any(|query| query.contains("job_id=rp-job-1")),
        "{pings:?}"
    );
}
