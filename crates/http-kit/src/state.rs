use std::sync::Arc;

use codex_clock::Clock;
use codex_config::Config;
use codex_database::Database;
use codex_kv::KeyValue;
use codex_mail::Mailer;
use codex_storage::ObjectStore;

/// Which service a router belongs to, as `/health` and the logs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The name the front end and the existing health checks know, e.g. `content-api`.
    pub name: &'static str,
    pub version: &'static str,
}

/// The outside world, shared by every service in a process.
pub struct Platform {
    pub config: Config,
    pub database: Arc<dyn Database>,
    pub kv: Arc<dyn KeyValue>,
    pub objects: Arc<dyn ObjectStore>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
}

/// What every handler receives: the platform, and which service it runs in.
/// Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    service: Service,
    platform: Arc<Platform>,
}

impl AppState {
    pub fn new(service: Service, platform: Arc<Platform>) -> Self {
        Self { service, platform }
    }

    pub fn service(&self) -> Service {
        self.service
    }

    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    pub fn config(&self) -> &Config {
        &self.platform.config
    }

    pub fn database(&self) -> &dyn Database {
        self.platform.database.as_ref()
    }

    pub fn kv(&self) -> &dyn KeyValue {
        self.platform.kv.as_ref()
    }

    pub fn objects(&self) -> &dyn ObjectStore {
        self.platform.objects.as_ref()
    }

    pub fn mailer(&self) -> &dyn Mailer {
        self.platform.mailer.as_ref()
    }

    pub fn clock(&self) -> &dyn Clock {
        self.platform.clock.as_ref()
    }
}
