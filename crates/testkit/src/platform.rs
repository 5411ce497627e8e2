//! A context for driving rules and services in-process: the given database
//! and clock, an in-memory key-value store, a throwaway S3 endpoint over a
//! temporary folder (the one the native host embeds) and an outbox mailer.

use std::sync::Arc;

use codex_clock::Clock;
use codex_config::Config;
use codex_context::{Context, Ports};
use codex_database::Database;
use codex_kv::{KeyValue, MemoryKv};
use codex_mail::OutboxMailer;
use codex_storage::S3Store;
use codex_storage::embedded::EmbeddedS3;

/// The in-process ports over `database` and `clock`, with a fresh
/// in-memory key-value store.
pub fn ports(database: Arc<dyn Database>, clock: Arc<dyn Clock>) -> Ports {
    let kv: Arc<dyn KeyValue> = Arc::new(MemoryKv::new(clock.clone()));
    ports_with_kv(database, clock, kv)
}

/// The in-process ports with the given key-value store (for instance one
/// that serves stale reads, as Workers KV may). Call within a tokio
/// runtime: the object store's endpoint runs on it.
pub fn ports_with_kv(
    database: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    kv: Arc<dyn KeyValue>,
) -> Ports {
    Ports {
        database: database.clone(),
        kv,
        objects: Arc::new(object_store(clock.clone())),
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

/// An S3 store over a fresh embedded endpoint. The endpoint runs on the
/// current tokio runtime and ends with it (a test's runtime ends with the
/// test).
pub fn object_store(clock: Arc<dyn Clock>) -> S3Store {
    let endpoint = EmbeddedS3::in_temporary_folder().expect("an embedded S3 endpoint starts");
    let store = S3Store::new(endpoint.settings(), clock);
    // Its task lives on the runtime, not in the handle.
    std::mem::forget(endpoint);
    store
}
