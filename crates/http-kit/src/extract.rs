//! Extractors whose rejections speak the error envelope. Handlers use these
//! instead of axum's, so that malformed JSON, a bad path parameter or a bad
//! query string get a 4xx `{"error": …}` rather than axum's plain text.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use codex_errors::{ApiError, ErrorCode};
use serde::de::DeserializeOwned;
use serde_json::json;

/// A JSON body. Its rejections:
/// - not JSON at all → 400 "Request body must be valid JSON" (`details.code = INVALID_JSON`);
/// - JSON of the wrong shape → 400 "Invalid request data" with the reason;
/// - no `Content-Type: application/json` → 415;
/// - too large → 413.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

/// A JSON body that may be left out: no body at all gives `T::default()`;
/// a body is read as [`Json`] reads it, with the same rejections.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<T, S> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        // Such bodies are small; a larger one is refused unread.
        let bytes = axum::body::to_bytes(body, 1024 * 1024)
            .await
            .map_err(|_| ApiError::new(ErrorCode::PayloadTooLarge, "Request body is too large"))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        let request = Request::from_parts(parts, axum::body::Body::from(bytes));
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(Self(value))
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonSyntaxError(_) => {
            ApiError::validation("Request body must be valid JSON")
                .with_details(json!({"code": "INVALID_JSON"}))
        }
        JsonRejection::JsonDataError(error) => {
            // serde's message names the field and what was wrong with it,
            // e.g. "missing field `email`"; it never echoes the value.
            let reason = error.body_text();
            let reason = reason
                .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                .unwrap_or(&reason)
                .to_owned();
            ApiError::invalid_fields([("body", reason)])
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "Content-Type must be application/json",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(ErrorCode::PayloadTooLarge, "Request body is too large")
        }
        _ => ApiError::validation("Request body could not be read"),
    }
}

/// Path parameters. A parameter of the wrong form → 400 naming the problem.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(path_rejection(&rejection)),
        }
    }
}

fn path_rejection(rejection: &PathRejection) -> ApiError {
    match rejection {
        PathRejection::FailedToDeserializePathParams(error) => {
            let reason = error.body_text();
            let reason = reason
                .strip_prefix("Invalid URL: ")
                .unwrap_or(&reason)
                .to_owned();
            ApiError::invalid_fields([("path", reason)])
        }
        _ => ApiError::internal("path parameters requested by a route without any"),
    }
}

/// The query string. Unknown keys are ignored; a known key of the wrong form
/// → 400 naming the problem.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_rejection(&rejection)),
        }
    }
}

fn query_rejection(rejection: &QueryRejection) -> ApiError {
    let reason = rejection.body_text();
    let reason = reason
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&reason)
        .to_owned();
    ApiError::invalid_fields([("query", reason)])
}
