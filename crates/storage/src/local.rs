//! The native default: objects as files under one folder, with presigned
//! URLs that the host itself verifies and serves.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use codex_clock::Clock;
use codex_config::Secret;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::io::{AsyncWriteExt, BufWriter};

use crate::{Method, ObjectStore, StorageError, StoredObject, check_expiry, validate_key};

/// A side file next to each object holds its content type.
const CONTENT_TYPE_SUFFIX: &str = ".content-type";

pub struct LocalFolderStore {
    root: PathBuf,
    /// Where the host serves signed URLs, e.g. `http://127.0.0.1:4002/local-storage`.
    public_base_url: String,
    signing_key: Secret,
    clock: Arc<dyn Clock>,
}

impl LocalFolderStore {
    pub fn new(
        root: impl Into<PathBuf>,
        public_base_url: &str,
        signing_key: Secret,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            root: root.into(),
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
            signing_key,
            clock,
        }
    }

    fn path_of(&self, key: &str) -> Result<PathBuf, StorageError> {
        validate_key(key)?;
        if key.ends_with(CONTENT_TYPE_SUFFIX) {
            return Err(StorageError::InvalidKey("reserved suffix"));
        }
        Ok(self.root.join(key))
    }

    /// The MAC of a signed URL: method, key and expiry, keyed with our secret.
    fn url_mac(&self, method: Method, key: &str, expires: i64) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(self.signing_key.expose().as_bytes())
                .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(format!("{}\n{key}\n{expires}", method.as_str()).as_bytes());
        mac
    }

    /// Starts writing the object `key` piece by piece (see [`Upload`]), so
    /// a large upload never has to be held in memory.
    pub async fn start_upload(&self, key: &str) -> Result<Upload, StorageError> {
        let path = self.path_of(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| io_error(&e))?;
        }
        let partial = PathBuf::from(format!(
            "{}.partial-{}-{}",
            path.display(),
            std::process::id(),
            PARTIAL_SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ));
        let file = tokio::fs::File::create(&partial)
            .await
            .map_err(|e| io_error(&e))?;
        Ok(Upload {
            path,
            partial,
            file: BufWriter::with_capacity(256 * 1024, file),
            written: 0,
            finished: false,
        })
    }

    /// Checks a signed URL's parameters: not expired, and signed by us for
    /// this method and key (constant-time comparison).
    pub fn verify(
        &self,
        method: Method,
        key: &str,
        expires: i64,
        signature_hex: &str,
    ) -> Result<(), StorageError> {
        validate_key(key)?;
        if self.clock.now().timestamp() >= expires {
            return Err(StorageError::Expired);
        }
        let signature = hex::decode(signature_hex).map_err(|_| StorageError::BadSignature)?;
        self.url_mac(method, key, expires)
            .verify_slice(&signature)
            .map_err(|_| StorageError::BadSignature)
    }
}

fn io_error(error: &std::io::Error) -> StorageError {
    StorageError::Unavailable(error.kind().to_string())
}

fn content_type_path(path: &std::path::Path) -> PathBuf {
    PathBuf::from(format!("{}{CONTENT_TYPE_SUFFIX}", path.display()))
}

/// Told apart from other writes of this process to the same key.
static PARTIAL_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// An object being written piece by piece: into a temporary file beside
/// where it will live (so the rename is atomic and a reader never sees
/// half an object), renamed into place by [`Upload::finish`]. Dropped
/// unfinished (an error, a lost connection), the temporary file is removed.
pub struct Upload {
    path: PathBuf,
    partial: PathBuf,
    file: BufWriter<tokio::fs::File>,
    written: u64,
    finished: bool,
}

impl Upload {
    /// Appends `chunk`.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), StorageError> {
        self.file.write_all(chunk).await.map_err(|e| io_error(&e))?;
        self.written += chunk.len() as u64;
        Ok(())
    }

    /// How many bytes were written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Puts the object in place, with its content type.
    pub async fn finish(mut self, content_type: Option<&str>) -> Result<(), StorageError> {
        self.file.flush().await.map_err(|e| io_error(&e))?;
        tokio::fs::rename(&self.partial, &self.path)
            .await
            .map_err(|e| io_error(&e))?;
        self.finished = true;
        let type_path = content_type_path(&self.path);
        match content_type {
            Some(content_type) => tokio::fs::write(type_path, content_type)
                .await
                .map_err(|e| io_error(&e))?,
            None => {
                let _ = tokio::fs::remove_file(type_path).await;
            }
        }
        Ok(())
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

#[async_trait]
impl ObjectStore for LocalFolderStore {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: Option<&str>,
    ) -> Result<(), StorageError> {
        let mut upload = self.start_upload(key).await?;
        upload.write(&bytes).await?;
        upload.finish(content_type).await
    }

    async fn get(&self, key: &str) -> Result<Option<StoredObject>, StorageError> {
        let path = self.path_of(key)?;
        let bytes = match tokio::fs::read(&path).await {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) if error.kind() == std::io::ErrorKind::IsADirectory => return Ok(None),
            Err(error) => return Err(io_error(&error)),
        };
        let content_type = tokio::fs::read_to_string(content_type_path(&path))
            .await
            .ok();
        Ok(Some(StoredObject {
            bytes,
            content_type,
        }))
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = self.path_of(key)?;
        for target in [path.clone(), content_type_path(&path)] {
            match tokio::fs::remove_file(&target).await {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(io_error(&error)),
            }
        }
        Ok(())
    }

    async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StorageError> {
        tokio::fs::create_dir_all(&self.root)
            .await
            .map_err(|e| io_error(&e))?;
        let mut keys = Vec::new();
        let mut pending = vec![self.root.clone()];
        while let Some(dir) = pending.pop() {
            let mut entries = tokio::fs::read_dir(&dir).await.map_err(|e| io_error(&e))?;
            while let Some(entry) = entries.next_entry().await.map_err(|e| io_error(&e))? {
                let path = entry.path();
                if entry.file_type().await.map_err(|e| io_error(&e))?.is_dir() {
                    pending.push(path);
                    continue;
                }
                let Ok(relative) = path.strip_prefix(&self.root) else {
                    continue;
                };
                let key = relative.to_string_lossy().replace('\\', "/");
                if key.starts_with(prefix)
                    && validate_key(&key).is_ok()
                    && !key.ends_with(CONTENT_TYPE_SUFFIX)
                    && !key.contains(".partial-")
                {
                    keys.push(key);
                }
            }
        }
        keys.sort();
        keys.truncate(limit);
        Ok(keys)
    }

    async fn presign(
        &self,
        method: Method,
        key: &str,
        expires_in: Duration,
    ) -> Result<String, StorageError> {
        validate_key(key)?;
        check_expiry(expires_in)?;
        let expires_in =
            i64::try_from(expires_in.as_secs()).map_err(|_| StorageError::ExpiryTooLong)?;
        let expires = self.clock.now().timestamp() + expires_in;
        let signature = hex::encode(self.url_mac(method, key, expires).finalize().into_bytes());
        Ok(format!(
            "{}/{key}?expires={expires}&signature={signature}",
            self.public_base_url
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use codex_clock::ManualClock;

    fn store(dir: &std::path::Path) -> (Arc<ManualClock>, LocalFolderStore) {
        let clock = Arc::new(ManualClock::new(
            DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        ));
        let store = LocalFolderStore::new(
            dir,
            "http://127.0.0.1:4002/local-storage/",
            Secret::new("k"),
            clock.clone(),
        );
        (clock, store)
    }

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("codex-storage-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        dir
    }

    #[tokio::test]
    async fn put_get_list_delete_round_trip() {
        let dir = temp_dir();
        let (_, store) = store(&dir);
        store
            .put("u1/a.txt", b"hello".to_vec(), Some("text/plain"))
            .await
            .expect("put");
        store
            .put("u1/b/c.bin", vec![0, 1, 2], None)
            .await
            .expect("put");
        store.put("u2/z", vec![9], None).await.expect("put");
        let object = store.get("u1/a.txt").await.expect("get").expect("present");
        assert_eq!(object.bytes, b"hello");
        assert_eq!(object.content_type.as_deref(), Some("text/plain"));
        assert_eq!(
            store.list("u1/", 10).await.expect("list"),
            vec!["u1/a.txt", "u1/b/c.bin"]
        );
        assert_eq!(store.list("", 1).await.expect("list").len(), 1);
        store.delete("u1/a.txt").await.expect("delete");
        store
            .delete("u1/a.txt")
            .await
            .expect("deleting twice is fine");
        assert_eq!(store.get("u1/a.txt").await.expect("get"), None);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn presigned_urls_verify_until_they_expire_and_only_as_signed() {
        let dir = temp_dir();
        let (clock, store) = store(&dir);
        let url = store
            .presign(Method::Get, "a/b.mp4", Duration::from_secs(600))
            .await
            .expect("presign");
        assert!(
            url.starts_with("http://127.0.0.1:4002/local-storage/a/b.mp4?expires="),
            "{url}"
        );
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let mut expires = 0;
        let mut signature = String::new();
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("expires", v)) => expires = v.parse().unwrap_or_default(),
                Some(("signature", v)) => signature = v.to_owned(),
                _ => {}
            }
        }
        assert_eq!(
            store.verify(Method::Get, "a/b.mp4", expires, &signature),
            Ok(())
        );
        assert_eq!(
            store.verify(Method::Put, "a/b.mp4", expires, &signature),
            Err(StorageError::BadSignature)
        );
        assert_eq!(
            store.verify(Method::Get, "a/c.mp4", expires, &signature),
            Err(StorageError::BadSignature)
        );
        assert_eq!(
            store.verify(Method::Get, "a/b.mp4", expires + 1, &signature),
            Err(StorageError::BadSignature)
        );
        clock.advance(Duration::from_secs(600));
        assert_eq!(
            store.verify(Method::Get, "a/b.mp4", expires, &signature),
            Err(StorageError::Expired)
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Every file under `dir`, relative to it.
    fn files_under(dir: &std::path::Path) -> Vec<String> {
        let mut files = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(folder) = pending.pop() {
            for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else if let Ok(relative) = path.strip_prefix(dir) {
                    files.push(relative.to_string_lossy().into_owned());
                }
            }
        }
        files.sort();
        files
    }

    #[tokio::test]
    async fn uploads_are_written_in_pieces_and_appear_only_when_finished() {
        let dir = temp_dir();
        let (_, store) = store(&dir);
        let mut upload = store.start_upload("v/big.bin").await.expect("start");
        upload.write(b"hello ").await.expect("write");
        upload.write(b"world").await.expect("write");
        assert_eq!(upload.written(), 11);
        assert_eq!(store.get("v/big.bin").await.expect("get"), None);
        assert_eq!(
            store.list("v/", 10).await.expect("list"),
            Vec::<String>::new()
        );
        upload.finish(Some("text/plain")).await.expect("finish");
        let object = store.get("v/big.bin").await.expect("get").expect("present");
        assert_eq!(object.bytes, b"hello world");
        assert_eq!(object.content_type.as_deref(), Some("text/plain"));

        // An upload given up half way leaves nothing behind, and the old
        // object in place.
        let mut abandoned = store.start_upload("v/big.bin").await.expect("start");
        abandoned.write(b"half").await.expect("write");
        drop(abandoned);
        let object = store.get("v/big.bin").await.expect("get").expect("present");
        assert_eq!(object.bytes, b"hello world");
        assert_eq!(
            files_under(&dir),
            vec!["v/big.bin", "v/big.bin.content-type"]
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn traversal_keys_never_reach_the_file_system() {
        let dir = temp_dir();
        let (_, store) = store(&dir);
        assert!(store.put("../escape", vec![1], None).await.is_err());
        assert!(store.get("a/../../etc/passwd").await.is_err());
        assert!(store.put("x.content-type", vec![1], None).await.is_err());
        assert!(store.start_upload("../escape").await.is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
