//! Accounts: users, their credentials, sessions and e-mailed tokens, the
//! rules behind the auth and identity services, on both runtimes. This crate
//! owns the tables `users`, `accounts` (sign-in methods), `sessions`,
//! `verification`, `notification_preferences` and `creator_onboarding`;
//! nothing else reads or writes them.
//!
//! - [`user`]: the user record and its roles;
//! - [`password`]: argon2id hashing with a decoy for unknown addresses;
//! - [`session`]: sessions held in PostgreSQL (token hashes only), with
//!   sliding renewal and revocation that holds on the next request;
//! - [`email_token`]: single-use, expiring tokens sent by e-mail;
//! - [`auth`]: sign-up, sign-in, verification, password reset and change;
//! - [`profile`]: what a user may change about themselves;
//! - [`onboarding`]: where a new creator is in the studio's onboarding;
//! - [`messages`]: the e-mails those flows send.
//!
//! Every operation takes the [`Context`](codex_context::Context), so the
//! same rules run natively and on Workers.

pub mod auth;
pub mod avatar;
pub mod email_token;
pub mod messages;
pub mod onboarding;
pub mod password;
pub mod profile;
pub mod session;
pub mod user;

use codex_errors::ApiError;
use serde_json::json;

pub use user::{Role, User};

/// An error whose `details.code` names the precise reason, as the
/// BetterAuth client expects (e.g. `INVALID_EMAIL_OR_PASSWORD`).
pub(crate) fn coded(error: ApiError, code: &'static str) -> ApiError {
    error.with_details(json!({ "code": code }))
}
