//! A local stand-in for RunPod's serverless API, for tests. It takes
//! `POST /v2/{endpoint}/run` as RunPod does for the endpoints it was
//! given: the bearer key, and a body with the transcoder's `input`
//! (`mediaId`, `type`, `creatorId`, `inputKey`, `webhookUrl`,
//! `priority`), `policy.executionTimeout`, `policy.ttl` and `webhook`. It
//! answers `{"id": "job-…", "status": "IN_QUEUE"}` and keeps the jobs it
//! accepted ([`StandIn::jobs`], and over HTTP `GET /v2/{endpoint}/jobs`
//! for the black-box suite); told to, it refuses them with a 500. The
//! `input` must also carry `storage`: a presigned `source` and, for each
//! output, its `key`, `put` and `delete`.
//! Binds only the address it is given.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

/// A job the stand-in accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub endpoint: String,
    /// The request's whole body.
    pub body: Value,
}

/// A running stand-in; cheap to clone.
#[derive(Clone)]
pub struct StandIn {
    api_key: Arc<str>,
    endpoints: Arc<[String]>,
    jobs: Arc<Mutex<Vec<Job>>>,
    refusing: Arc<AtomicBool>,
}

fn refusal(status: StatusCode, message: &str) -> (StatusCode, Json<Value>) {
    (status, Json(json!({"error": message})))
}

/// What is missing from a job's body, if anything.
fn missing(body: &Value) -> Option<&'static str> {
    let input = &body["input"];
    let checks: [(&'static str, bool); 11] = [
        ("input.mediaId", input["mediaId"].is_string()),
        (
            "input.type",
            matches!(input["type"].as_str(), Some("video" | "audio")),
        ),
        ("input.creatorId", input["creatorId"].is_string()),
        ("input.inputKey", input["inputKey"].is_string()),
        (
            "input.webhookUrl",
            input["webhookUrl"]
                .as_str()
                .is_some_and(|url| url.starts_with("http")),
        ),
        ("input.priority", input["priority"].is_i64()),
        (
            "input.storage.source",
            input["storage"]["source"]
                .as_str()
                .is_some_and(|url| url.starts_with("http")),
        ),
        (
            "input.storage.outputs",
            input["storage"]["outputs"]
                .as_object()
                .is_some_and(|outputs| {
                    !outputs.is_empty()
                        && outputs.values().all(|target| {
                            target["key"].is_string()
                                && target["put"].is_string()
                                && target["delete"].is_string()
                        })
                }),
        ),
        (
            "policy.executionTimeout",
            body["policy"]["executionTimeout"].is_u64(),
        ),
        ("policy.ttl", body["policy"]["ttl"].is_u64()),
        (
            "webhook",
            body["webhook"]
                .as_str()
                .is_some_and(|url| url.starts_with("http")),
        ),
    ];
    checks.iter().find(|(_, ok)| !ok).map(|(name, _)| *name)
}

async fn run(
    State(stand_in): State<StandIn>,
    Path(endpoint): Path<String>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, Json<Value>) {
    if !stand_in.authorised(&headers) {
        return refusal(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    if !stand_in.endpoints.contains(&endpoint) {
        return refusal(StatusCode::NOT_FOUND, "Endpoint not found");
    }
    let Ok(body) = serde_json::from_str::<Value>(&body) else {
        return refusal(StatusCode::BAD_REQUEST, "Invalid JSON body");
    };
    if let Some(field) = missing(&body) {
        return refusal(
            StatusCode::BAD_REQUEST,
            &format!("Missing or invalid {field}"),
        );
    }
    if stand_in.refusing.load(Ordering::SeqCst) {
        return refusal(StatusCode::INTERNAL_SERVER_ERROR, "Internal error");
    }
    let id = format!("job-{}", uuid::Uuid::new_v4().simple());
    stand_in
        .jobs
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Job {
            id: id.clone(),
            endpoint,
            body,
        });
    (
        StatusCode::OK,
        Json(json!({"id": id, "status": "IN_QUEUE"})),
    )
}

/// The jobs accepted for `endpoint`, oldest first, as
/// `[{"id", "body"}]` (the stand-in's own call, not RunPod's).
async fn list(
    State(stand_in): State<StandIn>,
    Path(endpoint): Path<String>,
    headers: HeaderMap,
) -> (StatusCode, Json<Value>) {
    if !stand_in.authorised(&headers) {
        return refusal(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let jobs: Vec<Value> = stand_in
        .jobs()
        .into_iter()
        .filter(|job| job.endpoint == endpoint)
        .map(|job| json!({"id": job.id, "body": job.body}))
        .collect();
    (StatusCode::OK, Json(Value::from(jobs)))
}

impl StandIn {
    /// Whether the request carries the API key as a bearer token.
    fn authorised(&self, headers: &HeaderMap) -> bool {
        let bearer = headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        bearer == Some(&*self.api_key)
    }

    /// Serves the stand-in on `address` (port 0 picks one) in the
    /// background, taking jobs for `endpoints` with `api_key`; returns it
    /// and the address it listens on (`RUNPOD_API_URL` is
    /// `http://{address}`).
    pub async fn start(
        address: SocketAddr,
        api_key: &str,
        endpoints: &[&str],
    ) -> std::io::Result<(Self, SocketAddr)> {
        let stand_in = Self {
            api_key: api_key.into(),
            endpoints: endpoints.iter().map(|e| (*e).to_owned()).collect(),
            jobs: Arc::default(),
            refusing: Arc::default(),
        };
        let app = Router::new()
            .route("/v2/{endpoint}/run", post(run))
            .route("/v2/{endpoint}/jobs", get(list))
            .with_state(stand_in.clone());
        let listener = tokio::net::TcpListener::bind(address).await?;
        let bound = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok((stand_in, bound))
    }

    /// The jobs accepted so far, oldest first.
    pub fn jobs(&self) -> Vec<Job> {
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// From now on, refuse every job with a 500 (or accept them again).
    pub fn refuse(&self, refusing: bool) {
        self.refusing.store(refusing, Ordering::SeqCst);
    }
}
