//! The creator onboarding state (`/api/user/creator-onboarding`); the rules
//! live in `codex_accounts::onboarding`.

use axum::extract::State;
use codex_accounts::onboarding::{self, Onboarding, OnboardingChanges};
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::extract::Json;
use codex_http_kit::openapi::DataEnvelope;
use codex_http_kit::respond::Data;
use codex_policy::Viewer;

/// The caller's onboarding, made with the defaults on first read.
#[utoipa::path(get, path = "/api/user/creator-onboarding", tag = "identity",
    security(("session" = [])),
    responses((status = 200, description = "The caller's onboarding", body = DataEnvelope<Onboarding>)))]
pub async fn get(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
) -> Result<Data<Onboarding>, ApiError> {
    Ok(Data(onboarding::get(state.ctx(), &viewer.user.id).await?))
}

/// Moves to a step and/or records the welcome tour seen, dismissed or
/// completed.
#[utoipa::path(patch, path = "/api/user/creator-onboarding", tag = "identity",
    security(("session" = [])), request_body = OnboardingChanges,
    responses((status = 200, description = "The onboarding after the change", body = DataEnvelope<Onboarding>)))]
pub async fn update(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Json(changes): Json<OnboardingChanges>,
) -> Result<Data<Onboarding>, ApiError> {
    Ok(Data(
        onboarding::update(state.ctx(), &viewer.user.id, changes).await?,
    ))
}
