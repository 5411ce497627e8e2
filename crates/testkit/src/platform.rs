//! A platform for driving a service's app in-process: the given database
//! and clock, an in-memory key-value store, a throwaway local object store
//! and an outbox mailer.

use std::sync::Arc;

use codex_clock::Clock;
use codex_config::{Config, Secret};
use codex_database::Database;
use codex_http_kit::Platform;
use codex_kv::MemoryKv;
use codex_mail::OutboxMailer;
use codex_storage::LocalFolderStore;

pub fn platform(
    config: Config,
    database: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
) -> Arc<Platform> {
    let folder = std::env::temp_dir().join(format!("codex-test-objects-{}", uuid::Uuid::new_v4()));
    Arc::new(Platform {
        config,
        database: database.clone(),
        kv: Arc::new(MemoryKv::new(clock.clone())),
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
    })
}
