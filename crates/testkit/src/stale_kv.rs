//! A key-value store that behaves like Workers KV read from another
//! location: every key keeps serving the first value ever written to it,
//! however often it is overwritten or deleted afterwards. Code that decides
//! access from a cache fails its tests on this store; code that confirms in
//! PostgreSQL does not.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use codex_kv::{KeyValue, KvError};

#[derive(Default)]
pub struct StaleKv {
    first_values: Mutex<HashMap<String, String>>,
}

impl StaleKv {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl KeyValue for StaleKv {
    async fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        let values = self
            .first_values
            .lock()
            .map_err(|_| KvError::Unavailable("poisoned".to_owned()))?;
        Ok(values.get(key).cloned())
    }

    async fn put(&self, key: &str, value: &str, _ttl: Option<Duration>) -> Result<(), KvError> {
        let mut values = self
            .first_values
            .lock()
            .map_err(|_| KvError::Unavailable("poisoned".to_owned()))?;
        values
            .entry(key.to_owned())
            .or_insert_with(|| value.to_owned());
        Ok(())
    }

    async fn delete(&self, _key: &str) -> Result<(), KvError> {
        // Another location has not heard of the deletion yet.
        Ok(())
    }

    async fn ping(&self) -> Result<(), KvError> {
        Ok(())
    }
}
