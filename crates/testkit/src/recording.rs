//! [`RecordingDatabase`]: a [`Database`] that notes every statement it is
//! given before passing it on, so a test can compare the work two requests
//! did (for instance, that a known and an unknown address cost the same).

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use codex_database::{Database, DbError, Row, SqlValue, Transaction};

/// Passes every statement to `inner` and keeps its text, in order.
/// `BEGIN`, `COMMIT` and `ROLLBACK` are noted as such.
pub struct RecordingDatabase {
    inner: Arc<dyn Database>,
    log: Arc<Mutex<Vec<String>>>,
}

impl RecordingDatabase {
    pub fn new(inner: Arc<dyn Database>) -> Self {
        Self {
            inner,
            log: Arc::default(),
        }
    }

    /// The statements so far, and the log emptied.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lock())
    }

    /// The statements so far.
    pub fn statements(&self) -> Vec<String> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn note(log: &Mutex<Vec<String>>, sql: &str) {
    log.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(sql.to_owned());
}

#[async_trait]
impl Database for RecordingDatabase {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        note(&self.log, sql);
        self.inner.query(sql, params).await
    }

    async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        note(&self.log, sql);
        self.inner.execute(sql, params).await
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>, DbError> {
        note(&self.log, "BEGIN");
        let inner = self.inner.begin().await?;
        Ok(Box::new(RecordingTransaction {
            inner,
            log: Arc::clone(&self.log),
        }))
    }

    async fn query_opt(&self, sql: &str, params: &[SqlValue]) -> Result<Option<Row>, DbError> {
        note(&self.log, sql);
        self.inner.query_opt(sql, params).await
    }
}

struct RecordingTransaction {
    inner: Box<dyn Transaction>,
    log: Arc<Mutex<Vec<String>>>,
}

#[async_trait]
impl Transaction for RecordingTransaction {
    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        note(&self.log, sql);
        self.inner.query(sql, params).await
    }

    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        note(&self.log, sql);
        self.inner.execute(sql, params).await
    }

    async fn commit(self: Box<Self>) -> Result<(), DbError> {
        note(&self.log, "COMMIT");
        self.inner.commit().await
    }

    async fn rollback(self: Box<Self>) -> Result<(), DbError> {
        note(&self.log, "ROLLBACK");
        self.inner.rollback().await
    }

    async fn query_opt(&mut self, sql: &str, params: &[SqlValue]) -> Result<Option<Row>, DbError> {
        note(&self.log, sql);
        self.inner.query_opt(sql, params).await
    }
}
