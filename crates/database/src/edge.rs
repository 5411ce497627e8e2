//! The Workers adapter: tokio-postgres over a Workers TCP socket to
//! Hyperdrive, which pools connections to PostgreSQL (Neon in production, the
//! local server under `wrangler dev`).
//!
//! Workers futures are not `Send`, while the [`Database`] trait's are (so that
//! axum handlers work on both runtimes). Workers run one request at a time
//! on one thread, so each future here is wrapped in `SendFuture` once, in
//! this adapter, and nowhere else.
//!
//! Every statement has a deadline (`DATABASE_STATEMENT_TIMEOUT_MS`): the
//! adapter stops waiting after it, counted from when the statement asked for
//! a connection, and a connection that did not answer in time is dropped,
//! never reused. Hyperdrive pools in transaction mode and `RESET`s a
//! connection when it goes back to its pool, so a session-wide
//! `statement_timeout` (a `SET` after connecting, or startup options) would
//! not last past the first statement. Inside a transaction, where a `SET`
//! does hold, `SET LOCAL statement_timeout` has PostgreSQL cancel the
//! statement itself as well; a single statement outside one is bounded here
//! and by Hyperdrive's own query limit.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::BytesMut;
use codex_clock::{SystemClock, with_timeout};
use futures::lock::Mutex;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use worker::postgres_tls::PassthroughTls;
use worker::send::SendFuture;
use worker::{Env, SecureTransport, Socket};

use crate::edge_error::map_error;
use crate::{Database, DbError, Row, SqlValue, Transaction};

/// PostgreSQL through the Hyperdrive binding named `binding`.
pub struct HyperdriveDatabase {
    env: Env,
    binding: &'static str,
    /// One connection for statements outside transactions, opened on first
    /// use and again after it breaks.
    shared: Mutex<Option<Arc<tokio_postgres::Client>>>,
    /// The bound on every statement.
    statement_timeout: Duration,
}

impl HyperdriveDatabase {
    /// No statement takes longer than `statement_timeout` (at least 1 ms).
    pub fn new(env: Env, binding: &'static str, statement_timeout: Duration) -> Self {
        Self {
            env,
            binding,
            shared: Mutex::new(None),
            statement_timeout: statement_timeout.max(Duration::from_millis(1)),
        }
    }

    /// Runs `operation` on the shared connection within the deadline. When
    /// it does not answer in time the shared connection is let go, so that
    /// the next statement opens a fresh one.
    async fn bounded<T>(
        &self,
        operation: impl std::future::Future<Output = Result<T, DbError>>,
    ) -> Result<T, DbError> {
        match with_timeout(&SystemClock, self.statement_timeout, operation).await {
            Ok(result) => result,
            Err(_) => {
                *self.shared.lock().await = None;
                Err(no_answer(self.statement_timeout))
            }
        }
    }

    async fn shared_client(&self) -> Result<Arc<tokio_postgres::Client>, DbError> {
        let mut shared = self.shared.lock().await;
        match shared.as_ref() {
            Some(client) if !client.is_closed() => Ok(Arc::clone(client)),
            _ => {
                let client = Arc::new(self.connect().await?);
                *shared = Some(Arc::clone(&client));
                Ok(client)
            }
        }
    }

    /// A fresh shared connection, after the previous one was found closed
    /// (Hyperdrive and PostgreSQL close idle connections; the isolate only
    /// learns of it on the next use). The statement is tried once more on
    /// it: a closed connection never carried it.
    async fn reconnect(&self) -> Result<Arc<tokio_postgres::Client>, DbError> {
        let mut shared = self.shared.lock().await;
        let client = Arc::new(self.connect().await?);
        *shared = Some(Arc::clone(&client));
        Ok(client)
    }

    async fn connect(&self) -> Result<tokio_postgres::Client, DbError> {
        let hyperdrive = self.env.hyperdrive(self.binding).map_err(|_| {
            DbError::Unavailable(format!("no Hyperdrive binding named {}", self.binding))
        })?;
        let config: tokio_postgres::Config =
            hyperdrive.connection_string().parse().map_err(|_| {
                DbError::Unavailable("Hyperdrive gave an unusable connection string".to_owned())
            })?;
        let socket = Socket::builder()
            .secure_transport(SecureTransport::StartTls)
            .connect(hyperdrive.host(), hyperdrive.port())
            .map_err(|error| DbError::Unavailable(error.to_string()))?;
        // Any failure to open a connection means the database is out of
        // reach for now, whatever layer reported it.
        let (client, connection) = config
            .connect_raw(socket, PassthroughTls)
            .await
            .map_err(|error| DbError::Unavailable(error.to_string()))?;
        worker::wasm_bindgen_futures::spawn_local(async move {
            if let Err(error) = connection.await {
                tracing::warn!(%error, "database connection ended with an error");
            }
        });
        Ok(client)
    }
}

#[async_trait]
impl Database for HyperdriveDatabase {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        SendFuture::new(self.bounded(async move {
            let client = self.shared_client().await?;
            match run_query(&client, sql, params).await {
                Err(DbError::Unavailable(_)) if client.is_closed() => {
                    run_query(&*self.reconnect().await?, sql, params).await
                }
                result => result,
            }
        }))
        .await
    }

    async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        SendFuture::new(self.bounded(async move {
            let client = self.shared_client().await?;
            match run_execute(&client, sql, params).await {
                Err(DbError::Unavailable(_)) if client.is_closed() => {
                    run_execute(&*self.reconnect().await?, sql, params).await
                }
                result => result,
            }
        }))
        .await
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>, DbError> {
        let limit = self.statement_timeout;
        let opening = async move {
            // A transaction gets a connection of its own, so that statements
            // outside it can never slip into it. The timeout is set inside
            // it, where Hyperdrive keeps a SET (see the module's notes).
            let client = self.connect().await?;
            client
                .batch_execute(&format!(
                    "BEGIN; SET LOCAL statement_timeout = {}",
                    limit.as_millis()
                ))
                .await
                .map_err(|error| map_error(&error))?;
            Ok(Box::new(HyperdriveTransaction {
                client,
                limit,
                broken: false,
            }) as Box<dyn Transaction>)
        };
        // The connection being opened is dropped with the future when it
        // does not answer in time.
        SendFuture::new(async move {
            with_timeout(&SystemClock, limit, opening)
                .await
                .unwrap_or_else(|_| Err(no_answer(limit)))
        })
        .await
    }
}

fn no_answer(limit: Duration) -> DbError {
    DbError::Unavailable(format!(
        "the database did not answer within {} ms",
        limit.as_millis()
    ))
}

struct HyperdriveTransaction {
    client: tokio_postgres::Client,
    limit: Duration,
    /// A statement timed out: nothing more is sent on this connection, which
    /// closes when the transaction is dropped (PostgreSQL then rolls back).
    broken: bool,
}

impl HyperdriveTransaction {
    /// Runs one statement of the transaction within the deadline.
    async fn bounded<T>(
        limit: Duration,
        broken: &mut bool,
        statement: impl std::future::Future<Output = Result<T, DbError>>,
    ) -> Result<T, DbError> {
        if *broken {
            return Err(DbError::Unavailable(
                "the transaction's connection stopped answering".to_owned(),
            ));
        }
        with_timeout(&SystemClock, limit, statement)
            .await
            .unwrap_or_else(|_| {
                *broken = true;
                Err(no_answer(limit))
            })
    }
}

#[async_trait]
impl Transaction for HyperdriveTransaction {
    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        let Self {
            client,
            limit,
            broken,
        } = self;
        SendFuture::new(Self::bounded(
            *limit,
            broken,
            run_query(client, sql, params),
        ))
        .await
    }

    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        let Self {
            client,
            limit,
            broken,
        } = self;
        SendFuture::new(Self::bounded(
            *limit,
            broken,
            run_execute(client, sql, params),
        ))
        .await
    }

    async fn commit(mut self: Box<Self>) -> Result<(), DbError> {
        let Self {
            client,
            limit,
            broken,
        } = &mut *self;
        SendFuture::new(Self::bounded(*limit, broken, batch(client, "COMMIT"))).await
    }

    async fn rollback(mut self: Box<Self>) -> Result<(), DbError> {
        let Self {
            client,
            limit,
            broken,
        } = &mut *self;
        SendFuture::new(Self::bounded(*limit, broken, batch(client, "ROLLBACK"))).await
    }
}

async fn batch(client: &tokio_postgres::Client, sql: &str) -> Result<(), DbError> {
    client
        .batch_execute(sql)
        .await
        .map_err(|error| map_error(&error))
}

async fn run_query(
    client: &tokio_postgres::Client,
    sql: &str,
    params: &[SqlValue],
) -> Result<Vec<Row>, DbError> {
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
    let rows = client
        .query(sql, &refs)
        .await
        .map_err(|error| map_error(&error))?;
    rows.iter().map(decode_row).collect()
}

async fn run_execute(
    client: &tokio_postgres::Client,
    sql: &str,
    params: &[SqlValue],
) -> Result<u64, DbError> {
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
    client
        .execute(sql, &refs)
        .await
        .map_err(|error| map_error(&error))
}

type SqlResult = Result<IsNull, Box<dyn StdError + Sync + Send>>;

/// Binds a value as the type PostgreSQL inferred for the parameter, the way
/// sqlx's typed parameters coerce on the native side: integers narrow (with a
/// range check) to `smallint`/`integer`, timestamps become `timestamp` when
/// the column has no zone, and anything else must match exactly.
impl ToSql for SqlValue {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> SqlResult {
        match self {
            Self::Bool(v) => v.to_sql_checked(ty, out),
            Self::Int(v) => match *ty {
                Type::INT2 => v.map(i16::try_from).transpose()?.to_sql_checked(ty, out),
                Type::INT4 => v.map(i32::try_from).transpose()?.to_sql_checked(ty, out),
                #[allow(clippy::cast_precision_loss)]
                Type::FLOAT8 => v.map(|n| n as f64).to_sql_checked(ty, out),
                _ => v.to_sql_checked(ty, out),
            },
            Self::Float(v) => match *ty {
                #[allow(clippy::cast_possible_truncation)]
                Type::FLOAT4 => v.map(|n| n as f32).to_sql_checked(ty, out),
                _ => v.to_sql_checked(ty, out),
            },
            Self::Text(v) => v.as_deref().to_sql_checked(ty, out),
            Self::Uuid(v) => v.to_sql_checked(ty, out),
            Self::Timestamp(v) => match *ty {
                Type::TIMESTAMP => v.map(|t| t.naive_utc()).to_sql_checked(ty, out),
                _ => v.to_sql_checked(ty, out),
            },
            Self::Json(v) => v.to_sql_checked(ty, out),
            Self::Bytes(v) => v.as_deref().to_sql_checked(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn decode_row(row: &tokio_postgres::Row) -> Result<Row, DbError> {
    let mut columns = Vec::with_capacity(row.len());
    for (index, column) in row.columns().iter().enumerate() {
        let decode_error = |error: tokio_postgres::Error| DbError::Decode {
            column: column.name().to_owned(),
            reason: error.to_string(),
        };
        let value = match *column.type_() {
            Type::BOOL => SqlValue::Bool(row.try_get(index).map_err(decode_error)?),
            Type::INT2 => SqlValue::Int(
                row.try_get::<_, Option<i16>>(index)
                    .map_err(decode_error)?
                    .map(i64::from),
            ),
            Type::INT4 => SqlValue::Int(
                row.try_get::<_, Option<i32>>(index)
                    .map_err(decode_error)?
                    .map(i64::from),
            ),
            Type::INT8 => SqlValue::Int(row.try_get(index).map_err(decode_error)?),
            Type::FLOAT4 => SqlValue::Float(
                row.try_get::<_, Option<f32>>(index)
                    .map_err(decode_error)?
                    .map(f64::from),
            ),
            Type::FLOAT8 => SqlValue::Float(row.try_get(index).map_err(decode_error)?),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                SqlValue::Text(row.try_get(index).map_err(decode_error)?)
            }
            Type::UUID => SqlValue::Uuid(row.try_get(index).map_err(decode_error)?),
            Type::TIMESTAMPTZ => SqlValue::Timestamp(row.try_get(index).map_err(decode_error)?),
            Type::TIMESTAMP => SqlValue::Timestamp(
                row.try_get::<_, Option<chrono::NaiveDateTime>>(index)
                    .map_err(decode_error)?
                    .map(|naive| naive.and_utc()),
            ),
            Type::JSON | Type::JSONB => SqlValue::Json(row.try_get(index).map_err(decode_error)?),
            Type::BYTEA => SqlValue::Bytes(row.try_get(index).map_err(decode_error)?),
            ref other => {
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
