//! Membership and invitation routes.

use axum::extract::State;
use axum::response::Response;
use codex_errors::ApiError;
use codex_flows::team::{self, Audience, TeamMember};
use codex_http_kit::AppState;
use codex_http_kit::extract::{Json, Path, Query};
use codex_http_kit::openapi::{DataEnvelope, ListEnvelope};
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

#[utoipa::path(get,
    path = "/api/organizations/{id}/members",
    operation_id = "list_members",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id"), ("page" = Option<u32>, Query, description = "1..=1000, default 1"), ("limit" = Option<u32>, Query, description = "1..=100, default 20"), ("role" = Option<String>, Query, description = "owner, admin, creator or member"), ("status" = Option<String>, Query, description = "active, inactive or invited")),
    responses((status = 200, description = "A page of the team; `email` only for managers", body = ListEnvelope<TeamMember>)))]
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

#[utoipa::path(get,
    path = "/api/organizations/{id}/members/my-membership",
    operation_id = "my_membership",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    responses((status = 200, description = "The caller's role; null unless an active member", body = DataEnvelope<MyMembership>)))]
pub async fn mine(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Path(id): Path<Uuid>,
) -> Result<Data<MyMembership>, ApiError> {
    Ok(Data(
        members::my_membership(state.ctx(), id, &viewer.user.id).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    role: String,
}

#[utoipa::path(patch,
    path = "/api/organizations/{id}/members/{userId}",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id"), ("userId" = String, Path, description = "The member's user id")),
    request_body = RoleBody,
    responses((status = 200, description = "The member after the change", body = DataEnvelope<TeamMember>)))]
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

#[utoipa::path(delete,
    path = "/api/organizations/{id}/members/{userId}",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id"), ("userId" = String, Path, description = "The member's user id")),
    responses((status = 204, description = "Removed: the membership is inactive")))]
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    email: String,
    role: String,
}

/// Invites an address: the invitation is mailed, and the invitee accepts it.
// Also served, under the front end's name for it, by `invite_member`.
#[utoipa::path(post,
    path = "/api/organizations/{id}/invitations",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    request_body = InviteBody,
    responses((status = 201, description = "Invited: a link to the web app's accept-invite page is mailed", body = DataEnvelope<Invitation>)))]
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

#[utoipa::path(get,
    path = "/api/organizations/{id}/invitations",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id"), ("page" = Option<u32>, Query, description = "1..=1000, default 1"), ("limit" = Option<u32>, Query, description = "1..=100, default 20")),
    responses((status = 200, description = "A page of pending invitations", body = ListEnvelope<Invitation>)))]
pub async fn pending(
    State(state): State<AppState>,
    manager: OrgManager,
    Query(query): Query<PageQuery>,
) -> Result<List<Invitation>, ApiError> {
    let page = query.check()?;
    let (items, total) = members::pending(state.ctx(), manager.organization_id, page).await?;
    Ok(List::new(items, page, total))
}

#[utoipa::path(delete,
    path = "/api/organizations/{id}/invitations/{invitationId}",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id"), ("invitationId" = Uuid, Path, description = "The invitation's id")),
    responses((status = 204, description = "Revoked")))]
pub async fn revoke(
    State(state): State<AppState>,
    manager: OrgManager,
    Path((_, invitation_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    members::revoke(state.ctx(), manager.organization_id, invitation_id).await?;
    Ok(no_content())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    token: String,
}

#[utoipa::path(post,
    path = "/api/organizations/invitations/accept",
    tag = "org",
    security(("session" = [])),
    request_body = TokenBody,
    responses((status = 200, description = "Accepted: the caller is an active member", body = DataEnvelope<Membership>)))]
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

#[utoipa::path(post,
    path = "/api/organizations/invitations/decline",
    tag = "org",
    security(("session" = [])),
    request_body = TokenBody,
    responses((status = 204, description = "Declined")))]
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

/// Invites an address (the front end's name for `POST …/invitations`).
#[utoipa::path(post,
    path = "/api/organizations/{id}/members/invite",
    tag = "org",
    security(("session" = [])),
    params(("id" = Uuid, Path, description = "The organisation's id")),
    request_body = InviteBody,
    responses((status = 201, description = "Invited (the front end's name for POST …/invitations): a link to the web app's accept-invite page is mailed", body = DataEnvelope<Invitation>)))]
pub async fn invite_member(
    state: State<AppState>,
    manager: OrgManager,
    body: Json<InviteBody>,
) -> Result<Created<Invitation>, ApiError> {
    invite(state, manager, body).await
}
