//! Development and test only (404 elsewhere): create users quickly and read
//! what the mailer sent, so the black-box suite can follow e-mailed links.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use codex_accounts::Role;
use codex_accounts::auth::{self, SignUp};
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::dev::require_local;
use codex_http_kit::extract::{Json, Path};
use codex_policy::Client;
use serde::Deserialize;
use serde_json::Value;

use crate::handlers::{SignInBody, sign_in_as};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/test/fast-register", post(fast_register))
        .route("/api/test/fast-signin", post(fast_signin))
        .route(
            "/api/test/verification-token/{email}",
            get(verification_token),
        )
        .route("/api/test/outbox", get(codex_http_kit::dev::outbox))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FastRegisterBody {
    email: String,
    password: String,
    name: Option<String>,
    role: Option<String>,
}

/// Signs up (or finds) the account, marks it verified with the role asked
/// for, and signs in.
async fn fast_register(
    State(state): State<AppState>,
    Client(client): Client,
    Json(body): Json<FastRegisterBody>,
) -> Result<Response, ApiError> {
    require_local(&state)?;
    let role = body
        .role
        .as_deref()
        .map(|role| match role.parse::<Role>() {
            Ok(role) if role != Role::System => Ok(role),
            _ => Err(ApiError::invalid_fields([(
                "role",
                "must be customer, creator, admin or platform_owner",
            )])),
        })
        .transpose()?;
    let name = body.name.clone().unwrap_or_else(|| {
        body.email
            .split('@')
            .next()
            .unwrap_or("Test user")
            .to_owned()
    });
    let input = SignUp {
        name,
        email: body.email.clone(),
        password: body.password.clone(),
        callback_url: None,
    };
    match auth::sign_up(state.ctx(), input).await {
        Ok(_) => {}
        Err(error)
            if error.details().and_then(|d| d.get("code"))
                == Some(&Value::from("USER_ALREADY_EXISTS")) => {}
        Err(error) => return Err(error),
    }
    auth::mark_verified(state.ctx(), &body.email, role).await?;
    let credentials = SignInBody {
        email: body.email,
        password: body.password,
    };
    sign_in_as(&state, &client, &credentials).await
}

async fn fast_signin(
    State(state): State<AppState>,
    Client(client): Client,
    Json(body): Json<SignInBody>,
) -> Result<Response, ApiError> {
    require_local(&state)?;
    sign_in_as(&state, &client, &body).await
}

/// `{token, email}`: the latest verification token sent to the address.
async fn verification_token(
    State(state): State<AppState>,
    Path(email): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    require_local(&state)?;
    let address = email.trim().to_lowercase();
    let stored = state
        .kv()
        .get(&auth::exposed_token_key(&address))
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("No verification token for this address"))?;
    let value = serde_json::from_str(&stored).map_err(ApiError::internal)?;
    Ok(axum::Json(value))
}
