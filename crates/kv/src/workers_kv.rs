use std::time::Duration;

use async_trait::async_trait;
use worker::kv::KvStore;
use worker::send::SendFuture;

use codex_clock::{SystemClock, retry};

use crate::{KeyValue, KvError, effective_ttl};

/// Attempts of a write (a put or a delete is safe to repeat), and the
/// first pause between them.
const ATTEMPTS: u32 = 3;
const PAUSE: Duration = Duration::from_millis(20);

/// A Workers KV namespace binding.
pub struct WorkersKv {
    store: KvStore,
}

impl WorkersKv {
    pub fn new(store: KvStore) -> Self {
        Self { store }
    }
}

fn unavailable(error: impl std::fmt::Display) -> KvError {
    KvError::Unavailable(error.to_string())
}

#[async_trait]
impl KeyValue for WorkersKv {
    async fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        SendFuture::new(async move { self.store.get(key).text().await.map_err(unavailable) }).await
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), KvError> {
        SendFuture::new(retry(&SystemClock, ATTEMPTS, PAUSE, || async move {
            let mut put = self.store.put(key, value).map_err(unavailable)?;
            if let Some(ttl) = ttl {
                put = put.expiration_ttl(effective_ttl(ttl).as_secs());
            }
            put.execute().await.map_err(unavailable)
        }))
        .await
    }

    /// Retried: a delete that fails would leave a cached view in place
    /// until it expires.
    async fn delete(&self, key: &str) -> Result<(), KvError> {
        SendFuture::new(retry(&SystemClock, ATTEMPTS, PAUSE, || async move {
            self.store.delete(key).await.map_err(unavailable)
        }))
        .await
    }

    async fn ping(&self) -> Result<(), KvError> {
        SendFuture::new(async move {
            self.store
                .list()
                .limit(1)
                .execute()
                .await
                .map(|_| ())
                .map_err(unavailable)
        })
        .await
    }
}
