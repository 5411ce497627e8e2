//! Serves the local object folder through the signed, expiring URLs that
//! `LocalFolderStore::presign` hands out: `GET` and `PUT`
//! `/local-storage/{key}?expires=…&signature=…`. Mounted on the media
//! service's port by the native host when no S3 endpoint is configured.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use codex_errors::ApiError;
use codex_http_kit::extract::{Path, Query};
use codex_http_kit::{AppState, respond};
use codex_storage::{LocalFolderStore, Method, ObjectStore};
use serde::Deserialize;

/// The largest object a signed PUT accepts here (local development only).
const MAX_UPLOAD_BYTES: usize = 1024 * 1024 * 1024;

pub fn routes(store: Arc<LocalFolderStore>) -> Router<AppState> {
    Router::new()
        .route("/local-storage/{*key}", get(download).put(upload))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
        .layer(Extension(store))
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

async fn upload(
    Extension(store): Extension<Arc<LocalFolderStore>>,
    Path(key): Path<String>,
    Query(signed): Query<Signed>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    store.verify(Method::Put, &key, signed.expires, &signed.signature)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    store.put(&key, body.to_vec(), content_type).await?;
    Ok(StatusCode::OK)
}
