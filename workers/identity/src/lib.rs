//! The `identity-api` service: a user's own profile, avatar, role upgrade,
//! e-mail preferences, creator onboarding and account deletion, and, for
//! the other services, the signed membership look-up and the re-encoding of
//! their pictures.
//!
//! [`routes`] is the service's axum router; the native host serves it on
//! its port in `services.tsv` and the `identity` worker serves it on Cloudflare Workers.
//! The shared behaviour (health, envelopes, headers, CORS) comes from
//! `codex-http-kit`; the rules from `codex-users::profile`.

mod avatar;
mod handlers;
mod membership;
mod onboarding;
mod pictures;

use axum::routing::get;
use codex_http_kit::openapi::AddRoutes as _;
use codex_http_kit::openapi::{Routes, with_body_limit};
use codex_http_kit::routes;
use codex_http_kit::{Envelope, Service};

pub const SERVICE: Service = Service {
    name: "identity-api",
    version: env!("CARGO_PKG_VERSION"),
    envelope: Envelope::Procedure,
};

/// The service's own routes (the shared ones are added by `codex_http_kit::app`).
pub fn routes() -> Routes {
    let mut routes = Routes::new()
        .add(routes!(handlers::profile, handlers::update_profile))
        .add(with_body_limit(
            routes!(avatar::upload, avatar::remove),
            avatar::MAX_BODY,
        ))
        .add(routes!(handlers::upgrade_to_creator))
        .add(routes!(handlers::delete_account))
        .add(routes!(
            handlers::notification_preferences,
            handlers::update_notification_preferences
        ))
        .add(routes!(onboarding::get, onboarding::update))
        .add(routes!(membership::lookup))
        .add(with_body_limit(
            routes!(pictures::store),
            pictures::MAX_BODY,
        ))
        // A key may hold slashes: axum's catch-all, which OpenAPI cannot
        // write, so the route is described as `/assets/{key}`.
        .route("/assets/{*key}", get(avatar::serve));
    codex_http_kit::openapi::describe::<avatar::__path_serve>(&mut routes);
    routes
}

#[cfg(target_arch = "wasm32")]
codex_http_kit::workers_entry_point!(SERVICE, routes, "identity");
