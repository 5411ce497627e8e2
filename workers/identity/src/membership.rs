//! `GET /api/organizations/{orgId}/membership/{userId}`: another of our
//! services asks, with a signed call, what a user's role in an organisation
//! is. The rule lives in `codex_orgs::membership::standing`.

use axum::extract::State;
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::extract::Path;
use codex_http_kit::openapi::DataEnvelope;
use codex_http_kit::respond::Data;
use codex_orgs::membership::{self, Standing};
use codex_policy::WorkerCall;
use uuid::Uuid;

/// The path as sent: checked only after the signature, so that an
/// unsigned caller learns nothing, not even which ids are well formed.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipPath {
    org_id: String,
    user_id: String,
}

#[utoipa::path(get, path = "/api/organizations/{orgId}/membership/{userId}", tag = "identity",
    security(("workerSignature" = [])),
    params(
        ("orgId" = String, Path, description = "The organisation's id (a UUID)"),
        ("userId" = String, Path, description = "The user's id"),
    ),
    responses((status = 200, description = "The user's role and when they joined; both null unless an active member of a live organisation", body = DataEnvelope<Standing>)))]
pub async fn lookup(
    State(state): State<AppState>,
    Path(path): Path<MembershipPath>,
    _signed: WorkerCall,
) -> Result<Data<Standing>, ApiError> {
    let organization_id = Uuid::parse_str(&path.org_id)
        .map_err(|_| ApiError::invalid_fields([("orgId", "is not a UUID")]))?;
    Ok(Data(
        membership::standing(state.ctx(), organization_id, &path.user_id).await?,
    ))
}
