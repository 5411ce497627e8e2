//! Organisation membership as the policies see it: the role, the status and
//! when the user joined. Read from PostgreSQL on every request (one indexed
//! statement), never from a cache: a removed member or a demoted admin loses
//! access on their very next request at every location, which a copy in
//! Workers KV (stale for up to a minute elsewhere) could not promise.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use codex_context::Context;
use codex_database::{FromRow, columns};
use codex_errors::ApiError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A member's role in an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    Owner,
    Admin,
    Creator,
    Subscriber,
    Member,
}

impl MemberRole {
    pub const ALL: [Self; 5] = [
        Self::Owner,
        Self::Admin,
        Self::Creator,
        Self::Subscriber,
        Self::Member,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Creator => "creator",
            Self::Subscriber => "subscriber",
            Self::Member => "member",
        }
    }

    /// Owners and admins manage an organisation.
    pub fn manages(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }
}

/// Whether a membership is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Active,
    Invited,
    Inactive,
}

impl MemberStatus {
    pub const ALL: [Self; 3] = [Self::Active, Self::Invited, Self::Inactive];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Invited => "invited",
            Self::Inactive => "inactive",
        }
    }
}

macro_rules! text_enum {
    ($ty:ty, $what:literal) => {
        impl FromStr for $ty {
            type Err = String;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|candidate| candidate.as_str() == value)
                    .ok_or_else(|| format!("`{value}` is not {}", $what))
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<$ty> for codex_database::SqlValue {
            fn from(value: $ty) -> Self {
                value.as_str().into()
            }
        }
    };
}

text_enum!(MemberRole, "a membership role");
text_enum!(MemberStatus, "a membership status");

/// A user's membership of an organisation, read from
/// `organization_memberships m`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    pub organization_id: Uuid,
    #[row(parse)]
    pub role: MemberRole,
    #[row(parse)]
    pub status: MemberStatus,
    #[row(rename = "created_at")]
    pub joined_at: DateTime<Utc>,
}

impl Membership {
    pub fn is_active(&self) -> bool {
        self.status == MemberStatus::Active
    }

    /// An active owner or admin.
    pub fn is_manager(&self) -> bool {
        self.is_active() && self.role.manages()
    }

    /// An active owner.
    pub fn is_owner(&self) -> bool {
        self.is_active() && self.role == MemberRole::Owner
    }
}

/// The user's membership in force (status `active`) of a live
/// organisation, if they have one. A removed member (`inactive`) has none:
/// every reader (the policies, the studio's `my-membership`) sees the same
/// answer, so no caller can honour a membership that has ended.
pub async fn lookup(
    ctx: &Context,
    organization_id: Uuid,
    user_id: &str,
) -> Result<Option<Membership>, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "SELECT {} FROM organization_memberships m \
                 JOIN organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL \
                 WHERE m.organization_id = $1 AND m.user_id = $2 AND m.status = 'active'",
                columns::<Membership>("m")
            ),
            &[organization_id.into(), user_id.into()],
        )
        .await?;
    Ok(row.map(|row| row.decode()).transpose()?)
}

/// What another of our services is told about a user's place in an
/// organisation: their role and when they joined while the membership is
/// active; both `null` otherwise (invited, inactive, none, or the
/// organisation gone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Standing {
    #[schema(required = true)]
    pub role: Option<MemberRole>,
    #[schema(required = true)]
    pub joined_at: Option<DateTime<Utc>>,
}

/// Whether `value` has the form of a user id: 1 to 64 letters, digits,
/// `-` or `_` (ours are 32 hex digits; BetterAuth's are alphanumeric).
pub fn is_user_id(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The [`Standing`] of `user_id` in `organization_id`; 400 naming `userId`
/// when it cannot be a user id.
pub async fn standing(
    ctx: &Context,
    organization_id: Uuid,
    user_id: &str,
) -> Result<Standing, ApiError> {
    if !is_user_id(user_id) {
        return Err(ApiError::invalid_fields([("userId", "is not a user id")]));
    }
    let active = lookup(ctx, organization_id, user_id)
        .await?
        .filter(Membership::is_active);
    Ok(Standing {
        role: active.as_ref().map(|membership| membership.role),
        joined_at: active.map(|membership| membership.joined_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_statuses_round_trip_through_their_names() {
        for role in MemberRole::ALL {
            assert_eq!(role.as_str().parse::<MemberRole>(), Ok(role));
            assert_eq!(
                serde_json::to_value(role).expect("serialise"),
                serde_json::json!(role.as_str())
            );
        }
        for status in MemberStatus::ALL {
            assert_eq!(status.as_str().parse::<MemberStatus>(), Ok(status));
        }
        assert!("root".parse::<MemberRole>().is_err());
        assert!(MemberRole::Admin.manages() && !MemberRole::Creator.manages());
    }

    #[test]
    fn user_ids_are_short_runs_of_safe_characters() {
        assert!(is_user_id("0123456789abcdef0123456789abcdef"));
        assert!(is_user_id("Ab_c-9"));
        for bad in ["", "a b", "a/b", "a%00", &"a".repeat(65), "ü"] {
            assert!(!is_user_id(bad), "{bad:?}");
        }
    }
}
