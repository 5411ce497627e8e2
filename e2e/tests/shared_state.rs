//! Every service reaches the same database, mail outbox (and mail delivery),
//! key-value store and object store: on the native host because they share one process, on
//! Workers because the eight workers share Hyperdrive's database and one
//! local persistence folder for KV and R2. Written through one service, read
//! through another.

use codex_e2e::{assert_error_envelope, client, json_of, targets};
use reqwest::StatusCode;

fn url_of(key: &str, path: &str) -> String {
    let target = targets()
        .into_iter()
        .find(|t| t.key == key)
        .expect("known service");
    format!("{}{path}", target.base_url)
}

#[tokio::test]
async fn mail_sent_by_one_service_is_in_the_outbox_another_reads() {
    let http = client();
    let address = format!("e2e-{}@example.com", uuid::Uuid::new_v4().simple());
    for subject in ["First message", "Second message"] {
        let sent = http
            .post(url_of("content", "/__dev__/mail"))
            .json(&serde_json::json!({"to": address, "subject": subject, "text": "Hello there"}))
            .send()
            .await
            .expect("send");
        assert_eq!(sent.status(), StatusCode::NO_CONTENT);
    }
    let listed = http
        .get(url_of("notifications", "/__dev__/outbox"))
        .query(&[("to", address.to_uppercase())])
        .send()
        .await
        .expect("outbox");
    assert_eq!(listed.status(), StatusCode::OK);
    let body = json_of(listed).await;
    let entries = body["data"].as_array().expect("a list");
    assert_eq!(entries.len(), 2, "{body}");
    assert_eq!(
        entries[0]["subject"], "Second message",
        "newest first: {body}"
    );
    assert_eq!(entries[1]["subject"], "First message");
    assert_eq!(entries[0]["to"], address.as_str());
    assert_eq!(entries[0]["text"], "Hello there");
    assert!(entries[0]["html"].is_null(), "typed NULL read back: {body}");
    assert_eq!(entries[0]["status"], "sent", "{body}");
    assert_eq!(entries[0]["transport"], "resend");
    assert!(uuid::Uuid::parse_str(entries[0]["id"].as_str().unwrap_or_default()).is_ok());
    assert!(
        entries[0]["createdAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{body}"
    );

    let refused = http
        .post(url_of("org", "/__dev__/mail"))
        .json(
            &serde_json::json!({"to": address, "subject": "Hi\r\nBcc: x@example.com", "text": "x"}),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_error_envelope(&json_of(refused).await, "VALIDATION_ERROR");
    let after = json_of(
        http.get(url_of("admin", "/__dev__/outbox"))
            .query(&[("to", &address)])
            .send()
            .await
            .expect("outbox"),
    )
    .await;
    let messages = after["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 3, "a refused send is on record: {after}");
    assert_eq!(messages[0]["status"], "failed", "and never sent: {after}");
}

#[tokio::test]
async fn key_value_entries_written_by_one_service_are_read_by_another() {
    let http = client();
    let key = format!("e2e-{}", uuid::Uuid::new_v4().simple());
    let put = http
        .put(url_of("content", &format!("/__dev__/kv/{key}")))
        .json(&serde_json::json!({"value": "shared value", "ttlSeconds": 300}))
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), StatusCode::NO_CONTENT);
    let read = json_of(
        http.get(url_of("media", &format!("/__dev__/kv/{key}")))
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(read["data"]["value"], "shared value", "{read}");
    let missing = json_of(
        http.get(url_of("auth", "/__dev__/kv/never-written-key"))
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert!(missing["data"]["value"].is_null(), "{missing}");
}

#[tokio::test]
async fn objects_stored_by_one_service_are_served_by_another() {
    let http = client();
    let key = format!("e2e/{}/note.txt", uuid::Uuid::new_v4().simple());
    let put = http
        .put(url_of("org", &format!("/__dev__/objects/{key}")))
        .header("content-type", "text/plain")
        .body("stored once")
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), StatusCode::NO_CONTENT);
    let read = http
        .get(url_of("identity", &format!("/__dev__/objects/{key}")))
        .send()
        .await
        .expect("get");
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.headers()["content-type"], "text/plain");
    assert_eq!(read.text().await.expect("body"), "stored once");

    let missing = http
        .get(url_of("ecom", "/__dev__/objects/e2e/never/written.txt"))
        .send()
        .await
        .expect("get");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_error_envelope(&json_of(missing).await, "NOT_FOUND");

    let hostile = http
        .put(url_of("org", "/__dev__/objects/e2e/bad%20key.txt"))
        .body("x")
        .send()
        .await
        .expect("put");
    assert_eq!(hostile.status(), StatusCode::BAD_REQUEST);
    assert_error_envelope(&json_of(hostile).await, "VALIDATION_ERROR");
}
