//! An organisation's team: its memberships (the organisations crate's) with
//! who each member is (the accounts crate's).

use chrono::{DateTime, Utc};
use codex_accounts::user;
use codex_context::Context;
use codex_errors::ApiError;
use codex_orgs::members::{self, Invitation, Invitee, Member};
use codex_orgs::membership::{MemberRole, MemberStatus};
use codex_validation::Page;
use serde::Serialize;
use uuid::Uuid;

/// A member as the team page shows them. `email` only for a manager's
/// eyes (left out otherwise); `avatarUrl` is the user's picture, also sent
/// as `image` for older clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamMember {
    pub user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub name: String,
    #[schema(required = true)]
    pub avatar_url: Option<String>,
    #[schema(required = true)]
    pub image: Option<String>,
    pub role: MemberRole,
    pub status: MemberStatus,
    pub joined_at: DateTime<Utc>,
}

/// Who is looking at the team: a manager (owner, admin or the platform
/// owner) sees the members' addresses, anyone else does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Manager,
    Member,
}

async fn with_cards(
    ctx: &Context,
    members: Vec<Member>,
    audience: Audience,
) -> Result<Vec<TeamMember>, ApiError> {
    let ids: Vec<String> = members.iter().map(|m| m.user_id.clone()).collect();
    let cards = user::cards(ctx.database(), &ids).await?;
    Ok(members
        .into_iter()
        .map(|member| {
            let card = cards.get(&member.user_id);
            let image = card.and_then(|c| c.image.clone());
            TeamMember {
                email: card
                    .filter(|_| audience == Audience::Manager)
                    .map(|c| c.email.clone()),
                name: card.map_or_else(String::new, |c| c.name.clone()),
                avatar_url: image.clone(),
                image,
                user_id: member.user_id,
                role: member.role,
                status: member.status,
                joined_at: member.joined_at,
            }
        })
        .collect())
}

/// A page of the organisation's members, optionally by role and status.
pub async fn members(
    ctx: &Context,
    organization_id: Uuid,
    page: Page,
    role: Option<MemberRole>,
    status: Option<MemberStatus>,
    audience: Audience,
) -> Result<(Vec<TeamMember>, u64), ApiError> {
    let (items, total) = members::list(ctx, organization_id, page, role, status).await?;
    Ok((with_cards(ctx, items, audience).await?, total))
}

/// Changes a member's role (see `codex_orgs::members::change_role`); the
/// answer is for the manager who asked.
pub async fn change_role(
    ctx: &Context,
    organization_id: Uuid,
    user_id: &str,
    role: MemberRole,
    by_owner: bool,
) -> Result<TeamMember, ApiError> {
    let member = members::change_role(ctx, organization_id, user_id, role, by_owner).await?;
    let mut shown = with_cards(ctx, vec![member], Audience::Manager).await?;
    shown
        .pop()
        .ok_or_else(|| ApiError::internal("a changed member vanished"))
}

/// Invites `email` with `role`: the accounts crate says whether an account
/// holds the address (an active member cannot be invited again).
pub async fn invite(
    ctx: &Context,
    organization_id: Uuid,
    invited_by: &str,
    email: &str,
    role: MemberRole,
) -> Result<Invitation, ApiError> {
    let email = codex_validation::email::normalise(email)
        .map_err(|_| ApiError::invalid_fields([("email", "Invalid email address")]))?;
    let user_id = user::id_by_email(ctx.database(), &email).await?;
    members::invite(
        ctx,
        organization_id,
        invited_by,
        &Invitee { email, user_id },
        role,
    )
    .await
}
