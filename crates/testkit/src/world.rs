//! What the rule crates' integration tests run against: a database of the
//! test's own, an in-memory key-value store and an outbox mailer, all on a
//! manual clock that starts at a fixed instant.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use codex_clock::ManualClock;
use codex_config::{Config, Environment};
use codex_context::Context;
use codex_database::Database;
use codex_kv::KeyValue;

use crate::TestDatabase;

pub struct World {
    _test_database: TestDatabase,
    pub database: Arc<dyn Database>,
    pub clock: Arc<ManualClock>,
    context: Arc<Context>,
}

impl World {
    /// A fresh world in the test environment; the clock reads 2026-11-22
    /// 09:00 UTC.
    pub async fn new() -> Self {
        let config = Config::from_source(&[("ENVIRONMENT", "test")], Environment::Test)
            .expect("the test configuration");
        Self::with_config(config).await
    }

    pub async fn with_config(config: Config) -> Self {
        Self::build(config, None).await
    }

    /// A world whose key-value store is `kv` (e.g. [`crate::stale_kv::StaleKv`]).
    pub async fn with_kv(config: Config, kv: Arc<dyn KeyValue>) -> Self {
        Self::build(config, Some(kv)).await
    }

    async fn build(config: Config, kv: Option<Arc<dyn KeyValue>>) -> Self {
        let test_database = TestDatabase::new().await;
        let database: Arc<dyn Database> = test_database.database();
        Self::assemble(config, test_database, database, kv)
    }

    /// A world on `test_database` reached through `database` (for instance
    /// through a fault proxy).
    pub fn through(
        config: Config,
        test_database: TestDatabase,
        database: Arc<dyn Database>,
    ) -> Self {
        Self::assemble(config, test_database, database, None)
    }

    fn assemble(
        config: Config,
        test_database: TestDatabase,
        database: Arc<dyn Database>,
        kv: Option<Arc<dyn KeyValue>>,
    ) -> Self {
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
                .single()
                .expect("a valid instant"),
        ));
        let ports = match kv {
            Some(kv) => crate::platform::ports_with_kv(database.clone(), clock.clone(), kv),
            None => crate::platform::ports(database.clone(), clock.clone()),
        };
        let context = Arc::new(Context::new(config, ports));
        Self {
            database,
            clock,
            context,
            _test_database: test_database,
        }
    }

    pub fn ctx(&self) -> &Context {
        &self.context
    }

    pub fn context(&self) -> Arc<Context> {
        Arc::clone(&self.context)
    }
}
