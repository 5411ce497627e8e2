//! Membership and invitation routes.

use axum::extract::State;
use axum::response::Response;
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::extract::{Json, Path, Query};
use codex_http_kit::respond::{Created, Data, List, no_content};
use codex_orgs::members::{self, Invitation, InvitationLinks, Member};
use codex_policy::{OrgManager, OrgMember, Viewer, deps};
use codex_validation::PageQuery;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
pub struct MembersQuery {
    #[serde(flatten)]
    page: PageQuery,
    role: Option<String>,
    status: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    member: OrgMember,
    Query(query): Query<MembersQuery>,
) -> Result<List<Member>, ApiError> {
    let page = query.page.check()?;
    let (items, total) = members::list(
        deps(&state),
        member.organization_id,
        page,
        query.role.as_deref(),
        query.status.as_deref(),
    )
    .await?;
    Ok(List::new(items, page, total))
}

pub async fn mine(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Path(id): Path<Uuid>,
) -> Result<Data<Value>, ApiError> {
    Ok(Data(
        members::my_membership(deps(&state), id, &viewer.user.id).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    manager: OrgManager,
    Path((_, user_id)): Path<(Uuid, String)>,
    Json(body): Json<RoleBody>,
) -> Result<Data<Member>, ApiError> {
    Ok(Data(
        members::change_role(deps(&state), manager.organization_id, &user_id, &body.role).await?,
    ))
}

pub async fn remove(
    State(state): State<AppState>,
    manager: OrgManager,
    Path((_, user_id)): Path<(Uuid, String)>,
) -> Result<Response, ApiError> {
    members::remove(deps(&state), manager.organization_id, &user_id).await?;
    Ok(no_content())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    email: String,
    role: String,
}

fn links(state: &AppState) -> InvitationLinks {
    let config = state.config();
    let base = config
        .web_app_url
        .clone()
        .unwrap_or_else(|| "http://localhost:5173".to_owned());
    InvitationLinks {
        accept_page: format!("{base}/accept-invite"),
    }
}

pub async fn invite(
    State(state): State<AppState>,
    manager: OrgManager,
    Json(body): Json<InviteBody>,
) -> Result<Created<Invitation>, ApiError> {
    let invitation = members::invite(
        deps(&state),
        &links(&state),
        manager.organization_id,
        &manager.viewer.user.id,
        &body.email,
        &body.role,
    )
    .await?;
    Ok(Created(invitation))
}

pub async fn pending(
    State(state): State<AppState>,
    manager: OrgManager,
    Query(query): Query<PageQuery>,
) -> Result<List<Invitation>, ApiError> {
    let page = query.check()?;
    let (items, total) = members::pending(deps(&state), manager.organization_id, page).await?;
    Ok(List::new(items, page, total))
}

pub async fn revoke(
    State(state): State<AppState>,
    manager: OrgManager,
    Path((_, invitation_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    members::revoke(deps(&state), manager.organization_id, invitation_id).await?;
    Ok(no_content())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    token: String,
}

pub async fn accept(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Json(body): Json<TokenBody>,
) -> Result<Data<Value>, ApiError> {
    let membership = members::respond(
        deps(&state),
        &body.token,
        &viewer.user.id,
        &viewer.user.email,
        true,
    )
    .await?
    .ok_or_else(|| ApiError::internal("accepting returned no membership"))?;
    Ok(Data(membership))
}

pub async fn decline(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Json(body): Json<TokenBody>,
) -> Result<Response, ApiError> {
    members::respond(
        deps(&state),
        &body.token,
        &viewer.user.id,
        &viewer.user.email,
        false,
    )
    .await?;
    Ok(no_content())
}
