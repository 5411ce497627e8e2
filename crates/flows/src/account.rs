//! Deleting an account.

use codex_accounts::{avatar, profile};
use codex_context::Context;
use codex_errors::ApiError;
use serde_json::json;

/// Deletes the user's account: refused (422) while they own a live
/// organisation, have media in their library or content not deleted; otherwise, in one transaction, the user is anonymised and
/// soft-deleted, their credentials, tokens, preferences and sessions are
/// removed, their memberships ended and their follows removed. Their
/// stored avatar goes after the commit.
pub async fn delete(ctx: &Context, user_id: &str) -> Result<(), ApiError> {
    let mut transaction = ctx.database().begin().await?;
    profile::lock_live_in(transaction.as_mut(), user_id).await?;
    if codex_orgs::members::owns_live_organisation_in(transaction.as_mut(), user_id).await? {
        return Err(ApiError::business_rule(
            "You own an organisation. Transfer its ownership or delete it before deleting your account.",
        )
        .with_details(json!({ "code": "ACCOUNT_OWNS_ORGANIZATION" })));
    }
    if codex_media::library::has_live_media_in(transaction.as_mut(), user_id).await? {
        return Err(ApiError::business_rule(
            "Your media library is not empty. Delete your media before deleting your account.",
        )
        .with_details(json!({ "code": "ACCOUNT_HAS_MEDIA" })));
    }
    if codex_content::studio::has_live_content_in(transaction.as_mut(), user_id).await? {
        return Err(ApiError::business_rule(
            "You have content that is not deleted. Delete your content before deleting your account.",
        )
        .with_details(json!({ "code": "ACCOUNT_HAS_CONTENT" })));
    }
    profile::delete_in(transaction.as_mut(), user_id, ctx.clock().now()).await?;
    codex_orgs::members::end_all_in(transaction.as_mut(), user_id).await?;
    codex_orgs::followers::forget_user_in(transaction.as_mut(), user_id).await?;
    transaction.commit().await?;
    avatar::remove_files(ctx, user_id).await;
    tracing::info!(user_id, "account deleted");
    Ok(())
}
