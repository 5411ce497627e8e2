//! What the context's integration tests share: ports that never go
//! outside the process (no database, an in-memory store, a local folder).

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

/// Ports on a manual clock, with objects in a throwaway embedded S3
/// endpoint (call within a tokio runtime).
pub fn offline_ports() -> Ports {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(
        chrono::DateTime::from_timestamp(1_790_000_000, 0).expect("instant"),
    ));
    let database: Arc<dyn Database> = Arc::new(NoDatabase);
    Ports {
        database: database.clone(),
        kv: Arc::new(codex_kv::MemoryKv::new(clock.clone())),
        objects: Arc::new(embedded_store(clock.clone())),
        mailer: Arc::new(codex_mail::OutboxMailer::new(
            database,
            "Codex <a@b.example>",
            None,
        )),
        clock,
    }
}

fn embedded_store(clock: Arc<dyn Clock>) -> codex_storage::S3Store {
    let endpoint = codex_storage::embedded::EmbeddedS3::in_temporary_folder()
        .expect("an embedded S3 endpoint starts");
    let store = codex_storage::S3Store::new(endpoint.settings(), clock);
    // It runs on the test's runtime and ends with it.
    std::mem::forget(endpoint);
    store
}
