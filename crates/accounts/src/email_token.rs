//! Single-use, expiring tokens sent by e-mail. The `verification` table keeps
//! only the token's hash; `identifier` is `{purpose}:{user id}`. Redeeming a
//! token deletes it in the same statement, so it works once even when two
//! requests race.

use chrono::Duration;
use codex_context::token;
use codex_errors::ApiError;

use codex_context::{Context, new_id};

/// What a token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    EmailVerification,
    PasswordReset,
}

impl Purpose {
    fn prefix(self) -> &'static str {
        match self {
            Self::EmailVerification => "email-verification",
            Self::PasswordReset => "password-reset",
        }
    }

    /// How long a token stays valid: a day to verify, an hour to reset.
    pub fn lifetime(self) -> Duration {
        match self {
            Self::EmailVerification => Duration::hours(24),
            Self::PasswordReset => Duration::hours(1),
        }
    }
}

/// Issues a token for `user_id`; returns the plaintext for the e-mail.
pub async fn issue(ctx: &Context, purpose: Purpose, user_id: &str) -> Result<String, ApiError> {
    let issued = token::issue().map_err(ApiError::internal)?;
    let now = ctx.clock().now();
    ctx.database()
        .execute(
            "INSERT INTO verification (id, identifier, value, expires_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
            &[
                new_id()?.into(),
                format!("{}:{user_id}", purpose.prefix()).into(),
                issued.hash.as_str().into(),
                (now + purpose.lifetime()).into(),
                now.into(),
            ],
        )
        .await?;
    Ok(issued.plaintext)
}

/// Redeems `token` for `purpose`: the user id it was issued to, or `None`
/// when it is unknown, used, expired or for another purpose.
pub async fn redeem(
    ctx: &Context,
    purpose: Purpose,
    token: &str,
) -> Result<Option<String>, ApiError> {
    if !token::looks_valid(token) {
        return Ok(None);
    }
    let prefix = format!("{}:", purpose.prefix());
    let row = ctx
        .database()
        .query_opt(
            "DELETE FROM verification WHERE value = $1 AND starts_with(identifier, $2) AND expires_at > $3 \
             RETURNING identifier",
            &[
                token::hash(token).into(),
                prefix.as_str().into(),
                ctx.clock().now().into(),
            ],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let identifier: String = row.get("identifier")?;
    Ok(identifier.strip_prefix(&prefix).map(str::to_owned))
}

/// Whether `token` could be redeemed now, without redeeming it.
pub async fn is_redeemable(ctx: &Context, purpose: Purpose, token: &str) -> Result<bool, ApiError> {
    if !token::looks_valid(token) {
        return Ok(false);
    }
    let row = ctx
        .database()
        .query_opt(
            "SELECT 1 AS found FROM verification WHERE value = $1 AND starts_with(identifier, $2) AND expires_at > $3",
            &[
                token::hash(token).into(),
                format!("{}:", purpose.prefix()).into(),
                ctx.clock().now().into(),
            ],
        )
        .await?;
    Ok(row.is_some())
}

/// Withdraws every outstanding token of `purpose` for `user_id` (after the
/// purpose is fulfilled, so older links stop working).
pub async fn withdraw_all(ctx: &Context, purpose: Purpose, user_id: &str) -> Result<(), ApiError> {
    ctx.database()
        .execute(
            "DELETE FROM verification WHERE identifier = $1",
            &[format!("{}:{user_id}", purpose.prefix()).into()],
        )
        .await?;
    Ok(())
}
