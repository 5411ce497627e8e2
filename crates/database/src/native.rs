//! The native adapter: sqlx over a connection pool.
//!
//! Every statement has a deadline, the bound given to [`PgDatabase::connect_lazy`]
//! (`DATABASE_STATEMENT_TIMEOUT_MS`): PostgreSQL cancels a statement that
//! runs longer (`statement_timeout`, set on each connection), and the
//! adapter stops waiting at the same moment, counted from when it asked the
//! pool for a connection, in case the server cannot even say so (a stalled
//! or black-holed link). A connection that did not answer in time is closed,
//! never handed out again.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{
    PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow, PgTransactionManager,
};
use sqlx::{AssertSqlSafe, Column, Postgres, Row as _, TypeInfo};
use sqlx_core::transaction::TransactionManager as _;
use tokio::time::{Instant, error::Elapsed, timeout_at};

use crate::{Database, DbError, Row, SqlValue, Transaction};

/// The migrations in `migrations/`, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// How long a caller waits for a pooled connection before the database
/// counts as unavailable (the statement's own deadline may cut it shorter).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// PostgreSQL through a sqlx pool.
#[derive(Debug, Clone)]
pub struct PgDatabase {
    pool: PgPool,
    statement_timeout: Duration,
}

impl PgDatabase {
    /// Creates the pool without connecting: the service starts even while
    /// the database is down, and reports it through `/health`. No statement
    /// takes longer than `statement_timeout` (at least 1 ms).
    pub fn connect_lazy(
        url: &str,
        max_connections: u32,
        statement_timeout: Duration,
    ) -> Result<Self, DbError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(DbError::Query(
                "DATABASE_URL must start with postgres:// or postgresql://".to_owned(),
            ));
        }
        let options: PgConnectOptions = url
            .parse()
            .map_err(|_| DbError::Query("DATABASE_URL is not a valid PostgreSQL URL".to_owned()))?;
        let statement_timeout = statement_timeout.max(Duration::from_millis(1));
        // Sent in the startup packet, so it is the session's default (and
        // what `RESET` goes back to) on every connection of the pool.
        let options = options.options([("statement_timeout", statement_timeout.as_millis())]);
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .idle_timeout(Duration::from_secs(300))
            .test_before_acquire(true)
            .connect_lazy_with(options);
        Ok(Self {
            pool,
            statement_timeout,
        })
    }

    /// Wraps a pool made elsewhere. The client-side bound is
    /// `statement_timeout`; the server-side one is whatever the pool's
    /// connect options say.
    pub fn from_pool(pool: PgPool, statement_timeout: Duration) -> Self {
        Self {
            pool,
            statement_timeout,
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The bound every statement runs under.
    pub fn statement_timeout(&self) -> Duration {
        self.statement_timeout
    }

    /// Applies every pending migration (idempotent; sqlx takes an advisory
    /// lock so that concurrent starts do not race). Migrations may take
    /// longer than a request's statement: they run on a connection of their
    /// own without the statement timeout, which is closed afterwards.
    pub async fn migrate(&self) -> Result<(), DbError> {
        let mut conn = self.pool.acquire().await.map_err(map_error)?;
        conn.close_on_drop();
        sqlx::query("SET statement_timeout = 0")
            .execute(&mut *conn)
            .await
            .map_err(map_error)?;
        MIGRATOR.run(&mut *conn).await.map_err(|error| match error {
            sqlx::migrate::MigrateError::Execute(inner) => map_error(inner),
            other => DbError::Query(other.to_string()),
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// When a statement started now must have answered.
    fn deadline(&self) -> Instant {
        Instant::now() + self.statement_timeout
    }

    /// A connection from the pool, by `deadline`.
    async fn connection(&self, deadline: Instant) -> Result<PoolConnection<Postgres>, DbError> {
        match timeout_at(deadline, self.pool.acquire()).await {
            Ok(acquired) => acquired.map_err(map_error),
            Err(_) => Err(no_answer(self.statement_timeout)),
        }
    }
}

/// The outcome of a statement run under a deadline. A connection that did
/// not answer in time is in an unknown state (a reply may still be on its
/// way, or the link is dead): it is closed when dropped, never reused.
fn settle<T>(
    conn: &mut PoolConnection<Postgres>,
    outcome: Result<Result<T, sqlx::Error>, Elapsed>,
    limit: Duration,
) -> Result<T, DbError> {
    match outcome {
        Ok(result) => result.map_err(map_error),
        Err(_) => {
            conn.close_on_drop();
            Err(no_answer(limit))
        }
    }
}

fn no_answer(limit: Duration) -> DbError {
    DbError::Unavailable(format!(
        "the database did not answer within {} ms",
        limit.as_millis()
    ))
}

#[async_trait]
impl Database for PgDatabase {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        let deadline = self.deadline();
        let mut conn = self.connection(deadline).await?;
        let outcome = timeout_at(deadline, build(sql, params).fetch_all(&mut *conn)).await;
        let rows = settle(&mut conn, outcome, self.statement_timeout)?;
        rows.iter().map(decode_row).collect()
    }

    async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        let deadline = self.deadline();
        let mut conn = self.connection(deadline).await?;
        let outcome = timeout_at(deadline, build(sql, params).execute(&mut *conn)).await;
        Ok(settle(&mut conn, outcome, self.statement_timeout)?.rows_affected())
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>, DbError> {
        let deadline = self.deadline();
        let mut conn = self.connection(deadline).await?;
        let outcome = timeout_at(deadline, PgTransactionManager::begin(&mut conn, None)).await;
        settle(&mut conn, outcome, self.statement_timeout)?;
        Ok(Box::new(PgTransaction {
            conn,
            limit: self.statement_timeout,
            broken: false,
        }))
    }
}

/// A transaction on a connection of its own. sqlx's `TransactionManager`
/// keeps the books (as its own `Transaction` does), so that a transaction
/// dropped without commit is rolled back before the connection is reused;
/// holding the pooled connection itself lets a connection that stopped
/// answering be closed instead.
struct PgTransaction {
    conn: PoolConnection<Postgres>,
    limit: Duration,
    /// A statement timed out: nothing more is sent, and the connection is
    /// closed (PostgreSQL then rolls the transaction back).
    broken: bool,
}

impl PgTransaction {
    fn usable(&self) -> Result<(), DbError> {
        if self.broken {
            Err(DbError::Unavailable(
                "the transaction's connection stopped answering".to_owned(),
            ))
        } else {
            Ok(())
        }
    }

    fn settle<T>(
        &mut self,
        outcome: Result<Result<T, sqlx::Error>, Elapsed>,
    ) -> Result<T, DbError> {
        self.broken |= outcome.is_err();
        settle(&mut self.conn, outcome, self.limit)
    }
}

#[async_trait]
impl Transaction for PgTransaction {
    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        self.usable()?;
        let deadline = Instant::now() + self.limit;
        let outcome = timeout_at(deadline, build(sql, params).fetch_all(&mut *self.conn)).await;
        let rows = self.settle(outcome)?;
        rows.iter().map(decode_row).collect()
    }

    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        self.usable()?;
        let deadline = Instant::now() + self.limit;
        let outcome = timeout_at(deadline, build(sql, params).execute(&mut *self.conn)).await;
        Ok(self.settle(outcome)?.rows_affected())
    }

    async fn commit(mut self: Box<Self>) -> Result<(), DbError> {
        self.usable()?;
        let deadline = Instant::now() + self.limit;
        let outcome = timeout_at(deadline, PgTransactionManager::commit(&mut self.conn)).await;
        self.settle(outcome)
    }

    async fn rollback(mut self: Box<Self>) -> Result<(), DbError> {
        self.usable()?;
        let deadline = Instant::now() + self.limit;
        let outcome = timeout_at(deadline, PgTransactionManager::rollback(&mut self.conn)).await;
        self.settle(outcome)
    }
}

impl Drop for PgTransaction {
    fn drop(&mut self) {
        // Still open (never committed or rolled back, or that failed): queue
        // the ROLLBACK, which the pool sends before it hands the connection
        // out again. Does nothing once the transaction is over.
        if !self.broken {
            PgTransactionManager::start_rollback(&mut self.conn);
        }
    }
}

type PgQuery<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

fn build<'q>(sql: &str, params: &[SqlValue]) -> PgQuery<'q> {
    // The SQL text comes from the repositories' constants; values are always
    // bound as parameters, never spliced into it.
    let mut query = sqlx::query(AssertSqlSafe(sql.to_owned()));
    for param in params {
        query = match param.clone() {
            SqlValue::Bool(v) => query.bind(v),
            SqlValue::Int(v) => query.bind(v),
            SqlValue::Float(v) => query.bind(v),
            SqlValue::Text(v) => query.bind(v),
            SqlValue::Uuid(v) => query.bind(v),
            SqlValue::Timestamp(v) => query.bind(v),
            SqlValue::Json(v) => query.bind(v),
            SqlValue::Bytes(v) => query.bind(v),
        };
    }
    query
}

fn decode_row(row: &PgRow) -> Result<Row, DbError> {
    let mut columns = Vec::with_capacity(row.len());
    for (index, column) in row.columns().iter().enumerate() {
        let decode_error = |error: sqlx::Error| DbError::Decode {
            column: column.name().to_owned(),
            reason: error.to_string(),
        };
        let value = match column.type_info().name() {
            "BOOL" => SqlValue::Bool(row.try_get(index).map_err(decode_error)?),
            "INT2" => SqlValue::Int(
                row.try_get::<Option<i16>, _>(index)
                    .map_err(decode_error)?
                    .map(i64::from),
            ),
            "INT4" => SqlValue::Int(
                row.try_get::<Option<i32>, _>(index)
                    .map_err(decode_error)?
                    .map(i64::from),
            ),
            "INT8" => SqlValue::Int(row.try_get(index).map_err(decode_error)?),
            "FLOAT4" => SqlValue::Float(
                row.try_get::<Option<f32>, _>(index)
                    .map_err(decode_error)?
                    .map(f64::from),
            ),
            "FLOAT8" => SqlValue::Float(row.try_get(index).map_err(decode_error)?),
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => {
                SqlValue::Text(row.try_get(index).map_err(decode_error)?)
            }
            "UUID" => SqlValue::Uuid(row.try_get(index).map_err(decode_error)?),
            "TIMESTAMPTZ" => SqlValue::Timestamp(row.try_get(index).map_err(decode_error)?),
            "TIMESTAMP" => SqlValue::Timestamp(
                row.try_get::<Option<chrono::NaiveDateTime>, _>(index)
                    .map_err(decode_error)?
                    .map(|naive| naive.and_utc()),
            ),
            "JSON" | "JSONB" => SqlValue::Json(row.try_get(index).map_err(decode_error)?),
            "BYTEA" => SqlValue::Bytes(row.try_get(index).map_err(decode_error)?),
            other => {
                return Err(DbError::Decode {
                    column: column.name().to_owned(),
                    reason: format!("unsupported column type {other}: cast it in the SQL"),
                });
            }
        };
        columns.push((column.name().to_owned(), value));
    }
    Ok(Row::new(columns))
}

/// Classifies a sqlx error. A server error goes by its SQLSTATE; a failure
/// of the statement itself on our side (binding, decoding, a missing
/// column or row) is a bug, `Query`. Anything else is about reaching the
/// database: the pool (timed out, closed), the link (I/O, TLS, a protocol
/// violation such as "unexpected response from SSLRequest" when a
/// connection is cut while it opens), the configuration it connects with,
/// or sqlx's background worker. All of that is `Unavailable`, 503: the
/// request may succeed later, unchanged.
fn map_error(error: sqlx::Error) -> DbError {
    match error {
        sqlx::Error::Database(db) => DbError::from_sqlstate(
            db.code().as_deref().unwrap_or(""),
            db.constraint(),
            db.message(),
        ),
        sqlx::Error::InvalidArgument(_)
        | sqlx::Error::RowNotFound
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Encode(_)
        | sqlx::Error::Decode(_)
        | sqlx::Error::AnyDriverError(_)
        | sqlx::Error::Migrate(_)
        | sqlx::Error::InvalidSavePointStatement
        | sqlx::Error::BeginFailed => DbError::Query(error.to_string()),
        // Io, Tls, Protocol, PoolTimedOut, PoolClosed, WorkerCrashed,
        // Configuration, and whatever a later sqlx adds.
        other => DbError::Unavailable(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(message: &str) -> Box<dyn std::error::Error + Send + Sync> {
        message.into()
    }

    #[test]
    fn every_failure_to_reach_the_database_is_unavailable() {
        let io = || std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        for error in [
            sqlx::Error::Protocol("unexpected response from SSLRequest: 0x00".into()),
            sqlx::Error::Io(io()),
            sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::UnexpectedEof)),
            sqlx::Error::Tls(boxed("handshake failed")),
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::WorkerCrashed,
            sqlx::Error::Configuration(boxed("sslrootcert: no such file")),
        ] {
            let shown = error.to_string();
            assert!(
                matches!(map_error(error), DbError::Unavailable(_)),
                "{shown}"
            );
        }
    }

    #[test]
    fn failures_of_the_statement_itself_are_bugs() {
        for error in [
            sqlx::Error::RowNotFound,
            sqlx::Error::ColumnNotFound("email".into()),
            sqlx::Error::ColumnIndexOutOfBounds { index: 3, len: 2 },
            sqlx::Error::TypeNotFound {
                type_name: "citext".into(),
            },
            sqlx::Error::ColumnDecode {
                index: "0".into(),
                source: boxed("not a uuid"),
            },
            sqlx::Error::Encode(boxed("too long")),
            sqlx::Error::Decode(boxed("bad utf-8")),
            sqlx::Error::InvalidArgument("limit".into()),
        ] {
            let shown = error.to_string();
            assert!(matches!(map_error(error), DbError::Query(_)), "{shown}");
        }
    }
}
