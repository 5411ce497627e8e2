//! Sessions: a random token in the client's cookie, only its SHA-256 hash in
//! PostgreSQL.
//!
//! A session lives 24 hours from its last renewal. Using it more than an
//! hour after the last renewal renews it (sliding expiry), so an active user
//! stays signed in and an idle one is signed out a day later.
//!
//! Every look-up reads PostgreSQL (one indexed statement joining the user),
//! never a cache: sign-out, a password change or reset and account deletion
//! delete the rows, and the very next request anywhere is refused. A copy in
//! Workers KV could outlive a revocation by up to a minute at another
//! location, and a look-up racing a revocation could write a revoked session
//! back into it; with no copy, neither can happen.

use chrono::{DateTime, Duration, Utc};
use codex_context::token::{self, IssuedToken};
use codex_database::{FromRow, Transaction, columns};
use codex_errors::ApiError;
use serde::{Deserialize, Serialize};

use crate::user::User;
use codex_context::{Context, new_id};

/// How long a session lasts after its last renewal.
pub const LIFETIME: Duration = Duration::hours(24);
/// How long after a renewal the next use renews it again.
pub const RENEW_AFTER: Duration = Duration::hours(1);

/// A session as the API shows it. The token itself is never part of it.
// Read from `SESSION_COLUMNS`, whose aliases keep the session's `id` and
// timestamps apart from the user's when both are selected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    #[row(rename = "session_id")]
    pub id: String,
    pub user_id: String,
    pub expires_at: DateTime<Utc>,
    #[row(rename = "session_created_at")]
    pub created_at: DateTime<Utc>,
    #[row(rename = "session_updated_at")]
    pub updated_at: DateTime<Utc>,
    #[schema(required = true)]
    pub ip_address: Option<String>,
    #[schema(required = true)]
    pub user_agent: Option<String>,
}

/// A valid session and the live user it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authenticated {
    pub session: SessionRecord,
    pub user: User,
}

/// Where a session was started from, kept for the user's own review.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

fn truncated(value: Option<&str>, max: usize) -> Option<String> {
    value.map(|value| value.chars().take(max).collect())
}

/// The select list of a [`SessionRecord`] from `sessions s`: the columns of
/// `SessionRecord::COLUMNS`, aliased where a user's column has the same name.
const SESSION_COLUMNS: &str = "s.id AS session_id, s.user_id, s.expires_at, s.created_at AS session_created_at, \
     s.updated_at AS session_updated_at, s.ip_address, s.user_agent";

/// Starts a session for `user_id`. Returns the token for the cookie and the
/// record as stored.
pub async fn create(
    ctx: &Context,
    user_id: &str,
    client: &ClientInfo,
) -> Result<(IssuedToken, SessionRecord), ApiError> {
    let issued = token::issue().map_err(ApiError::internal)?;
    let now = ctx.clock().now();
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "INSERT INTO sessions AS s (id, token_hash, user_id, expires_at, ip_address, user_agent, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {SESSION_COLUMNS}"
            ),
            &[
                new_id()?.into(),
                issued.hash.as_str().into(),
                user_id.into(),
                (now + LIFETIME).into(),
                truncated(client.ip_address.as_deref(), 64).into(),
                truncated(client.user_agent.as_deref(), 512).into(),
                now.into(),
            ],
        )
        .await?
        .ok_or_else(|| ApiError::internal("session insert returned no row"))?;
    Ok((issued, row.decode()?))
}

/// The session behind `token`, when it is valid and its user is live;
/// renews it when due. Junk tokens are refused before any look-up.
pub async fn resolve(ctx: &Context, token: &str) -> Result<Option<Authenticated>, ApiError> {
    if !token::looks_valid(token) {
        return Ok(None);
    }
    let token_hash = token::hash(token);
    let now = ctx.clock().now();
    let Some(mut found) = load(ctx, &token_hash, now).await? else {
        return Ok(None);
    };
    if found.session.expires_at - now < LIFETIME - RENEW_AFTER {
        // Revoked between the two statements: refused all the same.
        let Some(expires_at) = renew(ctx, &token_hash, now).await? else {
            return Ok(None);
        };
        found.session.expires_at = expires_at;
        found.session.updated_at = now;
    }
    Ok(Some(found))
}

async fn load(
    ctx: &Context,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Authenticated>, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "SELECT {SESSION_COLUMNS}, {} FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.deleted_at IS NULL",
                columns::<User>("u")
            ),
            &[token_hash.into(), now.into()],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(Authenticated {
        session: row.decode()?,
        user: row.decode()?,
    }))
}

async fn renew(
    ctx: &Context,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let expires_at = now + LIFETIME;
    let changed = ctx
        .database()
        .execute(
            "UPDATE sessions SET expires_at = $2, updated_at = $3 WHERE token_hash = $1 AND expires_at > $3",
            &[token_hash.into(), expires_at.into(), now.into()],
        )
        .await?;
    Ok((changed == 1).then_some(expires_at))
}

/// Ends the session behind `token` (sign-out).
pub async fn revoke(ctx: &Context, token: &str) -> Result<(), ApiError> {
    if !token::looks_valid(token) {
        return Ok(());
    }
    let token_hash = token::hash(token);
    ctx.database()
        .execute(
            "DELETE FROM sessions WHERE token_hash = $1",
            &[token_hash.as_str().into()],
        )
        .await?;
    Ok(())
}

/// Deletes every session of `user_id` inside `transaction`: once it
/// commits, none of them is accepted any more.
pub async fn delete_all_in(
    transaction: &mut dyn Transaction,
    user_id: &str,
) -> Result<(), ApiError> {
    transaction
        .execute("DELETE FROM sessions WHERE user_id = $1", &[user_id.into()])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_select_list_names_what_the_record_reads() {
        let names: Vec<&str> = SESSION_COLUMNS
            .split(", ")
            .map(|item| item.rsplit([' ', '.']).next().unwrap_or(item))
            .collect();
        assert_eq!(names, SessionRecord::COLUMNS);
        for name in User::COLUMNS {
            assert!(!names.contains(name), "{name} is also a user column");
        }
    }
}
