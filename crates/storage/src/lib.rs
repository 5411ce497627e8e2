//! Object storage behind a trait, with presigned URLs.
//!
//! Adapters:
//! - `S3Store` (native): aws-sdk-s3 against R2, any S3 endpoint, or the
//!   [`embedded`] S3 endpoint the native host serves over a local folder
//!   when nothing is configured, so one code path serves every case;
//! - `R2Store` (Workers): the R2 binding for the service's own reads and
//!   writes; [`sigv4`] for presigning and for the multipart calls, which
//!   go to the bucket's S3 endpoint so that an upload id means the same
//!   thing on both runtimes.
//!
//! Keys are checked by [`validate_key`] before any adapter sees them.

#[cfg(not(target_arch = "wasm32"))]
pub mod embedded;
pub mod multipart;
#[cfg(target_arch = "wasm32")]
mod r2;
#[cfg(not(target_arch = "wasm32"))]
mod s3;
pub mod sigv4;

use std::time::Duration;

use async_trait::async_trait;

pub use multipart::{CompletedPart, StoredPart};
#[cfg(target_arch = "wasm32")]
pub use r2::R2Store;
#[cfg(not(target_arch = "wasm32"))]
pub use s3::S3Store;

/// The longest a presigned URL may live (S3's own limit).
pub const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    #[error("invalid object key: {0}")]
    InvalidKey(&'static str),
    #[error("presigned URLs last at most 7 days")]
    ExpiryTooLong,
    #[error("presigning is not configured")]
    SigningNotConfigured,
    #[error("the signed URL has expired")]
    Expired,
    #[error("the signed URL's signature does not match")]
    BadSignature,
    #[error("no such multipart upload")]
    NoSuchUpload,
    #[error("the parts do not make up the upload: {0}")]
    InvalidParts(String),
    /// The storage does not implement this call (Miniflare's S3 API has no
    /// `ListParts`; R2's has).
    #[error("the storage does not support {0}")]
    NotSupported(&'static str),
    #[error("object store unavailable: {0}")]
    Unavailable(String),
}

/// The mapping onto the HTTP contract: a bad key is the client's mistake,
/// an expired or tampered signed URL is refused, a storage that does not
/// answer is a 503 (as an unreachable database is), anything else is ours.
impl From<StorageError> for codex_errors::ApiError {
    fn from(error: StorageError) -> Self {
        use codex_errors::ApiError;
        match error {
            StorageError::InvalidKey(reason) => ApiError::invalid_fields([("key", reason)]),
            StorageError::Expired => ApiError::forbidden("This link has expired"),
            StorageError::BadSignature => ApiError::forbidden("This link is not valid"),
            StorageError::NoSuchUpload => {
                ApiError::not_found("The upload no longer exists: start a new one")
            }
            StorageError::InvalidParts(reason) => ApiError::invalid_fields([("parts", reason)]),
            StorageError::NotSupported(call) => {
                ApiError::service_unavailable(format!("The storage does not support {call}"))
            }
            StorageError::Unavailable(cause) => {
                tracing::warn!(%cause, "object store unavailable");
                ApiError::service_unavailable("The storage is temporarily unavailable")
            }
            other => ApiError::internal(other),
        }
    }
}

/// An object as read back from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

/// What the store knows of an object without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    pub content_type: Option<String>,
}

/// A presigned request the client makes itself: the URL, and the headers
/// it must send as they are, since the signature covers them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

/// Which operation a presigned URL allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Put,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Put => "PUT",
            Self::Post => "POST",
            Self::Delete => "DELETE",
        }
    }
}

#[async_trait]
pub trait ObjectStore: Send + Sync {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: Option<&str>,
    ) -> Result<(), StorageError>;

    async fn get(&self, key: &str) -> Result<Option<StoredObject>, StorageError>;

    /// Deleting a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), StorageError>;

    /// Up to `limit` keys that start with `prefix`, in key order.
    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StorageError>;

    /// A URL that allows `method` (GET, PUT or DELETE) on `key` for `expires_in`,
    /// without credentials.
    async fn presign(
        &self,
        method: Method,
        key: &str,
        expires_in: Duration,
    ) -> Result<String, StorageError>;

    /// The size and type of `key`, or `None` when there is no such object.
    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StorageError>;

    /// Up to `length` bytes of `key` from `offset` (fewer at its end), or
    /// `None` when there is no such object.
    async fn get_range(
        &self,
        key: &str,
        offset: u64,
        length: u64,
    ) -> Result<Option<Vec<u8>>, StorageError>;

    /// A single `PUT` of `key` whose signature covers `content_type`, so
    /// the stored object has the declared type.
    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        expires_in: Duration,
    ) -> Result<PresignedRequest, StorageError>;

    /// Starts an S3 multipart upload of `key`; returns its upload id.
    async fn create_multipart(&self, key: &str, content_type: &str)
    -> Result<String, StorageError>;

    /// A presigned `UploadPart` URL for part `part_number` of `upload_id`.
    async fn presign_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        expires_in: Duration,
    ) -> Result<String, StorageError>;

    /// Stores `bytes` as part `part_number` of `upload_id` (the service's
    /// own upload, not a browser's); returns the part's `ETag`.
    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        bytes: Vec<u8>,
    ) -> Result<String, StorageError>;

    /// The parts stored so far, in part order. `NoSuchUpload` once the
    /// upload has been completed or aborted.
    async fn list_parts(&self, key: &str, upload_id: &str)
    -> Result<Vec<StoredPart>, StorageError>;

    /// Joins `parts` (in part order) into the object `key`.
    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<(), StorageError>;

    /// Drops the upload and its parts. An upload that no longer exists is
    /// not an error.
    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), StorageError>;

    /// Deletes every object under `prefix` (which must end with `/`).
    async fn delete_prefix(&self, prefix: &str) -> Result<usize, StorageError> {
        if !prefix.ends_with('/') {
            return Err(StorageError::InvalidKey("a prefix ends with /"));
        }
        validate_key(prefix.trim_end_matches('/'))?;
        let mut deleted = 0;
        loop {
            let keys = self.list(prefix, 1000).await?;
            if keys.is_empty() {
                return Ok(deleted);
            }
            for key in &keys {
                self.delete(key).await?;
                deleted += 1;
            }
        }
    }

    /// Proves the store answers.
    async fn ping(&self) -> Result<(), StorageError> {
        self.list("", 1).await.map(|_| ())
    }
}

/// Accepts keys made of letters, digits and `/ _ - . =`, at most 1024 bytes,
/// with no empty, `.` or `..` segment and no leading slash: safe as an S3 key
/// and as a relative path under the local folder.
pub fn validate_key(key: &str) -> Result<(), StorageError> {
    if key.is_empty() || key.len() > 1024 {
        return Err(StorageError::InvalidKey("must be 1 to 1024 bytes"));
    }
    if !key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'.' | b'='))
    {
        return Err(StorageError::InvalidKey(
            "only letters, digits and / _ - . = are allowed",
        ));
    }
    if key
        .split('/')
        .any(|segment| segment.is_empty() || segment == "." || segment == "..")
    {
        return Err(StorageError::InvalidKey(
            "no empty, `.` or `..` path segments",
        ));
    }
    Ok(())
}

fn check_expiry(expires_in: Duration) -> Result<(), StorageError> {
    if expires_in > MAX_PRESIGN || expires_in.is_zero() {
        Err(StorageError::ExpiryTooLong)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_could_escape_or_confuse_are_refused() {
        for bad in [
            "", "/abs", "a//b", "a/../b", "..", "a/./b", "a b", "a\\b", "a/b/", "ü",
        ] {
            assert!(validate_key(bad).is_err(), "{bad:?} should be refused");
        }
        for good in [
            "a",
            "user-1/originals/9f/media.mp4",
            "avatars/u_1/sm.webp",
            "x=y",
        ] {
            assert_eq!(validate_key(good), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn a_storage_that_does_not_answer_is_a_503_not_a_500() {
        use codex_errors::ApiError;
        let status = |error: StorageError| ApiError::from(error).status().as_u16();
        assert_eq!(
            status(StorageError::Unavailable("database is locked".into())),
            503
        );
        assert_eq!(status(StorageError::NotSupported("ListParts")), 503);
        assert_eq!(status(StorageError::NoSuchUpload), 404);
        assert_eq!(status(StorageError::BadSignature), 403);
        assert_eq!(status(StorageError::SigningNotConfigured), 500);
    }
}
