//! aws-sdk-s3 against R2 or any S3-compatible endpoint.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{
    Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use codex_clock::Clock;
use codex_config::S3Settings;

use crate::{Method, ObjectStore, StorageError, StoredObject, check_expiry, validate_key};

pub struct S3Store {
    client: Client,
    bucket: String,
    clock: Arc<dyn Clock>,
}

impl S3Store {
    pub fn new(settings: &S3Settings, clock: Arc<dyn Clock>) -> Self {
        let credentials = Credentials::new(
            settings.access_key_id.clone(),
            settings.secret_access_key.expose().to_owned(),
            None,
            None,
            "codex-config",
        );
        // An endpoint with a path (a local S3 emulator) needs its trailing slash.
        let endpoint =
            if settings.endpoint.matches('/').count() > 2 && !settings.endpoint.ends_with('/') {
                format!("{}/", settings.endpoint)
            } else {
                settings.endpoint.clone()
            };
        let config = aws_sdk_s3::Config::builder()
            .credentials_provider(credentials)
            .region(Region::new(settings.region.clone()))
            .endpoint_url(endpoint)
            .force_path_style(true)
            // R2 rejects the CRC32 checksums the SDK would add by default.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .build();
        Self {
            client: Client::from_conf(config),
            bucket: settings.bucket.clone(),
            clock,
        }
    }

    fn presigning(&self, expires_in: Duration) -> Result<PresigningConfig, StorageError> {
        check_expiry(expires_in)?;
        PresigningConfig::builder()
            .start_time(SystemTime::from(self.clock.now()))
            .expires_in(expires_in)
            .build()
            .map_err(|_| StorageError::ExpiryTooLong)
    }
}

fn unavailable(error: impl std::error::Error) -> StorageError {
    // The SDK's Display is terse ("service error"); its source chain says why.
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    StorageError::Unavailable(message)
}

#[async_trait]
impl ObjectStore for S3Store {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: Option<&str>,
    ) -> Result<(), StorageError> {
        validate_key(key)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .set_content_type(content_type.map(str::to_owned))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<StoredObject>, StorageError> {
        validate_key(key)?;
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Ok(None);
            }
            Err(error) => return Err(unavailable(error)),
        };
        let content_type = output.content_type().map(str::to_owned);
        let bytes = output
            .body
            .collect()
            .await
            .map_err(unavailable)?
            .into_bytes()
            .to_vec();
        Ok(Some(StoredObject {
            bytes,
            content_type,
        }))
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        validate_key(key)?;
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StorageError> {
        let output = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .max_keys(i32::try_from(limit.clamp(1, 1000)).unwrap_or(1000))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(output
            .contents()
            .iter()
            .filter_map(|object| object.key().map(str::to_owned))
            .collect())
    }

    async fn presign(
        &self,
        method: Method,
        key: &str,
        expires_in: Duration,
    ) -> Result<String, StorageError> {
        validate_key(key)?;
        let config = self.presigning(expires_in)?;
        let request = match method {
            Method::Get => self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(key)
                .presigned(config)
                .await
                .map_err(unavailable)?,
            Method::Put => self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .presigned(config)
                .await
                .map_err(unavailable)?,
        };
        Ok(request.uri().to_owned())
    }
}
