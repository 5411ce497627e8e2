//! Object storage behind a trait, with presigned URLs.
//!
//! Adapters:
//! - `LocalFolderStore` (native default): files under a folder, served by
//!   the host itself through signed, expiring URLs;
//! - `S3Store` (native): aws-sdk-s3 against R2 or any S3 endpoint;
//! - `R2Store` (Workers): the R2 binding for data, [`sigv4`] for presigning.
//!
//! Keys are checked by [`validate_key`] before any adapter sees them.

#[cfg(not(target_arch = "wasm32"))]
mod local;
#[cfg(target_arch = "wasm32")]
mod r2;
#[cfg(not(target_arch = "wasm32"))]
mod s3;
pub mod sigv4;

use std::time::Duration;

use async_trait::async_trait;

#[cfg(not(target_arch = "wasm32"))]
pub use local::{LocalFolderStore, Upload};
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
    #[error("object store unavailable: {0}")]
    Unavailable(String),
}

/// The mapping onto the HTTP contract: a bad key is the client's mistake,
/// an expired or tampered signed URL is refused, anything else is ours.
impl From<StorageError> for codex_errors::ApiError {
    fn from(error: StorageError) -> Self {
        use codex_errors::ApiError;
        match error {
            StorageError::InvalidKey(reason) => ApiError::invalid_fields([("key", reason)]),
            StorageError::Expired => ApiError::forbidden("This link has expired"),
            StorageError::BadSignature => ApiError::forbidden("This link is not valid"),
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

/// Which operation a presigned URL allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
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

    /// A URL that allows `method` on `key` for `expires_in`, without credentials.
    async fn presign(
        &self,
        method: Method,
        key: &str,
        expires_in: Duration,
    ) -> Result<String, StorageError>;

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
}
