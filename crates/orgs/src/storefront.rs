//! What an organisation's storefront shows of its people, by slug and to
//! anyone: its creators (the active members who make things: owners,
//! admins and creators), how many there are, and which other organisations
//! each of them makes things for. Who each creator is (name, picture,
//! profile) is the accounts crate's to say: `codex-flows` puts them
//! together. Read from PostgreSQL on every request, so a removed member
//! leaves the storefront at once. No address ever leaves this module.

use std::collections::HashMap;

use codex_context::Context;
use codex_database::{FromRow, SqlValue};
use codex_errors::ApiError;
use codex_validation::Page;
use serde::Serialize;
use uuid::Uuid;

use crate::members::Member;

/// The membership roles a storefront lists as creators.
const CREATOR_ROLES: &str = "m.role IN ('owner', 'admin', 'creator')";

/// A page of the organisation's creators, earliest to join first.
pub async fn creators(
    ctx: &Context,
    organization_id: Uuid,
    page: Page,
) -> Result<(Vec<Member>, u64), ApiError> {
    let filter = format!("m.organization_id = $1 AND m.status = 'active' AND {CREATOR_ROLES}");
    let rows = ctx
        .database()
        .query(
            &format!(
                "SELECT {} FROM organization_memberships m WHERE {filter} \
                 ORDER BY m.created_at, m.user_id LIMIT $2 OFFSET $3",
                codex_database::columns::<Member>("m")
            ),
            &[
                organization_id.into(),
                i64::from(page.limit).into(),
                page.offset().into(),
            ],
        )
        .await?;
    let total = creator_count(ctx, organization_id).await?;
    let items = rows
        .iter()
        .map(|row| row.decode())
        .collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// How many creators the organisation has.
pub async fn creator_count(ctx: &Context, organization_id: Uuid) -> Result<u64, ApiError> {
    crate::total(
        ctx,
        &format!(
            "organization_memberships m WHERE m.organization_id = $1 AND m.status = 'active' AND {CREATOR_ROLES}"
        ),
        &[organization_id.into()],
    )
    .await
}

/// Another organisation a creator makes things for, as a storefront links
/// to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganisationLink {
    #[serde(skip)]
    pub user_id: String,
    pub slug: String,
    pub name: String,
    #[schema(required = true)]
    pub logo_url: Option<String>,
}

/// For each of `user_ids`, the other live organisations (not `except`)
/// where they are an active creator, by name.
pub async fn other_organisations(
    ctx: &Context,
    user_ids: &[String],
    except: Uuid,
) -> Result<HashMap<String, Vec<OrganisationLink>>, ApiError> {
    let mut found: HashMap<String, Vec<OrganisationLink>> = HashMap::new();
    if user_ids.is_empty() {
        return Ok(found);
    }
    let rows = ctx
        .database()
        .query(
            &format!(
                "SELECT m.user_id, o.slug, o.name, o.logo_url FROM organization_memberships m \
                 JOIN organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL \
                 WHERE m.user_id = ANY(string_to_array($1, ',')) AND m.organization_id <> $2 \
                 AND m.status = 'active' AND {CREATOR_ROLES} ORDER BY lower(o.name), o.id"
            ),
            &[SqlValue::from(user_ids.join(",")), except.into()],
        )
        .await?;
    for row in &rows {
        let link: OrganisationLink = row.decode()?;
        found.entry(link.user_id.clone()).or_default().push(link);
    }
    Ok(found)
}
