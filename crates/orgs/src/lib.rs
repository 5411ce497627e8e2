//! Organisations and who belongs to them, their settings, and the
//! platform's own settings: the rules behind the organisation service.
//!
//! - [`slug`]: the organisation slug rule and the reserved names;
//! - [`organisation`]: create (the caller becomes owner in the same
//!   transaction), read, update, list, soft delete, and the public
//!   branding and info, cached in the key-value store and dropped on every
//!   change that affects them;
//! - [`members`]: invitations (e-mailed, single-use, expiring, accepted by
//!   the invited address, waiting for it to sign up), roles, removal and the
//!   last-owner guard, each change dropping the cached membership;
//! - [`settings`]: branding, contact and features of an organisation, and
//!   the platform's settings;
//! - [`svg`]: uploaded SVG logos rewritten without scripts, event handlers,
//!   foreign objects or external references.
//!
//! Operations take `codex_users::Deps`, like the account rules.

pub mod members;
pub mod organisation;
pub mod settings;
pub mod slug;
pub mod svg;

pub use codex_users::Deps;

use codex_database::{Database, SqlValue};
use codex_errors::ApiError;

/// The total behind a page: `SELECT count(*) FROM {from_and_where}`.
pub(crate) async fn total(
    database: &dyn Database,
    from_and_where: &str,
    params: &[SqlValue],
) -> Result<u64, ApiError> {
    let row = database
        .query_opt(
            &format!("SELECT count(*) AS total FROM {from_and_where}"),
            params,
        )
        .await?;
    let total = row
        .map(|row| row.get::<i64>("total"))
        .transpose()?
        .unwrap_or(0);
    Ok(u64::try_from(total).unwrap_or(0))
}
