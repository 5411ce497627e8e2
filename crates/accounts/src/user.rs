//! The user record, as PostgreSQL keeps it and as the API shows it.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use codex_database::{Database, DbError, FromRow, columns};
use serde::{Deserialize, Deserializer, Serialize};

/// A user's platform-wide role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

/// Social links as read back from a user's row: none, or links of the
/// current shape. Links written in an older shape read as none rather than
/// failing the read (and with it every request of their owner). Serialised
/// exactly as the `Option<SocialLinks>` it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct StoredLinks(pub Option<SocialLinks>);

impl<'de> Deserialize<'de> for StoredLinks {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(Self(serde_json::from_value(value).ok()))
    }
}

/// A user as the API shows it (BetterAuth's field names).
// Read from `SELECT {columns::<User>("u")} FROM users u`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
    #[schema(required = true)]
    pub image: Option<String>,
    #[row(parse)]
    pub role: Role,
    #[schema(required = true)]
    pub username: Option<String>,
    #[schema(required = true)]
    pub bio: Option<String>,
    #[row(json)]
    #[serde(default)]
    pub social_links: StoredLinks,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The live (not deleted) user with this id.
pub async fn find_live(database: &dyn Database, id: &str) -> Result<Option<User>, DbError> {
    let row = database
        .query_opt(
            &format!(
                "SELECT {} FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL",
                columns::<User>("u")
            ),
            &[id.into()],
        )
        .await?;
    row.map(|row| row.decode()).transpose()
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
                "SELECT {}, a.password FROM users u \
                 LEFT JOIN accounts a ON a.user_id = u.id AND a.provider_id = 'credential' \
                 WHERE u.email = $1 AND u.deleted_at IS NULL",
                columns::<User>("u")
            ),
            &[email.into()],
        )
        .await?;
    row.map(|row| Ok((row.decode()?, row.get("password")?)))
        .transpose()
}

/// What others are shown of a user: their name, picture and public
/// profile (username, biography, links), and their address, which only the
/// callers entitled to it pass on (an organisation's managers); a public
/// page must not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserCard {
    pub id: String,
    pub name: String,
    #[schema(required = true)]
    pub image: Option<String>,
    pub email: String,
    #[schema(required = true)]
    pub username: Option<String>,
    #[schema(required = true)]
    pub bio: Option<String>,
    #[row(json)]
    #[serde(default)]
    pub social_links: StoredLinks,
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
            &format!(
                "SELECT {} FROM users u WHERE u.id = ANY(string_to_array($1, ','))",
                columns::<UserCard>("u")
            ),
            &[ids.join(",").into()],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let card: UserCard = row.decode()?;
            Ok((card.id.clone(), card))
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

    #[test]
    fn stored_links_read_an_older_shape_as_none() {
        let read = |value: serde_json::Value| -> StoredLinks {
            serde_json::from_value(value).expect("never refused")
        };
        let current = read(serde_json::json!({"website": "https://ada.example"}));
        assert_eq!(
            current.0.and_then(|links| links.website).as_deref(),
            Some("https://ada.example")
        );
        assert_eq!(read(serde_json::Value::Null), StoredLinks(None));
        assert_eq!(
            read(serde_json::json!({"homepage": "x"})),
            StoredLinks(None)
        );
        assert_eq!(
            read(serde_json::json!("https://x.example")),
            StoredLinks(None)
        );
    }

    #[test]
    fn stored_links_serialise_as_the_option_they_hold() {
        let links = SocialLinks {
            twitter: Some("https://twitter.com/ada".to_owned()),
            ..SocialLinks::default()
        };
        for held in [None, Some(links)] {
            assert_eq!(
                serde_json::to_value(StoredLinks(held.clone())).expect("serialise"),
                serde_json::to_value(held).expect("serialise")
            );
        }
    }

    #[test]
    fn users_select_their_columns_in_field_order() {
        assert_eq!(
            columns::<User>("u"),
            "u.id, u.email, u.name, u.email_verified, u.image, u.role, u.username, u.bio, \
             u.social_links, u.created_at, u.updated_at"
        );
    }
}
