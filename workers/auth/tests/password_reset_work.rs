//! Asking for a password reset must not tell whether an address has an
//! account: the database sees the same statements, in the same order, for
//! a known and for an unknown address, both while the request is answered
//! and in all. (Timing it instead would flake on a loaded machine.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use codex_auth_worker::{SERVICE, routes};
use codex_database::Database;
use codex_testkit::recording::RecordingDatabase;
use codex_testkit::world::World;
use codex_testkit::{TestApp, TestDatabase, test_config};
use serde_json::{Value, json};

/// The statements logged until none has come for a while (the work may go
/// on after the answer).
async fn settled(recorder: &RecordingDatabase) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = recorder.statements().len();
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = recorder.statements().len();
        if now == seen || Instant::now() > deadline {
            return recorder.take();
        }
        seen = now;
    }
}

async fn ask(app: &TestApp, address: &str, client: &str) -> Value {
    let response = app
        .post("/api/auth/request-password-reset")
        .header("x-forwarded-for", client)
        .json(&json!({"email": address}))
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    response.json()
}

#[tokio::test]
async fn known_and_unknown_addresses_get_the_same_statements() {
    let test_database = TestDatabase::new().await;
    let recorder = Arc::new(RecordingDatabase::new(test_database.database()));
    let world = World::through(
        test_config(&[]),
        test_database,
        Arc::clone(&recorder) as Arc<dyn Database>,
    );
    let app = TestApp::in_world(world, SERVICE, routes());
    app.sign_up("known@example.com", "customer").await;
    settled(&recorder).await;

    let known_answer = ask(&app, "known@example.com", "10.9.0.1").await;
    let known_on_request = recorder.statements();
    let known = settled(&recorder).await;

    let unknown_answer = ask(&app, "stranger@example.com", "10.9.0.2").await;
    let unknown_on_request = recorder.statements();
    let unknown = settled(&recorder).await;

    assert_eq!(known_answer, unknown_answer, "the same answer");
    assert_eq!(
        known_on_request, unknown_on_request,
        "the same statements before the answer"
    );
    assert_eq!(known, unknown, "the same statements in all");
    for table in ["verification", "mail_outbox"] {
        assert!(
            known
                .iter()
                .any(|sql| sql.starts_with(&format!("INSERT INTO {table} "))),
            "a write to {table}: {known:#?}"
        );
    }

    // Only the known address was mailed; nothing reads as sent to the
    // stranger.
    let outbox = |address: &'static str| app.get(&format!("/api/test/outbox?to={address}")).send();
    let mail = outbox("known@example.com").await.json();
    assert_eq!(mail["data"][0]["subject"], "Reset your password", "{mail}");
    let none = outbox("stranger@example.com").await.json();
    assert_eq!(none["data"], json!([]), "{none}");
}
