//! The `identity-api` service: a user's own profile, avatar, role upgrade,
//! e-mail preferences, creator onboarding and account deletion, and the
//! signed membership look-up for the other services.
//!
//! [`routes`] is the service's axum router; the native host serves it on
//! its port in `services.tsv` and the `identity` worker serves it on Cloudflare Workers.
//! The shared behaviour (health, envelopes, headers, CORS) comes from
//! `codex-http-kit`; the rules from `codex-users::profile`.

mod avatar;
mod handlers;
mod membership;
mod onboarding;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use codex_http_kit::{AppState, Service};

pub const SERVICE: Service = Service {
    name: "identity-api",
    version: env!("CARGO_PKG_VERSION"),
};

/// The service's own routes (the shared ones are added by `codex_http_kit::app`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/user/profile",
            get(handlers::profile).patch(handlers::update_profile),
        )
        .route(
            "/api/user/avatar",
            post(avatar::upload)
                .delete(avatar::remove)
                .layer(DefaultBodyLimit::max(avatar::MAX_BODY)),
        )
        .route(
            "/api/user/upgrade-to-creator",
            post(handlers::upgrade_to_creator),
        )
        .route(
            "/api/user/account",
            axum::routing::delete(handlers::delete_account),
        )
        .route(
            "/api/user/notification-preferences",
            get(handlers::notification_preferences).put(handlers::update_notification_preferences),
        )
        .route(
            "/api/user/creator-onboarding",
            get(onboarding::get).patch(onboarding::update),
        )
        .route(
            "/api/organizations/{orgId}/membership/{userId}",
            get(membership::lookup),
        )
        .route("/assets/{*key}", get(avatar::serve))
}

#[cfg(target_arch = "wasm32")]
codex_http_kit::workers_entry_point!(SERVICE, routes);
