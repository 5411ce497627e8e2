//! A context for driving rules and services in-process: the given database
//! and clock, an in-memory key-value store, a throwaway local object store
//! and an outbox mailer.

use std::sync::Arc;

use codex_clock::Clock;
use codex_config::{Config, Secret};
use codex_context::{Context, Ports};
use codex_database::Database;
use codex_kv::{KeyValue, MemoryKv};
use codex_mail::OutboxMailer;
use codex_storage::LocalFolderStore;

/// The in-process ports over `database` and `clock`, with a fresh
/// in-memory key-value store.
pub fn ports(database: Arc<dyn Database>, clock: Arc<dyn Clock>) -> Ports {
    let kv: Arc<dyn KeyValue> = Arc::new(MemoryKv::new(clock.clone()));
    ports_with_kv(database, clock, kv)
}

/// The in-process ports with the given key-value store (for instance one
/// that serves stale reads, as Workers KV may).
pub fn ports_with_kv(
    database: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    kv: Arc<dyn KeyValue>,
) -> Ports {
    let folder = std::env::temp_dir().join(format!("codex-test-objects-{}", uuid::Uuid::new_v4()));
    Ports {
        database: database.clone(),
        kv,
        objects: Arc::new(LocalFolderStore::new(
            folder,
            "http://127.0.0.1:1/local-storage",
            Secret::new("k"),
            clock.clone(),
        )),
        mailer: Arc::new(OutboxMailer::new(
            database,
            "Codex <no-reply@example.com>",
            None,
        )),
        clock,
    }
}

/// A context over `database` and `clock` with `config`.
pub fn context(config: Config, database: Arc<dyn Database>, clock: Arc<dyn Clock>) -> Arc<Context> {
    Arc::new(Context::new(config, ports(database, clock)))
}
