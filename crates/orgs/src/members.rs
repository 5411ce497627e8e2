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
use codex_accounts::token;
use codex_database::{Row, SqlValue};
use codex_errors::ApiError;
use codex_mail::Email;
use codex_validation::Page;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::Deps;
use crate::organisation;

pub const INVITATION_LIFETIME: Duration = Duration::days(7);
pub const ROLES: &[&str] = &["owner", "admin", "creator", "member"];
pub const INVITABLE_ROLES: &[&str] = &["admin", "creator", "member"];
pub const STATUSES: &[&str] = &["active", "inactive", "invited"];

/// The key-value key under which the policies cache a membership.
pub fn membership_cache_key(organization_id: Uuid, user_id: &str) -> String {
    format!("membership:{organization_id}:{user_id}")
}

/// Drops the cached membership of `user_id` (the key the policies read).
pub async fn forget_membership(deps: Deps<'_>, organization_id: Uuid, user_id: &str) {
    if let Err(error) = deps
        .kv
        .delete(&membership_cache_key(organization_id, user_id))
        .await
    {
        tracing::error!(%error, "could not drop a cached membership");
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub user_id: String,
    pub name: String,
    pub image: Option<String>,
    pub role: String,
    pub status: String,
    pub joined_at: DateTime<Utc>,
}

fn member_from_row(row: &Row) -> Result<Member, ApiError> {
    Ok(Member {
        user_id: row.get("user_id")?,
        name: row.get("name")?,
        image: row.get("image")?,
        role: row.get("role")?,
        status: row.get("status")?,
        joined_at: row.get("created_at")?,
    })
}

fn one_of(field: &'static str, value: &str, allowed: &[&str]) -> Result<String, ApiError> {
    if allowed.contains(&value) {
        Ok(value.to_owned())
    } else {
        Err(ApiError::invalid_fields([(
            field,
            format!("must be one of {}", allowed.join(", ")),
        )]))
    }
}

/// A page of the organisation's members, optionally by role and status.
pub async fn list(
    deps: Deps<'_>,
    organization_id: Uuid,
    page: Page,
    role: Option<&str>,
    status: Option<&str>,
) -> Result<(Vec<Member>, u64), ApiError> {
    let role: SqlValue = role.map(|r| one_of("role", r, ROLES)).transpose()?.into();
    let status: SqlValue = status
        .map(|s| one_of("status", s, STATUSES))
        .transpose()?
        .into();
    let filter = "m.organization_id = $1 AND ($2::text IS NULL OR m.role = $2) AND ($3::text IS NULL OR m.status = $3)";
    let rows = deps
        .database
        .query(
            &format!(
                "SELECT m.user_id, u.name, u.image, m.role, m.status, m.created_at FROM organization_memberships m \
                 JOIN users u ON u.id = m.user_id WHERE {filter} ORDER BY m.created_at, m.user_id LIMIT $4 OFFSET $5"
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
        deps.database,
        &format!("organization_memberships m WHERE {filter}"),
        &[organization_id.into(), role, status],
    )
    .await?;
    let items = rows.iter().map(member_from_row).collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// The caller's membership, with every field null when there is none.
pub async fn my_membership(
    deps: Deps<'_>,
    organization_id: Uuid,
    user_id: &str,
) -> Result<serde_json::Value, ApiError> {
    organisation::get(deps, organization_id).await?;
    let row = deps
        .database
        .query_opt(
            "SELECT role, status, created_at FROM organization_memberships WHERE organization_id = $1 AND user_id = $2",
            &[organization_id.into(), user_id.into()],
        )
        .await?;
    Ok(match row {
        Some(row) => json!({
            "role": row.get::<String>("role")?,
            "status": row.get::<String>("status")?,
            "joinedAt": row.get::<DateTime<Utc>>("created_at")?,
        }),
        None => json!({ "role": null, "status": null, "joinedAt": null }),
    })
}

/// Locks the member's row and the organisation's active owners' rows (in
/// one statement and a fixed order, so concurrent changes queue instead of
/// deadlocking) and refuses a change that would leave no active owner.
/// `stays_owner` says whether the member is still an active owner after it.
async fn guard_last_owner(
    transaction: &mut dyn codex_database::Transaction,
    organization_id: Uuid,
    user_id: &str,
    stays_owner: bool,
) -> Result<(), ApiError> {
    let rows = transaction
        .query(
            "SELECT user_id, role, status FROM organization_memberships WHERE organization_id = $1 \
             AND (user_id = $2 OR (role = 'owner' AND status = 'active')) ORDER BY user_id FOR UPDATE",
            &[organization_id.into(), user_id.into()],
        )
        .await?;
    let mut member_is_active_owner = None;
    let mut other_owners = 0_usize;
    for row in &rows {
        let id: String = row.get("user_id")?;
        let active_owner =
            row.get::<String>("role")? == "owner" && row.get::<String>("status")? == "active";
        if id == user_id {
            member_is_active_owner = Some(active_owner);
        } else {
            other_owners += 1;
        }
    }
    match member_is_active_owner {
        None => Err(member_not_found()),
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

/// Changes a member's role; the last active owner keeps theirs.
pub async fn change_role(
    deps: Deps<'_>,
    organization_id: Uuid,
    user_id: &str,
    role: &str,
) -> Result<Member, ApiError> {
    let role = one_of("role", role, ROLES)?;
    let mut transaction = deps.database.begin().await?;
    guard_last_owner(
        transaction.as_mut(),
        organization_id,
        user_id,
        role == "owner",
    )
    .await?;
    let row = transaction
        .query_opt(
            "UPDATE organization_memberships m SET role = $3 FROM users u \
             WHERE u.id = m.user_id AND m.organization_id = $1 AND m.user_id = $2 \
             RETURNING m.user_id, u.name, u.image, m.role, m.status, m.created_at",
            &[organization_id.into(), user_id.into(), role.into()],
        )
        .await?
        .ok_or_else(member_not_found)?;
    transaction.commit().await?;
    forget_membership(deps, organization_id, user_id).await;
    member_from_row(&row)
}

/// Removes a member (status `inactive`); the last active owner stays.
pub async fn remove(deps: Deps<'_>, organization_id: Uuid, user_id: &str) -> Result<(), ApiError> {
    let mut transaction = deps.database.begin().await?;
    guard_last_owner(transaction.as_mut(), organization_id, user_id, false).await?;
    transaction
        .execute(
            "UPDATE organization_memberships SET status = 'inactive' WHERE organization_id = $1 AND user_id = $2",
            &[organization_id.into(), user_id.into()],
        )
        .await?;
    transaction.commit().await?;
    forget_membership(deps, organization_id, user_id).await;
    tracing::info!(%organization_id, "member removed");
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub role: String,
    pub status: String,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

const INVITATION_COLUMNS: &str = "i.id, i.email, i.role, i.status, i.expires_at, i.created_at";

fn invitation_from_row(row: &Row) -> Result<Invitation, ApiError> {
    Ok(Invitation {
        id: row.get("id")?,
        email: row.get("email")?,
        role: row.get("role")?,
        status: row.get("status")?,
        expires_at: row.get("expires_at")?,
        created_at: row.get("created_at")?,
    })
}

/// Where invitation links point: the web app's accept page.
#[derive(Debug, Clone)]
pub struct InvitationLinks {
    pub accept_page: String,
}

/// Invites `email` with `role`. An open invitation to the same address is
/// replaced (its link stops working); an active member cannot be invited.
pub async fn invite(
    deps: Deps<'_>,
    links: &InvitationLinks,
    organization_id: Uuid,
    invited_by: &str,
    email: &str,
    role: &str,
) -> Result<Invitation, ApiError> {
    let address = codex_accounts::email::normalise(email)
        .map_err(|_| ApiError::invalid_fields([("email", "Invalid email address")]))?;
    let role = one_of("role", role, INVITABLE_ROLES)?;
    let organisation = organisation::get(deps, organization_id).await?;
    let issued = token::issue().map_err(ApiError::internal)?;
    let now = deps.clock.now();

    let mut transaction = deps.database.begin().await?;
    let active = transaction
        .query_opt(
            "SELECT 1 AS active FROM organization_memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.organization_id = $1 AND u.email = $2 AND u.deleted_at IS NULL AND m.status = 'active'",
            &[organization_id.into(), address.as_str().into()],
        )
        .await?;
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
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING {INVITATION_COLUMNS}"
            ),
            &[
                organization_id.into(),
                address.as_str().into(),
                role.as_str().into(),
                issued.hash.as_str().into(),
                invited_by.into(),
                (now + INVITATION_LIFETIME).into(),
            ],
        )
        .await?
        .ok_or_else(|| ApiError::internal("invitation insert returned no row"))?;
    transaction.commit().await?;
    let invitation = invitation_from_row(&row)?;

    let link = format!("{}?token={}", links.accept_page, issued.plaintext);
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
    if let Err(error) = deps.mailer.send(&email).await {
        tracing::error!(%error, "could not send an invitation");
    }
    Ok(invitation)
}

/// A page of the organisation's open invitations, newest first.
pub async fn pending(
    deps: Deps<'_>,
    organization_id: Uuid,
    page: Page,
) -> Result<(Vec<Invitation>, u64), ApiError> {
    let filter = "i.organization_id = $1 AND i.status = 'pending' AND i.expires_at > $2";
    let now = deps.clock.now();
    let rows = deps
        .database
        .query(
            &format!(
                "SELECT {INVITATION_COLUMNS} FROM organization_invitations i WHERE {filter} \
                 ORDER BY i.created_at DESC, i.id LIMIT $3 OFFSET $4"
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
        deps.database,
        &format!("organization_invitations i WHERE {filter}"),
        &[organization_id.into(), now.into()],
    )
    .await?;
    let items = rows
        .iter()
        .map(invitation_from_row)
        .collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// Withdraws an open invitation.
pub async fn revoke(
    deps: Deps<'_>,
    organization_id: Uuid,
    invitation_id: Uuid,
) -> Result<(), ApiError> {
    let changed = deps
        .database
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

/// Accepts (or declines) the invitation behind `token` for the signed-in
/// user, who must hold the invited address.
pub async fn respond(
    deps: Deps<'_>,
    token: &str,
    user_id: &str,
    user_email: &str,
    accept: bool,
) -> Result<Option<serde_json::Value>, ApiError> {
    if !token::looks_valid(token) {
        return Err(invalid_invitation());
    }
    let now = deps.clock.now();
    let mut transaction = deps.database.begin().await?;
    let row = transaction
        .query_opt(
            "SELECT i.id, i.organization_id, i.email, i.role FROM organization_invitations i \
             JOIN organizations o ON o.id = i.organization_id AND o.deleted_at IS NULL \
             WHERE i.token_hash = $1 AND i.status = 'pending' AND i.expires_at > $2 FOR UPDATE OF i",
            &[token::hash(token).into(), now.into()],
        )
        .await?
        .ok_or_else(invalid_invitation)?;
    let invited: String = row.get("email")?;
    if invited != user_email {
        return Err(ApiError::forbidden(
            "This invitation was sent to another address",
        ));
    }
    let invitation_id: Uuid = row.get("id")?;
    let organization_id: Uuid = row.get("organization_id")?;
    let role: String = row.get("role")?;
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
            "INSERT INTO organization_memberships AS m (organization_id, user_id, role, status, invited_by) \
             SELECT $1, $2, $3, 'active', i.invited_by FROM organization_invitations i WHERE i.id = $4 \
             ON CONFLICT (organization_id, user_id) DO UPDATE SET status = 'active', \
               role = CASE WHEN m.role = 'owner' AND m.status = 'active' THEN m.role ELSE EXCLUDED.role END, \
               created_at = CASE WHEN m.status = 'active' THEN m.created_at ELSE $5 END \
             RETURNING m.role, m.status, m.created_at",
            &[organization_id.into(), user_id.into(), role.into(), invitation_id.into(), now.into()],
        )
        .await?
        .ok_or_else(|| ApiError::internal("membership upsert returned no row"))?;
    transaction.commit().await?;
    forget_membership(deps, organization_id, user_id).await;
    Ok(Some(json!({
        "organizationId": organization_id,
        "role": membership.get::<String>("role")?,
        "status": membership.get::<String>("status")?,
        "joinedAt": membership.get::<DateTime<Utc>>("created_at")?,
    })))
}
