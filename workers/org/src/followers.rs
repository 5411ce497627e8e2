//! Following an organisation (rules in `codex_orgs::followers`).

use axum::extract::State;
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::extract::Path;
use codex_http_kit::openapi::{DataEnvelope, NullEnvelope};
use codex_http_kit::respond::{Created, Data};
use codex_orgs::followers::{self, FollowerCount, FollowingStatus};
use codex_policy::Viewer;
use uuid::Uuid;

/// 201 `{"data": null}`, however often it is asked.
#[utoipa::path(post,
    path = "/api/organizations/{id}/followers",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    responses((status = 201, description = "Following (idempotent)", body = NullEnvelope)))]
pub async fn follow(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Path(id): Path<Uuid>,
) -> Result<Created<()>, ApiError> {
    followers::follow(state.ctx(), id, &viewer.user.id).await?;
    Ok(Created(()))
}

/// 200 `{"data": null}`, whether or not the caller followed.
#[utoipa::path(delete,
    path = "/api/organizations/{id}/followers",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    responses((status = 200, description = "Not following (idempotent)", body = NullEnvelope)))]
pub async fn unfollow(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Path(id): Path<Uuid>,
) -> Result<Data<()>, ApiError> {
    followers::unfollow(state.ctx(), id, &viewer.user.id).await?;
    Ok(Data(()))
}

#[utoipa::path(get,
    path = "/api/organizations/{id}/followers/me",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    responses((status = 200, description = "Whether the caller follows the organisation", body = DataEnvelope<FollowingStatus>)))]
pub async fn me(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Path(id): Path<Uuid>,
) -> Result<Data<FollowingStatus>, ApiError> {
    Ok(Data(
        followers::status(state.ctx(), id, &viewer.user.id).await?,
    ))
}

/// Public: anyone may read how many follow an organisation.
#[utoipa::path(get,
    path = "/api/organizations/{id}/followers/count",
    tag = "org",
    security((), ("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    responses((status = 200, description = "How many follow the organisation", body = DataEnvelope<FollowerCount>)))]
pub async fn count(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> Result<Data<FollowerCount>, ApiError> {
    Ok(Data(followers::count(state.ctx(), id).await?))
}
