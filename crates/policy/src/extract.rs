use std::collections::HashMap;
use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use codex_accounts::Role;
use codex_accounts::session::{self, Authenticated};
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_orgs::membership::{self, Membership};
use serde_json::json;
use uuid::Uuid;

use crate::cookie;

/// The session of this request, resolved once and kept in its extensions.
#[derive(Clone)]
struct Resolved(Option<Authenticated>);

async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Option<Authenticated>, ApiError> {
    if let Some(Resolved(found)) = parts.extensions.get::<Resolved>() {
        return Ok(found.clone());
    }
    let found = match cookie::session_token(&parts.headers) {
        Some(token) => session::resolve(state.ctx(), &token).await?,
        None => None,
    };
    parts.extensions.insert(Resolved(found.clone()));
    Ok(found)
}

async fn required(parts: &mut Parts, state: &AppState) -> Result<Authenticated, ApiError> {
    let found = resolve(parts, state)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if !found.user.email_verified {
        return Err(ApiError::forbidden("Email not verified")
            .with_details(json!({"code": "EMAIL_NOT_VERIFIED"})));
    }
    Ok(found)
}

/// Optional session: the caller's session when they have a valid one.
#[derive(Debug, Clone)]
pub struct MaybeViewer(pub Option<Authenticated>);

impl FromRequestParts<AppState> for MaybeViewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self(resolve(parts, state).await?))
    }
}

/// Required session: a verified, live user.
#[derive(Debug, Clone)]
pub struct Viewer(pub Authenticated);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self(required(parts, state).await?))
    }
}

/// A set of roles a route admits.
pub trait RoleSet: Send + Sync + 'static {
    const ROLES: &'static [Role];
}

/// Creators, admins and the platform owner: those who publish.
pub struct Creators;
impl RoleSet for Creators {
    const ROLES: &'static [Role] = &[Role::Creator, Role::Admin, Role::PlatformOwner];
}

/// Admins and the platform owner.
pub struct Admins;
impl RoleSet for Admins {
    const ROLES: &'static [Role] = &[Role::Admin, Role::PlatformOwner];
}

/// The platform owner alone.
pub struct PlatformOwners;
impl RoleSet for PlatformOwners {
    const ROLES: &'static [Role] = &[Role::PlatformOwner];
}

/// Required session whose user's role is in `S`; 403 otherwise.
pub struct RoleIn<S: RoleSet>(pub Authenticated, PhantomData<S>);

impl<S: RoleSet> RoleIn<S> {
    pub fn into_inner(self) -> Authenticated {
        self.0
    }
}

impl<S: RoleSet> FromRequestParts<AppState> for RoleIn<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let found = required(parts, state).await?;
        if S::ROLES.contains(&found.user.role) {
            Ok(Self(found, PhantomData))
        } else {
            Err(ApiError::forbidden("Insufficient permissions"))
        }
    }
}

/// The platform owner's session.
pub type PlatformOwner = RoleIn<PlatformOwners>;

/// The organisation a request is about: the path parameter `orgId`, then
/// `organizationId`, then `id` (a UUID), then the query's `organizationId`.
/// Never the body. `orgId` comes before `id`, so a route such as
/// `/organizations/{orgId}/templates/{id}` checks the organisation.
async fn organisation_of(parts: &mut Parts, state: &AppState) -> Result<Uuid, ApiError> {
    let path = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map(|Path(params)| params)
        .unwrap_or_default();
    let from_path = ["orgId", "organizationId", "id"]
        .iter()
        .find_map(|name| path.get(*name));
    if let Some(value) = from_path {
        return Uuid::parse_str(value)
            .map_err(|_| ApiError::invalid_fields([("organizationId", "Invalid ID format")]));
    }
    let query = Query::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map(|Query(query)| query)
        .unwrap_or_default();
    match query.get("organizationId") {
        Some(value) => Uuid::parse_str(value)
            .map_err(|_| ApiError::invalid_fields([("organizationId", "Invalid ID format")])),
        None => Err(
            ApiError::validation("An organisation is required for this request")
                .with_details(json!({"code": "ORG_CONTEXT_REQUIRED"})),
        ),
    }
}

/// How the caller may act for the organisation.
async fn membership_of(
    parts: &mut Parts,
    state: &AppState,
) -> Result<(Authenticated, Uuid, Option<Membership>), ApiError> {
    let found = required(parts, state).await?;
    let organization_id = organisation_of(parts, state).await?;
    let membership = membership::lookup(state.ctx(), organization_id, &found.user.id).await?;
    Ok((found, organization_id, membership))
}

/// An active member of the organisation in the request. The platform owner
/// passes without a membership.
#[derive(Debug, Clone)]
pub struct OrgMember {
    pub viewer: Authenticated,
    pub organization_id: Uuid,
    /// `None` for the platform owner acting without a membership.
    pub membership: Option<Membership>,
}

impl FromRequestParts<AppState> for OrgMember {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (viewer, organization_id, membership) = membership_of(parts, state).await?;
        let allowed = viewer.user.role == Role::PlatformOwner
            || membership.as_ref().is_some_and(Membership::is_active);
        if !allowed {
            return Err(ApiError::forbidden(
                "You are not a member of this organisation",
            ));
        }
        Ok(Self {
            viewer,
            organization_id,
            membership,
        })
    }
}

/// An active owner or admin of the organisation in the request. The
/// platform owner passes without a membership.
#[derive(Debug, Clone)]
pub struct OrgManager {
    pub viewer: Authenticated,
    pub organization_id: Uuid,
    pub membership: Option<Membership>,
}

impl FromRequestParts<AppState> for OrgManager {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (viewer, organization_id, membership) = membership_of(parts, state).await?;
        let allowed = viewer.user.role == Role::PlatformOwner
            || membership.as_ref().is_some_and(Membership::is_manager);
        if !allowed {
            return Err(ApiError::forbidden(
                "Only the organisation's owners and admins may do this",
            ));
        }
        Ok(Self {
            viewer,
            organization_id,
            membership,
        })
    }
}

/// An active owner of the organisation in the request. The platform owner
/// passes without a membership.
#[derive(Debug, Clone)]
pub struct OrgOwner {
    pub viewer: Authenticated,
    pub organization_id: Uuid,
    pub membership: Option<Membership>,
}

impl FromRequestParts<AppState> for OrgOwner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (viewer, organization_id, membership) = membership_of(parts, state).await?;
        let allowed = viewer.user.role == Role::PlatformOwner
            || membership.as_ref().is_some_and(Membership::is_owner);
        if !allowed {
            return Err(ApiError::forbidden(
                "Only the organisation's owners may do this",
            ));
        }
        Ok(Self {
            viewer,
            organization_id,
            membership,
        })
    }
}

impl OrgMember {
    /// Whether the caller also manages the organisation: an active owner or
    /// admin, or the platform owner (what a manager may see, such as the
    /// team's addresses).
    pub fn is_manager(&self) -> bool {
        self.viewer.user.role == Role::PlatformOwner
            || self.membership.as_ref().is_some_and(Membership::is_manager)
    }
}

impl OrgManager {
    /// Whether the caller acts as an owner: an active owner, or the
    /// platform owner.
    pub fn is_owner(&self) -> bool {
        self.viewer.user.role == Role::PlatformOwner
            || self.membership.as_ref().is_some_and(Membership::is_owner)
    }
}
