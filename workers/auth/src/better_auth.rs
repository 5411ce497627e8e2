//! BetterAuth's client reads errors as `{code, message}` at the top of the
//! body. On `/api/auth/*` an error therefore carries both forms: the
//! precise code (`details.code`, e.g. `INVALID_EMAIL_OR_PASSWORD`, or the
//! envelope's code when there is none) and message at the top, and the
//! usual envelope under `error`.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use codex_errors::ApiError;
use serde_json::Value;

/// Errors are small; anything larger is passed through untouched.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn error_body(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if response.status().as_u16() < 400 || !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return ApiError::internal("unreadable error body").into_response();
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let error = value.get("error").cloned().unwrap_or(Value::Null);
    let code = error
        .pointer("/details/code")
        .or_else(|| error.get("code"))
        .cloned();
    if let (Some(code), Some(object)) = (code, value.as_object_mut()) {
        object.insert("code".to_owned(), code);
        object.insert(
            "message".to_owned(),
            error.get("message").cloned().unwrap_or(Value::Null),
        );
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(value.to_string()))
}

/// Any other path under `/api/auth/`.
pub async fn unknown_endpoint() -> ApiError {
    ApiError::not_found("Auth endpoint not found")
}
