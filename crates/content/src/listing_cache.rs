//! The key-value cache of public listings (`/api/content/public`,
//! `/public/discover`, `/api/content/browse`, `/public/categories`).
//!
//! Workers KV may answer a value up to a minute old at another location
//! and cannot be emptied everywhere at once, so dropping a key there would
//! not drop it everywhere. Instead each listing scope has a version in
//! PostgreSQL (`public_listing_versions`): `platform` for every listing,
//! `org:{id}` for an organisation's. A cached listing is keyed by its
//! scope's version, and every change that can alter what a listing shows
//! (content published, unpublished, changed, deleted, its thumbnail;
//! categories created, changed, reordered, deleted, their covers) raises
//! the versions of its scopes. The next read, at any location, reads the
//! new version and misses the old copy. A read costs one primary-key
//! look-up instead of the listing's joins and count.
//!
//! What is cached lives 60 s at most (KV's shortest lifetime), the safety
//! net for changes made elsewhere that do not raise a version (a creator's
//! name, a media item's duration) and for a raise that failed after its
//! change was written.

use std::future::Future;
use std::time::Duration;

use codex_context::Context;
use codex_errors::ApiError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long a cached listing lives at most.
const TTL: Duration = Duration::from_secs(60);

/// Which listings a change can alter, and which version a listing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Listings across the platform (`discover`, or without `orgId`).
    Platform,
    /// One organisation's listings.
    Organisation(Uuid),
}

impl Scope {
    /// The scope a listing filtered by `organization_id` reads.
    pub fn of(organization_id: Option<Uuid>) -> Self {
        organization_id.map_or(Self::Platform, Self::Organisation)
    }

    fn name(self) -> String {
        match self {
            Self::Platform => "platform".to_owned(),
            Self::Organisation(id) => format!("org:{id}"),
        }
    }
}

/// The listing `what` for `query` in `scope`: from the cache when it holds
/// one at the scope's current version, else from `load`, then cached. The
/// cache failing is logged and the listing read from PostgreSQL.
pub async fn cached<T, F, Fut>(
    ctx: &Context,
    scope: Scope,
    what: &str,
    query: &impl Serialize,
    load: F,
) -> Result<T, ApiError>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let row = ctx
        .database()
        .query_opt(
            "SELECT version FROM public_listing_versions WHERE scope = $1",
            &[scope.name().into()],
        )
        .await?;
    let version = match row {
        Some(row) => row.get::<i64>("version")?,
        None => 0,
    };
    let query = serde_json::to_vec(query).map_err(ApiError::internal)?;
    let key = format!(
        "public-listing:{what}:{}:{version}:{}",
        scope.name(),
        hex::encode(Sha256::digest(&query))
    );
    match ctx.kv().get(&key).await {
        Ok(Some(value)) => match serde_json::from_str(&value) {
            Ok(listing) => return Ok(listing),
            Err(error) => tracing::warn!(%error, "a cached public listing could not be read"),
        },
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "public listing cache unavailable"),
    }
    let listing = load().await?;
    match serde_json::to_string(&listing) {
        Ok(value) => {
            if let Err(error) = ctx.kv().put(&key, &value, Some(TTL)).await {
                tracing::warn!(%error, "could not cache a public listing");
            }
        }
        Err(error) => tracing::warn!(%error, "could not write a public listing for the cache"),
    }
    Ok(listing)
}

/// Raises the versions of `scopes` and of the platform's. A failure is
/// logged, not returned: the change it follows is already written, and the
/// cached copies expire within [`TTL`].
async fn raise(ctx: &Context, scope_sql: &str, param: codex_database::SqlValue) {
    let statement = format!(
        "INSERT INTO public_listing_versions AS v (scope, version, changed_at) \
         SELECT scope, 1, $2 FROM ({scope_sql} UNION SELECT 'platform') AS scopes (scope) \
         ON CONFLICT (scope) DO UPDATE SET version = v.version + 1, changed_at = EXCLUDED.changed_at"
    );
    if let Err(error) = ctx
        .database()
        .execute(&statement, &[param, ctx.clock().now().into()])
        .await
    {
        tracing::warn!(%error, "could not raise a public listing version");
    }
}

/// After a change to the piece `content_id` (its organisation's listings
/// and the platform's).
pub async fn content_changed(ctx: &Context, content_id: Uuid) {
    raise(
        ctx,
        "SELECT 'org:' || organization_id FROM content WHERE id = $1 AND organization_id IS NOT NULL",
        content_id.into(),
    )
    .await;
}

/// After a change to an organisation (`Some`: its categories, its name,
/// its deletion) or to the categories of a personal space (`None`).
pub async fn space_changed(ctx: &Context, organization_id: Option<Uuid>) {
    raise(
        ctx,
        "SELECT 'org:' || $1::uuid WHERE $1::uuid IS NOT NULL",
        organization_id.into(),
    )
    .await;
}
