//! What the rule crates' integration tests run against: a database of the
//! test's own, an in-memory key-value store and an outbox mailer, all on a
//! manual clock that starts at a fixed instant.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use codex_clock::ManualClock;
use codex_database::Database;
use codex_kv::MemoryKv;
use codex_mail::OutboxMailer;
use codex_users::Deps;

use crate::TestDatabase;

pub struct World {
    _test_database: TestDatabase,
    pub database: Arc<dyn Database>,
    pub kv: MemoryKv,
    pub mailer: OutboxMailer,
    pub clock: Arc<ManualClock>,
}

impl World {
    /// A fresh world; the clock reads 2026-11-22 09:00 UTC.
    pub async fn new() -> Self {
        let test_database = TestDatabase::new().await;
        let database: Arc<dyn Database> = test_database.database();
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
                .single()
                .expect("a valid instant"),
        ));
        Self {
            kv: MemoryKv::new(clock.clone()),
            mailer: OutboxMailer::new(database.clone(), "Codex <no-reply@example.com>", None),
            database,
            clock,
            _test_database: test_database,
        }
    }

    pub fn deps(&self) -> Deps<'_> {
        Deps {
            database: self.database.as_ref(),
            kv: &self.kv,
            mailer: &self.mailer,
            clock: self.clock.as_ref(),
        }
    }
}
