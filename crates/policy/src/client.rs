use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use codex_accounts::session::ClientInfo;
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::client::{client_ip, user_agent};

/// Where the request comes from (IP address and user agent), as recorded
/// with a new session.
#[derive(Debug, Clone)]
pub struct Client(pub ClientInfo);

impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self(ClientInfo {
            ip_address: Some(client_ip(
                parts,
                state.config(),
                state.clock().now().timestamp(),
            )),
            user_agent: user_agent(parts),
        }))
    }
}
