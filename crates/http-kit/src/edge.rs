//! The Cloudflare Workers entry point shared by the eight workers.
//!
//! Each worker's `#[event(fetch)]` calls [`serve`] with its routes. The
//! first request an isolate receives reads the configuration from the
//! worker's vars and secrets; later requests of the isolate reuse it. Each
//! request assembles its [`Context`] from that configuration and the
//! bindings (Hyperdrive `HYPERDRIVE`, KV `CACHE_KV`, R2 `MEDIA_BUCKET`): the
//! adapters hold I/O objects that belong to one request. The same axum
//! application as on the native host answers every request.

use std::cell::RefCell;
use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use codex_clock::{Clock, SystemClock};
use codex_config::{Config, ConfigError, Environment, MailTransport, Source};
use codex_context::{Context, Ports};
use codex_database::edge::HyperdriveDatabase;
use codex_errors::ApiError;
use codex_kv::WorkersKv;
use codex_mail::{Delivery, OutboxMailer, ResendDelivery};
use codex_storage::R2Store;
use tower::ServiceExt;
use worker::{Env, HttpRequest};

use crate::{AppState, Service};

pub const DATABASE_BINDING: &str = "HYPERDRIVE";
pub const KV_BINDING: &str = "CACHE_KV";
pub const MEDIA_BUCKET_BINDING: &str = "MEDIA_BUCKET";

/// Worker vars, then secrets.
struct WorkerVars<'a>(&'a Env);

impl Source for WorkerVars<'_> {
    fn raw(&self, name: &str) -> Option<String> {
        self.0
            .var(name)
            .map(|value| value.to_string())
            .or_else(|_| self.0.secret(name).map(|value| value.to_string()))
            .ok()
    }
}

/// Declares a worker's `#[event(fetch)]` entry point: `serve` with the
/// worker's service identity and routes. Used once in each worker crate.
#[macro_export]
macro_rules! workers_entry_point {
    ($service:expr, $routes:path, $name:literal) => {
        #[worker::event(fetch)]
        async fn fetch(
            request: worker::HttpRequest,
            env: worker::Env,
            _context: worker::Context,
        ) -> worker::Result<axum::http::Response<axum::body::Body>> {
            const DOCUMENT: &str = include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../openapi/services/",
                $name,
                ".json"
            ));
            $crate::edge::serve(request, &env, $service, $routes, DOCUMENT).await
        }
    };
}

/// Answers one request with the service's routes wrapped in the shared
/// behaviour.
pub async fn serve(
    request: HttpRequest,
    env: &Env,
    service: Service,
    routes: fn() -> crate::Routes,
    document: &'static str,
) -> worker::Result<Response<Body>> {
    console_error_panic_hook::set_once();
    let state = match isolate_context(env) {
        Ok(context) => AppState::new(service, context),
        Err(setting) => {
            // The setting's name goes to the log for the operator; the
            // client sees the generic configuration error.
            worker::console_error!("{} cannot start: {}", service.name, setting);
            let mut response = ApiError::configuration(&setting.to_string()).into_response();
            let headers = response.headers_mut();
            crate::layers::insert_security_headers(headers, true);
            if let Ok(id) = axum::http::HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
                headers.insert(crate::layers::REQUEST_ID, id);
            }
            return Ok(response);
        }
    };
    let routes = isolate_routes(routes, document);
    let app = crate::app(&routes, state);
    match app.oneshot(request).await {
        Ok(response) => Ok(response),
        Err(never) => match never {},
    }
}

fn binding_missing(name: &'static str) -> ConfigError {
    ConfigError::Missing {
        name,
        why: "the worker's wrangler configuration must bind it",
    }
}

thread_local! {
    /// The isolate's configuration, read by its first request. A worker
    /// isolate runs on one thread, and its vars and secrets do not change
    /// while it lives. Only the configuration is kept: the adapters hold
    /// I/O objects (the database connection above all) that belong to the
    /// request that made them, and workerd cancels a request that waits on
    /// another request's I/O, so they are assembled for every request (a
    /// handful of handles, no I/O).
    static CONFIG: RefCell<Option<Config>> = const { RefCell::new(None) };
}

thread_local! {
    /// The isolate's router and OpenAPI document: handlers and strings, no
    /// I/O, made by the first request and kept while the isolate lives.
    static ROUTES: RefCell<Option<crate::ServiceRoutes>> = const { RefCell::new(None) };
}

fn isolate_routes(routes: fn() -> crate::Routes, document: &'static str) -> crate::ServiceRoutes {
    if let Some(kept) = ROUTES.with(|cell| cell.borrow().clone()) {
        return kept;
    }
    let made = crate::ServiceRoutes::with_document(routes(), document);
    ROUTES.with(|cell| *cell.borrow_mut() = Some(made.clone()));
    made
}

/// The isolate's configuration, read on first use. A configuration error
/// is not kept: the next request tries again (and logs again).
fn isolate_config(env: &Env) -> Result<Config, ConfigError> {
    if let Some(config) = CONFIG.with(|cell| cell.borrow().clone()) {
        return Ok(config);
    }
    // A worker deployed without ENVIRONMENT is treated as production: the
    // safe default (no test routes, secure cookies, HSTS).
    let config = Config::from_source(&WorkerVars(env), Environment::Production)?;
    crate::telemetry::init(&config);
    CONFIG.with(|cell| *cell.borrow_mut() = Some(config.clone()));
    Ok(config)
}

/// A context over the isolate's configuration, for a worker's other
/// events (a scheduled run, say).
pub fn context(env: &Env) -> Result<Arc<Context>, ConfigError> {
    isolate_context(env)
}

/// The request's context over the isolate's configuration.
fn isolate_context(env: &Env) -> Result<Arc<Context>, ConfigError> {
    Ok(Arc::new(assemble(env, isolate_config(env)?)?))
}

fn assemble(env: &Env, config: Config) -> Result<Context, ConfigError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    env.hyperdrive(DATABASE_BINDING)
        .map_err(|_| binding_missing(DATABASE_BINDING))?;
    let database = Arc::new(HyperdriveDatabase::new(
        env.clone(),
        DATABASE_BINDING,
        config.database_statement_timeout,
    ));
    let kv = WorkersKv::new(
        env.kv(KV_BINDING)
            .map_err(|_| binding_missing(KV_BINDING))?,
    );
    let bucket = env
        .bucket(MEDIA_BUCKET_BINDING)
        .map_err(|_| binding_missing(MEDIA_BUCKET_BINDING))?;
    let objects = R2Store::new(
        bucket,
        config.s3.clone(),
        codex_outbound::default_client(),
        Arc::clone(&clock),
    );
    let delivery: Option<Arc<dyn Delivery>> = match &config.mail.transport {
        MailTransport::Outbox => None,
        MailTransport::Resend { api_key, api_url } => Some(Arc::new(ResendDelivery::new(
            api_key.clone(),
            api_url,
            codex_outbound::default_client(),
        ))),
        MailTransport::Smtp { .. } => {
            return Err(ConfigError::Invalid {
                name: "SMTP_URL",
                reason: "Workers cannot open SMTP connections; use RESEND_API_KEY".to_owned(),
            });
        }
    };
    let mailer = Arc::new(OutboxMailer::new(
        database.clone(),
        config.mail.from.clone(),
        delivery,
    ));
    Ok(Context::new(
        config,
        Ports {
            database,
            kv: Arc::new(kv),
            objects: Arc::new(objects),
            mailer,
            clock,
        },
    ))
}
