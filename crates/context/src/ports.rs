//! The optional ports built from the configuration over the runtime's
//! outbound HTTP client: Stripe ([`Payments`]), RunPod ([`Transcoder`]) and
//! signed calls to our own services ([`ServiceClient`]). Each is there only
//! when its settings are; an operation that needs a missing one fails with
//! a configuration error naming the setting, and nothing else is affected.
//!
//! These adapters carry the wire protocol only (authentication, encoding,
//! timeouts, the version header); what is asked of each service belongs to
//! the domain that asks.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use codex_clock::Clock;
use codex_config::{PaymentsSettings, Secret, TranscoderSettings};
use codex_errors::ApiError;
use codex_outbound::{HttpClient, OutboundError, OutboundRequest, OutboundResponse};
use serde_json::Value;

use crate::signature;

/// How an outside service failed us.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// It could not be reached, or timed out: worth trying again.
    #[error("{service} unreachable: {reason}")]
    Unreachable {
        service: &'static str,
        reason: String,
    },
    /// It answered with an error status; `body` is its answer as JSON when
    /// it was JSON (never logged whole: it may echo what we sent).
    #[error("{service} answered {status}")]
    Refused {
        service: &'static str,
        status: u16,
        body: Value,
    },
    /// Its answer could not be read.
    #[error("{service} answered something unreadable: {reason}")]
    Unreadable {
        service: &'static str,
        reason: String,
    },
}

impl From<PortError> for ApiError {
    fn from(error: PortError) -> Self {
        match &error {
            PortError::Unreachable { service, .. } => {
                tracing::warn!(%error, "an outside service is unreachable");
                ApiError::service_unavailable(format!(
                    "{service} is unavailable; try again shortly"
                ))
            }
            PortError::Refused { .. } | PortError::Unreadable { .. } => ApiError::internal(error),
        }
    }
}

fn unreachable(service: &'static str, error: OutboundError) -> PortError {
    PortError::Unreachable {
        service,
        reason: error.to_string(),
    }
}

/// The JSON answer of a successful call, or the matching [`PortError`].
fn json_answer(service: &'static str, response: OutboundResponse) -> Result<Value, PortError> {
    let body = if response.body.is_empty() {
        Value::Null
    } else {
        response
            .json::<Value>()
            .map_err(|error| PortError::Unreadable {
                service,
                reason: error.to_string(),
            })?
    };
    if response.is_success() {
        Ok(body)
    } else {
        Err(PortError::Refused {
            service,
            status: response.status,
            body,
        })
    }
}

/// Stripe's API, as the payments service will use it.
#[async_trait]
pub trait Payments: Send + Sync {
    /// `POST {api}{path}` with a form body (Stripe's bracketed keys, e.g.
    /// `metadata[contentId]`) and, for creations, an idempotency key.
    async fn post_form(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<Value, PortError>;

    /// `GET {api}{path}`.
    async fn get(&self, path: &str) -> Result<Value, PortError>;
}

/// The API version our requests and webhook endpoints are pinned to.
pub const STRIPE_VERSION: &str = "2026-09-30.endive";
const STRIPE_TIMEOUT: Duration = Duration::from_secs(30);

/// [`Payments`] over HTTP with a secret key.
pub struct StripeApi {
    settings: PaymentsSettings,
    http: Arc<dyn HttpClient>,
}

impl StripeApi {
    pub fn new(settings: PaymentsSettings, http: Arc<dyn HttpClient>) -> Self {
        Self { settings, http }
    }

    fn request(&self, request: OutboundRequest) -> OutboundRequest {
        request
            .bearer(self.settings.secret_key.expose())
            .header("stripe-version", STRIPE_VERSION)
            .timeout(STRIPE_TIMEOUT)
    }
}

#[async_trait]
impl Payments for StripeApi {
    async fn post_form(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<Value, PortError> {
        let mut request = self
            .request(OutboundRequest::post(format!(
                "{}{path}",
                self.settings.api_url
            )))
            .form(form);
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        let response = self
            .http
            .send(request)
            .await
            .map_err(|error| unreachable("Stripe", error))?;
        json_answer("Stripe", response)
    }

    async fn get(&self, path: &str) -> Result<Value, PortError> {
        let request = self.request(OutboundRequest::get(format!(
            "{}{path}",
            self.settings.api_url
        )));
        let response = self
            .http
            .send(request)
            .await
            .map_err(|error| unreachable("Stripe", error))?;
        json_answer("Stripe", response)
    }
}

/// Which RunPod endpoint a job goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Video,
    /// Needs no GPU: the audio endpoint when there is one.
    Audio,
}

/// A transcoding job as RunPod's `/run` takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscodeJob {
    pub kind: JobKind,
    /// The handler's `input`.
    pub input: Value,
    /// RunPod's own completion webhook (unsigned by RunPod).
    pub webhook: Option<String>,
    /// `policy.executionTimeout` in milliseconds.
    pub execution_timeout_ms: Option<u64>,
    /// `policy.ttl` in milliseconds.
    pub ttl_ms: Option<u64>,
}

/// RunPod's serverless API.
#[async_trait]
pub trait Transcoder: Send + Sync {
    /// Queues a job; returns RunPod's job id.
    async fn dispatch(&self, job: &TranscodeJob) -> Result<String, PortError>;
}

const RUNPOD_TIMEOUT: Duration = Duration::from_secs(30);

/// [`Transcoder`] over HTTP with an API key.
pub struct RunPodApi {
    settings: TranscoderSettings,
    http: Arc<dyn HttpClient>,
}

impl RunPodApi {
    pub fn new(settings: TranscoderSettings, http: Arc<dyn HttpClient>) -> Self {
        Self { settings, http }
    }

    fn endpoint(&self, kind: JobKind) -> &str {
        match (kind, &self.settings.audio_endpoint_id) {
            (JobKind::Audio, Some(audio)) => audio,
            _ => &self.settings.endpoint_id,
        }
    }
}

#[async_trait]
impl Transcoder for RunPodApi {
    async fn dispatch(&self, job: &TranscodeJob) -> Result<String, PortError> {
        let mut body = serde_json::json!({ "input": job.input });
        if let Some(webhook) = &job.webhook {
            body["webhook"] = Value::from(webhook.as_str());
        }
        let mut policy = serde_json::Map::new();
        if let Some(timeout) = job.execution_timeout_ms {
            policy.insert("executionTimeout".to_owned(), Value::from(timeout));
        }
        if let Some(ttl) = job.ttl_ms {
            policy.insert("ttl".to_owned(), Value::from(ttl));
        }
        if !policy.is_empty() {
            body["policy"] = Value::Object(policy);
        }
        let url = format!(
            "{}/v2/{}/run",
            self.settings.api_url,
            self.endpoint(job.kind)
        );
        let request = OutboundRequest::post(url)
            .bearer(self.settings.api_key.expose())
            .json(&body)
            .map_err(|error| unreachable("RunPod", error))?
            .timeout(RUNPOD_TIMEOUT);
        let response = self
            .http
            .send(request)
            .await
            .map_err(|error| unreachable("RunPod", error))?;
        let answer = json_answer("RunPod", response)?;
        answer["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or(PortError::Unreadable {
                service: "RunPod",
                reason: "no job id in the answer".to_owned(),
            })
    }
}

const SERVICE_TIMEOUT: Duration = Duration::from_secs(10);

/// Calls from one of our services to another, signed with the shared
/// secret exactly as `codex_policy::WorkerCall` verifies them
/// (`X-Worker-Timestamp`, `X-Worker-Signature`).
pub struct ServiceClient {
    secret: Secret,
    urls: Vec<(&'static str, String)>,
    http: Arc<dyn HttpClient>,
    clock: Arc<dyn Clock>,
}

impl ServiceClient {
    pub fn new(
        secret: Secret,
        urls: Vec<(&'static str, String)>,
        http: Arc<dyn HttpClient>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            secret,
            urls,
            http,
            clock,
        }
    }

    /// `POST {service's URL}{path}` with `body` as JSON, signed; the
    /// answer's JSON. A client error of that service about what was sent
    /// (400, 413, 415, 422) comes back as that error (`ApiError::relayed`);
    /// any other refusal is this service's own failure.
    pub async fn post(&self, service: &str, path: &str, body: &Value) -> Result<Value, ApiError> {
        let base = self
            .urls
            .iter()
            .find(|(name, _)| *name == service)
            .map(|(_, url)| url.as_str())
            .ok_or_else(|| {
                ApiError::configuration(&format!("{}_API_URL", service.to_uppercase()))
            })?;
        let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
        let timestamp = self.clock.now().timestamp();
        let signature = signature::sign(self.secret.expose().as_bytes(), timestamp, &bytes);
        let request = OutboundRequest::post(format!("{base}{path}"))
            .body(bytes, "application/json")
            .header("x-worker-timestamp", timestamp.to_string())
            .header("x-worker-signature", signature)
            .timeout(SERVICE_TIMEOUT);
        let response = self
            .http
            .send(request)
            .await
            .map_err(|error| unreachable("a Codex service", error))?;
        json_answer("a Codex service", response).map_err(|error| match &error {
            // What that service found wrong with the client's input goes
            // back to the client as it was written.
            PortError::Refused { status, body, .. } => {
                ApiError::relayed(*status, body).unwrap_or_else(|| error.into())
            }
            _ => error.into(),
        })
    }
}
