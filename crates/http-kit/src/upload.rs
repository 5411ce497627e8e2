//! Reading one file out of a `multipart/form-data` upload, with the size
//! limit enforced while reading and every failure a 400 in the envelope.

use axum::extract::Multipart;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::http::StatusCode;
use codex_errors::ApiError;

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
