//! Test support for the native side.
//!
//! [`TestDatabase::new`] gives a test its own PostgreSQL database, cloned in
//! milliseconds from a template that was migrated once per migration set.
//! Tests therefore run in parallel and never see each other's rows. The
//! server comes from `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432`).

pub mod app;
pub mod fault_proxy;
pub mod platform;
pub mod recording;
pub mod resend;
pub mod runpod;
pub mod stale_kv;
pub mod world;

pub use app::{Caller, TestApp, TestResponse, test_config};

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use codex_config::DEFAULT_DATABASE_STATEMENT_TIMEOUT;
use codex_database::native::{MIGRATOR, PgDatabase};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection};
use tokio::sync::OnceCell;

const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432";

/// The server URL the harness uses, without a database name.
pub fn server_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_SERVER.to_owned())
}

/// A local TCP port free at the time of asking, for a native host's
/// embedded storage in a test (tests run side by side, so none may use the
/// fixed default port).
pub fn free_local_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free local port")
}

/// The address of the test server, for a [`fault_proxy::FaultProxy`] to
/// forward to (an IPv4 one when the host name has several).
pub fn server_address() -> SocketAddr {
    let options: PgConnectOptions = server_url()
        .parse()
        .expect("DATABASE_URL must be a PostgreSQL URL");
    let addresses: Vec<SocketAddr> = (options.get_host(), options.get_port())
        .to_socket_addrs()
        .map(Iterator::collect)
        .unwrap_or_default();
    addresses
        .iter()
        .find(|address| address.is_ipv4())
        .or(addresses.first())
        .copied()
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 5432)))
}

fn options_for(database: &str) -> PgConnectOptions {
    let options: PgConnectOptions = server_url()
        .parse()
        .expect("DATABASE_URL must be a PostgreSQL URL");
    options.database(database).disable_statement_logging()
}

/// A name that changes whenever the set of migrations changes.
fn template_name() -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for migration in MIGRATOR.iter() {
        for byte in migration
            .checksum
            .iter()
            .chain(migration.version.to_le_bytes().iter())
        {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("codex_template_{hash:016x}")
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

async fn admin_connection() -> PgConnection {
    PgConnection::connect_with(&options_for("postgres"))
        .await
        .expect("the test PostgreSQL server must be reachable (set DATABASE_URL)")
}

/// Creates and migrates the template once; concurrent test processes
/// serialise on an advisory lock.
async fn ensure_template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let name = template_name();
            let mut admin = admin_connection().await;
            sqlx::query("SELECT pg_advisory_lock(7266391)")
                .execute(&mut admin)
                .await
                .expect("advisory lock");
            let ready: Option<bool> =
                sqlx::query_scalar("SELECT datistemplate FROM pg_database WHERE datname = $1")
                    .bind(&name)
                    .fetch_optional(&mut admin)
                    .await
                    .expect("look up template");
            if ready != Some(true) {
                if ready.is_some() {
                    drop_database(&mut admin, &name).await;
                }
                sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut admin)
                    .await
                    .expect("create template");
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(options_for(&name))
                    .await
                    .expect("connect to template");
                MIGRATOR.run(&pool).await.expect("migrate template");
                pool.close().await;
                sqlx::query(AssertSqlSafe(format!(
                    "ALTER DATABASE \"{name}\" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
                )))
                .execute(&mut admin)
                .await
                .expect("mark template");
            }
            sqlx::query("SELECT pg_advisory_unlock(7266391)")
                .execute(&mut admin)
                .await
                .expect("advisory unlock");
            name
        })
        .await
}

async fn drop_database(admin: &mut PgConnection, name: &str) {
    sqlx::query(AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" WITH IS_TEMPLATE false"
    )))
    .execute(&mut *admin)
    .await
    .ok();
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut *admin)
    .await
    .expect("drop database");
}

/// A migrated database of a test's own, dropped when the value is dropped.
pub struct TestDatabase {
    name: String,
    url: String,
    database: Arc<PgDatabase>,
}

impl TestDatabase {
    pub async fn new() -> Self {
        let template = ensure_template().await;
        let name = format!("codex_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = admin_connection().await;
        sqlx::query(AssertSqlSafe(format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        )))
        .execute(&mut admin)
        .await
        .expect("clone template");
        let url = options_for(&name).to_url_lossy().to_string();
        let database = Arc::new(
            PgDatabase::connect_lazy(&url, 5, DEFAULT_DATABASE_STATEMENT_TIMEOUT)
                .expect("test database URL is valid"),
        );
        Self {
            name,
            url,
            database,
        }
    }

    /// The connection URL of this test's database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL of this test's database reached through `address` instead,
    /// e.g. a fault proxy's `listen` address in front of [`server_address`].
    pub fn url_via(&self, address: SocketAddr) -> String {
        options_for(&self.name)
            .host(&address.ip().to_string())
            .port(address.port())
            .to_url_lossy()
            .to_string()
    }

    pub fn database(&self) -> Arc<PgDatabase> {
        Arc::clone(&self.database)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // The pool belongs to the test's runtime, which is blocked right here,
        // so it cannot be closed from here: the database is dropped with
        // FORCE instead, which ends its connections. The clean-up runs on a
        // thread with a runtime of its own, as Drop may run inside a runtime.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for clean-up");
            runtime.block_on(async move {
                let mut admin = admin_connection().await;
                drop_database(&mut admin, &name).await;
            });
        });
        let _ = cleanup.join();
    }
}
