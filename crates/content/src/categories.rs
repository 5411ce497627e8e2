//! Categories: how an organisation, or a creator in their personal space,
//! groups its content. Names are free text; slugs come from the name
//! (Unicode letters and digits, lower-cased, hyphen-separated) and are
//! made unique in the space with `-2`, `-3`, … . Members of an
//! organisation read its categories, its publishers create them, and its
//! managers change, reorder and delete them; in a personal space the
//! creator does everything.

use chrono::{DateTime, Utc};
use codex_context::{Context, public_files};
use codex_database::{FromRow, Patch, SqlValue, Window, columns};
use codex_errors::ApiError;
use codex_orgs::membership::MemberRole;
use codex_validation::{Page, multiline_text, required_text};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::listing_cache::{self, Scope};
use crate::rules::{line, optional_line, patch};
use crate::studio::{PUBLISHERS, escape_like, member_with};

/// Longest slug kept from a name, leaving room for a `-NNN` suffix.
const SLUG_BASE: usize = 110;
/// Most categories one reorder may name.
pub const MAX_REORDER: usize = 200;
/// Attempts at a free slug when concurrent creates take the ones chosen.
const SLUG_ATTEMPTS: usize = 8;

/// Where categories live: an organisation, or a creator's personal space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Space {
    Organisation(Uuid),
    Personal(String),
}

impl Space {
    /// The space a request names: the organisation if given, else the
    /// caller's personal space.
    pub fn of(organization_id: Option<Uuid>, user_id: &str) -> Self {
        organization_id.map_or_else(|| Self::Personal(user_id.to_owned()), Self::Organisation)
    }

    /// `(organization_id, creator_id)` for the statements below, which
    /// match `organization_id = $a` or, without one, the creator's own.
    /// The organisation, if the space is one.
    pub fn organization_id(&self) -> Option<Uuid> {
        match self {
            Self::Organisation(id) => Some(*id),
            Self::Personal(_) => None,
        }
    }

    fn params(&self) -> [SqlValue; 2] {
        match self {
            Self::Organisation(id) => [Some(*id).into(), None::<String>.into()],
            Self::Personal(user) => [None::<Uuid>.into(), user.as_str().into()],
        }
    }
}

/// SQL matching the space of parameters `$a` (organisation) and `$b`
/// (creator) on the alias `k`.
fn in_space(a: usize, b: usize) -> String {
    format!(
        "CASE WHEN ${a}::uuid IS NULL THEN k.organization_id IS NULL AND k.creator_id = ${b}::text \
         ELSE k.organization_id = ${a}::uuid END"
    )
}

/// A category, as its space's members read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    pub id: Uuid,
    #[schema(required = true)]
    pub organization_id: Option<Uuid>,
    /// Who made it.
    pub creator_id: String,
    pub name: String,
    pub slug: String,
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(required = true)]
    pub icon: Option<String>,
    pub sort_order: i32,
    /// The cover's folder in the object store.
    #[schema(required = true)]
    pub cover_image_key: Option<String>,
    /// The cover, 400 px wide (WebP); `sm.webp` (200) and `lg.webp` (800)
    /// are beside it.
    #[schema(required = true)]
    pub cover_image_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A category as a storefront shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicCategory {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(required = true)]
    pub icon: Option<String>,
    pub sort_order: i32,
    /// The cover, 400 px wide (WebP); `sm.webp` (200) and `lg.webp` (800)
    /// are beside it.
    #[schema(required = true)]
    pub cover_image_url: Option<String>,
}

/// A category's stored cover (the answer to a cover upload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cover {
    /// The folder of its three files.
    pub cover_image_key: String,
    /// The `md` file.
    pub cover_image_url: String,
}

/// The largest cover accepted.
pub const MAX_COVER: usize = 5 * 1024 * 1024;

fn cover_folder(id: Uuid) -> String {
    format!("category-covers/{id}")
}

/// The body of `POST /api/categories`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCategory {
    /// 1 to 100 characters, with at least one letter or digit.
    pub name: String,
    /// At most 500 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// At most 64 characters.
    #[serde(default)]
    pub icon: Option<String>,
    /// 0 or more; after the space's last category when absent.
    #[serde(default)]
    pub sort_order: Option<i32>,
}

/// The body of `PATCH /api/categories/{id}`. The slug stays as it was, so
/// links to the category keep working.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CategoryChanges {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub icon: Patch<String>,
    #[serde(default)]
    pub sort_order: Option<i32>,
}

/// A slug made of a name: runs of Unicode letters and digits, lower-cased,
/// joined by single hyphens; `None` when the name has neither.
pub fn slugify(name: &str) -> Option<String> {
    let mut slug = String::new();
    let mut pending_hyphen = false;
    for c in name.chars() {
        if c.is_alphanumeric() {
            if pending_hyphen && !slug.is_empty() {
                slug.push('-');
            }
            pending_hyphen = false;
            slug.extend(c.to_lowercase());
        } else {
            pending_hyphen = true;
        }
    }
    if slug.is_empty() {
        return None;
    }
    if slug.chars().count() > SLUG_BASE {
        slug = slug.chars().take(SLUG_BASE).collect();
        while slug.ends_with('-') {
            slug.pop();
        }
    }
    Some(slug)
}

/// The first of `base`, `base-2`, `base-3`, … that is not in `taken`.
pub fn first_free(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|slug| slug == base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| base.to_owned())
}

fn sort_order(value: i32) -> Result<i32, ApiError> {
    if value >= 0 {
        Ok(value)
    } else {
        Err(ApiError::invalid_fields([(
            "sortOrder",
            "must be 0 or more",
        )]))
    }
}

/// What the caller wants to do in a space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Read,
    Create,
    Manage,
}

/// 403 unless the caller may `action` in `space`: in an organisation,
/// members read, publishers (owner, admin, creator) create and managers
/// (owner, admin) manage; in a personal space, its creator does all.
async fn authorise(
    ctx: &Context,
    space: &Space,
    user_id: &str,
    action: Action,
) -> Result<(), ApiError> {
    let Space::Organisation(organization_id) = space else {
        return Ok(());
    };
    let roles: &[MemberRole] = match action {
        Action::Read => &[],
        Action::Create => PUBLISHERS,
        Action::Manage => &[MemberRole::Owner, MemberRole::Admin],
    };
    if member_with(ctx, *organization_id, user_id, roles).await? {
        return Ok(());
    }
    Err(ApiError::forbidden(match action {
        Action::Read => "Organization membership required to access categories",
        Action::Create => "Only the organisation's owner, admins and creators can add categories",
        Action::Manage => "Only the organisation's owner and admins can change its categories",
    }))
}

fn not_found() -> ApiError {
    ApiError::not_found("Category not found")
}

/// A page of the space's live categories, in their order.
pub async fn list(
    ctx: &Context,
    user_id: &str,
    space: &Space,
    search: Option<&str>,
    page: Page,
) -> Result<(Vec<Category>, u64), ApiError> {
    authorise(ctx, space, user_id, Action::Read).await?;
    let condition = format!(
        "k.deleted_at IS NULL AND {} AND ($3::text IS NULL OR k.name ILIKE $3 ESCAPE '\\')",
        in_space(1, 2)
    );
    let mut params = space.params().to_vec();
    params.push(search.map(crate::studio::contains_pattern).into());
    Ok(codex_database::fetch_page(
        ctx.database(),
        &format!(
            "SELECT {} FROM categories k WHERE {condition} ORDER BY k.sort_order, lower(k.name), k.id",
            columns::<Category>("k")
        ),
        &format!("SELECT count(*) AS total FROM categories k WHERE {condition}"),
        &params,
        Window {
            limit: i64::from(page.limit),
            offset: page.offset(),
        },
    )
    .await?)
}

/// Creates a category with a slug of its name, unique in the space. Of
/// concurrent creates with one name, each gets its own suffix: a create
/// that loses a race to a slug takes the next free one.
pub async fn create(
    ctx: &Context,
    user_id: &str,
    space: &Space,
    input: &NewCategory,
) -> Result<Category, ApiError> {
    let name = required_text("name", &input.name, 100)?;
    let Some(base) = slugify(&name) else {
        return Err(ApiError::invalid_fields([(
            "name",
            "must contain a letter or a digit",
        )]));
    };
    let description = input
        .description
        .as_deref()
        .map(|text| multiline_text("description", text, 500))
        .transpose()?
        .flatten();
    let icon = optional_line("icon", input.icon.clone(), 64)?;
    let order = input.sort_order.map(sort_order).transpose()?;
    authorise(ctx, space, user_id, Action::Create).await?;
    let [organization, creator] = space.params();
    let pattern = format!("{}-%", escape_like(&base));
    for _ in 0..SLUG_ATTEMPTS {
        let taken: Vec<String> = ctx
            .database()
            .query(
                &format!(
                    "SELECT k.slug FROM categories k WHERE k.deleted_at IS NULL AND {} \
                     AND (k.slug = $3 OR k.slug LIKE $4 ESCAPE '\\')",
                    in_space(1, 2)
                ),
                &[
                    organization.clone(),
                    creator.clone(),
                    base.as_str().into(),
                    pattern.as_str().into(),
                ],
            )
            .await?
            .iter()
            .map(|row| row.get("slug"))
            .collect::<Result<_, _>>()?;
        let slug = first_free(&base, &taken);
        let now = ctx.clock().now();
        let inserted = ctx
            .database()
            .query_opt(
                &format!(
                    "INSERT INTO categories AS k (id, organization_id, creator_id, name, slug, description, \
                     icon, sort_order, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, (SELECT COALESCE(max(k.sort_order) + 1, 0) \
                       FROM categories k WHERE k.deleted_at IS NULL AND {})), $9, $9) RETURNING {}",
                    in_space(2, 10),
                    columns::<Category>("k")
                ),
                &[
                    Uuid::new_v4().into(),
                    organization.clone(),
                    user_id.into(),
                    name.as_str().into(),
                    slug.as_str().into(),
                    description.clone().into(),
                    icon.clone().into(),
                    order.into(),
                    now.into(),
                    creator.clone(),
                ],
            )
            .await;
        match inserted {
            Ok(Some(row)) => {
                listing_cache::space_changed(ctx, space.organization_id()).await;
                return Ok(row.decode()?);
            }
            Ok(None) => return Err(ApiError::internal("the insert returned no row")),
            Err(error)
                if error.is_unique_violation("categories_slug_per_org")
                    || error.is_unique_violation("categories_slug_personal") => {}
            Err(error) => return Err(error.into()),
        }
    }
    Err(ApiError::conflict("Category with this slug already exists")
        .with_details(serde_json::json!({"field": "name"})))
}

/// The space's live category, or 404.
async fn find(ctx: &Context, space: &Space, id: Uuid) -> Result<Category, ApiError> {
    let mut params = space.params().to_vec();
    params.push(id.into());
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "SELECT {} FROM categories k WHERE k.id = $3 AND k.deleted_at IS NULL AND {}",
                columns::<Category>("k"),
                in_space(1, 2)
            ),
            &params,
        )
        .await?;
    match row {
        Some(row) => Ok(row.decode()?),
        None => Err(not_found()),
    }
}

/// Changes a category's name, description, icon or place.
pub async fn update(
    ctx: &Context,
    user_id: &str,
    space: &Space,
    id: Uuid,
    changes: &CategoryChanges,
) -> Result<Category, ApiError> {
    let name = changes
        .name
        .as_deref()
        .map(|name| required_text("name", name, 100))
        .transpose()?;
    let description = patch(changes.description.clone(), |text| {
        multiline_text("description", &text, 500)
    })?;
    let icon = patch(changes.icon.clone(), |text| line("icon", &text, 64))?;
    let order = changes.sort_order.map(sort_order).transpose()?;
    authorise(ctx, space, user_id, Action::Manage).await?;
    find(ctx, space, id).await?;
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "UPDATE categories k SET name = COALESCE($2, k.name), \
                 description = CASE WHEN $3 THEN $4 ELSE k.description END, \
                 icon = CASE WHEN $5 THEN $6 ELSE k.icon END, \
                 sort_order = COALESCE($7, k.sort_order), updated_at = $8 \
                 WHERE k.id = $1 AND k.deleted_at IS NULL RETURNING {}",
                columns::<Category>("k")
            ),
            &[
                id.into(),
                name.into(),
                description.is_some().into(),
                description.flatten().into(),
                icon.is_some().into(),
                icon.flatten().into(),
                order.into(),
                ctx.clock().now().into(),
            ],
        )
        .await?;
    match row {
        Some(row) => {
            listing_cache::space_changed(ctx, space.organization_id()).await;
            Ok(row.decode()?)
        }
        None => Err(not_found()),
    }
}

/// Soft-deletes a category: it leaves every listing and every piece of
/// content, and its slug is free again.
pub async fn delete(ctx: &Context, user_id: &str, space: &Space, id: Uuid) -> Result<(), ApiError> {
    authorise(ctx, space, user_id, Action::Manage).await?;
    find(ctx, space, id).await?;
    ctx.database()
        .execute(
            "UPDATE categories SET deleted_at = $2, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL",
            &[id.into(), ctx.clock().now().into()],
        )
        .await?;
    public_files::remove_all(ctx, &cover_folder(id), None).await;
    listing_cache::space_changed(ctx, space.organization_id()).await;
    Ok(())
}

/// Sets the cover's key and URL (both `None` to clear it); false when the
/// category is gone.
async fn set_cover(ctx: &Context, id: Uuid, cover: Option<&Cover>) -> Result<bool, ApiError> {
    let changed = ctx
        .database()
        .execute(
            "UPDATE categories SET cover_image_key = $2, cover_image_url = $3, updated_at = $4 \
             WHERE id = $1 AND deleted_at IS NULL",
            &[
                id.into(),
                cover.map(|cover| cover.cover_image_key.as_str()).into(),
                cover.map(|cover| cover.cover_image_url.as_str()).into(),
                ctx.clock().now().into(),
            ],
        )
        .await?;
    Ok(changed > 0)
}

/// Re-encodes and stores `bytes` (PNG, JPEG, WebP or GIF) as the
/// category's cover, replacing the old one. Those who may change the
/// category may.
pub async fn replace_cover(
    ctx: &Context,
    user_id: &str,
    space: &Space,
    id: Uuid,
    bytes: &[u8],
) -> Result<Cover, ApiError> {
    authorise(ctx, space, user_id, Action::Manage).await?;
    find(ctx, space, id).await?;
    let folder = cover_folder(id);
    let stored = public_files::store_picture_anywhere(ctx, &folder, "cover", bytes).await?;
    let cover = Cover {
        cover_image_key: stored.key,
        cover_image_url: stored.url,
    };
    if !set_cover(ctx, id, Some(&cover)).await? {
        public_files::remove_all(ctx, &folder, None).await;
        return Err(not_found());
    }
    public_files::remove_all(ctx, &folder, Some(&cover.cover_image_key)).await;
    listing_cache::space_changed(ctx, space.organization_id()).await;
    Ok(cover)
}

/// Clears the category's cover and removes its files.
pub async fn remove_cover(
    ctx: &Context,
    user_id: &str,
    space: &Space,
    id: Uuid,
) -> Result<(), ApiError> {
    authorise(ctx, space, user_id, Action::Manage).await?;
    find(ctx, space, id).await?;
    if !set_cover(ctx, id, None).await? {
        return Err(not_found());
    }
    public_files::remove_all(ctx, &cover_folder(id), None).await;
    listing_cache::space_changed(ctx, space.organization_id()).await;
    Ok(())
}

/// Puts the space's categories in the order given (each id once, every
/// one a live category of the space), in one transaction.
pub async fn reorder(
    ctx: &Context,
    user_id: &str,
    space: &Space,
    ordered_ids: &[Uuid],
) -> Result<(), ApiError> {
    let mut seen = std::collections::HashSet::new();
    if ordered_ids.is_empty()
        || ordered_ids.len() > MAX_REORDER
        || !ordered_ids.iter().all(|id| seen.insert(*id))
    {
        return Err(ApiError::invalid_fields([(
            "orderedIds",
            "must list 1 to 200 different categories",
        )]));
    }
    authorise(ctx, space, user_id, Action::Manage).await?;
    let known = ids_in_space(ctx, space, ordered_ids).await?;
    if known.len() != ordered_ids.len() {
        return Err(ApiError::invalid_fields([(
            "orderedIds",
            "names a category that is not in this space",
        )]));
    }
    let now = ctx.clock().now();
    let mut transaction = ctx.database().begin().await?;
    for (position, id) in ordered_ids.iter().enumerate() {
        let position = i64::try_from(position).map_err(ApiError::internal)?;
        transaction
            .execute(
                "UPDATE categories SET sort_order = $2, updated_at = $3 WHERE id = $1 AND deleted_at IS NULL",
                &[(*id).into(), position.into(), now.into()],
            )
            .await?;
    }
    transaction.commit().await?;
    listing_cache::space_changed(ctx, space.organization_id()).await;
    Ok(())
}

/// `IN ($from, $from+1, …)` for `count` parameters.
fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Those of `ids` that are live categories of `space`.
pub async fn ids_in_space(
    ctx: &Context,
    space: &Space,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut params = space.params().to_vec();
    params.extend(ids.iter().map(|id| SqlValue::from(*id)));
    let rows = ctx
        .database()
        .query(
            &format!(
                "SELECT k.id FROM categories k WHERE k.deleted_at IS NULL AND {} AND k.id IN ({})",
                in_space(1, 2),
                placeholders(3, ids.len())
            ),
            &params,
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| row.get("id"))
        .collect::<Result<_, _>>()?)
}

/// Makes `category_ids` the content's categories, inside the caller's
/// transaction.
pub async fn set_for_content_in(
    transaction: &mut dyn codex_database::Transaction,
    content_id: Uuid,
    category_ids: &[Uuid],
) -> Result<(), ApiError> {
    transaction
        .execute(
            "DELETE FROM content_categories WHERE content_id = $1",
            &[content_id.into()],
        )
        .await?;
    for category_id in category_ids {
        transaction
            .execute(
                "INSERT INTO content_categories (content_id, category_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[content_id.into(), (*category_id).into()],
            )
            .await?;
    }
    Ok(())
}

/// The organisation's live categories as its storefront shows them,
/// through the versioned cache (`listing_cache`).
pub async fn public_of(
    ctx: &Context,
    organization_id: Uuid,
) -> Result<Vec<PublicCategory>, ApiError> {
    listing_cache::cached(
        ctx,
        Scope::Organisation(organization_id),
        "categories",
        &organization_id,
        || public_of_from_database(ctx, organization_id),
    )
    .await
}

async fn public_of_from_database(
    ctx: &Context,
    organization_id: Uuid,
) -> Result<Vec<PublicCategory>, ApiError> {
    let rows = ctx
        .database()
        .query(
            &format!(
                "SELECT {} FROM categories k WHERE k.organization_id = $1 AND k.deleted_at IS NULL \
                 ORDER BY k.sort_order, lower(k.name), k.id",
                columns::<PublicCategory>("k")
            ),
            &[organization_id.into()],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| row.decode())
        .collect::<Result<_, _>>()?)
}

/// Each of the organisation's categories with published content, and how
/// much, most first.
pub async fn published_counts(
    ctx: &Context,
    organization_id: Uuid,
) -> Result<Vec<(String, u64)>, ApiError> {
    let rows = ctx
        .database()
        .query(
            "SELECT k.name, count(*) AS total FROM categories k \
             JOIN content_categories cc ON cc.category_id = k.id \
             JOIN content c ON c.id = cc.content_id AND c.status = 'published' AND c.deleted_at IS NULL \
             WHERE k.organization_id = $1 AND k.deleted_at IS NULL \
             GROUP BY k.id, k.name ORDER BY total DESC, lower(k.name)",
            &[organization_id.into()],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.get::<String>("name")?,
                u64::try_from(row.get::<i64>("total")?).unwrap_or(0),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_unicode_letters_and_digits() {
        assert_eq!(
            slugify("Behind the Scenes").as_deref(),
            Some("behind-the-scenes")
        );
        assert_eq!(
            slugify("  Über  Cafés!! 2024 ").as_deref(),
            Some("über-cafés-2024")
        );
        assert_eq!(slugify("東京 の 夜").as_deref(), Some("東京-の-夜"));
        assert_eq!(slugify("--a--b--").as_deref(), Some("a-b"));
        assert_eq!(slugify("!!! ---"), None);
        assert_eq!(slugify(""), None);
        let long = slugify(&"ab ".repeat(100)).expect("a slug");
        assert!(
            long.chars().count() <= SLUG_BASE && !long.ends_with('-'),
            "{long}"
        );
    }

    #[test]
    fn a_taken_slug_gets_the_first_free_suffix() {
        let taken = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(first_free("news", &taken(&[])), "news");
        assert_eq!(first_free("news", &taken(&["news-2"])), "news");
        assert_eq!(first_free("news", &taken(&["news"])), "news-2");
        assert_eq!(
            first_free("news", &taken(&["news", "news-2", "news-4"])),
            "news-3"
        );
        assert_eq!(
            first_free("news", &taken(&["news", "news-letter"])),
            "news-2"
        );
    }
}
