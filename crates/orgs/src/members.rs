//! Memberships and invitations.
//!
//! A manager invites an address with a role; the address receives a
//! single-use link (7 days). Only someone signed in with that address can
//! accept or decline it, so an invitation to an address without an account
//! waits until its owner signs up. Accepting makes (or makes again) an
//! active membership, so a removed member can come back. Roles change and
//! members are removed (status `inactive`) by managers; the last active
//! owner can never be demoted or removed. Every change drops the cached
//! membership the policies read.

use chrono::{DateTime, Duration, Utc};
use codex_context::{Context, token};
use codex_database::{FromRow, Transaction, columns};
use codex_errors::ApiError;
use codex_mail::Email;
use codex_validation::Page;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::membership::{MemberRole, MemberStatus, Membership};
use crate::organisation;

pub const INVITATION_LIFETIME: Duration = Duration::days(7);
/// Roles an invitation may carry: ownership is only ever granted by an owner.
pub const INVITABLE_ROLES: [MemberRole; 3] =
    [MemberRole::Admin, MemberRole::Creator, MemberRole::Member];

/// Parses a role named by the client, or a 400 naming `field`.
pub fn parse_role(
    field: &'static str,
    value: &str,
    allowed: &[MemberRole],
) -> Result<MemberRole, ApiError> {
    value
        .parse::<MemberRole>()
        .ok()
        .filter(|role| allowed.contains(role))
        .ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|role| role.as_str()).collect();
            ApiError::invalid_fields([(field, format!("must be one of {}", names.join(", ")))])
        })
}

/// Parses a status named by the client, or a 400 naming `field`.
pub fn parse_status(field: &'static str, value: &str) -> Result<MemberStatus, ApiError> {
    value.parse::<MemberStatus>().map_err(|_| {
        let names: Vec<&str> = MemberStatus::ALL.iter().map(|s| s.as_str()).collect();
        ApiError::invalid_fields([(field, format!("must be one of {}", names.join(", ")))])
    })
}

/// A membership as the organisation's member list shows it. Who the user
/// is (name, picture) is the accounts crate's to say: see `codex-flows`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub user_id: String,
    #[row(parse)]
    pub role: MemberRole,
    #[row(parse)]
    pub status: MemberStatus,
    #[row(rename = "created_at")]
    pub joined_at: DateTime<Utc>,
}

/// A page of the organisation's members, optionally by role and status.
pub async fn list(
    ctx: &Context,
    organization_id: Uuid,
    page: Page,
    role: Option<MemberRole>,
    status: Option<MemberStatus>,
) -> Result<(Vec<Member>, u64), ApiError> {
    let role = codex_database::SqlValue::Text(role.map(|r| r.as_str().to_owned()));
    let status = codex_database::SqlValue::Text(status.map(|s| s.as_str().to_owned()));
    let filter = "m.organization_id = $1 AND ($2::text IS NULL OR m.role = $2) AND ($3::text IS NULL OR m.status = $3)";
    let rows = ctx
        .database()
        .query(
            &format!(
                "SELECT {} FROM organization_memberships m \
                 WHERE {filter} ORDER BY m.created_at, m.user_id LIMIT $4 OFFSET $5",
                columns::<Member>("m")
            ),
            &[
                organization_id.into(),
                role.clone(),
                status.clone(),
                i64::from(page.limit).into(),
                page.offset().into(),
            ],
        )
        .await?;
    let total = crate::total(
        ctx,
        &format!("organization_memberships m WHERE {filter}"),
        &[organization_id.into(), role, status],
    )
    .await?;
    let items = rows
        .iter()
        .map(|row| row.decode())
        .collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// The caller's membership as the studio asks for it: every field null
/// when they have none in force (never a member, or removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MyMembership {
    #[schema(required = true)]
    pub role: Option<MemberRole>,
    #[schema(required = true)]
    pub status: Option<MemberStatus>,
    #[schema(required = true)]
    pub joined_at: Option<DateTime<Utc>>,
}

/// The caller's membership in force of a live organisation (404 when it
/// is not live). A removed member gets `role: null`: the studio lets in
/// anyone with a role, so an ended membership must not show one.
pub async fn my_membership(
    ctx: &Context,
    organization_id: Uuid,
    user_id: &str,
) -> Result<MyMembership, ApiError> {
    organisation::get(ctx, organization_id).await?;
    let found = crate::membership::lookup(ctx, organization_id, user_id).await?;
    Ok(MyMembership {
        role: found.as_ref().map(|m| m.role),
        status: found.as_ref().map(|m| m.status),
        joined_at: found.map(|m| m.joined_at),
    })
}

/// A row `guard_owners` weighs.
#[derive(FromRow)]
struct Holder {
    user_id: String,
    #[row(parse)]
    role: MemberRole,
    #[row(parse)]
    status: MemberStatus,
}

/// Locks the member's row and the organisation's active owners' rows (in
/// one statement and a fixed order, so concurrent changes queue instead of
/// deadlocking) and refuses a change that would leave no active owner.
/// `stays_owner` says whether the member is still an active owner after it.
/// Only an owner (`by_owner`: an active owner, or the platform owner) may
/// grant the owner role or change or remove an owner.
async fn guard_owners(
    transaction: &mut dyn Transaction,
    organization_id: Uuid,
    user_id: &str,
    stays_owner: bool,
    by_owner: bool,
) -> Result<(), ApiError> {
    let rows = transaction
        .query(
            &format!(
                "SELECT {} FROM organization_memberships WHERE organization_id = $1 \
                 AND (user_id = $2 OR (role = 'owner' AND status = 'active')) ORDER BY user_id FOR UPDATE",
                columns::<Holder>("")
            ),
            &[organization_id.into(), user_id.into()],
        )
        .await?;
    let mut member_is_active_owner = None;
    let mut other_owners = 0_usize;
    for row in &rows {
        let holder: Holder = row.decode()?;
        let active_owner =
            holder.role == MemberRole::Owner && holder.status == MemberStatus::Active;
        if holder.user_id == user_id {
            member_is_active_owner = Some(active_owner);
        } else {
            other_owners += 1;
        }
    }
    match member_is_active_owner {
        None => Err(member_not_found()),
        Some(owner) if (owner || stays_owner) && !by_owner => Err(ApiError::forbidden(
            "Only an owner may grant the owner role or change or remove an owner",
        )),
        Some(true) if !stays_owner && other_owners == 0 => Err(last_owner()),
        Some(_) => Ok(()),
    }
}

fn last_owner() -> ApiError {
    ApiError::business_rule("Cannot remove or demote the last owner of the organization")
        .with_details(json!({"code": "LAST_OWNER"}))
}

fn member_not_found() -> ApiError {
    ApiError::not_found("Member not found")
}

/// Changes a member's role; the last active owner keeps theirs, and only
/// an owner (`by_owner`) grants or takes the owner role.
pub async fn change_role(
    ctx: &Context,
    organization_id: Uuid,
    user_id: &str,
    role: MemberRole,
    by_owner: bool,
) -> Result<Member, ApiError> {
    let mut transaction = ctx.database().begin().await?;
    guard_owners(
        transaction.as_mut(),
        organization_id,
        user_id,
        role == MemberRole::Owner,
        by_owner,
    )
    .await?;
    let row = transaction
        .query_opt(
            &format!(
                "UPDATE organization_memberships m SET role = $3 \
                 WHERE m.organization_id = $1 AND m.user_id = $2 RETURNING {}",
                columns::<Member>("m")
            ),
            &[organization_id.into(), user_id.into(), role.into()],
        )
        .await?
        .ok_or_else(member_not_found)?;
    transaction.commit().await?;
    Ok(row.decode()?)
}

/// Removes a member (status `inactive`); the last active owner stays, and
/// only an owner (`by_owner`) removes an owner.
pub async fn remove(
    ctx: &Context,
    organization_id: Uuid,
    user_id: &str,
    by_owner: bool,
) -> Result<(), ApiError> {
    let mut transaction = ctx.database().begin().await?;
    guard_owners(
        transaction.as_mut(),
        organization_id,
        user_id,
        false,
        by_owner,
    )
    .await?;
    transaction
        .execute(
            "UPDATE organization_memberships SET status = 'inactive' WHERE organization_id = $1 AND user_id = $2",
            &[organization_id.into(), user_id.into()],
        )
        .await?;
    transaction.commit().await?;
    tracing::info!(%organization_id, "member removed");
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    #[row(parse)]
    pub role: MemberRole,
    #[row(parse)]
    pub status: InvitationStatus,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Declined,
    Revoked,
}

impl std::str::FromStr for InvitationStatus {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "pending" => Ok(Self::Pending),
            "accepted" => Ok(Self::Accepted),
            "declined" => Ok(Self::Declined),
            "revoked" => Ok(Self::Revoked),
            other => Err(format!("`{other}` is not an invitation status")),
        }
    }
}

/// Where an invitation is answered: the web app's accept page. Outside
/// development `WEB_APP_URL` must be set, so links never point at a laptop.
fn accept_page(ctx: &Context) -> Result<String, ApiError> {
    match &ctx.config().web_app_url {
        Some(base) => Ok(format!("{base}/accept-invite")),
        None => Err(ApiError::configuration("WEB_APP_URL")),
    }
}

/// Whom to invite: the address, and the account that holds it when there is
/// one (which the accounts crate knows; `codex-flows` asks it).
#[derive(Debug, Clone)]
pub struct Invitee {
    pub email: String,
    pub user_id: Option<String>,
}

/// Invites an address with `role`. An open invitation to the same address
/// is replaced (its link stops working); an active member cannot be
/// invited.
pub async fn invite(
    ctx: &Context,
    organization_id: Uuid,
    invited_by: &str,
    invitee: &Invitee,
    role: MemberRole,
) -> Result<Invitation, ApiError> {
    if !INVITABLE_ROLES.contains(&role) {
        return Err(ApiError::invalid_fields([(
            "role",
            "must be one of admin, creator, member",
        )]));
    }
    let address = codex_validation::email::normalise(&invitee.email)
        .map_err(|_| ApiError::invalid_fields([("email", "Invalid email address")]))?;
    let accept_page = accept_page(ctx)?;
    let organisation = organisation::get(ctx, organization_id).await?;
    let issued = token::issue().map_err(ApiError::internal)?;
    let now = ctx.clock().now();

    let mut transaction = ctx.database().begin().await?;
    let active = match &invitee.user_id {
        Some(user_id) => {
            transaction
                .query_opt(
                    "SELECT 1 AS active FROM organization_memberships \
                     WHERE organization_id = $1 AND user_id = $2 AND status = 'active'",
                    &[organization_id.into(), user_id.as_str().into()],
                )
                .await?
        }
        None => None,
    };
    if active.is_some() {
        return Err(
            ApiError::conflict("User is already a member of this organization")
                .with_details(json!({"field": "email"})),
        );
    }
    transaction
        .execute(
            "UPDATE organization_invitations SET status = 'revoked' \
             WHERE organization_id = $1 AND email = $2 AND status = 'pending'",
            &[organization_id.into(), address.as_str().into()],
        )
        .await?;
    let row = transaction
        .query_opt(
            &format!(
                "INSERT INTO organization_invitations AS i (organization_id, email, role, token_hash, invited_by, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING {}",
                columns::<Invitation>("i")
            ),
            &[
                organization_id.into(),
                address.as_str().into(),
                role.into(),
                issued.hash.as_str().into(),
                invited_by.into(),
                (now + INVITATION_LIFETIME).into(),
            ],
        )
        .await?
        .ok_or_else(|| ApiError::internal("invitation insert returned no row"))?;
    transaction.commit().await?;
    let invitation: Invitation = row.decode()?;

    let link = format!("{accept_page}?token={}", issued.plaintext);
    let email = Email {
        to: address.clone(),
        subject: format!("You are invited to join {}", organisation.name),
        text: format!(
            "Hello,\n\nYou are invited to join {} on Codex as {role}.\n\nTo accept, sign in (or sign up) with this \
             address and open:\n\n{link}\n\nThe invitation expires in 7 days.\n",
            organisation.name
        ),
        html: None,
    };
    if let Err(error) = ctx.mailer().send(&email).await {
        tracing::error!(%error, "could not send an invitation");
    }
    Ok(invitation)
}

/// A page of the organisation's open invitations, newest first.
pub async fn pending(
    ctx: &Context,
    organization_id: Uuid,
    page: Page,
) -> Result<(Vec<Invitation>, u64), ApiError> {
    let filter = "i.organization_id = $1 AND i.status = 'pending' AND i.expires_at > $2";
    let now = ctx.clock().now();
    let rows = ctx
        .database()
        .query(
            &format!(
                "SELECT {} FROM organization_invitations i WHERE {filter} \
                 ORDER BY i.created_at DESC, i.id LIMIT $3 OFFSET $4",
                columns::<Invitation>("i")
            ),
            &[
                organization_id.into(),
                now.into(),
                i64::from(page.limit).into(),
                page.offset().into(),
            ],
        )
        .await?;
    let total = crate::total(
        ctx,
        &format!("organization_invitations i WHERE {filter}"),
        &[organization_id.into(), now.into()],
    )
    .await?;
    let items = rows
        .iter()
        .map(|row| row.decode())
        .collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// Withdraws an open invitation.
pub async fn revoke(
    ctx: &Context,
    organization_id: Uuid,
    invitation_id: Uuid,
) -> Result<(), ApiError> {
    let changed = ctx
        .database()
        .execute(
            "UPDATE organization_invitations SET status = 'revoked' \
             WHERE id = $1 AND organization_id = $2 AND status = 'pending'",
            &[invitation_id.into(), organization_id.into()],
        )
        .await?;
    if changed == 0 {
        return Err(ApiError::not_found("Invitation not found"));
    }
    Ok(())
}

fn invalid_invitation() -> ApiError {
    ApiError::validation("Invalid or expired invitation")
        .with_details(json!({"code": "INVALID_TOKEN"}))
}

/// An open invitation as `respond` reads it.
#[derive(FromRow)]
struct Open {
    id: Uuid,
    organization_id: Uuid,
    email: String,
    #[row(parse)]
    role: MemberRole,
}

/// Accepts (or declines) the invitation behind `token` for the signed-in
/// user, who must hold the invited address.
pub async fn respond(
    ctx: &Context,
    token: &str,
    user_id: &str,
    user_email: &str,
    accept: bool,
) -> Result<Option<Membership>, ApiError> {
    if !token::looks_valid(token) {
        return Err(invalid_invitation());
    }
    let now = ctx.clock().now();
    let mut transaction = ctx.database().begin().await?;
    let row = transaction
        .query_opt(
            &format!(
                "SELECT {} FROM organization_invitations i \
                 JOIN organizations o ON o.id = i.organization_id AND o.deleted_at IS NULL \
                 WHERE i.token_hash = $1 AND i.status = 'pending' AND i.expires_at > $2 FOR UPDATE OF i",
                columns::<Open>("i")
            ),
            &[token::hash(token).into(), now.into()],
        )
        .await?
        .ok_or_else(invalid_invitation)?;
    let Open {
        id: invitation_id,
        organization_id,
        email: invited,
        role,
    } = row.decode()?;
    if invited != user_email {
        return Err(ApiError::forbidden(
            "This invitation was sent to another address",
        ));
    }
    transaction
        .execute(
            "UPDATE organization_invitations SET status = $2, responded_at = $3 WHERE id = $1",
            &[
                invitation_id.into(),
                (if accept { "accepted" } else { "declined" }).into(),
                now.into(),
            ],
        )
        .await?;
    if !accept {
        transaction.commit().await?;
        return Ok(None);
    }
    // A returning member keeps an owner role they still hold; otherwise the
    // invitation's role applies.
    let membership = transaction
        .query_opt(
            &format!(
                "INSERT INTO organization_memberships AS m (organization_id, user_id, role, status, invited_by) \
                 SELECT $1, $2, $3, 'active', i.invited_by FROM organization_invitations i WHERE i.id = $4 \
                 ON CONFLICT (organization_id, user_id) DO UPDATE SET status = 'active', \
                   role = CASE WHEN m.role = 'owner' AND m.status = 'active' THEN m.role ELSE EXCLUDED.role END, \
                   created_at = CASE WHEN m.status = 'active' THEN m.created_at ELSE $5 END \
                 RETURNING {}",
                columns::<Membership>("m")
            ),
            &[organization_id.into(), user_id.into(), role.into(), invitation_id.into(), now.into()],
        )
        .await?
        .ok_or_else(|| ApiError::internal("membership upsert returned no row"))?;
    transaction.commit().await?;
    Ok(Some(membership.decode()?))
}

/// Whether the user is an active owner of a live organisation (account
/// deletion is refused while they are), inside the caller's transaction.
pub async fn owns_live_organisation_in(
    transaction: &mut dyn Transaction,
    user_id: &str,
) -> Result<bool, ApiError> {
    let row = transaction
        .query_opt(
            "SELECT 1 AS owns FROM organization_memberships m JOIN organizations o ON o.id = m.organization_id \
             WHERE m.user_id = $1 AND m.role = 'owner' AND m.status = 'active' AND o.deleted_at IS NULL LIMIT 1",
            &[user_id.into()],
        )
        .await?;
    Ok(row.is_some())
}

/// Ends every membership of the user (account deletion), inside the
/// caller's transaction.
pub async fn end_all_in(transaction: &mut dyn Transaction, user_id: &str) -> Result<(), ApiError> {
    transaction
        .execute(
            "UPDATE organization_memberships SET status = 'inactive' WHERE user_id = $1 AND status <> 'inactive'",
            &[user_id.into()],
        )
        .await?;
    Ok(())
}
