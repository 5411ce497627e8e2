//! Organisation settings and platform settings routes.

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::extract::Json;
use codex_http_kit::respond::Data;
use codex_http_kit::upload::{read_file, store_public};
use codex_orgs::settings::{
    self as rules, Branding, BrandingChanges, Contact, ContactChanges, FeatureChanges, Features,
    PlatformChanges, PlatformSettings,
};
use codex_orgs::svg;
use codex_policy::{OrgManager, PlatformOwner, deps};
use codex_validation::image::{self, ImageKind};
use serde_json::{Value, json};

/// The largest logo accepted.
pub const MAX_LOGO: usize = 5 * 1024 * 1024;
/// The largest request body: the logo plus the multipart framing.
pub const MAX_BODY: usize = MAX_LOGO + 64 * 1024;

pub async fn all(
    State(state): State<AppState>,
    manager: OrgManager,
) -> Result<Data<Value>, ApiError> {
    let id = manager.organization_id;
    let deps = deps(&state);
    Ok(Data(json!({
        "branding": rules::branding(deps, id).await?,
        "contact": rules::contact(deps, id).await?,
        "features": rules::features(deps, id).await?,
    })))
}

pub async fn branding(
    State(state): State<AppState>,
    manager: OrgManager,
) -> Result<Data<Branding>, ApiError> {
    Ok(Data(
        rules::branding(deps(&state), manager.organization_id).await?,
    ))
}

pub async fn update_branding(
    State(state): State<AppState>,
    manager: OrgManager,
    Json(changes): Json<BrandingChanges>,
) -> Result<Data<Branding>, ApiError> {
    Ok(Data(
        rules::update_branding(deps(&state), manager.organization_id, changes).await?,
    ))
}

pub async fn contact(
    State(state): State<AppState>,
    manager: OrgManager,
) -> Result<Data<Contact>, ApiError> {
    Ok(Data(
        rules::contact(deps(&state), manager.organization_id).await?,
    ))
}

pub async fn update_contact(
    State(state): State<AppState>,
    manager: OrgManager,
    Json(changes): Json<ContactChanges>,
) -> Result<Data<Contact>, ApiError> {
    Ok(Data(
        rules::update_contact(deps(&state), manager.organization_id, changes).await?,
    ))
}

pub async fn features(
    State(state): State<AppState>,
    manager: OrgManager,
) -> Result<Data<Features>, ApiError> {
    Ok(Data(
        rules::features(deps(&state), manager.organization_id).await?,
    ))
}

pub async fn update_features(
    State(state): State<AppState>,
    manager: OrgManager,
    Json(changes): Json<FeatureChanges>,
) -> Result<Data<Features>, ApiError> {
    Ok(Data(
        rules::update_features(deps(&state), manager.organization_id, changes).await?,
    ))
}

/// A logo: PNG, JPEG or WebP judged by content, or an SVG document, which
/// is stored only in its sanitised form.
pub async fn upload_logo(
    State(state): State<AppState>,
    manager: OrgManager,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Data<Branding>, ApiError> {
    let bytes = read_file(multipart, "logo", MAX_LOGO).await?;
    let (bytes, mime_type, extension) = match image::sniff(&bytes) {
        Some(kind @ (ImageKind::Png | ImageKind::Jpeg | ImageKind::Webp)) => {
            (bytes, kind.mime_type(), kind.extension())
        }
        _ => match svg::sanitise(&bytes) {
            Some(clean) => (clean, "image/svg+xml", "svg"),
            None => {
                return Err(ApiError::invalid_fields([(
                    "logo",
                    "File 'logo' has invalid type: expected a PNG, JPEG, WebP or SVG image",
                )]));
            }
        },
    };
    let id = manager.organization_id;
    let stored = store_public(&state, &format!("logos/{id}"), bytes, mime_type, extension).await?;
    let (branding, previous) =
        rules::set_logo(deps(&state), id, Some((&stored.url, &stored.key))).await?;
    delete_object(&state, previous).await;
    Ok(Data(branding))
}

pub async fn remove_logo(
    State(state): State<AppState>,
    manager: OrgManager,
) -> Result<Data<Branding>, ApiError> {
    let (branding, previous) = rules::set_logo(deps(&state), manager.organization_id, None).await?;
    delete_object(&state, previous).await;
    Ok(Data(branding))
}

/// A replaced file is deleted; a failure is logged, as nothing points at it.
async fn delete_object(state: &AppState, key: Option<String>) {
    if let Some(key) = key
        && let Err(error) = state.objects().delete(&key).await
    {
        tracing::warn!(%error, "could not delete a replaced logo");
    }
}

/// Public: anyone may read the platform settings.
pub async fn platform(State(state): State<AppState>) -> Result<Data<PlatformSettings>, ApiError> {
    Ok(Data(rules::platform(deps(&state)).await?))
}

pub async fn update_platform(
    State(state): State<AppState>,
    owner: PlatformOwner,
    Json(changes): Json<PlatformChanges>,
) -> Result<Data<PlatformSettings>, ApiError> {
    let viewer = owner.into_inner();
    Ok(Data(
        rules::update_platform(deps(&state), &viewer.user.id, changes).await?,
    ))
}
