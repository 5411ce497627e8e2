//! The context every domain operation runs in, on both runtimes: the
//! outside world's ports and the configuration, assembled by a host (once
//! by the native server; per request by a worker, over the configuration
//! its isolate read once; per test by the test kit) and passed to the rules
//! as `&Context`.
//!
//! - always there: [`Context::database`], [`Context::kv`],
//!   [`Context::objects`], [`Context::mailer`], [`Context::clock`],
//!   [`Context::http`] and [`Context::config`];
//! - there when configured ([`ports`]): [`Context::payments`] (Stripe),
//!   [`Context::transcoder`] (RunPod) and [`Context::services`] (signed
//!   calls to our other services). They are built here from the
//!   configuration and the outbound HTTP port, so adding one touches
//!   neither host, nor the test kit, nor any domain signature: an operation
//!   that needs a missing one fails with a configuration error naming the
//!   setting;
//! - [`token`]: random secrets kept only as hashes;
//! - [`signature`]: the HMAC that signs calls between our services;
//! - [`public_files`]: where public images are kept and served.
//!
//! The key-value store is a cache and nothing more: on Workers it may serve
//! a value up to a minute old at another location and has no atomic
//! increment, so nothing that ends access is decided by it (see
//! docs/ARCHITECTURE.md, "A cache is not the truth").

pub mod ports;
pub mod public_files;
pub mod signature;
pub mod token;

use std::sync::Arc;

use codex_clock::Clock;
use codex_config::Config;
use codex_database::Database;
use codex_errors::ApiError;
use codex_kv::KeyValue;
use codex_mail::Mailer;
use codex_outbound::HttpClient;
use codex_storage::ObjectStore;

use crate::ports::{Payments, RunPodApi, ServiceClient, StripeApi, Transcoder};

/// What a host provides: the runtime's adapters for each port. Outbound
/// HTTP is the runtime's own client unless [`Context::with_http`] says
/// otherwise.
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
    http: Arc<dyn HttpClient>,
    payments: Option<Arc<dyn Payments>>,
    transcoder: Option<Arc<dyn Transcoder>>,
    /// The host's own transcoder, used when RunPod is not configured.
    local_transcoder: Option<Arc<dyn Transcoder>>,
    services: Option<ServiceClient>,
}

impl Context {
    /// Assembles the context from the configuration and the host's ports.
    pub fn new(config: Config, ports: Ports) -> Self {
        let mut context = Self {
            config,
            database: ports.database,
            kv: ports.kv,
            objects: ports.objects,
            mailer: ports.mailer,
            clock: ports.clock,
            http: codex_outbound::default_client(),
            payments: None,
            transcoder: None,
            local_transcoder: None,
            services: None,
        };
        context.connect();
        context
    }

    /// The same context with another outbound HTTP client (a test's
    /// recording one, say); the ports built on it are built again.
    #[must_use]
    pub fn with_http(mut self, http: Arc<dyn HttpClient>) -> Self {
        self.http = http;
        self.connect();
        self
    }

    /// The same context with the host's own transcoder, used when RunPod
    /// is not configured (the native host runs jobs itself).
    #[must_use]
    pub fn with_local_transcoder(mut self, transcoder: Arc<dyn Transcoder>) -> Self {
        self.local_transcoder = Some(transcoder);
        self.connect();
        self
    }

    /// Builds the configured ports over the outbound HTTP client.
    fn connect(&mut self) {
        let http = &self.http;
        self.payments = self.config.payments.clone().map(|settings| {
            Arc::new(StripeApi::new(settings, Arc::clone(http))) as Arc<dyn Payments>
        });
        self.transcoder = self
            .config
            .transcoder
            .clone()
            .map(|settings| {
                Arc::new(RunPodApi::new(settings, Arc::clone(http))) as Arc<dyn Transcoder>
            })
            .or_else(|| self.local_transcoder.clone());
        self.services = self.config.worker_shared_secret.clone().map(|secret| {
            ServiceClient::new(
                secret,
                self.config.service_urls.clone(),
                Arc::clone(http),
                Arc::clone(&self.clock),
            )
        });
    }

    /// Stripe; a configuration error (naming `STRIPE_SECRET_KEY`) when it
    /// is not set up.
    pub fn payments(&self) -> Result<&dyn Payments, ApiError> {
        self.payments
            .as_deref()
            .ok_or_else(|| ApiError::configuration("STRIPE_SECRET_KEY"))
    }

    /// RunPod, else the host's own transcoder; a configuration error
    /// (naming `RUNPOD_API_KEY`) when there is neither.
    pub fn transcoder(&self) -> Result<&dyn Transcoder, ApiError> {
        self.transcoder
            .as_deref()
            .ok_or_else(|| ApiError::configuration("RUNPOD_API_KEY"))
    }

    /// Signed calls to our other services; a configuration error (naming
    /// `WORKER_SHARED_SECRET`) without the shared secret.
    pub fn services(&self) -> Result<&ServiceClient, ApiError> {
        self.services
            .as_ref()
            .ok_or_else(|| ApiError::configuration("WORKER_SHARED_SECRET"))
    }

    /// The runtime's outbound HTTP client.
    pub fn http(&self) -> &dyn HttpClient {
        self.http.as_ref()
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
pub fn new_id() -> Result<String, ApiError> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    Ok(hex::encode(bytes))
}
