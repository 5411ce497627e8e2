//! Published content as anyone may see it: the storefront's listings
//! (`/api/content/public`, `/public/discover`) and an organisation's
//! explore page (`/api/content/browse`). Only published, live content of a
//! live organisation (or of a personal space) is listed, in a view that
//! carries no e-mail address, no storage key and nothing of the media item
//! but what a visitor sees; the body of content that is not free is left
//! out.

use chrono::{DateTime, Utc};
use codex_context::Context;
use codex_database::{SqlValue, Window};
use codex_errors::ApiError;
use codex_validation::Page;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::listing_cache::{self, Scope};
use crate::model::{
    AccessType, Content, ContentCreator, ContentOrganization, ContentType, select_content,
};
use crate::studio::contains_pattern;

/// What a visitor sees of the content's media item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicMedia {
    pub id: Uuid,
    pub media_type: String,
    #[schema(required = true)]
    pub duration_seconds: Option<i32>,
    /// Set once transcoding has made a poster frame.
    #[schema(required = true)]
    pub thumbnail_url: Option<String>,
    /// Set once transcoding has made a preview.
    #[schema(required = true)]
    pub hls_preview_url: Option<String>,
}

/// A published piece as anyone may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicContent {
    pub id: Uuid,
    pub title: String,
    pub slug: String,
    #[schema(required = true)]
    pub description: Option<String>,
    pub content_type: ContentType,
    #[schema(required = true)]
    pub thumbnail_url: Option<String>,
    /// The body of free content; null for any other audience.
    #[schema(required = true)]
    pub content_body: Option<String>,
    #[schema(required = true, value_type = Option<Object>)]
    pub content_body_json: Option<serde_json::Value>,
    #[schema(required = true)]
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub access_type: AccessType,
    #[schema(required = true)]
    pub price_cents: Option<i32>,
    #[schema(required = true)]
    pub minimum_tier_id: Option<Uuid>,
    #[schema(required = true)]
    pub published_at: Option<DateTime<Utc>>,
    pub featured: bool,
    pub view_count: i32,
    #[schema(required = true)]
    pub organization_id: Option<Uuid>,
    #[schema(required = true)]
    pub organization: Option<ContentOrganization>,
    pub creator: ContentCreator,
    #[schema(required = true)]
    pub media_item: Option<PublicMedia>,
    /// The slugs of the content's categories.
    pub category_slugs: Vec<String>,
}

impl From<Content> for PublicContent {
    fn from(content: Content) -> Self {
        let free = content.access_type == AccessType::Free;
        Self {
            id: content.id,
            title: content.title,
            slug: content.slug,
            description: content.description,
            content_type: content.content_type,
            thumbnail_url: content.thumbnail_url,
            content_body: content.content_body.filter(|_| free),
            content_body_json: content.content_body_json.filter(|_| free),
            category: content.category,
            tags: content.tags,
            access_type: content.access_type,
            price_cents: content.price_cents,
            minimum_tier_id: content.minimum_tier_id,
            published_at: content.published_at,
            featured: content.featured,
            view_count: content.view_count,
            organization_id: content.organization_id,
            organization: content.organization,
            creator: content.creator,
            media_item: content.media_item.map(|media| PublicMedia {
                id: media.id,
                media_type: media.media_type,
                duration_seconds: media.duration_seconds,
                thumbnail_url: None,
                hls_preview_url: None,
            }),
            category_slugs: content.category_slugs,
        }
    }
}

/// The order of a public listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PublicSort {
    /// Last published first.
    #[default]
    Newest,
    Oldest,
    /// By title, A to Z.
    Title,
}

/// The filters of a public listing (serialised, they key its cached copy).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PublicFilter {
    pub organization_id: Option<Uuid>,
    pub slug: Option<String>,
    pub content_type: Option<ContentType>,
    /// A category's slug.
    pub category: Option<String>,
    pub search: Option<String>,
    pub creator_id: Option<String>,
    pub featured: Option<bool>,
    pub sort: PublicSort,
}

/// A page of published, live content matching `filter`, through the
/// versioned cache (`listing_cache`).
pub async fn published(
    ctx: &Context,
    page: Page,
    filter: &PublicFilter,
) -> Result<(Vec<PublicContent>, u64), ApiError> {
    listing_cache::cached(
        ctx,
        Scope::of(filter.organization_id),
        "content",
        &(filter, page.page, page.limit),
        || published_from_database(ctx, page, filter),
    )
    .await
}

async fn published_from_database(
    ctx: &Context,
    page: Page,
    filter: &PublicFilter,
) -> Result<(Vec<PublicContent>, u64), ApiError> {
    let order_by = match filter.sort {
        PublicSort::Newest => "c.published_at DESC NULLS LAST",
        PublicSort::Oldest => "c.published_at ASC NULLS LAST",
        PublicSort::Title => "lower(c.title) ASC",
    };
    // Content of a deleted organisation is not shown: `o` is joined only
    // for live organisations.
    let condition = "c.status = 'published' AND c.deleted_at IS NULL \
         AND (c.organization_id IS NULL OR o.id IS NOT NULL) \
         AND ($1::uuid IS NULL OR c.organization_id = $1) \
         AND ($2::text IS NULL OR c.slug = $2) \
         AND ($3::text IS NULL OR c.content_type = $3) \
         AND ($4::text IS NULL OR c.title ILIKE $4 ESCAPE '\\' OR c.description ILIKE $4 ESCAPE '\\') \
         AND ($5::text IS NULL OR c.creator_id = $5) \
         AND ($6::boolean IS NULL OR c.featured = $6) \
         AND ($7::text IS NULL OR EXISTS (SELECT 1 FROM content_categories cc \
              JOIN categories k ON k.id = cc.category_id AND k.deleted_at IS NULL \
              WHERE cc.content_id = c.id AND k.slug = $7))";
    let params: Vec<SqlValue> = vec![
        filter.organization_id.into(),
        filter.slug.clone().into(),
        filter.content_type.map(ContentType::as_str).into(),
        filter.search.as_deref().map(contains_pattern).into(),
        filter.creator_id.clone().into(),
        filter.featured.into(),
        filter.category.clone().into(),
    ];
    let (items, total) = codex_database::fetch_page::<Content>(
        ctx.database(),
        &format!(
            "{} WHERE {condition} ORDER BY {order_by}, c.id",
            select_content()
        ),
        &format!(
            "SELECT count(*) AS total FROM content c \
             LEFT JOIN organizations o ON o.id = c.organization_id AND o.deleted_at IS NULL \
             WHERE {condition}"
        ),
        &params,
        Window {
            limit: i64::from(page.limit),
            offset: page.offset(),
        },
    )
    .await?;
    Ok((items.into_iter().map(PublicContent::from).collect(), total))
}

/// What an organisation has published, in figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub total: u64,
    pub video: u64,
    pub audio: u64,
    pub written: u64,
    /// The running time of its video and audio, where known.
    pub duration_seconds: u64,
    pub views: u64,
}

fn count(row: &codex_database::Row, column: &str) -> Result<u64, ApiError> {
    Ok(u64::try_from(row.get::<i64>(column)?).unwrap_or(0))
}

/// The figures of the organisation's published, live content.
pub async fn figures(ctx: &Context, organization_id: Uuid) -> Result<Figures, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            "SELECT count(*) AS total, \
             count(*) FILTER (WHERE c.content_type = 'video') AS video, \
             count(*) FILTER (WHERE c.content_type = 'audio') AS audio, \
             count(*) FILTER (WHERE c.content_type = 'written') AS written, \
             COALESCE(sum(m.duration_seconds), 0)::bigint AS duration_seconds, \
             COALESCE(sum(c.view_count), 0)::bigint AS views \
             FROM content c \
             LEFT JOIN media_items m ON m.id = c.media_item_id AND m.deleted_at IS NULL \
             WHERE c.organization_id = $1 AND c.status = 'published' AND c.deleted_at IS NULL",
            &[organization_id.into()],
        )
        .await?;
    let Some(row) = row else {
        return Ok(Figures::default());
    };
    Ok(Figures {
        total: count(&row, "total")?,
        video: count(&row, "video")?,
        audio: count(&row, "audio")?,
        written: count(&row, "written")?,
        duration_seconds: count(&row, "duration_seconds")?,
        views: count(&row, "views")?,
    })
}

/// A creator's latest published piece in an organisation, as a storefront
/// card shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub creator_id: String,
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub thumbnail_url: Option<String>,
    pub content_type: ContentType,
    /// How much the creator has published there in all.
    pub creator_total: u64,
}

/// For every creator with published content in the organisation, their
/// `latest` most recent pieces (each card carries the creator's total).
pub async fn latest_by_creator(
    ctx: &Context,
    organization_id: Uuid,
    latest: u32,
) -> Result<Vec<Card>, ApiError> {
    let rows = ctx
        .database()
        .query(
            "SELECT creator_id, id, slug, title, thumbnail_url, content_type, creator_total FROM ( \
               SELECT c.creator_id, c.id, c.slug, c.title, c.thumbnail_url, c.content_type, \
                 count(*) OVER (PARTITION BY c.creator_id) AS creator_total, \
                 row_number() OVER (PARTITION BY c.creator_id ORDER BY c.published_at DESC, c.id) AS rank \
               FROM content c \
               WHERE c.organization_id = $1 AND c.status = 'published' AND c.deleted_at IS NULL \
             ) ranked WHERE rank <= $2 ORDER BY creator_id, rank",
            &[organization_id.into(), i64::from(latest).into()],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Card {
                creator_id: row.get("creator_id")?,
                id: row.get("id")?,
                slug: row.get("slug")?,
                title: row.get("title")?,
                thumbnail_url: row.get("thumbnail_url")?,
                content_type: row
                    .get::<String>("content_type")?
                    .parse()
                    .map_err(ApiError::internal)?,
                creator_total: count(row, "creator_total")?,
            })
        })
        .collect()
}
