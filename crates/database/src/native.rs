//! The native adapter: sqlx over a connection pool.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, Column, Postgres, Row as _, TypeInfo};

use crate::{Database, DbError, Row, SqlValue, Transaction};

/// The migrations in `migrations/`, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// How long a caller waits for a pooled connection before the database
/// counts as unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// PostgreSQL through a sqlx pool.
#[derive(Debug, Clone)]
pub struct PgDatabase {
    pool: PgPool,
}

impl PgDatabase {
    /// Creates the pool without connecting: the service starts even while
    /// the database is down, and reports it through `/health`.
    pub fn connect_lazy(url: &str, max_connections: u32) -> Result<Self, DbError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(DbError::Query(
                "DATABASE_URL must start with postgres:// or postgresql://".to_owned(),
            ));
        }
        let options: PgConnectOptions = url
            .parse()
            .map_err(|_| DbError::Query("DATABASE_URL is not a valid PostgreSQL URL".to_owned()))?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .idle_timeout(Duration::from_secs(300))
            .test_before_acquire(true)
            .connect_lazy_with(options);
        Ok(Self { pool })
    }

    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies every pending migration (idempotent; sqlx takes an advisory
    /// lock so that concurrent starts do not race).
    pub async fn migrate(&self) -> Result<(), DbError> {
        MIGRATOR.run(&self.pool).await.map_err(|error| match error {
            sqlx::migrate::MigrateError::Execute(inner) => map_error(inner),
            other => DbError::Query(other.to_string()),
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl Database for PgDatabase {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        let rows = build(sql, params)
            .fetch_all(&self.pool)
            .await
            .map_err(map_error)?;
        rows.iter().map(decode_row).collect()
    }

    async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        let done = build(sql, params)
            .execute(&self.pool)
            .await
            .map_err(map_error)?;
        Ok(done.rows_affected())
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>, DbError> {
        let tx = self.pool.begin().await.map_err(map_error)?;
        Ok(Box::new(PgTransaction { tx }))
    }
}

struct PgTransaction {
    tx: sqlx::Transaction<'static, Postgres>,
}

#[async_trait]
impl Transaction for PgTransaction {
    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        let rows = build(sql, params)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(map_error)?;
        rows.iter().map(decode_row).collect()
    }

    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        let done = build(sql, params)
            .execute(&mut *self.tx)
            .await
            .map_err(map_error)?;
        Ok(done.rows_affected())
    }

    async fn commit(self: Box<Self>) -> Result<(), DbError> {
        self.tx.commit().await.map_err(map_error)
    }

    async fn rollback(self: Box<Self>) -> Result<(), DbError> {
        self.tx.rollback().await.map_err(map_error)
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
