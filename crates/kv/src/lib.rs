//! Key-value storage with expiry, behind a trait.
//!
//! Adapters: [`MemoryKv`] (in-process, the native default), `RedisKv`
//! (native, when `REDIS_URL` is set) and `WorkersKv` (the KV binding on
//! Cloudflare Workers). Cloudflare KV refuses expiries under 60 seconds, so
//! every adapter raises a shorter TTL to [`MIN_TTL`]: one behaviour on both
//! runtimes.

mod memory;
#[cfg(not(target_arch = "wasm32"))]
mod redis_kv;
#[cfg(target_arch = "wasm32")]
mod workers_kv;

use std::time::Duration;

use async_trait::async_trait;

pub use memory::MemoryKv;
#[cfg(not(target_arch = "wasm32"))]
pub use redis_kv::RedisKv;
#[cfg(target_arch = "wasm32")]
pub use workers_kv::WorkersKv;

/// The shortest expiry any adapter honours.
pub const MIN_TTL: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    #[error("key-value store unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait KeyValue: Send + Sync {
    async fn get(&self, key: &str) -> Result<Option<String>, KvError>;

    /// Stores `value` under `key`, expiring after `ttl` (at least
    /// [`MIN_TTL`]) or never when `ttl` is `None`.
    async fn put(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), KvError>;

    async fn delete(&self, key: &str) -> Result<(), KvError>;

    /// Proves the store answers.
    async fn ping(&self) -> Result<(), KvError>;
}

/// The TTL an adapter actually applies.
pub fn effective_ttl(ttl: Duration) -> Duration {
    ttl.max(MIN_TTL)
}
