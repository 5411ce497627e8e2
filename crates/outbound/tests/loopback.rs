//! The native adapter against a real HTTP server on the loopback interface:
//! what the server receives is exactly what the request said, what it
//! answers comes back whole, and failures are told apart without leaking
//! credentials.
#![cfg(not(target_arch = "wasm32"))]

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::{any, get};
use codex_outbound::{
    HttpClient, Method, OutboundError, OutboundRequest, ReqwestClient, default_client,
};
use serde_json::json;

/// What the server saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path_and_query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

async fn record(State(log): State<Log>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("body")
        .to_vec();
    let seen = Seen {
        method: parts.method.to_string(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map(ToString::to_string)
            .unwrap_or_default(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = value.to_str().expect("ascii header").to_owned();
                (name.to_string(), value)
            })
            .collect(),
        body,
    };
    log.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(seen);
    (
        StatusCode::CREATED,
        AppendHeaders([
            ("X-Reply", "yes"),
            ("X-Multi", "first"),
            ("X-Multi", "second"),
        ]),
        axum::Json(json!({"id": "obj_1", "amount": 1200})),
    )
        .into_response()
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "too late"
}

async fn moved() -> Response {
    (StatusCode::FOUND, [("location", "/echo")]).into_response()
}

async fn missing() -> Response {
    (StatusCode::NOT_FOUND, "no such thing").into_response()
}

/// Starts the server on 127.0.0.1 and returns its base URL and request log.
async fn server() -> (String, Log) {
    let log = Log::default();
    let router = Router::new()
        .route("/echo", any(record))
        .route("/slow", get(slow))
        .route("/moved", get(moved))
        .route("/missing", get(missing))
        .with_state(Arc::clone(&log));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    (format!("http://{address}"), log)
}

fn only(log: &Log) -> Seen {
    let log = log.lock().unwrap_or_else(PoisonError::into_inner);
    assert_eq!(log.len(), 1, "{log:?}");
    log[0].clone()
}

fn header<'a>(seen: &'a Seen, name: &str) -> Vec<&'a str> {
    seen.headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

#[tokio::test]
async fn a_json_post_arrives_exactly_and_the_answer_comes_back_whole() {
    let (base, log) = server().await;
    let client = ReqwestClient::new();
    let request = OutboundRequest::post(format!("{base}/echo?expand=customer&limit=2"))
        .bearer("sk_test_123")
        .header("Idempotency-Key", "key-1")
        .header("X-Repeated", "one")
        .header("X-Repeated", "two")
        .json(&json!({"amount": 1200, "currency": "eur", "note": "ünïcode"}))
        .expect("json");
    let response = client.send(request).await.expect("send");

    let seen = only(&log);
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path_and_query, "/echo?expand=customer&limit=2");
    assert_eq!(header(&seen, "authorization"), ["Bearer sk_test_123"]);
    assert_eq!(header(&seen, "idempotency-key"), ["key-1"]);
    assert_eq!(header(&seen, "x-repeated"), ["one", "two"]);
    assert_eq!(header(&seen, "content-type"), ["application/json"]);
    let sent: serde_json::Value = serde_json::from_slice(&seen.body).expect("json body");
    assert_eq!(
        sent,
        json!({"amount": 1200, "currency": "eur", "note": "ünïcode"})
    );

    assert_eq!(response.status, 201);
    assert!(response.is_success());
    assert_eq!(response.header("x-reply"), Some("yes"));
    assert_eq!(response.header("X-REPLY"), Some("yes"));
    let multi: Vec<&str> = response
        .headers
        .iter()
        .filter(|(name, _)| name == "x-multi")
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(multi, ["first", "second"]);
    let answer: serde_json::Value = response.json().expect("json answer");
    assert_eq!(answer, json!({"id": "obj_1", "amount": 1200}));
}

#[tokio::test]
async fn a_form_body_arrives_encoded_byte_for_byte() {
    let (base, log) = server().await;
    let request = OutboundRequest::post(format!("{base}/echo")).form(&[
        ("name", "Jane Doe"),
        ("note", "a&b=c+d/é"),
        ("metadata[order]", "42"),
    ]);
    let response = default_client().send(request).await.expect("send");
    assert_eq!(response.status, 201);
    let seen = only(&log);
    assert_eq!(
        header(&seen, "content-type"),
        ["application/x-www-form-urlencoded"]
    );
    assert_eq!(
        String::from_utf8(seen.body).expect("utf-8"),
        "name=Jane+Doe&note=a%26b%3Dc%2Bd%2F%C3%A9&metadata%5Border%5D=42"
    );
}

#[tokio::test]
async fn raw_bodies_and_other_methods_arrive_as_given() {
    let (base, log) = server().await;
    let client = ReqwestClient::new();
    let request = OutboundRequest::new(Method::PUT, format!("{base}/echo"))
        .body(vec![0_u8, 159, 146, 150], "application/octet-stream");
    client.send(request).await.expect("put");
    let request = OutboundRequest::delete(format!("{base}/echo"));
    client.send(request).await.expect("delete");

    let log = log.lock().unwrap_or_else(PoisonError::into_inner).clone();
    assert_eq!(log[0].method, "PUT");
    assert_eq!(log[0].body, [0_u8, 159, 146, 150]);
    assert_eq!(
        header(&log[0], "content-type"),
        ["application/octet-stream"]
    );
    assert_eq!(log[1].method, "DELETE");
    assert!(log[1].body.is_empty());
}

#[tokio::test]
async fn error_statuses_and_redirects_are_responses_not_errors() {
    let (base, log) = server().await;
    let client = ReqwestClient::new();
    let response = client
        .send(OutboundRequest::get(format!("{base}/missing")))
        .await
        .expect("404 is a response");
    assert_eq!(response.status, 404);
    assert!(!response.is_success());
    assert_eq!(response.text(), "no such thing");

    let response = client
        .send(OutboundRequest::get(format!("{base}/moved")))
        .await
        .expect("302 is a response");
    assert_eq!(response.status, 302);
    assert_eq!(response.header("location"), Some("/echo"));
    assert!(
        log.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty(),
        "the redirect was followed"
    );
}

#[tokio::test]
async fn a_slow_server_gives_a_timeout_within_the_requests_timeout() {
    let (base, _) = server().await;
    let client = ReqwestClient::new();
    let started = Instant::now();
    let error = client
        .send(OutboundRequest::get(format!("{base}/slow")).timeout(Duration::from_millis(300)))
        .await
        .expect_err("too slow");
    let waited = started.elapsed();
    assert_eq!(error, OutboundError::Timeout);
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_that_leaks_no_credentials() {
    // A port that was just free: nothing listens on it any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);

    let request = OutboundRequest::post(format!(
        "http://127.0.0.1:{port}/v1/charges?api_key=query_s3cret"
    ))
    .bearer("sk_live_s3cret")
    .header("Stripe-Signature", "t=1,v1=signature_s3cret")
    .form(&[("amount", "100")]);
    let error = ReqwestClient::new()
        .send(request)
        .await
        .expect_err("nothing listens");
    assert!(
        matches!(
            error,
            OutboundError::Connect(_) | OutboundError::Transport(_)
        ),
        "{error:?}"
    );
    let message = error.to_string();
    for secret in ["sk_live_s3cret", "query_s3cret", "signature_s3cret", "?"] {
        assert!(!message.contains(secret), "{message}");
    }
}

#[tokio::test]
async fn invalid_requests_are_refused_before_anything_is_sent() {
    let (base, log) = server().await;
    let client = ReqwestClient::new();
    for request in [
        OutboundRequest::get(format!("{base}/echo")).header("x-bad", "a\nb_s3cret"),
        OutboundRequest::get("not a url"),
        OutboundRequest::get(format!("{base}/echo")).timeout(Duration::ZERO),
    ] {
        let error = client.send(request).await.expect_err("invalid");
        assert!(
            matches!(error, OutboundError::InvalidRequest(_)),
            "{error:?}"
        );
        assert!(!error.to_string().contains("s3cret"), "{error}");
    }
    assert!(
        log.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    );
}
