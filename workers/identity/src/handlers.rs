//! Profile, role upgrade, account deletion and e-mail preferences.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use codex_accounts::User;
use codex_accounts::profile::{self, NotificationPreferences, ProfileChanges};
use codex_accounts::user::SocialLinks;
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::extract::Json;
use codex_http_kit::openapi::DataEnvelope;
use codex_http_kit::respond::Data;
use codex_policy::{Viewer, cookie};
use serde::Deserialize;

#[utoipa::path(get, path = "/api/user/profile", tag = "identity",
    security(("session" = [])),
    responses((status = 200, description = "The caller's profile", body = DataEnvelope<User>)))]
pub async fn profile(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
) -> Result<Data<User>, ApiError> {
    Ok(Data(profile::get(state.ctx(), &viewer.user.id).await?))
}

/// Changes the caller's profile: a field left out is kept, `null` clears it.
#[utoipa::path(patch, path = "/api/user/profile", tag = "identity",
    security(("session" = [])), request_body = ProfileChanges,
    responses((status = 200, description = "The profile after the change", body = DataEnvelope<User>)))]
pub async fn update_profile(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Json(changes): Json<ProfileChanges>,
) -> Result<Data<User>, ApiError> {
    Ok(Data(
        profile::update(state.ctx(), &viewer.user.id, changes).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpgradeBody {
    username: String,
    bio: Option<String>,
    social_links: Option<SocialLinks>,
}

#[utoipa::path(post, path = "/api/user/upgrade-to-creator", tag = "identity",
    security(("session" = [])), request_body = UpgradeBody,
    responses((status = 200, description = "The user, now a creator", body = DataEnvelope<User>)))]
pub async fn upgrade_to_creator(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Json(body): Json<UpgradeBody>,
) -> Result<Data<User>, ApiError> {
    let user = profile::upgrade_to_creator(
        state.ctx(),
        &viewer.user.id,
        &body.username,
        body.bio.as_deref(),
        body.social_links.as_ref(),
    )
    .await?;
    Ok(Data(user))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteBody {
    confirmation: String,
}

/// Deletes the caller's account once they typed `DELETE`, and clears the
/// cookie.
// The rules: `codex_flows::account::delete`.
#[utoipa::path(delete, path = "/api/user/account", tag = "identity",
    security(("session" = [])), request_body = DeleteBody,
    responses((status = 204, description = "Deleted and signed out; the cookie is cleared")))]
pub async fn delete_account(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Json(body): Json<DeleteBody>,
) -> Result<Response, ApiError> {
    if body.confirmation != "DELETE" {
        return Err(ApiError::invalid_fields([(
            "confirmation",
            "must be the word DELETE",
        )]));
    }
    codex_flows::account::delete(state.ctx(), &viewer.user.id).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cookie::clear(state.config()))],
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/user/notification-preferences", tag = "identity",
    security(("session" = [])),
    responses((status = 200, description = "The caller's e-mail preferences", body = DataEnvelope<NotificationPreferences>)))]
pub async fn notification_preferences(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
) -> Result<Data<NotificationPreferences>, ApiError> {
    Ok(Data(
        profile::notification_preferences(state.ctx(), &viewer.user.id).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PreferencesBody {
    email_marketing: Option<bool>,
    email_digest: Option<bool>,
    email_transactional: Option<bool>,
}

#[utoipa::path(put, path = "/api/user/notification-preferences", tag = "identity",
    security(("session" = [])), request_body = PreferencesBody,
    responses((status = 200, description = "The preferences after the change", body = DataEnvelope<NotificationPreferences>)))]
pub async fn update_notification_preferences(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Json(body): Json<PreferencesBody>,
) -> Result<Data<NotificationPreferences>, ApiError> {
    if body.email_transactional == Some(false) {
        return Err(ApiError::invalid_fields([(
            "emailTransactional",
            "transactional e-mail (receipts, security notices) cannot be switched off",
        )]));
    }
    let preferences = profile::update_notification_preferences(
        state.ctx(),
        &viewer.user.id,
        body.email_marketing,
        body.email_digest,
    )
    .await?;
    Ok(Data(preferences))
}
