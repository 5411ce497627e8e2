//! Sessions: a random token in the client's cookie, only its SHA-256 hash in
//! PostgreSQL, and the validated session cached in the key-value store under
//! `session:{hash}` until it expires.
//!
//! A session lives 24 hours from its last renewal. Using it more than an
//! hour after the last renewal renews it (sliding expiry), so an active user
//! stays signed in and an idle one is signed out a day later.
//!
//! The cache is only a cache: when the store fails, look-ups fall back to
//! PostgreSQL, and every revocation deletes the database rows first and the
//! cached copies second.

use chrono::{DateTime, Duration, Utc};
use codex_accounts::token::{self, IssuedToken};
use codex_database::{DbError, Row, Transaction};
use codex_errors::ApiError;
use codex_kv::KeyValue;
use serde::{Deserialize, Serialize};

use crate::user::{USER_COLUMNS, User};
use crate::{Deps, new_id};

/// How long a session lasts after its last renewal.
pub const LIFETIME: Duration = Duration::hours(24);
/// How long after a renewal the next use renews it again.
pub const RENEW_AFTER: Duration = Duration::hours(1);

/// A session as the API shows it. The token itself is never part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    pub id: String,
    pub user_id: String,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ip_address: Option<String>,
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

fn cache_key(token_hash: &str) -> String {
    format!("session:{token_hash}")
}

fn truncated(value: Option<&str>, max: usize) -> Option<String> {
    value.map(|value| value.chars().take(max).collect())
}

const SESSION_COLUMNS: &str = "s.id AS session_id, s.user_id, s.expires_at, s.created_at AS session_created_at, \
     s.updated_at AS session_updated_at, s.ip_address, s.user_agent";

fn session_from_row(row: &Row) -> Result<SessionRecord, DbError> {
    Ok(SessionRecord {
        id: row.get("session_id")?,
        user_id: row.get("user_id")?,
        expires_at: row.get("expires_at")?,
        created_at: row.get("session_created_at")?,
        updated_at: row.get("session_updated_at")?,
        ip_address: row.get("ip_address")?,
        user_agent: row.get("user_agent")?,
    })
}

/// Starts a session for `user_id`. Returns the token for the cookie and the
/// record as stored.
pub async fn create(
    deps: Deps<'_>,
    user_id: &str,
    client: &ClientInfo,
) -> Result<(IssuedToken, SessionRecord), ApiError> {
    let issued = token::issue().map_err(ApiError::internal)?;
    let now = deps.clock.now();
    let row = deps
        .database
        .query_opt(
            "INSERT INTO sessions AS s (id, token_hash, user_id, expires_at, ip_address, user_agent, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             RETURNING s.id AS session_id, s.user_id, s.expires_at, s.created_at AS session_created_at, \
             s.updated_at AS session_updated_at, s.ip_address, s.user_agent",
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
    Ok((issued, session_from_row(&row)?))
}

/// The session behind `token`, when it is valid and its user is live;
/// renews it when due. Junk tokens are refused before any look-up.
pub async fn resolve(deps: Deps<'_>, token: &str) -> Result<Option<Authenticated>, ApiError> {
    if !token::looks_valid(token) {
        return Ok(None);
    }
    let token_hash = token::hash(token);
    let now = deps.clock.now();
    let cached = read_cache(deps.kv, &token_hash).await;
    let (mut found, from_cache) = match cached {
        Some(found) if found.session.expires_at > now => (found, true),
        _ => match load(deps, &token_hash, now).await? {
            Some(found) => (found, false),
            None => return Ok(None),
        },
    };
    let renewed = found.session.expires_at - now < LIFETIME - RENEW_AFTER;
    if renewed {
        let Some(expires_at) = renew(deps, &token_hash, now).await? else {
            // Revoked since it was cached.
            forget(deps.kv, [token_hash]).await;
            return Ok(None);
        };
        found.session.expires_at = expires_at;
        found.session.updated_at = now;
    }
    if renewed || !from_cache {
        write_cache(deps.kv, &token_hash, &found, now).await;
    }
    Ok(Some(found))
}

async fn load(
    deps: Deps<'_>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Authenticated>, ApiError> {
    let row = deps
        .database
        .query_opt(
            &format!(
                "SELECT {SESSION_COLUMNS}, {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.deleted_at IS NULL"
            ),
            &[token_hash.into(), now.into()],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(Authenticated {
        session: session_from_row(&row)?,
        user: User::from_row(&row)?,
    }))
}

async fn renew(
    deps: Deps<'_>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let expires_at = now + LIFETIME;
    let changed = deps
        .database
        .execute(
            "UPDATE sessions SET expires_at = $2, updated_at = $3 WHERE token_hash = $1 AND expires_at > $3",
            &[token_hash.into(), expires_at.into(), now.into()],
        )
        .await?;
    Ok((changed == 1).then_some(expires_at))
}

async fn read_cache(kv: &dyn KeyValue, token_hash: &str) -> Option<Authenticated> {
    match kv.get(&cache_key(token_hash)).await {
        Ok(Some(value)) => serde_json::from_str(&value).ok(),
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(%error, "session cache unavailable; reading the database");
            None
        }
    }
}

async fn write_cache(
    kv: &dyn KeyValue,
    token_hash: &str,
    found: &Authenticated,
    now: DateTime<Utc>,
) {
    let Ok(ttl) = (found.session.expires_at - now).to_std() else {
        return;
    };
    let Ok(value) = serde_json::to_string(found) else {
        return;
    };
    if let Err(error) = kv.put(&cache_key(token_hash), &value, Some(ttl)).await {
        tracing::warn!(%error, "could not cache a session");
    }
}

/// Drops cached copies of these sessions. Failures are logged: the rows are
/// gone already, and a cached copy is re-checked at its next renewal.
pub async fn forget(kv: &dyn KeyValue, token_hashes: impl IntoIterator<Item = String>) {
    for token_hash in token_hashes {
        if let Err(error) = kv.delete(&cache_key(&token_hash)).await {
            tracing::error!(%error, "could not drop a revoked session from the cache");
        }
    }
}

/// Ends the session behind `token` (sign-out).
pub async fn revoke(deps: Deps<'_>, token: &str) -> Result<(), ApiError> {
    if !token::looks_valid(token) {
        return Ok(());
    }
    let token_hash = token::hash(token);
    deps.database
        .execute(
            "DELETE FROM sessions WHERE token_hash = $1",
            &[token_hash.as_str().into()],
        )
        .await?;
    forget(deps.kv, [token_hash]).await;
    Ok(())
}

/// Deletes every session of `user_id` inside `transaction`; returns their
/// hashes so the caller can [`forget`] them once the transaction commits.
pub async fn delete_all_in(
    transaction: &mut dyn Transaction,
    user_id: &str,
) -> Result<Vec<String>, ApiError> {
    let rows = transaction
        .query(
            "DELETE FROM sessions WHERE user_id = $1 RETURNING token_hash",
            &[user_id.into()],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| row.get("token_hash"))
        .collect::<Result<_, _>>()?)
}

/// Drops the cached copies of every session of `user_id`, so that the next
/// request reads the user afresh (after a role or profile change).
pub async fn refresh_user(deps: Deps<'_>, user_id: &str) -> Result<(), ApiError> {
    let rows = deps
        .database
        .query(
            "SELECT token_hash FROM sessions WHERE user_id = $1",
            &[user_id.into()],
        )
        .await?;
    let hashes = rows
        .iter()
        .map(|row| row.get("token_hash"))
        .collect::<Result<Vec<String>, _>>()?;
    forget(deps.kv, hashes).await;
    Ok(())
}
