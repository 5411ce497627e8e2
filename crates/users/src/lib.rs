//! Users, their credentials, sessions and e-mailed tokens: the account
//! rules behind the auth and identity services, on both runtimes.
//!
//! - [`user`]: the user record and its roles;
//! - [`session`]: sessions held in PostgreSQL (token hashes only) and cached
//!   in the key-value store until they expire, with sliding renewal and
//!   revocation;
//! - [`email_token`]: single-use, expiring tokens sent by e-mail;
//! - [`auth`]: sign-up, sign-in, verification, password reset and change;
//! - [`profile`]: what a user may change about themselves, up to deleting
//!   the account;
//! - [`messages`]: the e-mails those flows send.
//!
//! Every operation takes [`Deps`], the outside world it may touch, so the
//! same rules run natively and on Workers.

pub mod auth;
pub mod email_token;
pub mod messages;
pub mod profile;
pub mod session;
pub mod user;

use codex_clock::Clock;
use codex_database::Database;
use codex_errors::ApiError;
use codex_kv::KeyValue;
use codex_mail::Mailer;
use serde_json::json;

pub use user::{Role, User};

/// The outside world an account operation may touch.
#[derive(Clone, Copy)]
pub struct Deps<'a> {
    pub database: &'a dyn Database,
    pub kv: &'a dyn KeyValue,
    pub mailer: &'a dyn Mailer,
    pub clock: &'a dyn Clock,
}

/// An error whose `details.code` names the precise reason, as the
/// BetterAuth client expects (e.g. `INVALID_EMAIL_OR_PASSWORD`).
pub(crate) fn coded(error: ApiError, code: &'static str) -> ApiError {
    error.with_details(json!({ "code": code }))
}

/// A fresh random identifier of 32 lower-case hex characters, the shape of
/// the text ids BetterAuth tables use.
pub(crate) fn new_id() -> Result<String, ApiError> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    Ok(hex::encode(bytes))
}
