use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use codex_clock::Clock;
use codex_config::S3Settings;
use worker::send::{SendFuture, SendWrapper};
use worker::{Bucket, HttpMetadata};

use crate::sigv4::{self, Bucket as SigningBucket};
use crate::{Method, ObjectStore, StorageError, StoredObject, validate_key};

/// An R2 bucket binding; presigned URLs are signed with SigV4 against the
/// bucket's S3 endpoint when its credentials are configured.
pub struct R2Store {
    bucket: SendWrapper<Bucket>,
    signing: Option<S3Settings>,
    clock: Arc<dyn Clock>,
}

impl R2Store {
    pub fn new(bucket: Bucket, signing: Option<S3Settings>, clock: Arc<dyn Clock>) -> Self {
        Self {
            bucket: SendWrapper::new(bucket),
            signing,
            clock,
        }
    }
}

fn unavailable(error: impl std::fmt::Display) -> StorageError {
    StorageError::Unavailable(error.to_string())
}

#[async_trait]
impl ObjectStore for R2Store {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: Option<&str>,
    ) -> Result<(), StorageError> {
        validate_key(key)?;
        SendFuture::new(async move {
            let metadata = HttpMetadata {
                content_type: content_type.map(str::to_owned),
                ..HttpMetadata::default()
            };
            self.bucket
                .put(key, bytes)
                .http_metadata(metadata)
                .execute()
                .await
                .map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<Option<StoredObject>, StorageError> {
        validate_key(key)?;
        SendFuture::new(async move {
            let Some(object) = self.bucket.get(key).execute().await.map_err(unavailable)? else {
                return Ok(None);
            };
            let content_type = object.http_metadata().content_type;
            let bytes = match object.body() {
                Some(body) => body.bytes().await.map_err(unavailable)?,
                None => Vec::new(),
            };
            Ok(Some(StoredObject {
                bytes,
                content_type,
            }))
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        validate_key(key)?;
        SendFuture::new(async move { self.bucket.delete(key).await.map_err(unavailable) }).await
    }

    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StorageError> {
        SendFuture::new(async move {
            let limit = u32::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
            let listed = self
                .bucket
                .list()
                .prefix(prefix.to_owned())
                .limit(limit)
                .execute()
                .await
                .map_err(unavailable)?;
            Ok(listed.objects().iter().map(worker::Object::key).collect())
        })
        .await
    }

    async fn presign(
        &self,
        method: Method,
        key: &str,
        expires_in: Duration,
    ) -> Result<String, StorageError> {
        validate_key(key)?;
        let settings = self
            .signing
            .as_ref()
            .ok_or(StorageError::SigningNotConfigured)?;
        let bucket = SigningBucket {
            endpoint: &settings.endpoint,
            region: &settings.region,
            name: &settings.bucket,
            access_key_id: &settings.access_key_id,
            secret_access_key: settings.secret_access_key.expose(),
        };
        sigv4::presign(&bucket, method, key, self.clock.now(), expires_in, &[])
    }
}
