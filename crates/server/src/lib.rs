//! The native host: builds the platform from the environment (or embedded
//! defaults) and serves the eight services, each on its own port, in one
//! process.

/// The host's allocator. glibc's malloc kept the large buffers of a hostile
/// run (request bodies up to the limits, argon2's 19 MiB) in its arenas:
/// 650 MiB resident after `examples/hostile_run`, for good. mimalloc gives
/// freed memory back to the system. Every binary that links the host (the
/// `codex` binary, its tests and examples) uses it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod connection;
pub mod local_postgres;
pub mod local_transcoder;
pub mod openapi;
pub mod settings;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use codex_clock::{Clock, SystemClock};
use codex_config::{Config, ConfigError, MailTransport, Secret, Source};
use codex_context::{Context, Ports};
use codex_database::native::PgDatabase;
use codex_database::{Database, DbError};
use codex_http_kit::{AppState, Service, ServiceRoutes};
use codex_kv::{KeyValue, KvError, MemoryKv, RedisKv};
use codex_mail::{Delivery, MailError, OutboxMailer, ResendDelivery, SmtpDelivery};
use codex_storage::embedded::EmbeddedS3;
use codex_storage::{ObjectStore, S3Store};
use tokio::sync::watch;

use crate::local_postgres::{LocalPostgres, LocalPostgresError};
use crate::settings::HostSettings;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("local PostgreSQL: {0}")]
    LocalPostgres(#[from] LocalPostgresError),
    #[error("database: {0}")]
    Database(#[from] DbError),
    #[error("key-value store: {0}")]
    Kv(#[from] KvError),
    #[error("mail: {0}")]
    Mail(#[from] MailError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

/// Everything `codex serve` runs on.
pub struct NativePlatform {
    pub context: Arc<Context>,
    pub host: HostSettings,
    pub database: Arc<PgDatabase>,
    /// The embedded S3 endpoint over `DATA_DIR/objects`, when no S3 or R2
    /// endpoint is configured.
    pub local_storage: Option<EmbeddedS3>,
    pub local_postgres: Option<LocalPostgres>,
}

impl NativePlatform {
    /// Reads the settings and connects to each configured service, or starts
    /// the embedded default in its place.
    pub async fn build(source: &impl Source, mut config: Config) -> Result<Self, StartError> {
        let host = HostSettings::from_source(source)?;
        // Links to the auth and identity services follow the ports they
        // listen on here, unless set explicitly.
        if source.get("AUTH_URL").is_none() {
            config.auth_url = format!("http://localhost:{}", host.port_of("auth"));
        }
        // So do the addresses services call each other at.
        for entry in codex_config::services::all() {
            if source.get(entry.url_variable).is_none() {
                let url = format!("http://localhost:{}", host.port_of(entry.name));
                config.service_urls.retain(|(name, _)| *name != entry.name);
                config.service_urls.push((entry.name, url));
            }
        }
        if source.get("PUBLIC_ASSETS_URL").is_none() {
            config.public_assets_url =
                format!("http://localhost:{}/assets", host.port_of("identity"));
        }
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);

        let (database, local_postgres) = open_database(&host, &config).await?;
        if config.environment.is_local() {
            database.migrate().await?;
        }

        let kv: Arc<dyn KeyValue> = match &host.redis_url {
            Some(url) => Arc::new(RedisKv::connect(url.expose()).await?),
            None => Arc::new(MemoryKv::new(Arc::clone(&clock))),
        };

        let (s3, local_storage) = match config.s3.clone() {
            Some(s3) => (s3, None),
            None => {
                let secret = local_storage_secret(&host.data_dir)?;
                let root = host.data_dir.join("objects");
                let address = std::net::SocketAddr::new(host.bind, host.local_storage_port);
                let embedded = EmbeddedS3::start(&root, address, LOCAL_STORAGE_ACCESS_KEY, &secret)
                    .map_err(|source| StartError::Io {
                        what: format!("serving local storage on {address}"),
                        source,
                    })?;
                let mut settings = embedded.settings().clone();
                settings.endpoint = host
                    .local_storage_url
                    .clone()
                    .unwrap_or_else(|| format!("http://127.0.0.1:{}", embedded.address().port()));
                (settings, Some(embedded))
            }
        };
        // Services presign through these settings, whichever store it is.
        config.s3 = Some(s3.clone());
        let objects: Arc<dyn ObjectStore> = Arc::new(S3Store::new(&s3, Arc::clone(&clock)));

        let delivery: Option<Arc<dyn Delivery>> = match &config.mail.transport {
            MailTransport::Outbox => None,
            MailTransport::Smtp { url } => Some(Arc::new(SmtpDelivery::new(url)?)),
            MailTransport::Resend { api_key, api_url } => Some(Arc::new(ResendDelivery::new(
                api_key.clone(),
                api_url,
                codex_outbound::default_client(),
            ))),
        };
        let database_handle: Arc<dyn Database> = database.clone();
        let mailer = Arc::new(OutboxMailer::new(
            Arc::clone(&database_handle),
            config.mail.from.clone(),
            delivery,
        ));

        // Without RunPod, jobs run here; the callbacks they sign come back
        // to this process, so a secret of its own does when none is set.
        let local_transcoder = if config.transcoder.is_none() {
            let secret = match &config.runpod_webhook_secret {
                Some(secret) => secret.clone(),
                None => {
                    let secret = random_secret()?;
                    config.runpod_webhook_secret = Some(secret.clone());
                    secret
                }
            };
            let concurrency = match source.get("TRANSCODER_CONCURRENCY") {
                Some(value) => value.parse().map_err(|_| ConfigError::Invalid {
                    name: "TRANSCODER_CONCURRENCY",
                    reason: "a number of jobs, at least 1".to_owned(),
                })?,
                None => local_transcoder::DEFAULT_CONCURRENCY,
            };
            Some(Arc::new(local_transcoder::LocalTranscoder::new(
                secret.expose().to_owned(),
                host.data_dir.join("transcoding"),
                source
                    .get("TRANSCODER_PRESET")
                    .unwrap_or_else(|| local_transcoder::DEFAULT_PRESET.to_owned()),
                concurrency,
            )))
        } else {
            None
        };
        let mut context = Context::new(
            config,
            Ports {
                database: database_handle,
                kv,
                objects,
                mailer,
                clock,
            },
        );
        if let Some(transcoder) = local_transcoder {
            context = context.with_local_transcoder(transcoder);
        }

        Ok(Self {
            context: Arc::new(context),
            host,
            database,
            local_storage,
            local_postgres,
        })
    }
}

/// The database the host runs on: `DATABASE_URL`, or (outside production)
/// the project-local cluster, started on demand.
pub async fn open_database(
    host: &HostSettings,
    config: &Config,
) -> Result<(Arc<PgDatabase>, Option<LocalPostgres>), StartError> {
    let (database_url, local_postgres) = match &host.database_url {
        Some(url) => (url.clone(), None),
        None => {
            if config.environment.is_production() {
                return Err(ConfigError::Missing {
                    name: "DATABASE_URL",
                    why: "production does not start a local database",
                }
                .into());
            }
            let local = LocalPostgres::start(&host.data_dir, host.local_postgres_port)?;
            ensure_database(
                &local.admin_url(),
                "codex",
                config.database_statement_timeout,
            )
            .await?;
            (Secret::new(local.url.clone()), Some(local))
        }
    };
    let database = Arc::new(PgDatabase::connect_lazy(
        database_url.expose(),
        host.database_max_connections,
        config.database_statement_timeout,
    )?);
    Ok((database, local_postgres))
}

/// Creates `name` on the server behind `admin_url` unless it exists. Copying
/// the template may take longer than a request's statement, so this waits
/// at least a minute.
async fn ensure_database(
    admin_url: &str,
    name: &str,
    statement_timeout: Duration,
) -> Result<(), DbError> {
    let statement_timeout = statement_timeout.max(Duration::from_secs(60));
    let admin = PgDatabase::connect_lazy(admin_url, 1, statement_timeout)?;
    let exists = admin
        .query_opt(
            "SELECT 1 AS present FROM pg_database WHERE datname = $1",
            &[name.into()],
        )
        .await?
        .is_some();
    if !exists {
        // `name` is a constant of ours, never input.
        admin
            .execute(&format!("CREATE DATABASE \"{name}\""), &[])
            .await?;
    }
    admin.close().await;
    Ok(())
}

/// The access key of the embedded S3 endpoint; its secret is
/// [`local_storage_secret`].
const LOCAL_STORAGE_ACCESS_KEY: &str = "codex-local";

/// A random secret for this process only.
fn random_secret() -> Result<Secret, StartError> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StartError::Io {
        what: "drawing a random secret".to_owned(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(Secret::new(hex::encode(bytes)))
}

/// The secret of the embedded S3 endpoint, kept in the data folder so that
/// presigned links survive a restart.
fn local_storage_secret(data_dir: &Path) -> Result<Secret, StartError> {
    let path = data_dir.join("storage-secret");
    if let Ok(existing) = std::fs::read_to_string(&path)
        && existing.trim().len() >= 32
    {
        return Ok(Secret::new(existing.trim()));
    }
    let io = |source| StartError::Io {
        what: format!("writing {}", path.display()),
        source,
    };
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| io(std::io::Error::other(e.to_string())))?;
    let key = hex::encode(bytes);
    std::fs::create_dir_all(data_dir).map_err(io)?;
    std::fs::write(&path, &key).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(Secret::new(key))
}

/// How often the native host runs the scheduled upkeep (Workers: the
/// content and media workers' hourly cron triggers).
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The scheduled upkeep, until shutdown: the media library's sweep of
/// abandoned uploads and its pending storage removals, and the sweep of
/// transcoding jobs that went silent.
async fn upkeep(context: Arc<Context>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let stopping = tokio::select! {
            () = tokio::time::sleep(UPKEEP_EVERY) => false,
            _ = shutdown.wait_for(|stop| *stop) => true,
        };
        if stopping {
            return;
        }
        codex_media::maintain(&context).await;
        codex_flows::transcoding::maintain(&context).await;
    }
}

/// The routes and identity of one of the eight services, by short name.
pub fn service(name: &str) -> Option<(Service, codex_http_kit::Routes)> {
    Some(match name {
        "auth" => (codex_auth_worker::SERVICE, codex_auth_worker::routes()),
        "content" => (codex_content_api::SERVICE, codex_content_api::routes()),
        "media" => (codex_media_api::SERVICE, codex_media_api::routes()),
        "org" => (codex_org_api::SERVICE, codex_org_api::routes()),
        "ecom" => (codex_ecom_api::SERVICE, codex_ecom_api::routes()),
        "admin" => (codex_admin_api::SERVICE, codex_admin_api::routes()),
        "identity" => (codex_identity_api::SERVICE, codex_identity_api::routes()),
        "notifications" => (
            codex_notifications_api::SERVICE,
            codex_notifications_api::routes(),
        ),
        _ => return None,
    })
}

/// The complete application of one service on the native host.
pub fn service_app(name: &str, platform: &NativePlatform) -> Option<Router> {
    let (service, routes) = service(name)?;
    let state = AppState::new(service, Arc::clone(&platform.context));
    Some(codex_http_kit::app(
        &ServiceRoutes::new(service, routes),
        state,
    ))
}

/// Serves every service until `shutdown` turns true, then drains.
pub async fn serve(
    platform: &NativePlatform,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), StartError> {
    let mut servers = Vec::new();
    for (name, port) in &platform.host.ports {
        let address = SocketAddr::new(platform.host.bind, *port);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| StartError::Io {
                what: format!("binding the {name} service to {address}"),
                source,
            })?;
        let app = service_app(name, platform).unwrap_or_default();
        let hsts = platform.context.config().environment.is_production();
        tracing::info!(service = name, %address, "listening");
        servers.push(tokio::spawn(connection::serve_app(
            listener,
            app,
            shutdown.clone(),
            hsts,
        )));
    }
    let upkeep = tokio::spawn(upkeep(Arc::clone(&platform.context), shutdown.clone()));
    let _ = shutdown.wait_for(|stop| *stop).await;
    let _ = upkeep.await;
    for server in servers {
        let _ = server.await;
    }
    Ok(())
}
