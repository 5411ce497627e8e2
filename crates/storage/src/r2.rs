use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use codex_clock::Clock;
use codex_config::S3Settings;
use codex_outbound::{HttpClient, OutboundRequest, OutboundResponse};
use worker::send::{SendFuture, SendWrapper};
use worker::{Bucket, HttpMetadata, Range};

use crate::multipart::{self, CompletedPart, StoredPart};
use crate::sigv4::{self, Bucket as SigningBucket};
use crate::{
    Method, ObjectInfo, ObjectStore, PresignedRequest, StorageError, StoredObject, validate_key,
};

/// How long a signed call of our own to the S3 endpoint may take.
const S3_CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the URL of such a call is valid: just long enough to send it.
const S3_CALL_EXPIRY: Duration = Duration::from_secs(300);

/// An R2 bucket binding for the service's own reads and writes. Presigned
/// URLs, and the multipart calls (create, list parts, complete, abort),
/// go to the bucket's S3 endpoint, signed with SigV4, when its credentials
/// are configured: the same API the native host uses, so an upload id
/// means the same thing on both runtimes.
pub struct R2Store {
    bucket: SendWrapper<Bucket>,
    signing: Option<S3Settings>,
    http: Arc<dyn HttpClient>,
    clock: Arc<dyn Clock>,
}

impl R2Store {
    pub fn new(
        bucket: Bucket,
        signing: Option<S3Settings>,
        http: Arc<dyn HttpClient>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            bucket: SendWrapper::new(bucket),
            signing,
            http,
            clock,
        }
    }

    fn sign(
        &self,
        method: Method,
        key: &str,
        expires_in: Duration,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Result<String, StorageError> {
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
        sigv4::presign_with_headers(
            &bucket,
            method,
            key,
            self.clock.now(),
            expires_in,
            query,
            headers,
        )
    }

    /// One S3 API call of our own, signed for a few minutes and sent now.
    async fn call(
        &self,
        method: Method,
        key: &str,
        query: &[(&str, &str)],
        body: Option<(Vec<u8>, &str)>,
    ) -> Result<OutboundResponse, StorageError> {
        let headers: Vec<(&str, &str)> = body
            .as_ref()
            .map(|(_, content_type)| vec![("content-type", *content_type)])
            .unwrap_or_default();
        let url = self.sign(method, key, S3_CALL_EXPIRY, query, &headers)?;
        let http_method = match method {
            Method::Get => http::Method::GET,
            Method::Head => http::Method::HEAD,
            Method::Put => http::Method::PUT,
            Method::Post => http::Method::POST,
            Method::Delete => http::Method::DELETE,
        };
        let mut request = OutboundRequest::new(http_method, url).timeout(S3_CALL_TIMEOUT);
        if let Some((body, content_type)) = body {
            request = request.body(body, content_type);
        }
        self.http.send(request).await.map_err(unavailable)
    }
}

/// The S3 error of a failed call: `NoSuchUpload`, bad parts, or ours.
fn s3_error(response: &OutboundResponse) -> StorageError {
    let body = String::from_utf8_lossy(&response.body);
    match multipart::parse_error_code(&body).as_deref() {
        Some("NoSuchUpload") => StorageError::NoSuchUpload,
        Some("NotImplemented") => StorageError::NotSupported("this S3 call"),
        Some(code @ ("InvalidPart" | "InvalidPartOrder" | "EntityTooSmall")) => {
            StorageError::InvalidParts(code.to_owned())
        }
        Some(code) => StorageError::Unavailable(format!("S3 answered {code}")),
        None => StorageError::Unavailable(format!("S3 answered {}", response.status)),
    }
}

/// How many times a write is tried in all. R2 asks clients to retry its
/// 5xx answers, and writing the same bytes to the same key again is
/// harmless; local R2 state shared by several `wrangler dev` processes can
/// also be busy for a moment (SQLITE_BUSY).
const WRITE_ATTEMPTS: u32 = 3;

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
        let mut attempt = 1;
        loop {
            let body = bytes.clone();
            let written = SendFuture::new(async move {
                let metadata = HttpMetadata {
                    content_type: content_type.map(str::to_owned),
                    ..HttpMetadata::default()
                };
                self.bucket
                    .put(key, body)
                    .http_metadata(metadata)
                    .execute()
                    .await
                    .map(|_| ())
                    .map_err(unavailable)
            })
            .await;
            match written {
                Err(error) if attempt < WRITE_ATTEMPTS => {
                    tracing::warn!(%error, attempt, "an object write failed; trying again");
                    self.clock
                        .sleep(Duration::from_millis(100 * u64::from(attempt)))
                        .await;
                    attempt += 1;
                }
                done => return done,
            }
        }
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

    /// Retried (deleting twice is harmless): R2 asks for retries on its
    /// 5xx, and Miniflare's shared state can answer `SQLITE_BUSY`.
    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        validate_key(key)?;
        SendFuture::new(codex_clock::retry(
            &codex_clock::SystemClock,
            3,
            Duration::from_millis(20),
            || async move { self.bucket.delete(key).await.map_err(unavailable) },
        ))
        .await
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
        self.sign(method, key, expires_in, &[], &[])
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StorageError> {
        validate_key(key)?;
        SendFuture::new(async move {
            let object = self.bucket.head(key).await.map_err(unavailable)?;
            Ok(object.map(|object| ObjectInfo {
                size: object.size(),
                content_type: object.http_metadata().content_type,
            }))
        })
        .await
    }

    async fn get_range(
        &self,
        key: &str,
        offset: u64,
        length: u64,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        validate_key(key)?;
        SendFuture::new(async move {
            let Some(info) = self.bucket.head(key).await.map_err(unavailable)? else {
                return Ok(None);
            };
            // R2 refuses a range that starts past the end.
            let length = length.min(info.size().saturating_sub(offset));
            if length == 0 {
                return Ok(Some(Vec::new()));
            }
            let Some(object) = self
                .bucket
                .get(key)
                .range(Range::OffsetWithLength { offset, length })
                .execute()
                .await
                .map_err(unavailable)?
            else {
                return Ok(None);
            };
            match object.body() {
                Some(body) => Ok(Some(body.bytes().await.map_err(unavailable)?)),
                None => Ok(Some(Vec::new())),
            }
        })
        .await
    }

    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        expires_in: Duration,
    ) -> Result<PresignedRequest, StorageError> {
        validate_key(key)?;
        let url = self.sign(
            Method::Put,
            key,
            expires_in,
            &[],
            &[("content-type", content_type)],
        )?;
        Ok(PresignedRequest {
            url,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
        })
    }

    async fn create_multipart(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<String, StorageError> {
        validate_key(key)?;
        let response = SendFuture::new(self.call(
            Method::Post,
            key,
            &[("uploads", "")],
            Some((Vec::new(), content_type)),
        ))
        .await?;
        if !response.is_success() {
            return Err(s3_error(&response));
        }
        multipart::parse_upload_id(&String::from_utf8_lossy(&response.body))
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
        let part = part_number.to_string();
        self.sign(
            Method::Put,
            key,
            expires_in,
            &[("partNumber", &part), ("uploadId", upload_id)],
            &[],
        )
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        bytes: Vec<u8>,
    ) -> Result<String, StorageError> {
        validate_key(key)?;
        let part = part_number.to_string();
        let response = SendFuture::new(self.call(
            Method::Put,
            key,
            &[("partNumber", &part), ("uploadId", upload_id)],
            Some((bytes, "application/octet-stream")),
        ))
        .await?;
        if !response.is_success() {
            return Err(s3_error(&response));
        }
        response
            .header("etag")
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
        let mut marker = String::from("0");
        loop {
            let response = SendFuture::new(self.call(
                Method::Get,
                key,
                &[("uploadId", upload_id), ("part-number-marker", &marker)],
                None,
            ))
            .await?;
            if !response.is_success() {
                return Err(s3_error(&response));
            }
            let (page, next) = multipart::parse_parts(&String::from_utf8_lossy(&response.body))
                .ok_or_else(|| StorageError::Unavailable("an unreadable list of parts".into()))?;
            parts.extend(page);
            match next {
                Some(next) => marker = next.to_string(),
                None => {
                    parts.sort_by_key(|part| part.part_number);
                    return Ok(parts);
                }
            }
        }
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<(), StorageError> {
        validate_key(key)?;
        let response = SendFuture::new(self.call(
            Method::Post,
            key,
            &[("uploadId", upload_id)],
            Some((
                multipart::complete_body(parts).into_bytes(),
                "application/xml",
            )),
        ))
        .await?;
        // S3 may answer 200 with an error document once it has started.
        let body = String::from_utf8_lossy(&response.body);
        if !response.is_success() || body.contains("<Error>") {
            return Err(s3_error(&response));
        }
        Ok(())
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), StorageError> {
        validate_key(key)?;
        let response =
            SendFuture::new(self.call(Method::Delete, key, &[("uploadId", upload_id)], None))
                .await?;
        match response.status {
            200..=299 | 404 => Ok(()),
            _ => Err(s3_error(&response)),
        }
    }
}
