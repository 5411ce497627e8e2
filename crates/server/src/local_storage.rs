//! Serves the local object folder through the signed, expiring URLs that
//! `LocalFolderStore::presign` hands out: `GET` and `PUT`
//! `/local-storage/{key}?expires=…&signature=…`. Mounted on the media
//! service's port by the native host when no S3 endpoint is configured.
//!
//! A `PUT` is judged before a byte of its body is read: the signature and
//! expiry, then the declared `Content-Length` (required, at most
//! [`MAX_UPLOAD_BYTES`]). The body is then streamed to a temporary file in
//! the store's folder and renamed into place, never held in memory, and it
//! must be exactly as long as declared.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use codex_errors::{ApiError, ErrorCode};
use codex_http_kit::extract::{Path, Query};
use codex_http_kit::{AppState, respond};
use codex_storage::{LocalFolderStore, Method, ObjectStore};
use futures::StreamExt;
use serde::Deserialize;

/// The largest object a signed PUT accepts here (local development only).
pub const MAX_UPLOAD_BYTES: u64 = 1024 * 1024 * 1024;

pub fn routes(store: Arc<LocalFolderStore>) -> Router<AppState> {
    Router::new()
        .route("/local-storage/{*key}", get(download).put(upload))
        .layer(axum::middleware::from_fn(close_after_refused_upload))
        .layer(Extension(store))
}

/// A refused `PUT` leaves its body unread, so the connection cannot carry
/// another request: saying so keeps a client from reusing it (and failing).
async fn close_after_refused_upload(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let upload = request.method() == axum::http::Method::PUT;
    let mut response = next.run(request).await;
    if upload && !response.status().is_success() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

#[derive(Debug, Deserialize)]
struct Signed {
    expires: i64,
    signature: String,
}

async fn download(
    Extension(store): Extension<Arc<LocalFolderStore>>,
    Path(key): Path<String>,
    Query(signed): Query<Signed>,
) -> Result<Response, ApiError> {
    store.verify(Method::Get, &key, signed.expires, &signed.signature)?;
    let object = store
        .get(&key)
        .await?
        .ok_or_else(|| ApiError::not_found("Object not found"))?;
    let mut response = respond::object(object);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=60"),
    );
    Ok(response)
}

/// The declared `Content-Length`: required, and at most [`MAX_UPLOAD_BYTES`].
fn declared_length(headers: &HeaderMap) -> Result<u64, ApiError> {
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok())
        .ok_or_else(|| ApiError::validation("An upload needs a Content-Length"))?;
    if length > MAX_UPLOAD_BYTES {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            "The upload is larger than allowed",
        ));
    }
    Ok(length)
}

async fn upload(
    Extension(store): Extension<Arc<LocalFolderStore>>,
    Path(key): Path<String>,
    Query(signed): Query<Signed>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    // Nothing of the body is read until the request is known to be allowed.
    store.verify(Method::Put, &key, signed.expires, &signed.signature)?;
    let length = declared_length(&headers)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let mut upload = store.start_upload(&key).await?;
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| ApiError::validation("The upload was interrupted"))?;
        if upload.written() + chunk.len() as u64 > length {
            return Err(ApiError::validation(
                "The body is longer than its Content-Length",
            ));
        }
        upload.write(&chunk).await?;
    }
    if upload.written() != length {
        return Err(ApiError::validation(
            "The body is shorter than its Content-Length",
        ));
    }
    upload.finish(content_type).await?;
    Ok(StatusCode::OK)
}
