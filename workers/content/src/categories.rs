//! Categories (`/api/categories`; rules in `codex_content::categories`):
//! an organisation's (`?organizationId=`) or, without one, the caller's
//! personal space's. The storefront's list is
//! `/api/content/public/categories`.

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::response::Response;
use codex_content::categories::{
    self, Category, CategoryChanges, Cover, NewCategory, PublicCategory, Space,
};
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::extract::{Json, Path, Query};
use codex_http_kit::openapi::{DataEnvelope, ErrorEnvelope, ListEnvelope};
use codex_http_kit::respond::{Created, Data, List, no_content};
use codex_http_kit::upload::read_file;
use codex_policy::{Creators, RoleIn};
use codex_validation::PageQuery;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceQuery {
    organization_id: Option<Uuid>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    #[serde(flatten)]
    page: PageQuery,
    organization_id: Option<Uuid>,
    search: Option<String>,
}

/// The space's categories in their order: any member of the organisation
/// may read them.
#[utoipa::path(get,
    path = "/api/categories",
    tag = "categories",
    security(("session" = [])),
    params(("page" = Option<u32>, Query, description = "1..=1000, default 1"), ("limit" = Option<u32>, Query, description = "1..=100, default 20"),
        ("organizationId" = Option<Uuid>, Query, description = "The organisation; the caller's personal space without it"),
        ("search" = Option<String>, Query, description = "Words in the name")),
    responses(
        (status = 200, description = "A page of categories", body = ListEnvelope<Category>),
        (status = 403, description = "Not a member of the organisation", body = ErrorEnvelope)))]
pub async fn list_categories(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Query(query): Query<ListQuery>,
) -> Result<List<Category>, ApiError> {
    let viewer = creator.into_inner();
    let page = query.page.check()?;
    let search = crate::content::search_words("search", query.search, 200)?;
    let space = Space::of(query.organization_id, &viewer.user.id);
    let (items, total) = categories::list(
        state.ctx(),
        &viewer.user.id,
        &space,
        search.as_deref(),
        page,
    )
    .await?;
    Ok(List::new(items, page, total))
}

/// Adds a category; its slug comes from the name, made unique in the space
/// with `-2`, `-3`, … . The organisation's owner, admins and creators may.
#[utoipa::path(post,
    path = "/api/categories",
    tag = "categories",
    security(("session" = [])),
    params(("organizationId" = Option<Uuid>, Query, description = "The organisation; the caller's personal space without it")),
    request_body = NewCategory,
    responses(
        (status = 201, description = "Created", body = DataEnvelope<Category>),
        (status = 403, description = "Not a publisher in the organisation", body = ErrorEnvelope)))]
pub async fn create_category(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Query(query): Query<SpaceQuery>,
    Json(input): Json<NewCategory>,
) -> Result<Created<Category>, ApiError> {
    let viewer = creator.into_inner();
    let space = Space::of(query.organization_id, &viewer.user.id);
    Ok(Created(
        categories::create(state.ctx(), &viewer.user.id, &space, &input).await?,
    ))
}

/// Renames a category or changes its description, icon or place (the
/// organisation's owner and admins).
#[utoipa::path(patch,
    path = "/api/categories/{id}",
    tag = "categories",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The category's id"),
        ("organizationId" = Option<Uuid>, Query, description = "The organisation; the caller's personal space without it")),
    request_body = CategoryChanges,
    responses(
        (status = 200, description = "Updated", body = DataEnvelope<Category>),
        (status = 403, description = "Not a manager of the organisation", body = ErrorEnvelope)))]
pub async fn update_category(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
    Query(query): Query<SpaceQuery>,
    Json(changes): Json<CategoryChanges>,
) -> Result<Data<Category>, ApiError> {
    let viewer = creator.into_inner();
    let space = Space::of(query.organization_id, &viewer.user.id);
    Ok(Data(
        categories::update(state.ctx(), &viewer.user.id, &space, id, &changes).await?,
    ))
}

/// Deletes a category: its content stays, outside it.
#[utoipa::path(delete,
    path = "/api/categories/{id}",
    tag = "categories",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The category's id"),
        ("organizationId" = Option<Uuid>, Query, description = "The organisation; the caller's personal space without it")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_category(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
    Query(query): Query<SpaceQuery>,
) -> Result<Response, ApiError> {
    let viewer = creator.into_inner();
    let space = Space::of(query.organization_id, &viewer.user.id);
    categories::delete(state.ctx(), &viewer.user.id, &space, id).await?;
    Ok(no_content())
}

/// The multipart body of a cover upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CoverForm {
    /// PNG, JPEG, WebP or GIF, at most 5 MB and 16.7 megapixels; re-encoded
    /// to WebP 200, 400 and 800 px wide, without its metadata.
    #[schema(value_type = String, format = Binary)]
    cover: Vec<u8>,
}

/// The largest cover request: the picture plus the multipart framing.
pub const MAX_COVER_BODY: usize = categories::MAX_COVER + 64 * 1024;

/// Uploads the category's cover (multipart field `cover`); those who may
/// change the category may.
#[utoipa::path(post,
    path = "/api/categories/{id}/cover",
    tag = "categories",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The category's id"),
        ("organizationId" = Option<Uuid>, Query, description = "The organisation; the caller's personal space without it")),
    request_body(content = CoverForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Stored", body = DataEnvelope<Cover>),
        (status = 400, description = "No `cover` field, over 5 MB, or not a picture", body = ErrorEnvelope),
        (status = 403, description = "Not a manager of the organisation", body = ErrorEnvelope)))]
pub async fn upload_category_cover(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
    Query(query): Query<SpaceQuery>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Data<Cover>, ApiError> {
    let viewer = creator.into_inner();
    let space = Space::of(query.organization_id, &viewer.user.id);
    let bytes = read_file(multipart, "cover", categories::MAX_COVER).await?;
    Ok(Data(
        categories::replace_cover(state.ctx(), &viewer.user.id, &space, id, &bytes).await?,
    ))
}

/// Removes the category's cover.
#[utoipa::path(delete,
    path = "/api/categories/{id}/cover",
    tag = "categories",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The category's id"),
        ("organizationId" = Option<Uuid>, Query, description = "The organisation; the caller's personal space without it")),
    responses((status = 204, description = "Removed")))]
pub async fn remove_category_cover(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
    Query(query): Query<SpaceQuery>,
) -> Result<Response, ApiError> {
    let viewer = creator.into_inner();
    let space = Space::of(query.organization_id, &viewer.user.id);
    categories::remove_cover(state.ctx(), &viewer.user.id, &space, id).await?;
    Ok(no_content())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reorder {
    /// 1 to 200 different categories of the space, first to last.
    pub ordered_ids: Vec<Uuid>,
}

/// Puts the categories in the order given.
#[utoipa::path(post,
    path = "/api/categories/reorder",
    tag = "categories",
    security(("session" = [])),
    params(("organizationId" = Option<Uuid>, Query, description = "The organisation; the caller's personal space without it")),
    request_body = Reorder,
    responses((status = 204, description = "Reordered")))]
pub async fn reorder_categories(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Query(query): Query<SpaceQuery>,
    Json(body): Json<Reorder>,
) -> Result<Response, ApiError> {
    let viewer = creator.into_inner();
    let space = Space::of(query.organization_id, &viewer.user.id);
    categories::reorder(state.ctx(), &viewer.user.id, &space, &body.ordered_ids).await?;
    Ok(no_content())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicQuery {
    org_id: Option<Uuid>,
}

/// An organisation's categories as its storefront lists them: a plain
/// array, in their order. No session needed.
#[utoipa::path(get,
    path = "/api/content/public/categories",
    tag = "categories",
    params(("orgId" = Uuid, Query, description = "The organisation")),
    responses((status = 200, description = "The organisation's categories", body = DataEnvelope<Vec<PublicCategory>>)))]
pub async fn public_categories(
    State(state): State<AppState>,
    Query(query): Query<PublicQuery>,
) -> Result<Data<Vec<PublicCategory>>, ApiError> {
    let Some(organization_id) = query.org_id else {
        return Err(ApiError::invalid_fields([("orgId", "is required")]));
    };
    Ok(Data(
        categories::public_of(state.ctx(), organization_id).await?,
    ))
}
