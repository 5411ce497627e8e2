//! Organisations: create, read, update, list, soft delete, and the public
//! views (branding, info) cached by slug.

use std::time::Duration;

use chrono::{DateTime, Utc};
use codex_database::{DbError, FromRow, Patch, SqlValue, Update, columns};
use codex_errors::ApiError;
use codex_validation::Page;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::settings::{self, Branding};
use codex_context::Context;

use crate::membership::MemberRole;
use crate::slug;

pub const MAX_NAME: usize = 255;
pub const MAX_DESCRIPTION: usize = 5000;
pub const MAX_URL: usize = 2048;
/// How long a public view stays cached; every change drops it sooner.
const PUBLIC_TTL: Duration = Duration::from_secs(1800);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(required = true)]
    pub logo_url: Option<String>,
    #[schema(required = true)]
    pub website_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a creator may set on an organisation: the body of `POST` (create)
/// and `PATCH` (update). A field left out is left as it is on update, and
/// empty on create. `null` clears `description` and `websiteUrl`, and so
/// does an empty (or blank) one, which is what a form sends for an emptied
/// field. `name` and `slug` cannot be cleared: `null` or an empty one is
/// refused with a 400 naming it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrganisationFields {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub slug: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub website_url: Patch<String>,
}

/// The value sent, or a 400 saying `field` is required (on create).
fn present<T>(field: &'static str, patch: Patch<T>) -> Result<T, ApiError> {
    patch
        .into_option()
        .flatten()
        .ok_or_else(|| ApiError::invalid_fields([(field, "is required")]))
}

/// An http(s) URL with a host, or a 400 naming `field`. Empty means none.
pub fn check_url(field: &'static str, value: &str) -> Result<Option<String>, ApiError> {
    codex_validation::http_url(field, value, MAX_URL)
}

/// The fields checked and in their normal form; `null` is refused for the
/// required ones, and an emptied optional one is `null`.
fn check(fields: &OrganisationFields) -> Result<OrganisationFields, ApiError> {
    let name = fields
        .name
        .clone()
        .required("name")?
        .try_map(|name| codex_validation::required_text("name", &name, MAX_NAME))?;
    let slug = fields
        .slug
        .clone()
        .required("slug")?
        .try_map(|slug| slug::normalise(&slug))?;
    let description = fields
        .description
        .clone()
        .clearable(|text| codex_validation::multiline_text("description", text, MAX_DESCRIPTION))?;
    let website_url = fields
        .website_url
        .clone()
        .clearable(|url| check_url("websiteUrl", url))?;
    Ok(OrganisationFields {
        name,
        slug,
        description,
        website_url,
    })
}

fn slug_taken() -> ApiError {
    ApiError::conflict("Organization slug already exists").with_details(json!({"field": "slug"}))
}

fn not_found() -> ApiError {
    ApiError::not_found("Organization not found")
}

fn map_write_error(error: DbError) -> ApiError {
    if error.is_unique_violation("idx_unique_org_slug") {
        slug_taken()
    } else {
        error.into()
    }
}

/// Creates the organisation with its default settings; `owner_id` becomes
/// its active owner in the same transaction.
pub async fn create(
    ctx: &Context,
    owner_id: &str,
    fields: &OrganisationFields,
) -> Result<Organisation, ApiError> {
    let checked = check(fields)?;
    let name = present("name", checked.name)?;
    let slug = present("slug", checked.slug)?;
    let mut transaction = ctx.database().begin().await?;
    let row = transaction
        .query_opt(
            &format!(
                "INSERT INTO organizations AS o (name, slug, description, website_url) VALUES ($1, $2, $3, $4) \
                 RETURNING {}",
                columns::<Organisation>("o")
            ),
            &[
                name.into(),
                slug.into(),
                checked.description.into_option().flatten().into(),
                checked.website_url.into_option().flatten().into(),
            ],
        )
        .await
        .map_err(map_write_error)?
        .ok_or_else(|| ApiError::internal("organisation insert returned no row"))?;
    let organisation: Organisation = row.decode()?;
    transaction
        .execute(
            "INSERT INTO organization_memberships (organization_id, user_id, role, status) VALUES ($1, $2, 'owner', 'active')",
            &[organisation.id.into(), owner_id.into()],
        )
        .await?;
    for table in ["branding_settings", "contact_settings", "feature_settings"] {
        transaction
            .execute(
                &format!("INSERT INTO {table} (organization_id) VALUES ($1)"),
                &[organisation.id.into()],
            )
            .await?;
    }
    transaction.commit().await?;
    tracing::info!(organization_id = %organisation.id, "organisation created");
    Ok(organisation)
}

/// A live organisation by id.
pub async fn get(ctx: &Context, id: Uuid) -> Result<Organisation, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "SELECT {} FROM organizations o WHERE o.id = $1 AND o.deleted_at IS NULL",
                columns::<Organisation>("o")
            ),
            &[id.into()],
        )
        .await?
        .ok_or_else(not_found)?;
    Ok(row.decode()?)
}

/// A live organisation by slug.
pub async fn by_slug(ctx: &Context, raw_slug: &str) -> Result<Organisation, ApiError> {
    let slug = raw_slug.trim().to_lowercase();
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "SELECT {} FROM organizations o WHERE o.slug = $1 AND o.deleted_at IS NULL",
                columns::<Organisation>("o")
            ),
            &[slug.into()],
        )
        .await?
        .ok_or_else(not_found)?;
    Ok(row.decode()?)
}

/// Whether `raw` could be taken now: valid, not reserved, not used by a
/// live organisation.
pub async fn slug_available(ctx: &Context, raw: &str) -> Result<bool, ApiError> {
    let Ok(slug) = slug::normalise(raw) else {
        return Ok(false);
    };
    let row = ctx
        .database()
        .query_opt(
            "SELECT 1 AS taken FROM organizations WHERE slug = $1 AND deleted_at IS NULL",
            &[slug.into()],
        )
        .await?;
    Ok(row.is_none())
}

/// An organisation the user is an active member of, with their role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MyOrganisation {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    #[schema(required = true)]
    pub logo_url: Option<String>,
    #[row(parse)]
    pub role: MemberRole,
}

pub async fn mine(ctx: &Context, user_id: &str) -> Result<Vec<MyOrganisation>, ApiError> {
    let rows = ctx
        .database()
        .query(
            "SELECT o.id, o.name, o.slug, o.logo_url, m.role FROM organization_memberships m \
             JOIN organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL \
             WHERE m.user_id = $1 AND m.status = 'active' ORDER BY lower(o.name), o.id",
            &[user_id.into()],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| row.decode())
        .collect::<Result<_, _>>()?)
}

/// Applies the changes given; the public views of the old and the new slug
/// are dropped.
pub async fn update(
    ctx: &Context,
    id: Uuid,
    fields: &OrganisationFields,
) -> Result<Organisation, ApiError> {
    let checked = check(fields)?;
    let before = get(ctx, id).await?;
    let (sql, params) = Update::new("organizations o")
        .patch("name", checked.name)
        .patch("slug", checked.slug)
        .patch("description", checked.description)
        .patch("website_url", checked.website_url)
        .where_eq("o.id", id)
        .where_sql("o.deleted_at IS NULL")
        .returning_columns::<Organisation>()
        .build();
    let row = ctx
        .database()
        .query_opt(&sql, &params)
        .await
        .map_err(map_write_error)?
        .ok_or_else(not_found)?;
    let after: Organisation = row.decode()?;
    forget_public(ctx, &before.slug).await;
    forget_public(ctx, &after.slug).await;
    Ok(after)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, utoipa::ToSchema)]
pub enum SortBy {
    #[default]
    #[serde(rename = "createdAt")]
    CreatedAt,
    #[serde(rename = "name")]
    Name,
}

pub use codex_validation::SortOrder;

/// A page of live organisations, optionally matching `search` in the name
/// or slug.
pub async fn list(
    ctx: &Context,
    page: Page,
    search: Option<&str>,
    sort_by: SortBy,
    order: SortOrder,
) -> Result<(Vec<Organisation>, u64), ApiError> {
    let pattern: SqlValue = search
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            format!(
                "%{}%",
                s.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        })
        .into();
    let order_by = match (sort_by, order) {
        (SortBy::CreatedAt, SortOrder::Asc) => "o.created_at ASC, o.id",
        (SortBy::CreatedAt, SortOrder::Desc) => "o.created_at DESC, o.id",
        (SortBy::Name, SortOrder::Asc) => "lower(o.name) ASC, o.id",
        (SortBy::Name, SortOrder::Desc) => "lower(o.name) DESC, o.id",
    };
    let filter =
        "o.deleted_at IS NULL AND ($1::text IS NULL OR o.name ILIKE $1 OR o.slug ILIKE $1)";
    let rows = ctx
        .database()
        .query(
            &format!(
                "SELECT {} FROM organizations o WHERE {filter} ORDER BY {order_by} LIMIT $2 OFFSET $3",
                columns::<Organisation>("o")
            ),
            &[pattern.clone(), i64::from(page.limit).into(), page.offset().into()],
        )
        .await?;
    let total = crate::total(ctx, &format!("organizations o WHERE {filter}"), &[pattern]).await?;
    let items = rows
        .iter()
        .map(|row| row.decode())
        .collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// Soft-deletes the organisation: its slug is free again, its pending
/// invitations are withdrawn, and its cached public view is dropped. Its
/// memberships stop counting at once, since every look-up joins the live
/// organisation. Only an owner may ask (the `OrgOwner` policy).
pub async fn delete(ctx: &Context, id: Uuid) -> Result<(), ApiError> {
    let organisation = get(ctx, id).await?;
    let mut transaction = ctx.database().begin().await?;
    transaction
        .execute(
            "UPDATE organizations SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL",
            &[id.into(), ctx.clock().now().into()],
        )
        .await?;
    transaction
        .execute(
            "UPDATE organization_invitations SET status = 'revoked' WHERE organization_id = $1 AND status = 'pending'",
            &[id.into()],
        )
        .await?;
    transaction.commit().await?;
    forget_public(ctx, &organisation.slug).await;
    tracing::info!(organization_id = %id, "organisation deleted");
    Ok(())
}

fn public_key(slug: &str) -> String {
    format!("org:public:{slug}")
}

/// Drops the cached public views of `slug`.
pub async fn forget_public(ctx: &Context, slug: &str) {
    if let Err(error) = ctx.kv().delete(&public_key(slug)).await {
        tracing::error!(%error, "could not drop a cached public organisation view");
    }
}

/// What anyone may see of an organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicView {
    pub branding: Branding,
    pub info: PublicInfo,
}

/// The storefront's view of an organisation (`GET /public/{slug}/info`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicInfo {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(required = true)]
    pub logo_url: Option<String>,
    pub brand_colors: BrandColors,
    pub brand_fonts: BrandFonts,
    pub brand_radius: f64,
    pub brand_density: f64,
    pub hero_layout: String,
    pub brand_fine_tune: BrandFineTune,
    #[schema(required = true)]
    pub intro_video_url: Option<String>,
    pub enable_subscriptions: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BrandColors {
    pub primary: String,
    #[schema(required = true)]
    pub secondary: Option<String>,
    #[schema(required = true)]
    pub accent: Option<String>,
    #[schema(required = true)]
    pub background: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BrandFonts {
    #[schema(required = true)]
    pub body: Option<String>,
    #[schema(required = true)]
    pub heading: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BrandFineTune {
    #[schema(required = true)]
    pub token_overrides: Option<String>,
    #[schema(required = true)]
    pub dark_mode_overrides: Option<String>,
    #[schema(required = true)]
    pub dark_token_overrides: Option<String>,
}

/// The public branding and info of the live organisation `slug`, from the
/// cache when it is there.
pub async fn public_view(ctx: &Context, raw_slug: &str) -> Result<PublicView, ApiError> {
    let slug = raw_slug.trim().to_lowercase();
    let key = public_key(&slug);
    match ctx.kv().get(&key).await {
        Ok(Some(value)) => {
            if let Ok(view) = serde_json::from_str(&value) {
                return Ok(view);
            }
        }
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "public view cache unavailable"),
    }
    let organisation = by_slug(ctx, &slug).await?;
    let branding = settings::branding(ctx, organisation.id).await?;
    let features = settings::features(ctx, organisation.id).await?;
    let info = PublicInfo {
        id: organisation.id,
        slug: organisation.slug,
        name: organisation.name,
        description: organisation.description,
        logo_url: branding.logo_url.clone(),
        brand_colors: BrandColors {
            primary: branding.primary_color_hex.clone(),
            secondary: branding.secondary_color_hex.clone(),
            accent: branding.accent_color_hex.clone(),
            background: branding.background_color_hex.clone(),
        },
        brand_fonts: BrandFonts {
            body: branding.font_body.clone(),
            heading: branding.font_heading.clone(),
        },
        brand_radius: branding.radius_value,
        brand_density: branding.density_value,
        hero_layout: branding.hero_layout.clone(),
        brand_fine_tune: BrandFineTune {
            token_overrides: branding.token_overrides.clone(),
            dark_mode_overrides: branding.dark_mode_overrides.clone(),
            dark_token_overrides: branding.dark_token_overrides.clone(),
        },
        intro_video_url: branding.intro_video_url.clone(),
        enable_subscriptions: features.enable_subscriptions,
    };
    let view = PublicView { branding, info };
    if let Ok(value) = serde_json::to_string(&view)
        && let Err(error) = ctx.kv().put(&key, &value, Some(PUBLIC_TTL)).await
    {
        tracing::warn!(%error, "could not cache a public organisation view");
    }
    Ok(view)
}
