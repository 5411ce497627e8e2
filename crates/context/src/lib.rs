//! The context every domain operation runs in, on both runtimes: the
//! outside world's ports and the configuration, assembled once by a host
//! (the native server, a worker isolate, the test kit) and passed to the
//! rules as `&Context`.
//!
//! - always there: [`Context::database`], [`Context::kv`],
//!   [`Context::objects`], [`Context::mailer`], [`Context::clock`] and
//!   [`Context::config`];
//! - [`token`]: random secrets kept only as hashes;
//! - [`signature`]: the HMAC that signs calls between our services;
//! - [`public_files`]: where public images are kept and served.
//!
//! The key-value store is a cache and nothing more: on Workers it may serve
//! a value up to a minute old at another location and has no atomic
//! increment, so nothing that ends access is decided by it (see
//! docs/ARCHITECTURE.md, "A cache is not the truth").

pub mod public_files;
pub mod signature;
pub mod token;

use std::sync::Arc;

use codex_clock::Clock;
use codex_config::Config;
use codex_database::Database;
use codex_kv::KeyValue;
use codex_mail::Mailer;
use codex_storage::ObjectStore;

/// What a host provides: the runtime's adapters for each port.
pub struct Ports {
    pub database: Arc<dyn Database>,
    pub kv: Arc<dyn KeyValue>,
    pub objects: Arc<dyn ObjectStore>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
}

/// The outside world and the configuration, shared by every service of a
/// process (or of a worker isolate). Cheap to share behind an `Arc`.
pub struct Context {
    config: Config,
    database: Arc<dyn Database>,
    kv: Arc<dyn KeyValue>,
    objects: Arc<dyn ObjectStore>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
}

impl Context {
    /// Assembles the context from the configuration and the host's ports.
    pub fn new(config: Config, ports: Ports) -> Self {
        Self {
            config,
            database: ports.database,
            kv: ports.kv,
            objects: ports.objects,
            mailer: ports.mailer,
            clock: ports.clock,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn database(&self) -> &dyn Database {
        self.database.as_ref()
    }

    /// The shared handle, for adapters that keep one (the outbox mailer).
    pub fn database_handle(&self) -> Arc<dyn Database> {
        Arc::clone(&self.database)
    }

    /// A cache: may be stale on Workers, never the truth about access.
    pub fn kv(&self) -> &dyn KeyValue {
        self.kv.as_ref()
    }

    pub fn objects(&self) -> &dyn ObjectStore {
        self.objects.as_ref()
    }

    pub fn mailer(&self) -> &dyn Mailer {
        self.mailer.as_ref()
    }

    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }
}

/// A fresh random identifier of 32 lower-case hex characters, the shape of
/// the text ids BetterAuth tables use.
pub fn new_id() -> Result<String, codex_errors::ApiError> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(codex_errors::ApiError::internal)?;
    Ok(hex::encode(bytes))
}
