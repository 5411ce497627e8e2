//! Changing or deleting an organisation, and what that changes in another
//! domain: the public content listings embed the organisation's name and
//! slug and list only live organisations' content, so each change raises
//! their cached versions (`codex_content::listing_cache`) and shows at the
//! next read.

use codex_content::listing_cache;
use codex_context::Context;
use codex_errors::ApiError;
use codex_orgs::organisation::{self, Organisation, OrganisationFields};
use uuid::Uuid;

/// Changes the organisation's name, slug, description or links.
pub async fn update(
    ctx: &Context,
    id: Uuid,
    fields: &OrganisationFields,
) -> Result<Organisation, ApiError> {
    let changed = organisation::update(ctx, id, fields).await?;
    listing_cache::space_changed(ctx, Some(id)).await;
    Ok(changed)
}

/// Deletes the organisation; its content leaves the public listings.
pub async fn delete(ctx: &Context, id: Uuid) -> Result<(), ApiError> {
    organisation::delete(ctx, id).await?;
    listing_cache::space_changed(ctx, Some(id)).await;
    Ok(())
}
