//! E-mail-and-password accounts: sign-up, sign-in, e-mail verification,
//! password reset and change. The error `details.code`s are BetterAuth's
//! (`USER_ALREADY_EXISTS`, `INVALID_EMAIL_OR_PASSWORD`, …) so the existing
//! client can tell the cases apart.

use std::future::Future;
use std::sync::Arc;

use codex_context::token::IssuedToken;
use codex_validation::email;

use crate::password;
use codex_errors::{ApiError, ErrorCode};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::json;

use crate::email_token::{self, Purpose};
use crate::session::{self, ClientInfo, SessionRecord};
use crate::user::{self, User};
use codex_context::{Context, new_id};
use codex_database::columns;

use crate::{coded, messages};

/// Where the links in e-mails point, and where clients may be sent back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// Public base URL of the auth service.
    pub auth_url: String,
    /// The web app's origin: relative callback paths resolve against it,
    /// its `/verify-email` page receives verification links, and its
    /// `/reset-password` page reset links by default.
    pub web_app_url: Option<String>,
    /// Origins a `callbackURL` or `redirectTo` may point at. Anything else
    /// is refused, so links in our e-mails never lead elsewhere.
    pub allowed_origins: Vec<String>,
    /// Development and test only: keep the latest verification token per
    /// address in the key-value store for the test route to read.
    pub expose_tokens: bool,
}

/// The KV key under which development keeps the latest verification token.
pub fn exposed_token_key(email: &str) -> String {
    format!("test:verification:{email}")
}

impl Links {
    /// The links of this deployment, from its configuration.
    pub fn of(ctx: &Context) -> Self {
        let config = ctx.config();
        Self {
            auth_url: config.auth_url.clone(),
            web_app_url: config.web_app_url.clone(),
            allowed_origins: config.cors_origins.clone(),
            expose_tokens: config.environment.is_local(),
        }
    }

    /// The web app's page that verification links open,
    /// `{WEB_APP_URL}/verify-email`: it reads `?token=` and calls
    /// `GET /api/auth/verify-email` itself, so the web app sets its own
    /// session cookie. Without `WEB_APP_URL` (only possible outside
    /// development and test) there is nowhere to send people:
    /// `CONFIGURATION_ERROR`.
    pub fn verify_page(&self) -> Result<String, ApiError> {
        self.web_app_url
            .as_ref()
            .map(|base| format!("{base}/verify-email"))
            .ok_or_else(|| ApiError::configuration("WEB_APP_URL"))
    }

    /// Checks a client-supplied URL to send the user to, and returns it in
    /// absolute form.
    pub fn redirect(&self, field: &'static str, url: &str) -> Result<String, ApiError> {
        let refused = || ApiError::invalid_fields([(field, "must be a URL of this application")]);
        if url.len() > 2048
            || url
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
        {
            return Err(refused());
        }
        if url.starts_with('/') && !url.starts_with("//") {
            return match &self.web_app_url {
                Some(base) => Ok(format!("{base}{url}")),
                None => Err(refused()),
            };
        }
        let origin = origin_of(url).ok_or_else(refused)?;
        if self.allowed_origins.iter().any(|allowed| allowed == origin) {
            Ok(url.to_owned())
        } else {
            Err(refused())
        }
    }
}

/// `scheme://host[:port]` of an absolute http(s) URL without user info.
fn origin_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(&url[..url.len() - rest.len() + authority_end])
}

fn encode(value: &str) -> String {
    utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
}

fn check_name(name: &str) -> Result<String, ApiError> {
    codex_validation::required_text("name", name, 255)
}

fn check_email(raw: &str) -> Result<String, ApiError> {
    email::normalise(raw)
        .map_err(|_| ApiError::invalid_fields([("email", "Invalid email address")]))
}

fn check_password(field: &'static str, candidate: &str) -> Result<(), ApiError> {
    password::check(candidate)
        .map_err(|error| ApiError::invalid_fields([(field, error.to_string())]))
}

async fn hash_password(field: &'static str, candidate: &str) -> Result<String, ApiError> {
    password::hash(candidate)
        .await
        .map_err(|error| match error {
            password::PasswordError::Length => {
                ApiError::invalid_fields([(field, error.to_string())])
            }
            password::PasswordError::Hashing => ApiError::internal(error),
        })
}

fn invalid_token() -> ApiError {
    coded(
        ApiError::validation("Invalid or expired token"),
        "INVALID_TOKEN",
    )
}

/// A new account's details, as the sign-up form sends them.
#[derive(Debug, Clone)]
pub struct SignUp {
    pub name: String,
    pub email: String,
    pub password: String,
    pub callback_url: Option<String>,
}

/// Creates an unverified account and e-mails the verification link. One
/// account per address, however many requests race. Refused while the
/// platform settings switch sign-ups off.
pub async fn sign_up(ctx: &Context, input: SignUp) -> Result<User, ApiError> {
    let links = &Links::of(ctx);
    if !codex_platform::current(ctx).await?.enable_signups {
        return Err(coded(
            ApiError::forbidden("Sign-ups are closed on this platform at the moment."),
            "SIGNUPS_DISABLED",
        ));
    }
    // No account that could never be verified.
    links.verify_page()?;
    let name = check_name(&input.name)?;
    let address = check_email(&input.email)?;
    check_password("password", &input.password)?;
    let callback = input
        .callback_url
        .as_deref()
        .map(|url| links.redirect("callbackURL", url))
        .transpose()?;
    let password_hash = hash_password("password", &input.password).await?;

    let user_id = new_id()?;
    let mut transaction = ctx.database().begin().await?;
    let inserted = transaction
        .query_opt(
            &format!(
                "INSERT INTO users AS u (id, name, email) VALUES ($1, $2, $3) RETURNING {}",
                columns::<User>("u")
            ),
            &[
                user_id.as_str().into(),
                name.into(),
                address.as_str().into(),
            ],
        )
        .await;
    let row = match inserted {
        Ok(Some(row)) => row,
        Ok(None) => return Err(ApiError::internal("user insert returned no row")),
        Err(error) if error.is_unique_violation("users_email_unique") => {
            return Err(coded(
                ApiError::business_rule("User already exists. Use another email."),
                "USER_ALREADY_EXISTS",
            ));
        }
        Err(error) => return Err(error.into()),
    };
    transaction
        .execute(
            "INSERT INTO accounts (id, account_id, provider_id, user_id, password) \
             VALUES ($1, $2, 'credential', $2, $3)",
            &[
                new_id()?.into(),
                user_id.as_str().into(),
                password_hash.into(),
            ],
        )
        .await?;
    transaction.commit().await?;
    let user = row.decode::<User>()?;
    tracing::info!(user_id = %user.id, "account created");
    send_verification_to(ctx, links, &user, callback.as_deref()).await;
    Ok(user)
}

/// Mails a fresh verification link. A failure is logged, not returned: the
/// account exists either way and the user can ask for another link.
async fn send_verification_to(ctx: &Context, links: &Links, user: &User, callback: Option<&str>) {
    let result = async {
        let page = links.verify_page()?;
        let token = email_token::issue(ctx, Purpose::EmailVerification, &user.id).await?;
        let mut link = format!("{page}?token={token}");
        if let Some(callback) = callback {
            link.push_str("&callbackURL=");
            link.push_str(&encode(callback));
        }
        if links.expose_tokens {
            let value = json!({ "token": token, "email": user.email }).to_string();
            let ttl = Purpose::EmailVerification.lifetime().to_std().ok();
            ctx.kv()
                .put(&exposed_token_key(&user.email), &value, ttl)
                .await
                .map_err(ApiError::internal)?;
        }
        ctx.mailer()
            .send(&messages::verify_email(&user.email, &user.name, &link))
            .await
            .map_err(ApiError::internal)
    }
    .await;
    if let Err(error) = result {
        tracing::error!(user_id = %user.id, %error, "could not send the verification e-mail");
    }
}

/// A successful sign-in: the token for the cookie, the session and the user.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: IssuedToken,
    pub session: SessionRecord,
    pub user: User,
}

/// Signs in with e-mail and password. An unknown address and a wrong
/// password get the same answer after the same work. An unverified account
/// is refused and sent a new link.
pub async fn sign_in(
    ctx: &Context,
    email_address: &str,
    candidate: &str,
    client: &ClientInfo,
) -> Result<SignedIn, ApiError> {
    let links = &Links::of(ctx);
    let address = check_email(email_address)?;
    let found = user::find_live_by_email(ctx.database(), &address).await?;
    let stored = found.as_ref().and_then(|(_, hash)| hash.as_deref());
    let matches = password::verify_or_decoy(candidate, stored).await;
    let Some((user, _)) = found.filter(|_| matches) else {
        return Err(coded(
            ApiError::new(ErrorCode::Unauthorized, "Invalid email or password"),
            "INVALID_EMAIL_OR_PASSWORD",
        ));
    };
    if !user.email_verified {
        send_verification_to(ctx, links, &user, None).await;
        return Err(coded(
            ApiError::forbidden("Email not verified. We have sent you a new verification link."),
            "EMAIL_NOT_VERIFIED",
        ));
    }
    let (token, session) = session::create(ctx, &user.id, client).await?;
    Ok(SignedIn {
        token,
        session,
        user,
    })
}

/// Sends a new verification link when the address belongs to an
/// unverified account; answers the same either way.
pub async fn send_verification_email(
    ctx: &Context,
    email_address: &str,
    callback_url: Option<&str>,
) -> Result<(), ApiError> {
    let links = &Links::of(ctx);
    let address = check_email(email_address)?;
    let callback = callback_url
        .map(|url| links.redirect("callbackURL", url))
        .transpose()?;
    if let Some((user, _)) = user::find_live_by_email(ctx.database(), &address).await?
        && !user.email_verified
    {
        send_verification_to(ctx, links, &user, callback.as_deref()).await;
    }
    Ok(())
}

/// Redeems a verification token: the account is verified and welcomed, and
/// every other verification link of it stops working.
pub async fn verify_email(ctx: &Context, token: &str) -> Result<User, ApiError> {
    let user_id = email_token::redeem(ctx, Purpose::EmailVerification, token)
        .await?
        .ok_or_else(invalid_token)?;
    let was_verified = user::find_live(ctx.database(), &user_id)
        .await?
        .ok_or_else(invalid_token)?
        .email_verified;
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "UPDATE users u SET email_verified = true WHERE u.id = $1 AND u.deleted_at IS NULL \
                 RETURNING {}",
                columns::<User>("u")
            ),
            &[user_id.as_str().into()],
        )
        .await?
        .ok_or_else(invalid_token)?;
    let user = row.decode::<User>()?;
    email_token::withdraw_all(ctx, Purpose::EmailVerification, &user.id).await?;
    if !was_verified
        && let Err(error) = ctx
            .mailer()
            .send(&messages::welcome(&user.email, &user.name))
            .await
    {
        tracing::error!(user_id = %user.id, %error, "could not send the welcome e-mail");
    }
    Ok(user)
}

/// Mails a reset link when the address has a password account; answers the
/// same either way, after the same work: for any other address a decoy token
/// is stored (for an id no account has, its plaintext dropped) and the
/// message is recorded as withheld. Natively that work runs after the
/// answer; on Workers, where this code cannot reach `waitUntil`, before it.
pub async fn request_password_reset(
    ctx: &Arc<Context>,
    email_address: &str,
    redirect_to: Option<&str>,
) -> Result<(), ApiError> {
    let links = &Links::of(ctx);
    let address = check_email(email_address)?;
    let page = match redirect_to {
        Some(url) => links.redirect("redirectTo", url)?,
        None => match &links.web_app_url {
            Some(base) => format!("{base}/reset-password"),
            None => format!("{}/reset-password", links.auth_url),
        },
    };
    let ctx = Arc::clone(ctx);
    after_the_answer(async move {
        if let Err(error) = mail_reset_link(&ctx, &address, &page).await {
            tracing::error!(%error, "could not handle a password reset request");
        }
    })
    .await;
    Ok(())
}

/// The same statements whether or not `address` has a password account.
async fn mail_reset_link(ctx: &Context, address: &str, page: &str) -> Result<(), ApiError> {
    let known = match user::find_live_by_email(ctx.database(), address).await? {
        Some((user, Some(_))) => Some(user),
        _ => None,
    };
    let owner = match &known {
        Some(user) => user.id.clone(),
        None => new_id()?,
    };
    let token = email_token::issue(ctx, Purpose::PasswordReset, &owner).await?;
    let separator = if page.contains('?') { '&' } else { '?' };
    let link = format!("{page}{separator}token={token}");
    let Some(user) = known else {
        let message = messages::reset_password(address, "", &link);
        return ctx
            .mailer()
            .withhold(&message)
            .await
            .map_err(ApiError::internal);
    };
    if let Err(error) = ctx
        .mailer()
        .send(&messages::reset_password(&user.email, &user.name, &link))
        .await
    {
        tracing::error!(user_id = %user.id, %error, "could not send the reset e-mail");
    }
    Ok(())
}

/// Natively, `work` runs after the answer is sent; on Workers, before it.
async fn after_the_answer(work: impl Future<Output = ()> + Send + 'static) {
    #[cfg(not(target_arch = "wasm32"))]
    drop(tokio::spawn(work));
    #[cfg(target_arch = "wasm32")]
    work.await;
}

/// Sets a new password with a reset token. Every session of the account is
/// revoked, every other reset link withdrawn, and the address counts as
/// verified (the link proved it). `field` names the password in errors,
/// as the client sent it (`newPassword` or `password`).
pub async fn reset_password(
    ctx: &Context,
    token: &str,
    field: &'static str,
    new_password: &str,
) -> Result<(), ApiError> {
    let password_hash = hash_password(field, new_password).await?;
    let user_id = email_token::redeem(ctx, Purpose::PasswordReset, token)
        .await?
        .ok_or_else(invalid_token)?;
    let user = replace_password(ctx, &user_id, &password_hash, true).await?;
    email_token::withdraw_all(ctx, Purpose::PasswordReset, &user.id).await?;
    notify_password_changed(ctx, &user).await;
    Ok(())
}

/// Changes the password of a signed-in user who knows the current one.
/// Every session of the account is revoked, and a new one is started for
/// the caller.
pub async fn change_password(
    ctx: &Context,
    user_id: &str,
    current: &str,
    new_password: &str,
    client: &ClientInfo,
) -> Result<SignedIn, ApiError> {
    check_password("newPassword", new_password)?;
    let row = ctx
        .database()
        .query_opt(
            "SELECT password FROM accounts WHERE user_id = $1 AND provider_id = 'credential'",
            &[user_id.into()],
        )
        .await?;
    let stored: Option<String> = row.map(|row| row.get("password")).transpose()?.flatten();
    if !password::verify_or_decoy(current, stored.as_deref()).await {
        return Err(coded(
            ApiError::validation("Invalid password"),
            "INVALID_PASSWORD",
        ));
    }
    let password_hash = hash_password("newPassword", new_password).await?;
    let user = replace_password(ctx, user_id, &password_hash, false).await?;
    notify_password_changed(ctx, &user).await;
    let (token, session) = session::create(ctx, &user.id, client).await?;
    Ok(SignedIn {
        token,
        session,
        user,
    })
}

async fn replace_password(
    ctx: &Context,
    user_id: &str,
    password_hash: &str,
    mark_verified: bool,
) -> Result<User, ApiError> {
    let mut transaction = ctx.database().begin().await?;
    let row = transaction
        .query_opt(
            &format!(
                "UPDATE users u SET email_verified = email_verified OR $2 \
                 WHERE u.id = $1 AND u.deleted_at IS NULL RETURNING {}",
                columns::<User>("u")
            ),
            &[user_id.into(), mark_verified.into()],
        )
        .await?
        .ok_or_else(invalid_token)?;
    transaction
        .execute(
            "INSERT INTO accounts (id, account_id, provider_id, user_id, password) \
             VALUES ($1, $2, 'credential', $2, $3) \
             ON CONFLICT (provider_id, account_id) DO UPDATE SET password = EXCLUDED.password",
            &[new_id()?.into(), user_id.into(), password_hash.into()],
        )
        .await?;
    session::delete_all_in(transaction.as_mut(), user_id).await?;
    transaction.commit().await?;
    Ok(row.decode::<User>()?)
}

/// Development and test only (the test routes): marks the account with
/// this address verified and, when given, sets its role.
pub async fn mark_verified(
    ctx: &Context,
    email_address: &str,
    role: Option<crate::Role>,
) -> Result<(), ApiError> {
    let address = check_email(email_address)?;
    ctx.database()
        .query_opt(
            "UPDATE users SET email_verified = true, role = COALESCE($2, role) \
             WHERE email = $1 AND deleted_at IS NULL RETURNING id",
            &[address.into(), role.map(crate::Role::as_str).into()],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("No such account"))?;
    Ok(())
}

async fn notify_password_changed(ctx: &Context, user: &User) {
    if let Err(error) = ctx
        .mailer()
        .send(&messages::password_changed(&user.email, &user.name))
        .await
    {
        tracing::error!(user_id = %user.id, %error, "could not send the password-changed e-mail");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> Links {
        Links {
            auth_url: "http://localhost:42069".to_owned(),
            web_app_url: Some("http://localhost:5173".to_owned()),
            allowed_origins: vec!["http://localhost:5173".to_owned()],
            expose_tokens: false,
        }
    }

    #[test]
    fn redirects_stay_on_allowed_origins() {
        let links = links();
        assert_eq!(
            links.redirect("callbackURL", "http://localhost:5173/welcome?x=1"),
            Ok("http://localhost:5173/welcome?x=1".to_owned())
        );
        assert_eq!(
            links.redirect("callbackURL", "/library"),
            Ok("http://localhost:5173/library".to_owned())
        );
        for hostile in [
            "https://evil.example/",
            "//evil.example/",
            "http://localhost:5173@evil.example/",
            "http://localhost:51730/",
            "javascript:alert(1)",
            "http://localhost:5173\\@evil.example",
            "/\\evil.example",
            "",
        ] {
            assert!(links.redirect("callbackURL", hostile).is_err(), "{hostile}");
        }
    }

    #[test]
    fn origins_are_cut_at_the_path_query_or_fragment() {
        assert_eq!(origin_of("https://a.example/x"), Some("https://a.example"));
        assert_eq!(origin_of("https://a.example?x"), Some("https://a.example"));
        assert_eq!(
            origin_of("http://a.example:8080#f"),
            Some("http://a.example:8080")
        );
        assert_eq!(origin_of("ftp://a.example"), None);
    }
}
