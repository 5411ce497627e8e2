//! What the context's integration tests share: ports that never go
//! outside the process (no database, an in-memory store, a local folder).

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use codex_clock::{Clock, ManualClock};
use codex_context::Ports;
use codex_database::{Database, DbError, Row, SqlValue, Transaction};

/// These tests never reach a database.
pub struct NoDatabase;

fn no_database() -> DbError {
    DbError::Unavailable("no database here".to_owned())
}

#[async_trait]
impl Database for NoDatabase {
    async fn query(&self, _: &str, _: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        Err(no_database())
    }

    async fn execute(&self, _: &str, _: &[SqlValue]) -> Result<u64, DbError> {
        Err(no_database())
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>, DbError> {
        Err(no_database())
    }
}

/// Ports on a manual clock, with objects kept in `folder`.
pub fn offline_ports(folder: &Path) -> Ports {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(
        chrono::DateTime::from_timestamp(1_790_000_000, 0).expect("instant"),
    ));
    let database: Arc<dyn Database> = Arc::new(NoDatabase);
    Ports {
        database: database.clone(),
        kv: Arc::new(codex_kv::MemoryKv::new(clock.clone())),
        objects: Arc::new(codex_storage::LocalFolderStore::new(
            folder,
            "http://127.0.0.1:1/local-storage",
            codex_config::Secret::new("k"),
            clock.clone(),
        )),
        mailer: Arc::new(codex_mail::OutboxMailer::new(
            database,
            "Codex <a@b.example>",
            None,
        )),
        clock,
    }
}
