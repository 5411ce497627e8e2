use std::sync::Arc;

use codex_clock::Clock;
use codex_config::Config;
use codex_context::Context;
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
    /// How its answers are shaped (see the OpenAPI document).
    pub envelope: crate::openapi::Envelope,
}

/// What every handler receives: the context, and which service it runs in.
/// Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    service: Service,
    context: Arc<Context>,
}

impl AppState {
    pub fn new(service: Service, context: Arc<Context>) -> Self {
        Self { service, context }
    }

    pub fn service(&self) -> Service {
        self.service
    }

    /// The context the domain operations take.
    pub fn ctx(&self) -> &Context {
        &self.context
    }

    /// The shared context, for work that outlives the request.
    pub fn context(&self) -> &Arc<Context> {
        &self.context
    }

    pub fn config(&self) -> &Config {
        self.context.config()
    }

    pub fn database(&self) -> &dyn Database {
        self.context.database()
    }

    pub fn kv(&self) -> &dyn KeyValue {
        self.context.kv()
    }

    pub fn objects(&self) -> &dyn ObjectStore {
        self.context.objects()
    }

    pub fn mailer(&self) -> &dyn Mailer {
        self.context.mailer()
    }

    pub fn clock(&self) -> &dyn Clock {
        self.context.clock()
    }
}
