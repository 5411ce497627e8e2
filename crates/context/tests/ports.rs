//! The optional ports: what each sends on the wire, and the clear error an
//! operation gets when its port is not configured.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use codex_config::{Config, Environment};
use codex_context::ports::{JobKind, TranscodeJob};
use codex_context::{Context, signature};
use codex_outbound::{HttpClient, OutboundError, OutboundRequest, OutboundResponse};
use serde_json::json;

mod support;

/// Records every request and answers each with the same canned JSON.
struct Recording {
    answer: serde_json::Value,
    seen: Mutex<Vec<OutboundRequest>>,
}

#[async_trait]
impl HttpClient for Recording {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        self.seen.lock().expect("lock").push(request);
        Ok(OutboundResponse {
            status: 200,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: serde_json::to_vec(&self.answer).expect("json"),
        })
    }
}

fn config(vars: &[(&str, &str)]) -> Config {
    let source: std::collections::HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_source(&source, Environment::Test).expect("config")
}

fn context(config: Config, answer: serde_json::Value) -> (Context, Arc<Recording>) {
    let ports = support::offline_ports();
    let recording = Arc::new(Recording {
        answer,
        seen: Mutex::new(Vec::new()),
    });
    let context = Context::new(config, ports).with_http(recording.clone());
    (context, recording)
}

fn header<'a>(request: &'a OutboundRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn unconfigured_ports_fail_only_the_operation_that_needs_them() {
    let (context, recording) = context(config(&[]), json!({}));
    for error in [
        context.payments().err().expect("no Stripe"),
        context.transcoder().err().expect("no RunPod"),
        context.services().err().expect("no shared secret"),
    ] {
        assert_eq!(error.code(), codex_errors::ErrorCode::ConfigurationError);
    }
    // Everything else is there as usual.
    assert_eq!(context.config().environment, Environment::Test);
    assert!(context.kv().get("anything").await.expect("kv").is_none());
    assert!(recording.seen.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn stripe_gets_the_key_the_version_the_idempotency_key_and_a_form() {
    let (context, recording) = context(
        config(&[
            ("STRIPE_SECRET_KEY", "sk_test_123"),
            ("STRIPE_API_URL", "http://stripe.local/"),
        ]),
        json!({"id": "cus_1"}),
    );
    let answer = context
        .payments()
        .expect("configured")
        .post_form(
            "/v1/customers",
            &[
                ("email".to_owned(), "ann@example.com".to_owned()),
                ("metadata[userId]".to_owned(), "u 1".to_owned()),
            ],
            Some("customer-u1"),
        )
        .await
        .expect("answer");
    assert_eq!(answer["id"], "cus_1");
    let seen = recording.seen.lock().expect("lock");
    let request = &seen[0];
    assert_eq!(request.method, codex_outbound::Method::POST);
    assert_eq!(request.url, "http://stripe.local/v1/customers");
    assert_eq!(header(request, "authorization"), Some("Bearer sk_test_123"));
    assert_eq!(
        header(request, "stripe-version"),
        Some(codex_context::ports::STRIPE_VERSION)
    );
    assert_eq!(header(request, "idempotency-key"), Some("customer-u1"));
    assert_eq!(
        String::from_utf8_lossy(&request.body),
        "email=ann%40example.com&metadata%5BuserId%5D=u+1"
    );
}

#[tokio::test]
async fn runpod_jobs_go_to_the_endpoint_for_their_kind_with_their_policy() {
    let (context, recording) = context(
        config(&[
            ("RUNPOD_API_KEY", "rp_key"),
            ("RUNPOD_ENDPOINT_ID", "gpu"),
            ("RUNPOD_AUDIO_ENDPOINT_ID", "cpu"),
            ("RUNPOD_API_URL", "http://runpod.local"),
        ]),
        json!({"id": "job-7", "status": "IN_QUEUE"}),
    );
    let transcoder = context.transcoder().expect("configured");
    for (kind, endpoint) in [(JobKind::Video, "gpu"), (JobKind::Audio, "cpu")] {
        let id = transcoder
            .dispatch(&TranscodeJob {
                kind,
                input: json!({"mediaId": "m1"}),
                webhook: Some("http://api.local/hook?mac=x".to_owned()),
                execution_timeout_ms: Some(1_800_000),
                ttl_ms: Some(3_600_000),
            })
            .await
            .expect("queued");
        assert_eq!(id, "job-7");
        let seen = recording.seen.lock().expect("lock");
        let request = seen.last().expect("a request");
        assert_eq!(
            request.url,
            format!("http://runpod.local/v2/{endpoint}/run")
        );
        assert_eq!(header(request, "authorization"), Some("Bearer rp_key"));
        let body: serde_json::Value = serde_json::from_slice(&request.body).expect("json");
        assert_eq!(body["input"]["mediaId"], "m1");
        assert_eq!(body["webhook"], "http://api.local/hook?mac=x");
        assert_eq!(body["policy"]["executionTimeout"], 1_800_000);
        assert_eq!(body["policy"]["ttl"], 3_600_000);
    }
}

#[tokio::test]
async fn service_calls_are_signed_over_the_exact_body_sent() {
    let (context, recording) = context(
        config(&[
            ("WORKER_SHARED_SECRET", "s3cret"),
            ("MEDIA_API_URL", "http://media.local"),
        ]),
        json!({"ok": true}),
    );
    let services = context.services().expect("configured");
    let answer = services
        .post(
            "media",
            "/internal/media/m1/transcode",
            &json!({"creatorId": "u1"}),
        )
        .await
        .expect("answer");
    assert_eq!(answer["ok"], true);
    {
        let seen = recording.seen.lock().expect("lock");
        let request = &seen[0];
        assert_eq!(
            request.url,
            "http://media.local/internal/media/m1/transcode"
        );
        let timestamp = header(request, "x-worker-timestamp").expect("timestamp");
        let signed = header(request, "x-worker-signature").expect("signature");
        let now = context.clock().now().timestamp();
        assert_eq!(timestamp, now.to_string());
        signature::verify(b"s3cret", timestamp, signed, &request.body, now).expect("verifies");
        assert!(signature::verify(b"other", timestamp, signed, &request.body, now).is_err());
    }
    // An unknown service is a configuration error, and nothing is sent.
    let error = services
        .post("nowhere", "/x", &json!({}))
        .await
        .expect_err("no such service");
    assert_eq!(error.code(), codex_errors::ErrorCode::ConfigurationError);
    assert_eq!(recording.seen.lock().expect("lock").len(), 1);
}
