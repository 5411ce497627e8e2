//! Direct uploads against the embedded S3 endpoint (the native host's
//! default storage, which checks SigV4 like R2): a single presigned `PUT`
//! whose signature covers the content type, a multipart upload through
//! presigned part URLs (the SDK's, and ours, which Workers use), listing
//! the parts to resume, byte ranges, and the refusals that keep an upload
//! URL from being used for anything else.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use codex_clock::SystemClock;
use codex_storage::embedded::EmbeddedS3;
use codex_storage::sigv4::{self, Bucket};
use codex_storage::{CompletedPart, Method, ObjectStore, S3Store, StorageError};

const MIB: usize = 1024 * 1024;

fn store(endpoint: &EmbeddedS3) -> S3Store {
    S3Store::new(endpoint.settings(), Arc::new(SystemClock))
}

fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from(i % 251).unwrap_or(0) ^ seed)
        .collect()
}

#[tokio::test]
async fn a_single_presigned_put_stores_the_declared_type_and_nothing_else_passes() {
    let endpoint = EmbeddedS3::in_temporary_folder().expect("endpoint");
    let store = store(&endpoint);
    let http = reqwest::Client::new();
    let key = "creator1/originals/m1/media.mp4";
    let upload = store
        .presign_upload(key, "video/mp4", Duration::from_secs(300))
        .await
        .expect("presign");
    assert_eq!(
        upload.headers,
        vec![("content-type".to_owned(), "video/mp4".to_owned())]
    );

    // Another content type than the signed one is refused.
    let refused = http
        .put(&upload.url)
        .header("content-type", "text/html")
        .body(b"<script>".to_vec())
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), reqwest::StatusCode::FORBIDDEN);
    assert_eq!(store.head(key).await.expect("head"), None);

    let body = bytes(3000, 7);
    let mut request = http.put(&upload.url).body(body.clone());
    for (name, value) in &upload.headers {
        request = request.header(name, value);
    }
    let stored = request.send().await.expect("send");
    assert!(stored.status().is_success(), "{}", stored.status());

    let info = store.head(key).await.expect("head").expect("present");
    assert_eq!(info.size, 3000);
    assert_eq!(info.content_type.as_deref(), Some("video/mp4"));
    assert_eq!(
        store.get_range(key, 10, 5).await.expect("range"),
        Some(body[10..15].to_vec())
    );
    assert_eq!(
        store.get_range(key, 2990, 100).await.expect("range"),
        Some(body[2990..].to_vec()),
        "a range past the end gives what there is"
    );
    assert_eq!(
        store.get_range("creator1/none", 0, 4).await.expect("range"),
        None
    );

    // A URL for this key cannot write another.
    let elsewhere = upload.url.replace("/m1/", "/m2/");
    let refused = http
        .put(&elsewhere)
        .header("content-type", "video/mp4")
        .body(body)
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), reqwest::StatusCode::FORBIDDEN);

    // Our own presigner (the Workers path) signs the content type alike.
    let settings = endpoint.settings();
    let ours = sigv4::presign_with_headers(
        &Bucket {
            endpoint: &settings.endpoint,
            region: &settings.region,
            name: &settings.bucket,
            access_key_id: &settings.access_key_id,
            secret_access_key: settings.secret_access_key.expose(),
        },
        Method::Put,
        "creator1/originals/m3/media.webm",
        Utc::now(),
        Duration::from_secs(300),
        &[],
        &[("content-type", "video/webm")],
    )
    .expect("presign");
    let wrong = http
        .put(&ours)
        .header("content-type", "video/mp4")
        .body(b"x".to_vec())
        .send()
        .await
        .expect("send");
    assert_eq!(wrong.status(), reqwest::StatusCode::FORBIDDEN);
    let right = http
        .put(&ours)
        .header("content-type", "video/webm")
        .body(b"x".to_vec())
        .send()
        .await
        .expect("send");
    assert!(right.status().is_success(), "{}", right.status());
}

#[tokio::test]
async fn a_multipart_upload_is_joined_from_presigned_parts_and_can_be_resumed() {
    let endpoint = EmbeddedS3::in_temporary_folder().expect("endpoint");
    let store = store(&endpoint);
    let settings = endpoint.settings().clone();
    let http = reqwest::Client::new();
    let key = "creator1/originals/m9/media.mp4";
    let upload_id = store
        .create_multipart(key, "video/mp4")
        .await
        .expect("create");
    let parts = [bytes(5 * MIB, 1), bytes(5 * MIB, 2), bytes(MIB / 2, 3)];

    let mut completed = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(1);
        // The SDK's part URL for odd parts, ours (the Workers path) for
        // even ones: both must be accepted.
        let url = if number % 2 == 1 {
            store
                .presign_part(key, &upload_id, number, Duration::from_secs(300))
                .await
                .expect("part url")
        } else {
            let part_number = number.to_string();
            sigv4::presign(
                &Bucket {
                    endpoint: &settings.endpoint,
                    region: &settings.region,
                    name: &settings.bucket,
                    access_key_id: &settings.access_key_id,
                    secret_access_key: settings.secret_access_key.expose(),
                },
                Method::Put,
                key,
                Utc::now(),
                Duration::from_secs(300),
                &[("partNumber", &part_number), ("uploadId", &upload_id)],
            )
            .expect("our part url")
        };
        let answer = http
            .put(&url)
            .body(part.clone())
            .send()
            .await
            .expect("part");
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
        completed.push(CompletedPart {
            part_number: number,
            etag,
        });

        // What a reloaded page sees: the parts stored so far.
        let listed = store.list_parts(key, &upload_id).await.expect("list parts");
        assert_eq!(listed.len(), index + 1);
        assert_eq!(listed[index].part_number, number);
        assert_eq!(listed[index].size, part.len() as u64);
    }

    // A part URL with its upload id changed is refused.
    let url = store
        .presign_part(key, &upload_id, 1, Duration::from_secs(300))
        .await
        .expect("part url");
    let tampered = url.replace(&upload_id, "00000000-0000-0000-0000-000000000000");
    let refused = http
        .put(&tampered)
        .body(b"x".to_vec())
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), reqwest::StatusCode::FORBIDDEN);

    store
        .complete_multipart(key, &upload_id, &completed)
        .await
        .expect("complete");
    let info = store.head(key).await.expect("head").expect("joined");
    let whole: Vec<u8> = parts.concat();
    assert_eq!(info.size, whole.len() as u64);
    assert_eq!(info.content_type.as_deref(), Some("video/mp4"));
    let object = store.get(key).await.expect("get").expect("present");
    assert!(
        object.bytes == whole,
        "the joined object is the parts in order"
    );

    // Once completed, the upload is gone (R2 says `NoSuchUpload`; the
    // embedded endpoint lists nothing).
    match store.list_parts(key, &upload_id).await {
        Err(StorageError::NoSuchUpload) => {}
        Ok(parts) => assert_eq!(parts, vec![]),
        Err(other) => panic!("listing a completed upload: {other}"),
    }

    // An aborted upload leaves nothing.
    let other = "creator1/originals/m10/media.mp4";
    let aborted = store
        .create_multipart(other, "video/mp4")
        .await
        .expect("create");
    store.abort_multipart(other, &aborted).await.expect("abort");
    assert_eq!(store.head(other).await.expect("head"), None);

    // Removing a folder removes what is under it, and only that.
    store
        .put("creator1/hls/m9/a.ts", b"a".to_vec(), None)
        .await
        .expect("put");
    store
        .put("creator1/hls/m9/b/c.ts", b"c".to_vec(), None)
        .await
        .expect("put");
    store
        .put("creator1/hls/m99/keep.ts", b"k".to_vec(), None)
        .await
        .expect("put");
    assert_eq!(
        store
            .delete_prefix("creator1/hls/m9/")
            .await
            .expect("removed"),
        2
    );
    assert_eq!(
        store.list("creator1/hls/", 10).await.expect("list"),
        vec!["creator1/hls/m99/keep.ts"]
    );
}

#[tokio::test]
async fn an_expired_upload_url_is_refused() {
    let endpoint = EmbeddedS3::in_temporary_folder().expect("endpoint");
    let settings = endpoint.settings().clone();
    let signed_long_ago = sigv4::presign_with_headers(
        &Bucket {
            endpoint: &settings.endpoint,
            region: &settings.region,
            name: &settings.bucket,
            access_key_id: &settings.access_key_id,
            secret_access_key: settings.secret_access_key.expose(),
        },
        Method::Put,
        "creator1/originals/old/media.mp4",
        Utc::now() - chrono::TimeDelta::hours(2),
        Duration::from_secs(3600),
        &[],
        &[("content-type", "video/mp4")],
    )
    .expect("presign");
    let answer = reqwest::Client::new()
        .put(&signed_long_ago)
        .header("content-type", "video/mp4")
        .body(b"late".to_vec())
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), reqwest::StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_service_can_store_parts_itself_and_a_lone_part_may_be_small() {
    let endpoint = EmbeddedS3::in_temporary_folder().expect("endpoint");
    let store = store(&endpoint);
    let key = "creator1/originals/m11/media.mp4";
    let upload_id = store
        .create_multipart(key, "video/mp4")
        .await
        .expect("create");
    let file = bytes(MIB + 3, 7);
    let etag = store
        .upload_part(key, &upload_id, 1, file.clone())
        .await
        .expect("part");
    assert!(!etag.is_empty());
    store
        .complete_multipart(
            key,
            &upload_id,
            &[CompletedPart {
                part_number: 1,
                etag,
            }],
        )
        .await
        .expect("complete");
    let stored = store.get(key).await.expect("get").expect("stored");
    assert!(stored.bytes == file);
    assert_eq!(stored.content_type.as_deref(), Some("video/mp4"));
    // Once complete, the upload takes no more parts (S3 answers
    // `NoSuchUpload`, the embedded endpoint `AccessDenied`).
    assert!(
        store
            .upload_part(key, &upload_id, 2, bytes(10, 1))
            .await
            .is_err()
    );
}
