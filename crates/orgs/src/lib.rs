//! Organisations and who belongs to them, and their settings: the rules
//! behind the organisation service. This crate owns the tables
//! `organizations`, `organization_memberships`, `organization_invitations`,
//! `organization_followers` and the organisation settings tables
//! (`branding_settings`, `contact_settings`, `feature_settings`); nothing
//! else reads or writes them. Who a member is (name, picture, address) is
//! the accounts crate's to say; the flows that need both live in
//! `codex-flows`.
//!
//! - [`slug`]: the organisation slug rule and the reserved names;
//! - [`organisation`]: create (the caller becomes owner in the same
//!   transaction), read, update, list, soft delete, and the public
//!   branding and info, cached in the key-value store and dropped on every
//!   change that affects them;
//! - [`membership`]: a user's membership in force (active only) as the
//!   policies read it, always from PostgreSQL, with the role and status
//!   enums;
//! - [`members`]: invitations (e-mailed, single-use, expiring, accepted by
//!   the invited address, waiting for it to sign up), roles, removal, the
//!   last-owner guard and the rule that only owners make or unmake owners;
//! - [`followers`]: following an organisation (idempotent, counted for
//!   anyone);
//! - [`storefront`]: an organisation's creators and their count, for its
//!   public pages;
//! - [`settings`]: branding, contact and features of an organisation;
//! - [`intro_video`]: the branding's intro video (linking waits for the
//!   media library);
//! - [`svg`]: uploaded SVG logos rewritten without scripts, event handlers,
//!   foreign objects or external references.
//!
//! Operations take the [`Context`](codex_context::Context).

pub mod followers;
pub mod intro_video;
pub mod members;
pub mod membership;
pub mod organisation;
pub mod settings;
pub mod slug;
pub mod storefront;
pub mod svg;

use codex_context::Context;
use codex_database::SqlValue;
use codex_errors::ApiError;

/// The total behind a page: `SELECT count(*) FROM {from_and_where}`.
pub(crate) async fn total(
    ctx: &Context,
    from_and_where: &str,
    params: &[SqlValue],
) -> Result<u64, ApiError> {
    let row = ctx
        .database()
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
