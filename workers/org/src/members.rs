//! Membership and invitation routes.

use axum::extract::State;
use axum::response::Response;
use codex_errors::ApiError;
use codex_flows::team::{self, Audience, TeamMember};
use codex_http_kit::AppState;
use codex_http_kit::extract::{Json, Path, Query};
use codex_http_kit::respond::{Created, Data, List, no_content};
use codex_orgs::members::{self, INVITABLE_ROLES, Invitation, MyMembership};
use codex_orgs::membership::{MemberRole, Membership};
use codex_policy::{OrgManager, OrgMember, Viewer};
use codex_validation::PageQuery;
use serde::Deserialize;
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
) -> Result<List<TeamMember>, ApiError> {
    let page = query.page.check()?;
    let role = query
        .role
        .as_deref()
        .map(|role| members::parse_role("role", role, &MemberRole::ALL))
        .transpose()?;
    let status = query
        .status
        .as_deref()
        .map(|status| members::parse_status("status", status))
        .transpose()?;
    let audience = if member.is_manager() {
        Audience::Manager
    } else {
        Audience::Member
    };
    let (items, total) = team::members(
        state.ctx(),
        member.organization_id,
        page,
        role,
        status,
        audience,
    )
    .await?;
    Ok(List::new(items, page, total))
}

pub async fn mine(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Path(id): Path<Uuid>,
) -> Result<Data<MyMembership>, ApiError> {
    Ok(Data(
        members::my_membership(state.ctx(), id, &viewer.user.id).await?,
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
) -> Result<Data<TeamMember>, ApiError> {
    let role = members::parse_role("role", &body.role, &MemberRole::ALL)?;
    let by_owner = manager.is_owner();
    Ok(Data(
        team::change_role(
            state.ctx(),
            manager.organization_id,
            &user_id,
            role,
            by_owner,
        )
        .await?,
    ))
}

pub async fn remove(
    State(state): State<AppState>,
    manager: OrgManager,
    Path((_, user_id)): Path<(Uuid, String)>,
) -> Result<Response, ApiError> {
    members::remove(
        state.ctx(),
        manager.organization_id,
        &user_id,
        manager.is_owner(),
    )
    .await?;
    Ok(no_content())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    email: String,
    role: String,
}

/// Invites an address: served at `POST …/invitations` and, under the
/// front end's name for it, `POST …/members/invite`.
pub async fn invite(
    State(state): State<AppState>,
    manager: OrgManager,
    Json(body): Json<InviteBody>,
) -> Result<Created<Invitation>, ApiError> {
    let role = members::parse_role("role", &body.role, &INVITABLE_ROLES)?;
    let invitation = team::invite(
        state.ctx(),
        manager.organization_id,
        &manager.viewer.user.id,
        &body.email,
        role,
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
    let (items, total) = members::pending(state.ctx(), manager.organization_id, page).await?;
    Ok(List::new(items, page, total))
}

pub async fn revoke(
    State(state): State<AppState>,
    manager: OrgManager,
    Path((_, invitation_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    members::revoke(state.ctx(), manager.organization_id, invitation_id).await?;
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
) -> Result<Data<Membership>, ApiError> {
    let membership = members::respond(
        state.ctx(),
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
        state.ctx(),
        &body.token,
        &viewer.user.id,
        &viewer.user.email,
        false,
    )
    .await?;
    Ok(no_content())
}
