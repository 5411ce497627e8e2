//! What users may change about themselves: their public profile, becoming
//! a creator, their image, their e-mail preferences, and deleting the
//! account. Sessions are read afresh on every request, so a change shows
//! (and a deletion ends access) on the next one.

use chrono::{DateTime, Utc};
use codex_database::{FromRow, Patch, Transaction, Update, columns};
use codex_errors::ApiError;
use serde::{Deserialize, Serialize};

use crate::session;
use crate::user::{self, SocialLinks, User};
use codex_context::Context;

use crate::coded;

pub const MAX_NAME: usize = 255;
pub const MAX_USERNAME: usize = 50;
pub const MAX_BIO: usize = 500;
pub const MAX_LINK: usize = 500;

/// Changes to a profile (the body of `PATCH /api/user/profile`). A field
/// left out is left as it is; `null` clears `username`, `bio` and
/// `socialLinks`, and so does an empty (or blank) `username` or `bio`, which
/// is what a form sends for an emptied field. `displayName` cannot be
/// cleared: `null` or an empty name is refused with a 400 naming it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfileChanges {
    #[serde(default)]
    #[schema(value_type = String, min_length = 1, max_length = 255)]
    pub display_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 50)]
    pub username: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub bio: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<SocialLinks>)]
    pub social_links: Patch<SocialLinks>,
}

/// Normal form of a username (trimmed, lower-case); empty means "none".
fn check_username(raw: &str) -> Result<Option<String>, ApiError> {
    let username = raw.trim().to_lowercase();
    if username.is_empty() {
        return Ok(None);
    }
    if username.len() > MAX_USERNAME || !codex_validation::is_slug(&username, MAX_USERNAME) {
        return Err(ApiError::invalid_fields([(
            "username",
            "must be at most 50 lower-case letters, digits and single hyphens",
        )]));
    }
    Ok(Some(username))
}

fn check_bio(raw: &str) -> Result<Option<String>, ApiError> {
    codex_validation::multiline_text("bio", raw, MAX_BIO)
}

fn check_link(field: &'static str, value: Option<&String>) -> Result<Option<String>, ApiError> {
    value.map_or(Ok(None), |value| {
        codex_validation::http_url(field, value, MAX_LINK)
    })
}

fn check_links(links: &SocialLinks) -> Result<SocialLinks, ApiError> {
    Ok(SocialLinks {
        website: check_link("socialLinks.website", links.website.as_ref())?,
        twitter: check_link("socialLinks.twitter", links.twitter.as_ref())?,
        youtube: check_link("socialLinks.youtube", links.youtube.as_ref())?,
        instagram: check_link("socialLinks.instagram", links.instagram.as_ref())?,
    })
}

fn links_json(links: &SocialLinks) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(check_links(links)?).map_err(ApiError::internal)
}

fn username_taken() -> ApiError {
    coded(
        ApiError::conflict("Username already taken"),
        "USERNAME_TAKEN",
    )
}

fn gone() -> ApiError {
    ApiError::unauthorized()
}

/// The live user's profile.
pub async fn get(ctx: &Context, user_id: &str) -> Result<User, ApiError> {
    user::find_live(ctx.database(), user_id)
        .await?
        .ok_or_else(gone)
}

/// Applies `changes` after checking all of them; nothing is written when
/// one is invalid, nor when none is sent (the profile is read as it is).
pub async fn update(
    ctx: &Context,
    user_id: &str,
    changes: ProfileChanges,
) -> Result<User, ApiError> {
    let name = changes
        .display_name
        .required("displayName")?
        .try_map(|name| codex_validation::required_text("displayName", &name, MAX_NAME))?;
    let username = changes.username.clearable(check_username)?;
    let bio = changes.bio.clearable(check_bio)?;
    let links = changes.social_links.try_map(|links| links_json(&links))?;

    let (sql, params) = Update::new("users u")
        .patch("name", name)
        .patch("username", username)
        .patch("bio", bio)
        .patch("social_links", links)
        .where_eq("u.id", user_id)
        .where_sql("u.deleted_at IS NULL")
        .returning_columns::<User>()
        .build();
    let row = match ctx.database().query_opt(&sql, &params).await {
        Ok(row) => row.ok_or_else(gone)?,
        Err(error) if error.is_unique_violation("idx_unique_username") => {
            return Err(username_taken());
        }
        Err(error) => return Err(error.into()),
    };
    Ok(row.decode()?)
}

/// Turns a customer into a creator with the username they chose.
pub async fn upgrade_to_creator(
    ctx: &Context,
    user_id: &str,
    username: &str,
    bio: Option<&str>,
    links: Option<&SocialLinks>,
) -> Result<User, ApiError> {
    let username = check_username(username)?
        .ok_or_else(|| ApiError::invalid_fields([("username", "is required")]))?;
    let bio = bio.map(check_bio).transpose()?.flatten();
    let links = links.map(links_json).transpose()?;
    let result = ctx
        .database()
        .query_opt(
            &format!(
                "UPDATE users u SET role = 'creator', username = $2, bio = COALESCE($3, u.bio), \
                   social_links = COALESCE($4, u.social_links) \
                 WHERE u.id = $1 AND u.deleted_at IS NULL AND u.role = 'customer' RETURNING {}",
                columns::<User>("u")
            ),
            &[user_id.into(), username.into(), bio.into(), links.into()],
        )
        .await;
    let row = match result {
        Ok(Some(row)) => row,
        Ok(None) => {
            return Err(coded(
                ApiError::business_rule("Only customers can upgrade to creator"),
                "NOT_A_CUSTOMER",
            ));
        }
        Err(error) if error.is_unique_violation("idx_unique_username") => {
            return Err(username_taken());
        }
        Err(error) => return Err(error.into()),
    };
    tracing::info!(user_id, "user became a creator");
    Ok(row.decode()?)
}

/// Sets or clears the profile image.
pub async fn set_image(ctx: &Context, user_id: &str, url: Option<&str>) -> Result<User, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "UPDATE users u SET image = $2, avatar_url = $2 WHERE u.id = $1 AND u.deleted_at IS NULL \
                 RETURNING {}",
                columns::<User>("u")
            ),
            &[user_id.into(), url.into()],
        )
        .await?
        .ok_or_else(gone)?;
    Ok(row.decode()?)
}

/// Locks the live user's row for the rest of `transaction` (account
/// deletion); 401 when the user is gone already.
pub async fn lock_live_in(
    transaction: &mut dyn Transaction,
    user_id: &str,
) -> Result<(), ApiError> {
    transaction
        .query_opt(
            "SELECT id FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
            &[user_id.into()],
        )
        .await?
        .ok_or_else(gone)?;
    Ok(())
}

/// The accounts side of deleting an account, inside the caller's
/// transaction: the user is anonymised and soft-deleted; their sign-in
/// methods, e-mailed tokens, preferences, onboarding and sessions are
/// removed. The
/// whole flow (memberships, stored images) is `codex_flows::account`.
pub async fn delete_in(
    transaction: &mut dyn Transaction,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    transaction
        .execute(
            "UPDATE users SET email = 'deleted-' || id || '@deleted.invalid', name = 'Deleted User', \
               email_verified = false, image = NULL, avatar_url = NULL, username = NULL, bio = NULL, \
               social_links = NULL, deleted_at = $2 WHERE id = $1",
            &[user_id.into(), now.into()],
        )
        .await?;
    for statement in [
        "DELETE FROM accounts WHERE user_id = $1",
        "DELETE FROM notification_preferences WHERE user_id = $1",
        "DELETE FROM creator_onboarding WHERE user_id = $1",
        "DELETE FROM verification WHERE split_part(identifier, ':', 2) = $1",
    ] {
        transaction.execute(statement, &[user_id.into()]).await?;
    }
    session::delete_all_in(transaction, user_id).await
}

/// Which e-mail a user receives. Transactional mail cannot be switched off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPreferences {
    pub email_marketing: bool,
    pub email_transactional: bool,
    pub email_digest: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The user's preferences, created with the defaults on first read.
pub async fn notification_preferences(
    ctx: &Context,
    user_id: &str,
) -> Result<NotificationPreferences, ApiError> {
    read_or_create(ctx, "notification_preferences", user_id).await
}

/// The live user's row of `table` (one per user, keyed by `user_id`, all
/// other columns with defaults), made on first read; 401 when the user is
/// gone. `table` is one of this crate's own names, never input.
pub(crate) async fn read_or_create<T: FromRow>(
    ctx: &Context,
    table: &'static str,
    user_id: &str,
) -> Result<T, ApiError> {
    ctx.database()
        .execute(
            &format!(
                "INSERT INTO {table} (user_id) \
                 SELECT id FROM users WHERE id = $1 AND deleted_at IS NULL \
                 ON CONFLICT (user_id) DO NOTHING"
            ),
            &[user_id.into()],
        )
        .await?;
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "SELECT {} FROM {table} t WHERE t.user_id = $1",
                columns::<T>("t")
            ),
            &[user_id.into()],
        )
        .await?
        .ok_or_else(gone)?;
    Ok(row.decode()?)
}

/// Sets the preferences given, leaving the others as they are.
pub async fn update_notification_preferences(
    ctx: &Context,
    user_id: &str,
    email_marketing: Option<bool>,
    email_digest: Option<bool>,
) -> Result<NotificationPreferences, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "INSERT INTO notification_preferences AS p (user_id, email_marketing, email_digest) \
                 SELECT id, COALESCE($2, true), COALESCE($3, true) FROM users WHERE id = $1 AND deleted_at IS NULL \
                 ON CONFLICT (user_id) DO UPDATE SET \
                   email_marketing = COALESCE($2, p.email_marketing), \
                   email_digest = COALESCE($3, p.email_digest) \
                 RETURNING {}",
                columns::<NotificationPreferences>("p")
            ),
            &[user_id.into(), email_marketing.into(), email_digest.into()],
        )
        .await?
        .ok_or_else(gone)?;
    Ok(row.decode()?)
}
