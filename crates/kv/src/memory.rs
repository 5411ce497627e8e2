use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use codex_clock::Clock;

use crate::{KeyValue, KvError, effective_ttl};

/// A value and, when it expires, the instant it does.
type Entry = (String, Option<DateTime<Utc>>);

/// An in-process store: the native default. Entries live as long as the
/// process; expired entries are dropped when read or overwritten.
pub struct MemoryKv {
    clock: Arc<dyn Clock>,
    entries: Mutex<HashMap<String, Entry>>,
}

impl MemoryKv {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            entries: Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait]
impl KeyValue for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        let now = self.clock.now();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match entries.get(key) {
            Some((_, Some(expires))) if *expires <= now => {
                entries.remove(key);
                Ok(None)
            }
            Some((value, _)) => Ok(Some(value.clone())),
            None => Ok(None),
        }
    }

    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), KvError> {
        let expires = ttl.map(|ttl| {
            self.clock.now()
                + chrono::Duration::from_std(effective_ttl(ttl)).unwrap_or(chrono::Duration::MAX)
        });
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.to_owned(), (value.to_owned(), expires));
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
        Ok(())
    }

    async fn ping(&self) -> Result<(), KvError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codex_clock::ManualClock;

    fn store() -> (Arc<ManualClock>, MemoryKv) {
        let clock = Arc::new(ManualClock::new(
            DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        ));
        let kv = MemoryKv::new(clock.clone());
        (clock, kv)
    }

    #[tokio::test]
    async fn values_expire_after_their_ttl() {
        let (clock, kv) = store();
        kv.put("k", "v", Some(Duration::from_secs(120)))
            .await
            .unwrap_or_default();
        assert_eq!(kv.get("k").await, Ok(Some("v".to_owned())));
        clock.advance(Duration::from_secs(119));
        assert_eq!(kv.get("k").await, Ok(Some("v".to_owned())));
        clock.advance(Duration::from_secs(1));
        assert_eq!(kv.get("k").await, Ok(None));
    }

    #[tokio::test]
    async fn short_ttls_are_raised_to_the_minimum_like_workers_kv() {
        let (clock, kv) = store();
        kv.put("k", "v", Some(Duration::from_secs(5)))
            .await
            .unwrap_or_default();
        clock.advance(Duration::from_secs(30));
        assert_eq!(kv.get("k").await, Ok(Some("v".to_owned())));
        clock.advance(Duration::from_secs(30));
        assert_eq!(kv.get("k").await, Ok(None));
    }

    #[tokio::test]
    async fn delete_removes_and_no_ttl_keeps() {
        let (clock, kv) = store();
        kv.put("a", "1", None).await.unwrap_or_default();
        kv.put("b", "2", None).await.unwrap_or_default();
        kv.delete("a").await.unwrap_or_default();
        clock.advance(Duration::from_secs(86_400 * 365));
        assert_eq!(kv.get("a").await, Ok(None));
        assert_eq!(kv.get("b").await, Ok(Some("2".to_owned())));
    }
}
