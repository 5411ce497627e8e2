//! Organisation membership as the policies see it: role, status and when
//! the user joined, cached in the key-value store under
//! `membership:{orgId}:{userId}`. `codex-orgs` drops that key on every
//! change to a membership (`members::forget_membership`), so a removed
//! member loses access on their next request.

use std::time::Duration;

use chrono::{DateTime, Utc};
use codex_database::Database;
use codex_errors::ApiError;
use codex_kv::KeyValue;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A safety net only: invalidation on change is what keeps entries right.
const CACHE_TTL: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    pub organization_id: Uuid,
    /// owner, admin, creator, subscriber or member.
    pub role: String,
    /// active, invited or inactive.
    pub status: String,
    pub joined_at: DateTime<Utc>,
}

impl Membership {
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }

    /// Owners and admins manage an organisation.
    pub fn is_manager(&self) -> bool {
        self.is_active() && matches!(self.role.as_str(), "owner" | "admin")
    }
}

fn cache_key(organization_id: Uuid, user_id: &str) -> String {
    codex_orgs::members::membership_cache_key(organization_id, user_id)
}

/// The user's membership of a live organisation, if they have one.
pub async fn lookup(
    database: &dyn Database,
    kv: &dyn KeyValue,
    organization_id: Uuid,
    user_id: &str,
) -> Result<Option<Membership>, ApiError> {
    let key = cache_key(organization_id, user_id);
    match kv.get(&key).await {
        Ok(Some(value)) => {
            if let Ok(found) = serde_json::from_str(&value) {
                return Ok(Some(found));
            }
        }
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "membership cache unavailable; reading the database"),
    }
    let row = database
        .query_opt(
            "SELECT m.role, m.status, m.created_at FROM organization_memberships m \
             JOIN organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL \
             WHERE m.organization_id = $1 AND m.user_id = $2",
            &[organization_id.into(), user_id.into()],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let found = Membership {
        organization_id,
        role: row.get("role")?,
        status: row.get("status")?,
        joined_at: row.get("created_at")?,
    };
    if let Ok(value) = serde_json::to_string(&found)
        && let Err(error) = kv.put(&key, &value, Some(CACHE_TTL)).await
    {
        tracing::warn!(%error, "could not cache a membership");
    }
    Ok(Some(found))
}
