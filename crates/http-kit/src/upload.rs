//! Reading one file out of a `multipart/form-data` upload, with the size
//! limit enforced while reading and every failure a 400 in the envelope,
//! and storing an uploaded file for public reading.

use axum::extract::Multipart;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::http::StatusCode;
use codex_errors::ApiError;

use crate::AppState;

/// The bytes of the form field `field`, at most `max_bytes` long.
pub async fn read_file(
    multipart: Result<Multipart, MultipartRejection>,
    field: &'static str,
    max_bytes: usize,
) -> Result<Vec<u8>, ApiError> {
    let mut multipart =
        multipart.map_err(|_| ApiError::validation("Expected a multipart/form-data upload"))?;
    let too_large = || {
        ApiError::invalid_fields([(
            field,
            format!(
                "File '{field}' exceeds maximum size of {}MB",
                max_bytes / (1024 * 1024)
            ),
        )])
    };
    let unreadable = |error: MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::validation("The upload is not a valid multipart form")
        }
    };
    while let Some(mut part) = multipart.next_field().await.map_err(unreadable)? {
        if part.name() != Some(field) {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = part.chunk().await.map_err(unreadable)? {
            if bytes.len() + chunk.len() > max_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(bytes);
    }
    Err(ApiError::invalid_fields([(
        field,
        format!("Required file '{field}' is missing"),
    )]))
}

/// A file stored for anyone to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicFile {
    /// Its key in the object store.
    pub key: String,
    /// Where it is served: under `PUBLIC_ASSETS_URL`.
    pub url: String,
}

/// Stores `bytes` at `{folder}/{random}.{extension}`. The name is new each
/// time, so the URL never serves other bytes and may be cached for good.
pub async fn store_public(
    state: &AppState,
    folder: &str,
    bytes: Vec<u8>,
    content_type: &str,
    extension: &str,
) -> Result<PublicFile, ApiError> {
    let key = format!("{folder}/{}.{extension}", uuid::Uuid::new_v4().simple());
    state.objects().put(&key, bytes, Some(content_type)).await?;
    let url = format!("{}/{key}", state.config().public_assets_url);
    Ok(PublicFile { key, url })
}
