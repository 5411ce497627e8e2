//! The database, behind a trait, with one set of SQL for both runtimes.
//!
//! Services and repositories talk to [`Database`] and [`Transaction`] with
//! plain PostgreSQL text (`$1` placeholders) and [`SqlValue`] parameters, and
//! read [`Row`]s back. Two adapters implement the traits:
//! - natively, [`native::PgDatabase`] over a sqlx `PgPool`;
//! - on Cloudflare Workers, `edge::HyperdriveDatabase`, tokio-postgres over
//!   the Workers socket to Hyperdrive.
//!
//! Both decode rows into the same [`Row`] type and map server errors onto
//! the same [`DbError`], so a repository behaves identically on both.
//!
//! Repositories also get what spares them persistence boilerplate:
//! - [`FromRow`] and `#[derive(FromRow)]` read a struct from a row, and
//!   [`columns`] gives the matching select list;
//! - [`Patch`] carries one field of a partial update (absent, `null`, or a
//!   value) from the request to [`Update`], which builds the `UPDATE` that
//!   changes exactly the fields sent.

mod error;
mod from_row;
mod page;
pub mod patch;
pub mod update;
mod value;

#[cfg(target_arch = "wasm32")]
pub mod edge;
#[cfg(any(target_arch = "wasm32", test))]
mod edge_error;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;

use async_trait::async_trait;

/// `#[derive(FromRow)]`: see the `codex-database-derive` crate for the
/// field attributes (`rename`, `json`, `parse`, `default`).
pub use codex_database_derive::FromRow;
pub use error::{DbError, INVALID_TEXT_MESSAGE};
pub use from_row::{FromRow, columns};
pub use page::{Window, fetch_page};
pub use patch::Patch;
pub use update::Update;
pub use value::{FromSqlValue, Row, SqlValue};

#[doc(hidden)]
pub use from_row::private as __private;

/// A PostgreSQL database reachable from this runtime.
#[async_trait]
pub trait Database: Send + Sync {
    /// Runs a statement and returns every row it produced.
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError>;

    /// Runs a statement and returns how many rows it changed.
    async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError>;

    /// Opens a transaction. Dropping it without `commit` rolls it back.
    async fn begin(&self) -> Result<Box<dyn Transaction>, DbError>;

    /// Proves the database answers (`SELECT 1`). Callers bound it in time.
    async fn ping(&self) -> Result<(), DbError> {
        self.query("SELECT 1", &[]).await.map(|_| ())
    }

    /// Runs a statement expected to return at most one row.
    async fn query_opt(&self, sql: &str, params: &[SqlValue]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }
}

/// An open transaction: every statement runs on one connection.
#[async_trait]
pub trait Transaction: Send {
    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError>;

    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError>;

    async fn commit(self: Box<Self>) -> Result<(), DbError>;

    async fn rollback(self: Box<Self>) -> Result<(), DbError>;

    async fn query_opt(&mut self, sql: &str, params: &[SqlValue]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }
}

/// PostgreSQL error classes that mean "the database cannot be reached right
/// now" rather than "this statement is wrong".
pub(crate) fn sqlstate_is_unavailable(code: &str) -> bool {
    code.starts_with("08") // connection exception
        || code.starts_with("28") // the server refused our credentials
        || code == "3D000" // the database does not exist (yet)
        || code.starts_with("57P") // operator intervention: shutdown, cannot connect now
        || code == "57014" // cancelled, by statement_timeout or an operator: did not answer in time
        || code == "53300" // too many connections
}
