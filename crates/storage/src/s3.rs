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

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart as SdkCompletedPart};

use crate::{
    CompletedPart, Method, ObjectInfo, ObjectStore, PresignedRequest, StorageError, StoredObject,
    StoredPart, check_expiry, validate_key,
};

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
            // A job takes back what it stored when it fails.
            Method::Delete => self
                .client
                .delete_object()
                .bucket(&self.bucket)
                .key(key)
                .presigned(config)
                .await
                .map_err(unavailable)?,
            Method::Head | Method::Post => {
                return Err(StorageError::Unavailable(format!(
                    "{} URLs are not handed out",
                    method.as_str()
                )));
            }
        };
        Ok(request.uri().to_owned())
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StorageError> {
        validate_key(key)?;
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => Ok(Some(ObjectInfo {
                size: output
                    .content_length()
                    .and_then(|length| u64::try_from(length).ok())
                    .unwrap_or(0),
                content_type: output.content_type().map(str::to_owned),
            })),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(error) => Err(unavailable(error)),
        }
    }

    async fn get_range(
        &self,
        key: &str,
        offset: u64,
        length: u64,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        validate_key(key)?;
        if length == 0 {
            return Ok(self.head(key).await?.map(|_| Vec::new()));
        }
        let range = format!("bytes={offset}-{}", offset + length - 1);
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(range)
            .send()
            .await
        {
            Ok(output) => output,
            Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Ok(None);
            }
            // A range past the end of a shorter object.
            Err(error)
                if error
                    .raw_response()
                    .is_some_and(|r| r.status().as_u16() == 416) =>
            {
                return Ok(Some(Vec::new()));
            }
            Err(error) => return Err(unavailable(error)),
        };
        let bytes = output.body.collect().await.map_err(unavailable)?;
        Ok(Some(bytes.into_bytes().to_vec()))
    }

    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        expires_in: Duration,
    ) -> Result<PresignedRequest, StorageError> {
        validate_key(key)?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .presigned(self.presigning(expires_in)?)
            .await
            .map_err(unavailable)?;
        Ok(PresignedRequest {
            url: request.uri().to_owned(),
            headers: request
                .headers()
                .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
                .collect(),
        })
    }

    async fn create_multipart(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<String, StorageError> {
        validate_key(key)?;
        let output = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(unavailable)?;
        output
            .upload_id()
            .map(str::to_owned)
            .ok_or_else(|| StorageError::Unavailable("no upload id in the answer".into()))
    }

    async fn presign_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        expires_in: Duration,
    ) -> Result<String, StorageError> {
        validate_key(key)?;
        let request = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(part_number_of(part_number)?)
            .presigned(self.presigning(expires_in)?)
            .await
            .map_err(unavailable)?;
        Ok(request.uri().to_owned())
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        bytes: Vec<u8>,
    ) -> Result<String, StorageError> {
        validate_key(key)?;
        let output = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(part_number_of(part_number)?)
            .body(aws_sdk_s3::primitives::ByteStream::from(bytes))
            .send()
            .await
            .map_err(|error| no_such_upload_or(error, unavailable))?;
        output
            .e_tag()
            .map(str::to_owned)
            .ok_or_else(|| StorageError::Unavailable("no ETag in the answer".into()))
    }

    async fn list_parts(
        &self,
        key: &str,
        upload_id: &str,
    ) -> Result<Vec<StoredPart>, StorageError> {
        validate_key(key)?;
        let mut parts = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let output = self
                .client
                .list_parts()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .set_part_number_marker(marker.take())
                .send()
                .await
                .map_err(|error| {
                    no_such_upload_or(error, |error| {
                        let code = error
                            .as_service_error()
                            .and_then(aws_sdk_s3::error::ProvideErrorMetadata::code);
                        if code == Some("NotImplemented") {
                            StorageError::NotSupported("ListParts")
                        } else {
                            unavailable(error)
                        }
                    })
                })?;
            for part in output.parts() {
                parts.push(StoredPart {
                    part_number: part
                        .part_number()
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(0),
                    etag: part.e_tag().unwrap_or_default().to_owned(),
                    size: part.size().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                });
            }
            match (output.is_truncated(), output.next_part_number_marker()) {
                (Some(true), Some(next)) => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        parts.sort_by_key(|part| part.part_number);
        Ok(parts)
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<(), StorageError> {
        validate_key(key)?;
        let mut completed = Vec::with_capacity(parts.len());
        for part in parts {
            completed.push(
                SdkCompletedPart::builder()
                    .part_number(part_number_of(part.part_number)?)
                    .e_tag(&part.etag)
                    .build(),
            );
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .send()
            .await
            .map_err(|error| {
                no_such_upload_or(error, |error| {
                    let code = error
                        .as_service_error()
                        .and_then(aws_sdk_s3::error::ProvideErrorMetadata::code)
                        .map(str::to_owned);
                    match code.as_deref() {
                        Some(code @ ("InvalidPart" | "InvalidPartOrder" | "EntityTooSmall")) => {
                            StorageError::InvalidParts(code.to_owned())
                        }
                        _ => unavailable(error),
                    }
                })
            })?;
        Ok(())
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), StorageError> {
        validate_key(key)?;
        match self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
            .map_err(|error| no_such_upload_or(error, unavailable))
        {
            Ok(_) | Err(StorageError::NoSuchUpload) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

fn part_number_of(part_number: u32) -> Result<i32, StorageError> {
    match i32::try_from(part_number) {
        Ok(n) if (1..=10_000).contains(&n) => Ok(n),
        _ => Err(StorageError::InvalidParts(
            "part numbers run from 1 to 10000".into(),
        )),
    }
}

/// `NoSuchUpload` for the S3 error of that name, `otherwise(error)` else.
fn no_such_upload_or<E, R>(
    error: aws_sdk_s3::error::SdkError<E, R>,
    otherwise: impl FnOnce(aws_sdk_s3::error::SdkError<E, R>) -> StorageError,
) -> StorageError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata,
{
    let no_such_upload = error
        .as_service_error()
        .and_then(aws_sdk_s3::error::ProvideErrorMetadata::code)
        == Some("NoSuchUpload");
    if no_such_upload {
        StorageError::NoSuchUpload
    } else {
        otherwise(error)
    }
}
