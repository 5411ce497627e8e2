//! Following an organisation: anyone signed in may follow a live
//! organisation and stop following it, each as often as they like (the
//! second time changes nothing); anyone may read how many follow it. A
//! follow is not a membership: it grants no role and the policies never
//! read it. An organisation that is not live (unknown or deleted) is a 404
//! for every operation, so a deleted one cannot be followed or counted.

use codex_context::Context;
use codex_database::Transaction;
use codex_errors::ApiError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::organisation;

/// Whether the caller follows the organisation (`GET …/followers/me`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowingStatus {
    pub following: bool,
}

/// How many people follow the organisation (`GET …/followers/count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowerCount {
    pub count: u64,
}

/// Follows the live organisation; following it again changes nothing.
pub async fn follow(ctx: &Context, organization_id: Uuid, user_id: &str) -> Result<(), ApiError> {
    organisation::get(ctx, organization_id).await?;
    ctx.database()
        .execute(
            "INSERT INTO organization_followers (organization_id, user_id) VALUES ($1, $2) \
             ON CONFLICT (organization_id, user_id) DO NOTHING",
            &[organization_id.into(), user_id.into()],
        )
        .await?;
    Ok(())
}

/// Stops following the live organisation; not following it is no error.
pub async fn unfollow(ctx: &Context, organization_id: Uuid, user_id: &str) -> Result<(), ApiError> {
    organisation::get(ctx, organization_id).await?;
    ctx.database()
        .execute(
            "DELETE FROM organization_followers WHERE organization_id = $1 AND user_id = $2",
            &[organization_id.into(), user_id.into()],
        )
        .await?;
    Ok(())
}

/// Whether the user follows the live organisation.
pub async fn status(
    ctx: &Context,
    organization_id: Uuid,
    user_id: &str,
) -> Result<FollowingStatus, ApiError> {
    organisation::get(ctx, organization_id).await?;
    let row = ctx
        .database()
        .query_opt(
            "SELECT 1 AS following FROM organization_followers WHERE organization_id = $1 AND user_id = $2",
            &[organization_id.into(), user_id.into()],
        )
        .await?;
    Ok(FollowingStatus {
        following: row.is_some(),
    })
}

/// How many people follow the live organisation.
pub async fn count(ctx: &Context, organization_id: Uuid) -> Result<FollowerCount, ApiError> {
    organisation::get(ctx, organization_id).await?;
    let count = crate::total(
        ctx,
        "organization_followers f WHERE f.organization_id = $1",
        &[organization_id.into()],
    )
    .await?;
    Ok(FollowerCount { count })
}

/// Removes every follow of the user (account deletion), inside the
/// caller's transaction, so a deleted account stops counting at once.
pub async fn forget_user_in(
    transaction: &mut dyn Transaction,
    user_id: &str,
) -> Result<(), ApiError> {
    transaction
        .execute(
            "DELETE FROM organization_followers WHERE user_id = $1",
            &[user_id.into()],
        )
        .await?;
    Ok(())
}
