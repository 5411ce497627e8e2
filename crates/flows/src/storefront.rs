//! An organisation's storefront, by slug and for anyone: its creators with
//! who they are (memberships from `codex-orgs`, public profiles from
//! `codex-accounts`; never an address) and its figures, from its published
//! content and its categories (`codex-content`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use codex_accounts::user::{self, StoredLinks};
use codex_content::public;
use codex_context::Context;
use codex_errors::ApiError;
use codex_orgs::membership::MemberRole;
use codex_orgs::organisation;
use codex_orgs::storefront::{self, OrganisationLink};
use codex_validation::Page;
use serde::Serialize;
use uuid::Uuid;

/// One of a creator's latest published pieces, on their card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContentCard {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    #[schema(required = true)]
    pub thumbnail_url: Option<String>,
    pub content_type: codex_content::ContentType,
}

/// How many of a creator's latest pieces their card shows.
const RECENT_CONTENT: u32 = 3;

/// A creator as the storefront shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Creator {
    pub id: String,
    pub name: String,
    #[schema(required = true)]
    pub username: Option<String>,
    #[schema(required = true)]
    pub avatar_url: Option<String>,
    #[schema(required = true)]
    pub bio: Option<String>,
    pub social_links: StoredLinks,
    pub role: MemberRole,
    pub joined_at: DateTime<Utc>,
    pub content_count: u64,
    pub recent_content: Vec<ContentCard>,
    /// The other organisations they make things for.
    pub organizations: Vec<OrganisationLink>,
}

/// A page of the live organisation `slug`'s creators, earliest to join
/// first (404 for an unknown or deleted organisation).
pub async fn creators(
    ctx: &Context,
    slug: &str,
    page: Page,
) -> Result<(Vec<Creator>, u64), ApiError> {
    let organisation = organisation::by_slug(ctx, slug).await?;
    let (members, total) = storefront::creators(ctx, organisation.id, page).await?;
    let ids: Vec<String> = members.iter().map(|m| m.user_id.clone()).collect();
    let cards = user::cards(ctx.database(), &ids).await?;
    let mut elsewhere = storefront::other_organisations(ctx, &ids, organisation.id).await?;
    let mut work: HashMap<String, (u64, Vec<ContentCard>)> = HashMap::new();
    for card in public::latest_by_creator(ctx, organisation.id, RECENT_CONTENT).await? {
        let entry = work.entry(card.creator_id).or_default();
        entry.0 = card.creator_total;
        entry.1.push(ContentCard {
            id: card.id,
            slug: card.slug,
            title: card.title,
            thumbnail_url: card.thumbnail_url,
            content_type: card.content_type,
        });
    }
    let items = members
        .into_iter()
        .filter_map(|member| {
            let card = cards.get(&member.user_id)?;
            let (content_count, recent_content) = work.remove(&member.user_id).unwrap_or_default();
            Some(Creator {
                name: card.name.clone(),
                username: card.username.clone(),
                avatar_url: card.image.clone(),
                bio: card.bio.clone(),
                social_links: card.social_links.clone(),
                role: member.role,
                joined_at: member.joined_at,
                content_count,
                recent_content,
                organizations: elsewhere.remove(&member.user_id).unwrap_or_default(),
                id: member.user_id,
            })
        })
        .collect();
    Ok((items, total))
}

/// How much content there is, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ContentCounts {
    pub total: u64,
    pub video: u64,
    pub audio: u64,
    pub written: u64,
}

/// A category and how much content is in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CategoryCount {
    pub name: String,
    pub count: u64,
}

/// The storefront's figures (`GET /public/{slug}/stats`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicStats {
    pub content: ContentCounts,
    pub total_duration_seconds: u64,
    pub creators: u64,
    pub total_views: u64,
    pub categories: Vec<CategoryCount>,
}

/// The figures of the live organisation `slug` (404 otherwise): its
/// creators, and its published content by kind, running time, views and
/// category.
pub async fn stats(ctx: &Context, slug: &str) -> Result<PublicStats, ApiError> {
    let organisation = organisation::by_slug(ctx, slug).await?;
    let figures = public::figures(ctx, organisation.id).await?;
    Ok(PublicStats {
        content: ContentCounts {
            total: figures.total,
            video: figures.video,
            audio: figures.audio,
            written: figures.written,
        },
        total_duration_seconds: figures.duration_seconds,
        creators: storefront::creator_count(ctx, organisation.id).await?,
        total_views: figures.views,
        categories: codex_content::categories::published_counts(ctx, organisation.id)
            .await?
            .into_iter()
            .map(|(name, count)| CategoryCount { name, count })
            .collect(),
    })
}
