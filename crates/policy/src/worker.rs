use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use codex_context::signature as worker_signature;
use codex_errors::ApiError;
use codex_http_kit::AppState;
use serde::de::DeserializeOwned;

/// A call from another worker, signed with the shared secret: the body it
/// carried, once the signature is checked. Refused with 401 when the
/// signature is missing, wrong, too old (300 s) or too far ahead (60 s), or
/// when this service has no secret configured.
#[derive(Debug, Clone)]
pub struct WorkerCall(pub Bytes);

impl WorkerCall {
    /// The body as JSON of type `T`; 400 in the envelope otherwise.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.0)
            .map_err(|error| ApiError::invalid_fields([("body", error.to_string())]))
    }
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

impl FromRequest<AppState> for WorkerCall {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let Some(secret) = state.config().worker_shared_secret.clone() else {
            tracing::error!("a signed worker call arrived, but WORKER_SHARED_SECRET is not set");
            return Err(ApiError::unauthorized());
        };
        let (Some(timestamp), Some(signature)) = (
            header(&request, "x-worker-timestamp").map(str::to_owned),
            header(&request, "x-worker-signature").map(str::to_owned),
        ) else {
            return Err(ApiError::unauthorized());
        };
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::validation("Request body could not be read"))?;
        let now = state.clock().now().timestamp();
        worker_signature::verify(
            secret.expose().as_bytes(),
            &timestamp,
            &signature,
            &body,
            now,
        )
        .map_err(|error| {
            tracing::warn!(%error, "refused a worker call");
            ApiError::unauthorized()
        })?;
        Ok(Self(body))
    }
}
