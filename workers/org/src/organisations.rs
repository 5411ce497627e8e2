//! Organisation routes.

use axum::extract::State;
use axum::response::Response;
use codex_errors::ApiError;
use codex_flows::storefront::{self, Creator, PublicStats};
use codex_http_kit::AppState;
use codex_http_kit::extract::{Json, Path, Query};
use codex_http_kit::openapi::{DataEnvelope, ListEnvelope};
use codex_http_kit::respond::{Created, Data, List, no_content};
use codex_orgs::organisation::PublicInfo;
use codex_orgs::organisation::{
    self, MyOrganisation, Organisation, OrganisationFields, SortBy, SortOrder,
};
use codex_policy::{Creators, OrgManager, OrgOwner, RoleIn, Viewer};
use codex_validation::PageQuery;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SlugAvailability {
    available: bool,
}

/// Creators, admins and the platform owner create organisations and own them.
#[utoipa::path(post,
    path = "/api/organizations",
    tag = "org",
    security(("session" = [])),
    request_body = OrganisationFields,
    responses((status = 201, description = "Created; the caller is its owner", body = DataEnvelope<Organisation>)))]
pub async fn create(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Json(fields): Json<OrganisationFields>,
) -> Result<Created<Organisation>, ApiError> {
    let viewer = creator.into_inner();
    Ok(Created(
        organisation::create(state.ctx(), &viewer.user.id, &fields).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    #[serde(flatten)]
    page: PageQuery,
    search: Option<String>,
    #[serde(default)]
    sort_by: SortBy,
    #[serde(default)]
    sort_order: SortOrder,
}

#[utoipa::path(get,
    path = "/api/organizations",
    tag = "org",
    security(("session" = [])),
    params(("page" = Option<u32>, Query, description = "1..=1000, default 1"), ("limit" = Option<u32>, Query, description = "1..=100, default 20"), ("search" = Option<String>, Query, description = "At most 255 characters"), ("sortBy" = inline(Option<SortBy>), Query), ("sortOrder" = inline(Option<SortOrder>), Query)),
    responses((status = 200, description = "A page of live organisations", body = ListEnvelope<Organisation>)))]
pub async fn list(
    State(state): State<AppState>,
    _viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<List<Organisation>, ApiError> {
    let page = query.page.check()?;
    if query
        .search
        .as_deref()
        .is_some_and(|s| s.chars().count() > 255)
    {
        return Err(ApiError::invalid_fields([(
            "search",
            "must be at most 255 characters",
        )]));
    }
    let (items, total) = organisation::list(
        state.ctx(),
        page,
        query.search.as_deref(),
        query.sort_by,
        query.sort_order,
    )
    .await?;
    Ok(List::new(items, page, total))
}

#[utoipa::path(get,
    path = "/api/organizations/check-slug/{slug}",
    tag = "org",
    security(("session" = [])),
    params(("slug" = String, Path, description = "The organisation's slug")),
    responses((status = 200, description = "Whether the slug is free", body = DataEnvelope<SlugAvailability>)))]
pub async fn check_slug(
    State(state): State<AppState>,
    _viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Data<SlugAvailability>, ApiError> {
    let available = organisation::slug_available(state.ctx(), &slug).await?;
    Ok(Data(SlugAvailability { available }))
}

#[utoipa::path(get,
    path = "/api/organizations/slug/{slug}",
    tag = "org",
    security(("session" = [])),
    params(("slug" = String, Path, description = "The organisation's slug")),
    responses((status = 200, description = "The organisation", body = DataEnvelope<Organisation>)))]
pub async fn by_slug(
    State(state): State<AppState>,
    _viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Data<Organisation>, ApiError> {
    Ok(Data(organisation::by_slug(state.ctx(), &slug).await?))
}

#[utoipa::path(get,
    path = "/api/organizations/my-organizations",
    tag = "org",
    security(("session" = [])),
    responses((status = 200, description = "The organisations the caller is an active member of, by name (a plain array)", body = DataEnvelope<Vec<MyOrganisation>>)))]
pub async fn mine(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
) -> Result<Data<Vec<MyOrganisation>>, ApiError> {
    Ok(Data(
        organisation::mine(state.ctx(), &viewer.user.id).await?,
    ))
}

#[utoipa::path(get,
    path = "/api/organizations/{id}",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    responses((status = 200, description = "The organisation", body = DataEnvelope<Organisation>)))]
pub async fn get(
    State(state): State<AppState>,
    _viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Data<Organisation>, ApiError> {
    Ok(Data(organisation::get(state.ctx(), id).await?))
}

/// Changes the organisation: a field left out is kept, `null` clears it.
#[utoipa::path(patch,
    path = "/api/organizations/{id}",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    request_body = OrganisationFields,
    responses((status = 200, description = "The organisation after the change", body = DataEnvelope<Organisation>)))]
pub async fn update(
    State(state): State<AppState>,
    manager: OrgManager,
    Json(fields): Json<OrganisationFields>,
) -> Result<Data<Organisation>, ApiError> {
    Ok(Data(
        codex_flows::organisation::update(state.ctx(), manager.organization_id, &fields).await?,
    ))
}

/// Only an owner (or the platform owner) deletes an organisation.
#[utoipa::path(delete,
    path = "/api/organizations/{id}",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    responses((status = 204, description = "Deleted (owners only)")))]
pub async fn delete(State(state): State<AppState>, owner: OrgOwner) -> Result<Response, ApiError> {
    codex_flows::organisation::delete(state.ctx(), owner.organization_id).await?;
    Ok(no_content())
}

#[utoipa::path(get,
    path = "/api/organizations/public/{slug}",
    tag = "org",
    security(()),
    params(("slug" = String, Path, description = "The organisation's slug")),
    responses((status = 200, description = "The organisation's branding", body = DataEnvelope<codex_orgs::settings::Branding>)))]
pub async fn public_branding(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Data<codex_orgs::settings::Branding>, ApiError> {
    Ok(Data(
        organisation::public_view(state.ctx(), &slug)
            .await?
            .branding,
    ))
}

#[utoipa::path(get,
    path = "/api/organizations/public/{slug}/info",
    tag = "org",
    security(()),
    params(("slug" = String, Path, description = "The organisation's slug")),
    responses((status = 200, description = "What every page of the organisation shows", body = DataEnvelope<PublicInfo>)))]
pub async fn public_info(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Data<PublicInfo>, ApiError> {
    Ok(Data(
        organisation::public_view(state.ctx(), &slug).await?.info,
    ))
}

/// Public: a page of the storefront's creators (`?page=&limit=`).
#[utoipa::path(get,
    path = "/api/organizations/public/{slug}/creators",
    tag = "org",
    security(()),
    params(("slug" = String, Path, description = "The organisation's slug"), ("page" = Option<u32>, Query, description = "1..=1000, default 1"), ("limit" = Option<u32>, Query, description = "1..=100, default 20")),
    responses((status = 200, description = "A page of the organisation's creators (owners, admins and creators)", body = ListEnvelope<Creator>)))]
pub async fn public_creators(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<List<Creator>, ApiError> {
    let page = query.check()?;
    let (items, total) = storefront::creators(state.ctx(), &slug, page).await?;
    Ok(List::new(items, page, total))
}

/// Public: the storefront's figures.
#[utoipa::path(get,
    path = "/api/organizations/public/{slug}/stats",
    tag = "org",
    security(()),
    params(("slug" = String, Path, description = "The organisation's slug")),
    responses((status = 200, description = "The storefront's figures", body = DataEnvelope<PublicStats>)))]
pub async fn public_stats(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Data<PublicStats>, ApiError> {
    Ok(Data(storefront::stats(state.ctx(), &slug).await?))
}
