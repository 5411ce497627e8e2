//! A creator's own content, as the studio works with it: create, read,
//! change, list, check a slug, publish, unpublish, delete. Every operation
//! is scoped to the creator: another user's content is a 404. Content in
//! an organisation also needs the creator to be, at the time of the
//! request, an active owner, admin or creator there (403 otherwise).

use codex_context::Context;
use codex_database::{DbError, SqlValue, Window};
use codex_errors::ApiError;
use codex_media::MediaStatus;
use codex_orgs::membership::{self, MemberRole};
use codex_validation::Page;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::categories::{self, Space};
use crate::model::{AccessType, Content, ContentStatus, ContentType, select_content};
use crate::rules::{ContentChanges, Fields, NewContent};

fn not_found() -> ApiError {
    ApiError::not_found("Content not found")
}

fn slug_taken() -> ApiError {
    ApiError::conflict("Content with this slug already exists")
        .with_details(json!({"field": "slug"}))
}

/// A unique violation of either slug index is the slug's conflict.
fn write_error(error: DbError) -> ApiError {
    if error.is_unique_violation("content_slug_per_org")
        || error.is_unique_violation("content_slug_personal")
    {
        slug_taken()
    } else {
        error.into()
    }
}

/// The creator's live piece with its relations, or 404.
pub async fn get(ctx: &Context, creator_id: &str, id: Uuid) -> Result<Content, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "{} WHERE c.id = $1 AND c.creator_id = $2 AND c.deleted_at IS NULL",
                select_content()
            ),
            &[id.into(), creator_id.into()],
        )
        .await?;
    match row {
        Some(row) => Ok(row.decode()?),
        None => Err(not_found()),
    }
}

/// The creator's live piece, once they may still change it: in an
/// organisation only while they publish there (403 otherwise).
pub(crate) async fn get_to_change(
    ctx: &Context,
    creator_id: &str,
    id: Uuid,
) -> Result<Content, ApiError> {
    let current = get(ctx, creator_id, id).await?;
    if let Some(organization_id) = current.organization_id {
        ensure_publisher(ctx, organization_id, creator_id).await?;
    }
    Ok(current)
}

/// Records a new piece, always as a draft. The media item need not be
/// ready yet: publishing waits for it.
pub async fn create(
    ctx: &Context,
    creator_id: &str,
    input: NewContent,
) -> Result<Content, ApiError> {
    let fields = Fields::from_new(input)?;
    check_references(ctx, creator_id, &fields, None).await?;
    let id = Uuid::new_v4();
    let now = ctx.clock().now();
    let mut params = vec![id.into(), creator_id.into()];
    params.extend(written_values(&fields)?);
    params.push(now.into());
    let mut transaction = ctx.database().begin().await?;
    transaction
        .execute(
            "INSERT INTO content (id, creator_id, organization_id, media_item_id, title, slug, \
             description, content_type, thumbnail_url, content_body, content_body_json, category, \
             tags, shader_preset, shader_config, access_type, price_cents, minimum_tier_id, featured, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20)",
            &params,
        )
        .await
        .map_err(write_error)?;
    categories::set_for_content_in(transaction.as_mut(), id, &fields.category_ids).await?;
    transaction.commit().await?;
    get(ctx, creator_id, id).await
}

/// The values of the columns a creator writes, in the order of
/// `organization_id` … `featured` in the statements above and below.
fn written_values(fields: &Fields) -> Result<Vec<SqlValue>, ApiError> {
    Ok(vec![
        fields.organization_id.into(),
        fields.media_item_id.into(),
        fields.title.as_str().into(),
        fields.slug.as_str().into(),
        fields.description.clone().into(),
        fields.content_type.as_str().into(),
        fields.thumbnail_url.clone().into(),
        fields.content_body.clone().into(),
        fields.body_json().into(),
        fields.category.clone().into(),
        serde_json::to_value(&fields.tags)
            .map_err(ApiError::internal)?
            .into(),
        fields.shader_preset.clone().into(),
        fields.shader_config.clone().map(Value::Object).into(),
        fields.access_type.as_str().into(),
        fields.price_cents.into(),
        fields.minimum_tier_id.into(),
        fields.featured.into(),
    ])
}

/// Applies `changes` to the creator's piece. The whole result is held to
/// the rules a new piece meets; a published piece must also still pass
/// the publishing gates (its media ready).
pub async fn update(
    ctx: &Context,
    creator_id: &str,
    id: Uuid,
    changes: ContentChanges,
) -> Result<Content, ApiError> {
    let current = get(ctx, creator_id, id).await?;
    let fields = Fields::changed(&current, changes)?;
    check_references(ctx, creator_id, &fields, Some(&current)).await?;
    if current.status == ContentStatus::Published {
        publishing_gates(ctx, creator_id, &fields).await?;
    }
    let mut params = vec![id.into(), creator_id.into()];
    params.extend(written_values(&fields)?);
    params.push(ctx.clock().now().into());
    let mut transaction = ctx.database().begin().await?;
    let changed = transaction
        .execute(
            "UPDATE content SET organization_id = $3, media_item_id = $4, title = $5, slug = $6, \
             description = $7, content_type = $8, thumbnail_url = $9, content_body = $10, \
             content_body_json = $11, category = $12, tags = $13, shader_preset = $14, \
             shader_config = $15, access_type = $16, price_cents = $17, minimum_tier_id = $18, \
             featured = $19, updated_at = $20 \
             WHERE id = $1 AND creator_id = $2 AND deleted_at IS NULL",
            &params,
        )
        .await
        .map_err(write_error)?;
    if changed == 0 {
        return Err(not_found());
    }
    if fields.category_ids != current.category_ids {
        categories::set_for_content_in(transaction.as_mut(), id, &fields.category_ids).await?;
    }
    transaction.commit().await?;
    crate::listing_cache::content_changed(ctx, id).await;
    get(ctx, creator_id, id).await
}

/// What the fields refer to, checked against the database: the
/// organisation (the creator publishes there), the media item (the
/// creator's own, of the content's kind), the tier and the categories.
/// On a change, only what the change touches is checked again, except the
/// organisation, whose membership is checked on every write.
async fn check_references(
    ctx: &Context,
    creator_id: &str,
    fields: &Fields,
    current: Option<&Content>,
) -> Result<(), ApiError> {
    if let Some(organization_id) = fields.organization_id {
        ensure_publisher(ctx, organization_id, creator_id).await?;
    }
    let media_touched = current.is_none_or(|current| {
        current.media_item_id != fields.media_item_id || current.content_type != fields.content_type
    });
    if let (Some(media_id), true) = (fields.media_item_id, media_touched) {
        let media = codex_media::library::get(ctx, creator_id, media_id).await?;
        let matches = matches!(
            (fields.content_type, media.media_type),
            (ContentType::Video, codex_media::MediaType::Video)
                | (ContentType::Audio, codex_media::MediaType::Audio)
        );
        if !matches {
            return Err(ApiError::business_rule(
                "Content type does not match media type",
            ));
        }
    }
    let tier_touched =
        current.is_none_or(|current| current.minimum_tier_id != fields.minimum_tier_id);
    if fields.minimum_tier_id.is_some() && tier_touched {
        // Subscription tiers come with subscriptions; until then none exists.
        return Err(ApiError::business_rule("Subscription tier not found")
            .with_details(json!({"field": "minimumTierId"})));
    }
    let categories_touched = current.is_none_or(|current| {
        current.category_ids != fields.category_ids
            || current.organization_id != fields.organization_id
    });
    if !fields.category_ids.is_empty() && categories_touched {
        let space = Space::of(fields.organization_id, creator_id);
        let known = categories::ids_in_space(ctx, &space, &fields.category_ids).await?;
        if known.len() != fields.category_ids.len() {
            return Err(ApiError::invalid_fields([(
                "categoryIds",
                "names a category that is not in the content's space",
            )]));
        }
    }
    Ok(())
}

/// The roles that publish in an organisation: owner, admin, creator.
pub(crate) const PUBLISHERS: &[MemberRole] =
    &[MemberRole::Owner, MemberRole::Admin, MemberRole::Creator];

/// Whether the user is, now, an active member of the live organisation
/// with one of `roles` (any role when empty), read from PostgreSQL.
pub(crate) async fn member_with(
    ctx: &Context,
    organization_id: Uuid,
    user_id: &str,
    roles: &[MemberRole],
) -> Result<bool, ApiError> {
    Ok(membership::lookup(ctx, organization_id, user_id)
        .await?
        .is_some_and(|membership| {
            membership.is_active() && (roles.is_empty() || roles.contains(&membership.role))
        }))
}

/// 403 unless the user is, now, an active owner, admin or creator of the
/// live organisation.
async fn ensure_publisher(
    ctx: &Context,
    organization_id: Uuid,
    user_id: &str,
) -> Result<(), ApiError> {
    if member_with(ctx, organization_id, user_id, PUBLISHERS).await? {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Only the organisation's owner, admins and creators can publish there",
        ))
    }
}

/// What must hold for a piece to be published: video and audio have their
/// media item, and it is ready to play. (Paid content's price is a rule of
/// the fields themselves.)
async fn publishing_gates(
    ctx: &Context,
    creator_id: &str,
    fields: &Fields,
) -> Result<(), ApiError> {
    if fields.content_type == ContentType::Written {
        return Ok(());
    }
    let Some(media_id) = fields.media_item_id else {
        return Err(ApiError::business_rule(
            "Cannot publish content without media",
        ));
    };
    let media = match codex_media::library::get(ctx, creator_id, media_id).await {
        Ok(media) => media,
        Err(error) if error.status().as_u16() == 404 => {
            return Err(ApiError::business_rule(
                "Cannot publish content without media",
            ));
        }
        Err(error) => return Err(error),
    };
    if media.status != MediaStatus::Ready {
        return Err(
            ApiError::business_rule("Media item not ready for publishing").with_details(
                json!({"code": "MEDIA_NOT_READY", "mediaStatus": media.status.as_str()}),
            ),
        );
    }
    Ok(())
}

/// Publishes the creator's piece once the gates pass; publishing a
/// published piece changes nothing and answers it as it is.
pub async fn publish(ctx: &Context, creator_id: &str, id: Uuid) -> Result<Content, ApiError> {
    let current = get_to_change(ctx, creator_id, id).await?;
    if current.status == ContentStatus::Published {
        return Ok(current);
    }
    publishing_gates(ctx, creator_id, &Fields::from_stored(&current)).await?;
    let now = ctx.clock().now();
    ctx.database()
        .execute(
            "UPDATE content SET status = 'published', published_at = $3, updated_at = $3 \
             WHERE id = $1 AND creator_id = $2 AND deleted_at IS NULL AND status <> 'published'",
            &[id.into(), creator_id.into(), now.into()],
        )
        .await?;
    crate::listing_cache::content_changed(ctx, id).await;
    get(ctx, creator_id, id).await
}

/// Takes the creator's piece back to draft (its `publishedAt` stays, as a
/// record of when it was last published).
pub async fn unpublish(ctx: &Context, creator_id: &str, id: Uuid) -> Result<Content, ApiError> {
    let current = get_to_change(ctx, creator_id, id).await?;
    if current.status != ContentStatus::Draft {
        ctx.database()
            .execute(
                "UPDATE content SET status = 'draft', updated_at = $3 \
                 WHERE id = $1 AND creator_id = $2 AND deleted_at IS NULL",
                &[id.into(), creator_id.into(), ctx.clock().now().into()],
            )
            .await?;
        crate::listing_cache::content_changed(ctx, id).await;
    }
    get(ctx, creator_id, id).await
}

/// Soft-deletes the creator's piece: it leaves every listing at once, its
/// slug is free again and its uploaded thumbnail's files are removed.
pub async fn delete(ctx: &Context, creator_id: &str, id: Uuid) -> Result<(), ApiError> {
    let now = ctx.clock().now();
    let changed = ctx
        .database()
        .execute(
            "UPDATE content SET deleted_at = $3, updated_at = $3 \
             WHERE id = $1 AND creator_id = $2 AND deleted_at IS NULL",
            &[id.into(), creator_id.into(), now.into()],
        )
        .await?;
    if changed == 0 {
        return Err(not_found());
    }
    codex_context::public_files::remove_all(ctx, &crate::thumbnail::folder(id), None).await;
    crate::listing_cache::content_changed(ctx, id).await;
    Ok(())
}

/// Whether `slug` is free in the organisation (or in the creator's
/// personal space without one), ignoring deleted content and the piece
/// being edited.
pub async fn slug_available(
    ctx: &Context,
    creator_id: &str,
    raw_slug: &str,
    organization_id: Option<Uuid>,
    exclude: Option<Uuid>,
) -> Result<bool, ApiError> {
    let slug = crate::rules::slug("slug", raw_slug)?;
    let taken = ctx
        .database()
        .query_opt(
            "SELECT 1 AS taken FROM content WHERE slug = $1 AND deleted_at IS NULL \
             AND CASE WHEN $2::uuid IS NULL THEN organization_id IS NULL AND creator_id = $3 \
                      ELSE organization_id = $2 END \
             AND ($4::uuid IS NULL OR id <> $4)",
            &[
                slug.into(),
                organization_id.into(),
                creator_id.into(),
                exclude.into(),
            ],
        )
        .await?;
    Ok(taken.is_none())
}

/// The order of the studio list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum SortBy {
    #[default]
    CreatedAt,
    UpdatedAt,
    PublishedAt,
    Title,
    ViewCount,
    PurchaseCount,
}

pub use codex_validation::SortOrder;

/// The filters of the studio list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<ContentStatus>,
    pub content_type: Option<ContentType>,
    pub access_type: Option<AccessType>,
    pub organization_id: Option<Uuid>,
    /// Words in the title or the description.
    pub search: Option<String>,
    pub slug: Option<String>,
    pub category: Option<String>,
    /// Only these pieces (the studio's batch look-up by repeated `id`).
    pub ids: Option<Vec<Uuid>>,
    pub sort_by: SortBy,
    pub sort_order: SortOrder,
}

/// `text` for a `LIKE … ESCAPE '\'` pattern: its own wildcards (and the
/// escape character) match only themselves.
pub(crate) fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `%text%` for `ILIKE … ESCAPE '\'`, the text's own wildcards escaped.
pub(crate) fn contains_pattern(text: &str) -> String {
    format!("%{}%", escape_like(text))
}

/// The creator's live content, a page at a time.
pub async fn list(
    ctx: &Context,
    creator_id: &str,
    page: Page,
    filter: &ListFilter,
) -> Result<(Vec<Content>, u64), ApiError> {
    let direction = filter.sort_order.sql();
    let order_by = match filter.sort_by {
        SortBy::CreatedAt => format!("c.created_at {direction}"),
        SortBy::UpdatedAt => format!("c.updated_at {direction}"),
        SortBy::PublishedAt => format!("c.published_at {direction} NULLS LAST"),
        SortBy::Title => format!("lower(c.title) {direction}"),
        SortBy::ViewCount => format!("c.view_count {direction}"),
        SortBy::PurchaseCount => format!("c.purchase_count {direction}"),
    };
    let condition = "c.creator_id = $1 AND c.deleted_at IS NULL \
         AND ($2::text IS NULL OR c.status = $2) \
         AND ($3::text IS NULL OR c.content_type = $3) \
         AND ($4::text IS NULL OR c.access_type = $4) \
         AND ($5::uuid IS NULL OR c.organization_id = $5) \
         AND ($6::text IS NULL OR c.title ILIKE $6 ESCAPE '\\' OR c.description ILIKE $6 ESCAPE '\\') \
         AND ($7::text IS NULL OR c.slug = $7) \
         AND ($8::text IS NULL OR c.category = $8) \
         AND ($9::jsonb IS NULL OR c.id IN (SELECT jsonb_array_elements_text($9::jsonb)::uuid))";
    let params: Vec<SqlValue> = vec![
        creator_id.into(),
        filter.status.map(ContentStatus::as_str).into(),
        filter.content_type.map(ContentType::as_str).into(),
        filter.access_type.map(AccessType::as_str).into(),
        filter.organization_id.into(),
        filter.search.as_deref().map(contains_pattern).into(),
        filter.slug.clone().into(),
        filter.category.clone().into(),
        filter
            .ids
            .as_ref()
            .map(|ids| Value::from(ids.iter().map(Uuid::to_string).collect::<Vec<_>>()))
            .into(),
    ];
    Ok(codex_database::fetch_page(
        ctx.database(),
        &format!(
            "{} WHERE {condition} ORDER BY {order_by}, c.id",
            select_content()
        ),
        &format!("SELECT count(*) AS total FROM content c WHERE {condition}"),
        &params,
        Window {
            limit: i64::from(page.limit),
            offset: page.offset(),
        },
    )
    .await?)
}

/// Whether the user has content that is not deleted, read inside the
/// caller's transaction (account deletion refuses while they do).
pub async fn has_live_content_in(
    transaction: &mut dyn codex_database::Transaction,
    user_id: &str,
) -> Result<bool, ApiError> {
    let row = transaction
        .query_opt(
            "SELECT 1 AS live FROM content WHERE creator_id = $1 AND deleted_at IS NULL LIMIT 1",
            &[user_id.into()],
        )
        .await?;
    Ok(row.is_some())
}
