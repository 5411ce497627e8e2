//! Content (`/api/content`; rules in `codex_content`): the studio's routes,
//! scoped to the caller's own content, and the public listings of what is
//! published.

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use codex_content::model::{AccessType, Content, ContentStatus, ContentType};
use codex_content::public::{self, PublicContent, PublicFilter, PublicSort};
use codex_content::rules::{ContentChanges, NewContent};
use codex_content::studio::{self, ListFilter, SortBy, SortOrder};
use codex_content::thumbnail;
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::extract::{Json, Path, Query};
use codex_http_kit::openapi::{DataEnvelope, ErrorEnvelope, ListEnvelope};
use codex_http_kit::respond::{Created, Data, List, no_content};
use codex_http_kit::upload::read_file;
use codex_policy::{Creators, RoleIn, Viewer};
use codex_validation::{Page, PageQuery};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most items a public listing gives at once.
const MAX_PUBLIC_PAGE: u32 = 50;

/// Creates a draft. Video and audio name one of the caller's media items of
/// that kind (it need not be ready yet); content in an organisation needs
/// the caller to be its owner, an admin or a creator there.
#[utoipa::path(post,
    path = "/api/content",
    tag = "content",
    security(("session" = [])),
    request_body = NewContent,
    responses(
        (status = 201, description = "Created as a draft", body = DataEnvelope<Content>),
        (status = 403, description = "Not a publisher in the organisation", body = ErrorEnvelope),
        (status = 404, description = "No such media item of the caller's", body = ErrorEnvelope),
        (status = 409, description = "The slug is taken (`details.field` is `slug`)", body = ErrorEnvelope),
        (status = 422, description = "The media item is of another kind, or the tier does not exist", body = ErrorEnvelope)))]
pub async fn create_content(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Json(input): Json<NewContent>,
) -> Result<Created<Content>, ApiError> {
    let viewer = creator.into_inner();
    Ok(Created(
        studio::create(state.ctx(), &viewer.user.id, input).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    #[serde(flatten)]
    page: PageQuery,
    status: Option<ContentStatus>,
    content_type: Option<ContentType>,
    access_type: Option<AccessType>,
    organization_id: Option<Uuid>,
    search: Option<String>,
    slug: Option<String>,
    category: Option<String>,
    #[serde(default)]
    sort_by: SortBy,
    #[serde(default)]
    sort_order: SortOrder,
}

/// Most pieces one batch look-up may name.
const MAX_IDS: usize = 100;

/// The repeated `id` parameters of a query string (`?id=a&id=b`): none
/// when there is none; each must be a UUID, and at most [`MAX_IDS`].
fn repeated_ids(raw: Option<&str>) -> Result<Option<Vec<Uuid>>, ApiError> {
    let mut ids = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if key == "id" {
            let id = Uuid::parse_str(value.trim())
                .map_err(|_| ApiError::invalid_fields([("id", "must be a UUID")]))?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    if ids.len() > MAX_IDS {
        return Err(ApiError::invalid_fields([(
            "id",
            format!("at most {MAX_IDS} ids at once"),
        )]));
    }
    Ok((!ids.is_empty()).then_some(ids))
}

/// Words to search for: none when absent or blank, else one line of at
/// most `max` characters.
pub(crate) fn search_words(
    field: &'static str,
    search: Option<String>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match search.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(words) => codex_validation::required_text(field, words, max).map(Some),
    }
}

/// The caller's own content, drafts included (the studio's list).
#[utoipa::path(get,
    path = "/api/content",
    tag = "content",
    security(("session" = [])),
    params(("page" = Option<u32>, Query, description = "1..=1000, default 1"), ("limit" = Option<u32>, Query, description = "1..=100, default 20"),
        ("status" = inline(Option<ContentStatus>), Query), ("contentType" = inline(Option<ContentType>), Query),
        ("accessType" = inline(Option<AccessType>), Query), ("organizationId" = Option<Uuid>, Query),
        ("search" = Option<String>, Query, description = "Words in the title or description, at most 255 characters"),
        ("slug" = Option<String>, Query), ("category" = Option<String>, Query),
        ("id" = Option<Vec<Uuid>>, Query, explode = true, description = "Only these pieces: repeat it (`?id=a&id=b`), at most 100"),
        ("sortBy" = inline(Option<SortBy>), Query), ("sortOrder" = inline(Option<SortOrder>), Query)),
    responses((status = 200, description = "A page of the caller's content", body = ListEnvelope<Content>)))]
pub async fn list_content(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Query(query): Query<ListQuery>,
    RawQuery(raw): RawQuery,
) -> Result<List<Content>, ApiError> {
    let page = query.page.check()?;
    let ids = repeated_ids(raw.as_deref())?;
    let filter = ListFilter {
        status: query.status,
        content_type: query.content_type,
        access_type: query.access_type,
        organization_id: query.organization_id,
        search: search_words("search", query.search, 255)?,
        slug: query.slug.map(|slug| slug.trim().to_lowercase()),
        category: query.category,
        ids,
        sort_by: query.sort_by,
        sort_order: query.sort_order,
    };
    let (items, total) = studio::list(state.ctx(), &viewer.user.id, page, &filter).await?;
    Ok(List::new(items, page, total))
}

#[utoipa::path(get,
    path = "/api/content/{id}",
    tag = "content",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The content's id")),
    responses((status = 200, description = "The caller's content with its media item, organisation and creator", body = DataEnvelope<Content>)))]
pub async fn get_content(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Path(id): Path<Uuid>,
) -> Result<Data<Content>, ApiError> {
    Ok(Data(studio::get(state.ctx(), &viewer.user.id, id).await?))
}

/// Changes any of the fields a creator writes; the result is held to the
/// rules a new piece meets, and published content must stay publishable.
#[utoipa::path(patch,
    path = "/api/content/{id}",
    tag = "content",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The content's id")),
    request_body = ContentChanges,
    responses(
        (status = 200, description = "Updated", body = DataEnvelope<Content>),
        (status = 409, description = "The slug is taken", body = ErrorEnvelope)))]
pub async fn update_content(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
    Json(changes): Json<ContentChanges>,
) -> Result<Data<Content>, ApiError> {
    let viewer = creator.into_inner();
    Ok(Data(
        studio::update(state.ctx(), &viewer.user.id, id, changes).await?,
    ))
}

/// Soft-deletes the content: it leaves every listing and frees its slug.
#[utoipa::path(delete,
    path = "/api/content/{id}",
    tag = "content",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The content's id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_content(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let viewer = creator.into_inner();
    studio::delete(state.ctx(), &viewer.user.id, id).await?;
    Ok(no_content())
}

/// What a thumbnail upload answers: the `md` file (400 px wide, WebP);
/// `sm.webp` and `lg.webp` are beside it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadedThumbnail {
    thumbnail_url: String,
    size: usize,
    mime_type: String,
}

/// The multipart body of a thumbnail upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ThumbnailForm {
    /// PNG, JPEG, WebP or GIF, at most 5 MB and 16.7 megapixels; re-encoded
    /// to WebP 200, 400 and 800 px wide, without its metadata.
    #[schema(value_type = String, format = Binary)]
    thumbnail: Vec<u8>,
}

/// The largest thumbnail request: the picture plus the multipart framing.
pub const MAX_THUMBNAIL_BODY: usize = thumbnail::MAX_THUMBNAIL + 64 * 1024;

/// Uploads the content's thumbnail (multipart field `thumbnail`); the
/// content's `thumbnailUrl` becomes it.
#[utoipa::path(post,
    path = "/api/content/{id}/thumbnail",
    tag = "content",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The content's id")),
    request_body(content = ThumbnailForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Stored", body = DataEnvelope<UploadedThumbnail>),
        (status = 400, description = "No `thumbnail` field, over 5 MB, or not a picture", body = ErrorEnvelope),
        (status = 404, description = "No such content of the caller's", body = ErrorEnvelope)))]
pub async fn upload_thumbnail(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Data<UploadedThumbnail>, ApiError> {
    let viewer = creator.into_inner();
    let bytes = read_file(multipart, "thumbnail", thumbnail::MAX_THUMBNAIL).await?;
    let stored = thumbnail::replace(state.ctx(), &viewer.user.id, id, &bytes).await?;
    Ok(Data(UploadedThumbnail {
        thumbnail_url: stored.url,
        size: stored.size,
        mime_type: stored.content_type,
    }))
}

/// Removes the content's thumbnail.
#[utoipa::path(delete,
    path = "/api/content/{id}/thumbnail",
    tag = "content",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The content's id")),
    responses((status = 204, description = "Removed")))]
pub async fn remove_thumbnail(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let viewer = creator.into_inner();
    thumbnail::remove(state.ctx(), &viewer.user.id, id).await?;
    Ok(no_content())
}

/// Publishes the content: video and audio need their media item `ready`.
/// Publishing published content answers it unchanged.
#[utoipa::path(post,
    path = "/api/content/{id}/publish",
    tag = "content",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The content's id")),
    responses(
        (status = 200, description = "Published", body = DataEnvelope<Content>),
        (status = 422, description = "No media item, or it is not ready (`details.code` `MEDIA_NOT_READY`)", body = ErrorEnvelope)))]
pub async fn publish_content(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
) -> Result<Data<Content>, ApiError> {
    let viewer = creator.into_inner();
    Ok(Data(
        studio::publish(state.ctx(), &viewer.user.id, id).await?,
    ))
}

/// Takes the content back to draft.
#[utoipa::path(post,
    path = "/api/content/{id}/unpublish",
    tag = "content",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The content's id")),
    responses((status = 200, description = "A draft again", body = DataEnvelope<Content>)))]
pub async fn unpublish_content(
    State(state): State<AppState>,
    creator: RoleIn<Creators>,
    Path(id): Path<Uuid>,
) -> Result<Data<Content>, ApiError> {
    let viewer = creator.into_inner();
    Ok(Data(
        studio::unpublish(state.ctx(), &viewer.user.id, id).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlugQuery {
    organization_id: Option<Uuid>,
    exclude_content_id: Option<Uuid>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SlugAvailability {
    pub available: bool,
}

/// Whether a slug is free in the organisation, or in the caller's personal
/// space without one.
#[utoipa::path(get,
    path = "/api/content/check-slug/{slug}",
    tag = "content",
    security(("session" = [])),
    params(("slug" = String, Path, description = "The slug to check"),
        ("organizationId" = Option<Uuid>, Query), ("excludeContentId" = Option<Uuid>, Query, description = "The content being edited")),
    responses((status = 200, description = "Whether it is free", body = DataEnvelope<SlugAvailability>)))]
pub async fn check_content_slug(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Path(slug): Path<String>,
    Query(query): Query<SlugQuery>,
) -> Result<Data<SlugAvailability>, ApiError> {
    let available = studio::slug_available(
        state.ctx(),
        &viewer.user.id,
        &slug,
        query.organization_id,
        query.exclude_content_id,
    )
    .await?;
    Ok(Data(SlugAvailability { available }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicQuery {
    #[serde(flatten)]
    page: PageQuery,
    org_id: Option<Uuid>,
    /// `browse` names the organisation so.
    organization_id: Option<Uuid>,
    slug: Option<String>,
    content_type: Option<ContentType>,
    category: Option<String>,
    search: Option<String>,
    #[serde(default)]
    sort: PublicSort,
    creator_id: Option<String>,
    featured: Option<String>,
}

impl PublicQuery {
    fn checked(self) -> Result<(Page, PublicFilter), ApiError> {
        let mut page = self.page.check()?;
        page.limit = page.limit.min(MAX_PUBLIC_PAGE);
        let featured = match self.featured.as_deref() {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => {
                return Err(ApiError::invalid_fields([(
                    "featured",
                    "must be true or false",
                )]));
            }
        };
        let category = match self.category {
            Some(category)
                if category.is_empty()
                    || category.chars().count() > 120
                    || !category.chars().all(|c| c.is_alphanumeric() || c == '-') =>
            {
                return Err(ApiError::invalid_fields([(
                    "category",
                    "must be a category's slug",
                )]));
            }
            category => category,
        };
        let slug = match self.slug {
            Some(slug) => Some(codex_content::rules::slug("slug", &slug)?),
            None => None,
        };
        Ok((
            page,
            PublicFilter {
                organization_id: self.org_id.or(self.organization_id),
                slug,
                content_type: self.content_type,
                category,
                search: search_words("search", self.search, 255)?,
                creator_id: self.creator_id,
                featured,
                sort: self.sort,
            },
        ))
    }
}

/// A public listing's answer: may be cached by browsers and the CDN for a
/// minute.
struct PublicList(List<PublicContent>);

impl IntoResponse for PublicList {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60, s-maxage=60"),
        );
        response
    }
}

/// Published content of an organisation (`orgId`) or by slug (`slug`;
/// one of the two is required): what a storefront lists. No session
/// needed; the body of content that is not free is left out.
#[utoipa::path(get,
    path = "/api/content/public",
    tag = "content",
    params(("page" = Option<u32>, Query, description = "1..=1000, default 1"), ("limit" = Option<u32>, Query, description = "1..=50, default 20"),
        ("orgId" = Option<Uuid>, Query), ("slug" = Option<String>, Query, description = "The content's slug"),
        ("contentType" = inline(Option<ContentType>), Query), ("category" = Option<String>, Query, description = "A category's slug"),
        ("search" = Option<String>, Query), ("sort" = inline(Option<PublicSort>), Query),
        ("creatorId" = Option<String>, Query), ("featured" = Option<bool>, Query)),
    responses((status = 200, description = "A page of published content", body = ListEnvelope<PublicContent>)))]
pub async fn public_content(
    State(state): State<AppState>,
    Query(query): Query<PublicQuery>,
) -> Result<Response, ApiError> {
    let (page, filter) = query.checked()?;
    if filter.organization_id.is_none() && filter.slug.is_none() {
        return Err(ApiError::invalid_fields([("orgId", "give orgId or slug")]));
    }
    let (items, total) = public::published(state.ctx(), page, &filter).await?;
    Ok(PublicList(List::new(items, page, total)).into_response())
}

/// Published content across the platform.
#[utoipa::path(get,
    path = "/api/content/public/discover",
    tag = "content",
    params(("page" = Option<u32>, Query, description = "1..=1000, default 1"), ("limit" = Option<u32>, Query, description = "1..=50, default 20"),
        ("contentType" = inline(Option<ContentType>), Query), ("search" = Option<String>, Query),
        ("sort" = inline(Option<PublicSort>), Query)),
    responses((status = 200, description = "A page of published content", body = ListEnvelope<PublicContent>)))]
pub async fn discover_content(
    State(state): State<AppState>,
    Query(query): Query<PublicQuery>,
) -> Result<Response, ApiError> {
    let (page, filter) = query.checked()?;
    let (items, total) = public::published(state.ctx(), page, &filter).await?;
    Ok(PublicList(List::new(items, page, total)).into_response())
}

/// Published content of an organisation, for its explore page (signed in).
#[utoipa::path(get,
    path = "/api/content/browse",
    tag = "content",
    security(("session" = [])),
    params(("page" = Option<u32>, Query, description = "1..=1000, default 1"), ("limit" = Option<u32>, Query, description = "1..=50, default 20"),
        ("organizationId" = Uuid, Query), ("contentType" = inline(Option<ContentType>), Query),
        ("search" = Option<String>, Query), ("sort" = inline(Option<PublicSort>), Query)),
    responses((status = 200, description = "A page of the organisation's published content", body = ListEnvelope<PublicContent>)))]
pub async fn browse_content(
    State(state): State<AppState>,
    Viewer(_viewer): Viewer,
    Query(query): Query<PublicQuery>,
) -> Result<List<PublicContent>, ApiError> {
    let (page, filter) = query.checked()?;
    if filter.organization_id.is_none() {
        return Err(ApiError::invalid_fields([(
            "organizationId",
            "is required",
        )]));
    }
    let (items, total) = public::published(state.ctx(), page, &filter).await?;
    Ok(List::new(items, page, total))
}
