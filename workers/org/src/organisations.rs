//! Organisation routes.

use axum::extract::State;
use axum::response::Response;
use codex_errors::ApiError;
use codex_flows::storefront::{self, Creator, PublicStats};
use codex_http_kit::AppState;
use codex_http_kit::extract::{Json, Path, Query};
use codex_http_kit::respond::{Created, Data, List, no_content};
use codex_orgs::organisation::PublicInfo;
use codex_orgs::organisation::{
    self, MyOrganisation, Organisation, OrganisationFields, SortBy, SortOrder,
};
use codex_policy::{Creators, OrgManager, OrgOwner, RoleIn, Viewer};
use codex_validation::PageQuery;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Serialize)]
pub struct SlugAvailability {
    available: bool,
}

/// Creators, admins and the platform owner create organisations and own them.
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

pub async fn check_slug(
    State(state): State<AppState>,
    _viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Data<SlugAvailability>, ApiError> {
    let available = organisation::slug_available(state.ctx(), &slug).await?;
    Ok(Data(SlugAvailability { available }))
}

pub async fn by_slug(
    State(state): State<AppState>,
    _viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Data<Organisation>, ApiError> {
    Ok(Data(organisation::by_slug(state.ctx(), &slug).await?))
}

pub async fn mine(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
) -> Result<Data<Vec<MyOrganisation>>, ApiError> {
    Ok(Data(
        organisation::mine(state.ctx(), &viewer.user.id).await?,
    ))
}

pub async fn get(
    State(state): State<AppState>,
    _viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Data<Organisation>, ApiError> {
    Ok(Data(organisation::get(state.ctx(), id).await?))
}

/// A field left out is kept, `null` clears it (see [`OrganisationFields`]).
pub async fn update(
    State(state): State<AppState>,
    manager: OrgManager,
    Json(fields): Json<OrganisationFields>,
) -> Result<Data<Organisation>, ApiError> {
    Ok(Data(
        organisation::update(state.ctx(), manager.organization_id, &fields).await?,
    ))
}

/// Only an owner (or the platform owner) deletes an organisation.
pub async fn delete(State(state): State<AppState>, owner: OrgOwner) -> Result<Response, ApiError> {
    organisation::delete(state.ctx(), owner.organization_id).await?;
    Ok(no_content())
}

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

pub async fn public_info(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Data<PublicInfo>, ApiError> {
    Ok(Data(
        organisation::public_view(state.ctx(), &slug).await?.info,
    ))
}

/// Public: a page of the storefront's creators (`?page=&limit=`).
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
pub async fn public_stats(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Data<PublicStats>, ApiError> {
    Ok(Data(storefront::stats(state.ctx(), &slug).await?))
}
