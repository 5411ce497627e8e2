//! The user record, as PostgreSQL keeps it and as the API shows it.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use codex_database::{Database, DbError, Row};
use serde::{Deserialize, Serialize};

/// A user's platform-wide role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Creator,
    Admin,
    /// Internal actors; never given to a person.
    System,
    PlatformOwner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Creator => "creator",
            Self::Admin => "admin",
            Self::System => "system",
            Self::PlatformOwner => "platform_owner",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "customer" => Ok(Self::Customer),
            "creator" => Ok(Self::Creator),
            "admin" => Ok(Self::Admin),
            "system" => Ok(Self::System),
            "platform_owner" => Ok(Self::PlatformOwner),
            other => Err(format!("`{other}` is not a role")),
        }
    }
}

/// Links a user shows on their profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocialLinks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twitter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub youtube: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instagram: Option<String>,
}

/// A user as the API shows it (camelCase, BetterAuth's field names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
    pub image: Option<String>,
    pub role: Role,
    pub username: Option<String>,
    pub bio: Option<String>,
    pub social_links: Option<SocialLinks>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The columns [`User::from_row`] reads, for `SELECT {USER_COLUMNS} FROM users u`.
pub const USER_COLUMNS: &str = "u.id, u.email, u.name, u.email_verified, u.image, u.role, \
     u.username, u.bio, u.social_links, u.created_at, u.updated_at";

impl User {
    pub fn from_row(row: &Row) -> Result<Self, DbError> {
        let role: String = row.get("role")?;
        let social_links: Option<serde_json::Value> = row.get("social_links")?;
        Ok(Self {
            id: row.get("id")?,
            email: row.get("email")?,
            name: row.get("name")?,
            email_verified: row.get("email_verified")?,
            image: row.get("image")?,
            role: role.parse().map_err(|reason| DbError::Decode {
                column: "role".to_owned(),
                reason,
            })?,
            username: row.get("username")?,
            bio: row.get("bio")?,
            // Links written by an older shape are shown as none rather than failing the read.
            social_links: social_links.and_then(|value| serde_json::from_value(value).ok()),
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

/// The live (not deleted) user with this id.
pub async fn find_live(database: &dyn Database, id: &str) -> Result<Option<User>, DbError> {
    let row = database
        .query_opt(
            &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL"),
            &[id.into()],
        )
        .await?;
    row.as_ref().map(User::from_row).transpose()
}

/// The live user with this (normalised) address, with their password hash
/// when they have one.
pub async fn find_live_by_email(
    database: &dyn Database,
    email: &str,
) -> Result<Option<(User, Option<String>)>, DbError> {
    let row = database
        .query_opt(
            &format!(
                "SELECT {USER_COLUMNS}, a.password FROM users u \
                 LEFT JOIN accounts a ON a.user_id = u.id AND a.provider_id = 'credential' \
                 WHERE u.email = $1 AND u.deleted_at IS NULL"
            ),
            &[email.into()],
        )
        .await?;
    row.map(|row| Ok((User::from_row(&row)?, row.get("password")?)))
        .transpose()
}

/// What others are shown of a user: their name and picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCard {
    pub name: String,
    pub image: Option<String>,
    pub email: String,
}

/// The cards of these users (deleted users show as anonymised), by id.
pub async fn cards(
    database: &dyn Database,
    ids: &[String],
) -> Result<std::collections::HashMap<String, UserCard>, DbError> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let rows = database
        .query(
            "SELECT u.id, u.name, u.image, u.email FROM users u WHERE u.id = ANY(string_to_array($1, ','))",
            &[ids.join(",").into()],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.get("id")?,
                UserCard {
                    name: row.get("name")?,
                    image: row.get("image")?,
                    email: row.get("email")?,
                },
            ))
        })
        .collect()
}

/// The id of the live account with this (normalised) address, if any.
pub async fn id_by_email(database: &dyn Database, email: &str) -> Result<Option<String>, DbError> {
    let row = database
        .query_opt(
            "SELECT id FROM users WHERE email = $1 AND deleted_at IS NULL",
            &[email.into()],
        )
        .await?;
    row.map(|row| row.get("id")).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [
            Role::Customer,
            Role::Creator,
            Role::Admin,
            Role::System,
            Role::PlatformOwner,
        ] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(
                serde_json::to_value(role).expect("serialise"),
                serde_json::json!(role.as_str())
            );
        }
        assert!("superuser".parse::<Role>().is_err());
    }
}
