//! Organisation settings and platform settings routes.

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use codex_errors::ApiError;
use codex_flows::intro_video;
use codex_http_kit::AppState;
use codex_http_kit::extract::Json;
use codex_http_kit::openapi::{DataEnvelope, ErrorEnvelope};
use codex_http_kit::respond::Data;
use codex_http_kit::upload::read_file;
use codex_orgs::intro_video::IntroVideoStatus;
use codex_orgs::settings::{
    self as rules, AllSettings, Branding, BrandingChanges, Contact, ContactChanges, FeatureChanges,
    Features, MAX_LOGO,
};
use codex_platform::{PlatformChanges, PlatformSettings};
use codex_policy::{OrgManager, OrgMember, PlatformOwner};
use serde::Deserialize;
use uuid::Uuid;

/// The largest request body: the logo plus the multipart framing.
pub const MAX_BODY: usize = MAX_LOGO + 64 * 1024;

#[utoipa::path(get,
    path = "/api/organizations/{id}/settings",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    responses((status = 200, description = "Branding, contact and features", body = DataEnvelope<AllSettings>)))]
pub async fn all(
    State(state): State<AppState>,
    manager: OrgManager,
) -> Result<Data<AllSettings>, ApiError> {
    Ok(Data(
        rules::all(state.ctx(), manager.organization_id).await?,
    ))
}
#[utoipa::path(get,
    path = "/api/organizations/{id}/settings/branding",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    responses((status = 200, description = "The branding", body = DataEnvelope<Branding>)))]
pub async fn branding(
    State(state): State<AppState>,
    manager: OrgManager,
) -> Result<Data<Branding>, ApiError> {
    Ok(Data(
        rules::branding(state.ctx(), manager.organization_id).await?,
    ))
}

#[utoipa::path(put,
    path = "/api/organizations/{id}/settings/branding",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    request_body = BrandingChanges,
    responses((status = 200, description = "The branding after the change", body = DataEnvelope<Branding>)))]
pub async fn update_branding(
    State(state): State<AppState>,
    manager: OrgManager,
    Json(changes): Json<BrandingChanges>,
) -> Result<Data<Branding>, ApiError> {
    Ok(Data(
        rules::update_branding(state.ctx(), manager.organization_id, changes).await?,
    ))
}

#[utoipa::path(get,
    path = "/api/organizations/{id}/settings/contact",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    responses((status = 200, description = "The contact settings", body = DataEnvelope<Contact>)))]
pub async fn contact(
    State(state): State<AppState>,
    manager: OrgManager,
) -> Result<Data<Contact>, ApiError> {
    Ok(Data(
        rules::contact(state.ctx(), manager.organization_id).await?,
    ))
}

#[utoipa::path(put,
    path = "/api/organizations/{id}/settings/contact",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    request_body = ContactChanges,
    responses((status = 200, description = "The contact settings after the change", body = DataEnvelope<Contact>)))]
pub async fn update_contact(
    State(state): State<AppState>,
    manager: OrgManager,
    Json(changes): Json<ContactChanges>,
) -> Result<Data<Contact>, ApiError> {
    Ok(Data(
        rules::update_contact(state.ctx(), manager.organization_id, changes).await?,
    ))
}

#[utoipa::path(get,
    path = "/api/organizations/{id}/settings/features",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    responses((status = 200, description = "The feature switches", body = DataEnvelope<Features>)))]
pub async fn features(
    State(state): State<AppState>,
    manager: OrgManager,
) -> Result<Data<Features>, ApiError> {
    Ok(Data(
        rules::features(state.ctx(), manager.organization_id).await?,
    ))
}

#[utoipa::path(put,
    path = "/api/organizations/{id}/settings/features",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    request_body = FeatureChanges,
    responses((status = 200, description = "The feature switches after the change", body = DataEnvelope<Features>)))]
pub async fn update_features(
    State(state): State<AppState>,
    manager: OrgManager,
    Json(changes): Json<FeatureChanges>,
) -> Result<Data<Features>, ApiError> {
    Ok(Data(
        rules::update_features(state.ctx(), manager.organization_id, changes).await?,
    ))
}

/// The multipart body of a logo upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct LogoForm {
    /// PNG, JPEG, WebP or SVG, at most 5 MB; SVG is sanitised.
    #[schema(value_type = String, format = Binary)]
    logo: Vec<u8>,
}

/// Uploads the organisation's logo (multipart field `logo`).
// The rules: `codex_orgs::settings::replace_logo`.
#[utoipa::path(post,
    path = "/api/organizations/{id}/settings/branding/logo",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    request_body(content = LogoForm, content_type = "multipart/form-data"),
    responses((status = 200, description = "The branding with the new logo", body = DataEnvelope<Branding>)))]
pub async fn upload_logo(
    State(state): State<AppState>,
    manager: OrgManager,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Data<Branding>, ApiError> {
    let bytes = read_file(multipart, "logo", MAX_LOGO).await?;
    Ok(Data(
        rules::replace_logo(state.ctx(), manager.organization_id, bytes).await?,
    ))
}

#[utoipa::path(delete,
    path = "/api/organizations/{id}/settings/branding/logo",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    responses((status = 200, description = "The branding without a logo", body = DataEnvelope<Branding>)))]
pub async fn remove_logo(
    State(state): State<AppState>,
    manager: OrgManager,
) -> Result<Data<Branding>, ApiError> {
    Ok(Data(
        rules::remove_logo(state.ctx(), manager.organization_id).await?,
    ))
}

/// Where the intro video stands; any member may ask (the brand editor
/// polls it).
#[utoipa::path(get,
    path = "/api/organizations/{id}/settings/branding/intro-video/status",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    responses((status = 200, description = "Where the intro video stands", body = DataEnvelope<IntroVideoStatus>)))]
pub async fn intro_video_status(
    State(state): State<AppState>,
    member: OrgMember,
) -> Result<Data<IntroVideoStatus>, ApiError> {
    Ok(Data(
        intro_video::status(state.ctx(), member.organization_id).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IntroVideoBody {
    media_item_id: String,
}

/// Links one of the manager's own videos from the media library as the
/// intro video; it plays once it is ready.
// The rules: `codex_flows::intro_video`.
#[utoipa::path(post,
    path = "/api/organizations/{id}/settings/branding/intro-video",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    request_body = IntroVideoBody,
    responses(
        (status = 200, description = "The branding with the intro video", body = DataEnvelope<Branding>),
        (status = 403, description = "The media item is not the manager's own", body = ErrorEnvelope),
        (status = 404, description = "No such media item", body = ErrorEnvelope),
        (status = 422, description = "The media item is not a video", body = ErrorEnvelope)))]
pub async fn link_intro_video(
    State(state): State<AppState>,
    manager: OrgManager,
    Json(body): Json<IntroVideoBody>,
) -> Result<Data<Branding>, ApiError> {
    let media_item_id = Uuid::parse_str(body.media_item_id.trim())
        .map_err(|_| ApiError::invalid_fields([("mediaItemId", "Invalid ID format")]))?;
    Ok(Data(
        intro_video::link(
            state.ctx(),
            manager.organization_id,
            &manager.viewer.user.id,
            media_item_id,
        )
        .await?,
    ))
}

#[utoipa::path(delete,
    path = "/api/organizations/{id}/settings/branding/intro-video",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    responses((status = 200, description = "The branding without an intro video", body = DataEnvelope<Branding>)))]
pub async fn remove_intro_video(
    State(state): State<AppState>,
    manager: OrgManager,
) -> Result<Data<Branding>, ApiError> {
    Ok(Data(
        codex_orgs::intro_video::remove(state.ctx(), manager.organization_id).await?,
    ))
}

/// Public: anyone may read the platform settings.
#[utoipa::path(get,
    path = "/api/platform/settings",
    tag = "org",
    security(()),
    responses((status = 200, description = "The platform's settings", body = DataEnvelope<PlatformSettings>)))]
pub async fn platform(State(state): State<AppState>) -> Result<Data<PlatformSettings>, ApiError> {
    Ok(Data(codex_platform::current(state.ctx()).await?))
}

#[utoipa::path(put,
    path = "/api/platform/settings",
    tag = "org",
    security(("session" = [])),
    request_body = PlatformChanges,
    responses((status = 200, description = "The platform's settings after the change (platform owner only)", body = DataEnvelope<PlatformSettings>)))]
pub async fn update_platform(
    State(state): State<AppState>,
    owner: PlatformOwner,
    Json(changes): Json<PlatformChanges>,
) -> Result<Data<PlatformSettings>, ApiError> {
    let viewer = owner.into_inner();
    Ok(Data(
        codex_platform::update(state.ctx(), &viewer.user.id, changes).await?,
    ))
}
