//! The BetterAuth endpoints: parse, call `codex_accounts::auth`, answer in
//! BetterAuth's shapes and set or clear the session cookie.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use codex_accounts::auth::{self, Links, SignUp, SignedIn};
use codex_accounts::session::{self, ClientInfo};
use codex_errors::ApiError;
use codex_http_kit::AppState;
use codex_http_kit::extract::{Json, Query};
use codex_http_kit::openapi::AuthErrorEnvelope;
use codex_policy::{Client, MaybeViewer, Viewer, cookie};
use serde::Deserialize;
use serde::Serialize;

use codex_accounts::User;
use codex_accounts::session::SessionRecord;

/// `{redirect, token, url, user}`: BetterAuth's sign-in answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedInAnswer<'a> {
    redirect: bool,
    token: &'a str,
    url: Option<&'a str>,
    user: &'a User,
}

/// `{token, user}`: BetterAuth's sign-up answer (`token` is null until the
/// address is verified) and change-password answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenAndUser<'a> {
    token: Option<&'a str>,
    user: &'a User,
}

/// `{session, user}`: BetterAuth's `get-session` answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionAnswer<'a> {
    session: &'a SessionRecord,
    user: &'a User,
}

/// `{success: true}` (sign-out).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AuthSuccess)]
pub struct Success {
    success: bool,
}

/// `{status: true, message?, user?}`: BetterAuth's acknowledgements.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AuthStatus)]
pub struct Status<'a> {
    status: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a User>,
}

const DONE: Status<'static> = Status {
    status: true,
    message: None,
    user: None,
};

/// JSON with a `Set-Cookie` header.
fn with_cookie(body: impl Serialize, set_cookie: HeaderValue) -> Response {
    let mut response = axum::Json(body).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie);
    no_store(response)
}

/// Session answers are personal: never cached by anything in between.
fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The sign-in answer: `{redirect, token, url, user}` and the cookie.
pub(crate) fn signed_in_response(state: &AppState, signed_in: &SignedIn) -> Response {
    with_cookie(
        SignedInAnswer {
            redirect: false,
            token: &signed_in.token.plaintext,
            url: None,
            user: &signed_in.user,
        },
        cookie::issue(
            state.config(),
            &signed_in.token.plaintext,
            signed_in.session.expires_at,
            state.clock().now(),
        ),
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SignUpBody {
    name: String,
    email: String,
    password: String,
    #[serde(rename = "callbackURL")]
    callback_url: Option<String>,
}

#[utoipa::path(post, path = "/api/auth/sign-up/email", tag = "auth",
    request_body = SignUpBody,
    responses((status = 200, description = "Registered; a verification link is mailed, and `token` is null until the address is verified (no cookie)", body = TokenAndUser<'_>)))]
pub async fn sign_up(
    State(state): State<AppState>,
    Json(body): Json<SignUpBody>,
) -> Result<Response, ApiError> {
    let input = SignUp {
        name: body.name,
        email: body.email,
        password: body.password,
        callback_url: body.callback_url,
    };
    let user = auth::sign_up(state.ctx(), input).await?;
    Ok(no_store(
        axum::Json(TokenAndUser {
            token: None,
            user: &user,
        })
        .into_response(),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SignInBody {
    pub(crate) email: String,
    pub(crate) password: String,
}

#[utoipa::path(post, path = "/api/auth/sign-in/email", tag = "auth",
    request_body = SignInBody,
    responses(
        (status = 200, description = "Signed in: the session cookie is set", body = SignedInAnswer<'_>,
            headers(("Set-Cookie" = String, description = "`codex-session`, HttpOnly"))),
        (status = 401, description = "Wrong address or password (answered alike)", body = AuthErrorEnvelope),
        (status = 403, description = "The address is not verified: a new link is mailed", body = AuthErrorEnvelope),
        (status = 429, description = "Too many attempts from this address", body = AuthErrorEnvelope),
    ))]
pub async fn sign_in(
    State(state): State<AppState>,
    Client(client): Client,
    Json(body): Json<SignInBody>,
) -> Result<Response, ApiError> {
    sign_in_as(&state, &client, &body).await
}

/// Signs in and answers with the session cookie (also the test routes' way in).
pub(crate) async fn sign_in_as(
    state: &AppState,
    client: &ClientInfo,
    body: &SignInBody,
) -> Result<Response, ApiError> {
    let signed_in = auth::sign_in(state.ctx(), &body.email, &body.password, client).await?;
    Ok(signed_in_response(state, &signed_in))
}

#[utoipa::path(post, path = "/api/auth/sign-out", tag = "auth",
    security((), ("session" = [])),
    responses((status = 200, description = "The session is revoked and the cookie cleared", body = Success)))]
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = cookie::session_token(&headers) {
        session::revoke(state.ctx(), &token).await?;
    }
    Ok(with_cookie(
        Success { success: true },
        cookie::clear(state.config()),
    ))
}

#[utoipa::path(get, path = "/api/auth/get-session", tag = "auth",
    security((), ("session" = [])),
    responses((status = 200, description = "The session and its user, or null when the cookie is missing, unknown or expired", body = Option<SessionAnswer<'_>>)))]
pub async fn get_session(
    State(state): State<AppState>,
    MaybeViewer(found): MaybeViewer,
    headers: HeaderMap,
) -> Response {
    let token = cookie::session_token(&headers);
    match (found, token) {
        (Some(found), Some(token)) => {
            // Re-issued on every read, so a renewed session's cookie lives as long as it does.
            with_cookie(
                SessionAnswer {
                    session: &found.session,
                    user: &found.user,
                },
                cookie::issue(
                    state.config(),
                    &token,
                    found.session.expires_at,
                    state.clock().now(),
                ),
            )
        }
        (None, Some(_)) => with_cookie((), cookie::clear(state.config())),
        _ => no_store(axum::Json(()).into_response()),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SendVerificationBody {
    email: String,
    #[serde(rename = "callbackURL")]
    callback_url: Option<String>,
}

#[utoipa::path(post, path = "/api/auth/send-verification-email", tag = "auth",
    request_body = SendVerificationBody,
    responses((status = 200, description = "Answered alike for any address; a link is mailed to an unverified account", body = Status<'_>)))]
pub async fn send_verification_email(
    State(state): State<AppState>,
    Json(body): Json<SendVerificationBody>,
) -> Result<Response, ApiError> {
    auth::send_verification_email(state.ctx(), &body.email, body.callback_url.as_deref()).await?;
    Ok(axum::Json(DONE).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    token: String,
    #[serde(rename = "callbackURL")]
    callback_url: Option<String>,
}

fn redirect(location: &str) -> Result<Response, ApiError> {
    let location = HeaderValue::from_str(location).map_err(|_| {
        ApiError::invalid_fields([("callbackURL", "must be a URL of this application")])
    })?;
    Ok(no_store(
        (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
    ))
}

/// Verifies the address and signs the user in. With a `callbackURL` (one
/// of ours), the browser is sent there, with `?error=invalid_token` when
/// the link is no good.
#[utoipa::path(get, path = "/api/auth/verify-email", tag = "auth",
    params(VerifyQuery),
    responses(
        (status = 200, description = "Verified and signed in: the session cookie is set", body = Status<'_>),
        (status = 302, description = "Verified and signed in, sent to `callbackURL` (or there with `?error=invalid_token`)"),
    ))]
pub async fn verify_email(
    State(state): State<AppState>,
    Client(client): Client,
    Query(query): Query<VerifyQuery>,
) -> Result<Response, ApiError> {
    let links = Links::of(state.ctx());
    let callback = query
        .callback_url
        .as_deref()
        .map(|url| links.redirect("callbackURL", url))
        .transpose()?;
    let user = match auth::verify_email(state.ctx(), &query.token).await {
        Ok(user) => user,
        Err(error) => {
            return match callback {
                Some(callback) if error.status() == StatusCode::BAD_REQUEST => {
                    let separator = if callback.contains('?') { '&' } else { '?' };
                    redirect(&format!("{callback}{separator}error=invalid_token"))
                }
                _ => Err(error),
            };
        }
    };
    let (token, session) = session::create(state.ctx(), &user.id, &client).await?;
    let set_cookie = cookie::issue(
        state.config(),
        &token.plaintext,
        session.expires_at,
        state.clock().now(),
    );
    let mut response = match callback {
        Some(callback) => redirect(&callback)?,
        None => no_store(
            axum::Json(Status {
                user: Some(&user),
                ..DONE
            })
            .into_response(),
        ),
    };
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie);
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResetRequestBody {
    email: String,
    redirect_to: Option<String>,
}

#[utoipa::path(post, path = "/api/auth/request-password-reset", tag = "auth",
    request_body = ResetRequestBody,
    responses((status = 200, description = "Answered alike for any address; a reset link to `{WEB_APP_URL}/reset-password?token=` is mailed to an account", body = Status<'_>)))]
pub async fn request_password_reset(
    State(state): State<AppState>,
    Json(body): Json<ResetRequestBody>,
) -> Result<Response, ApiError> {
    auth::request_password_reset(state.context(), &body.email, body.redirect_to.as_deref()).await?;
    Ok(axum::Json(Status {
        message: Some("If this email exists in our system, check your email for the reset link"),
        ..DONE
    })
    .into_response())
}

/// `{token, newPassword}` (BetterAuth's client) or `{token, password}`
/// (the web app's reset form); both may be sent only when they agree.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResetBody {
    new_password: Option<String>,
    password: Option<String>,
    token: String,
}

impl ResetBody {
    /// The new password and the name it came under.
    fn new_password(&self) -> Result<(&'static str, &str), ApiError> {
        match (&self.new_password, &self.password) {
            (Some(new_password), Some(password)) if new_password != password => {
                Err(ApiError::invalid_fields([(
                    "password",
                    "differs from newPassword; send one of them",
                )]))
            }
            (Some(new_password), _) => Ok(("newPassword", new_password)),
            (None, Some(password)) => Ok(("password", password)),
            (None, None) => Err(ApiError::invalid_fields([("newPassword", "is required")])),
        }
    }
}

#[utoipa::path(post, path = "/api/auth/reset-password", tag = "auth",
    request_body = ResetBody,
    responses((status = 200, description = "The password is changed and every session of the account ends", body = Status<'_>)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Json(body): Json<ResetBody>,
) -> Result<Response, ApiError> {
    let (field, new_password) = body.new_password()?;
    auth::reset_password(state.ctx(), &body.token, field, new_password).await?;
    Ok(axum::Json(DONE).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordBody {
    current_password: String,
    new_password: String,
}

/// Changes the password; every session of the account ends, and the caller
/// gets a new one.
#[utoipa::path(post, path = "/api/auth/change-password", tag = "auth",
    security(("session" = [])), request_body = ChangePasswordBody,
    responses((status = 200, description = "Changed: every other session ends and the caller gets a new cookie", body = TokenAndUser<'_>)))]
pub async fn change_password(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Client(client): Client,
    Json(body): Json<ChangePasswordBody>,
) -> Result<Response, ApiError> {
    let signed_in = auth::change_password(
        state.ctx(),
        &viewer.user.id,
        &body.current_password,
        &body.new_password,
        &client,
    )
    .await?;
    Ok(with_cookie(
        TokenAndUser {
            token: Some(&signed_in.token.plaintext),
            user: &signed_in.user,
        },
        cookie::issue(
            state.config(),
            &signed_in.token.plaintext,
            signed_in.session.expires_at,
            state.clock().now(),
        ),
    ))
}
