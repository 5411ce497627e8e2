//! The `auth-worker` service: accounts and sessions (sign-up, sign-in,
//! sign-out, e-mail verification, password reset and change), compatible
//! with the BetterAuth client the front end uses.
//!
//! [`routes`] is the service's axum router; the native host serves it on
//! its port in `services.tsv` and the `auth` worker serves it on Cloudflare Workers. The
//! shared behaviour (health, envelopes, headers, CORS) comes from
//! `codex-http-kit`; the account rules from `codex-users`.

mod better_auth;
mod handlers;
mod test_routes;

use codex_http_kit::openapi::AddRoutes as _;
use codex_http_kit::rate_limit::{self, AUTH};
use codex_http_kit::routes;
use codex_http_kit::{Envelope, Routes, Service};

pub const SERVICE: Service = Service {
    name: "auth-worker",
    version: env!("CARGO_PKG_VERSION"),
    envelope: Envelope::BetterAuth,
};

/// The service's own routes (the shared ones are added by `codex_http_kit::app`).
pub fn routes() -> Routes {
    let limited = Routes::new()
        .add(routes!(handlers::sign_up))
        .add(routes!(handlers::sign_in))
        .add(routes!(handlers::request_password_reset))
        .add(routes!(handlers::reset_password))
        .route_layer(axum::middleware::from_fn(|request, next| {
            rate_limit::enforce(AUTH, request, next)
        }));
    Routes::new()
        .merge(limited)
        .add(routes!(handlers::sign_out))
        .add(routes!(handlers::get_session))
        .add(routes!(handlers::send_verification_email))
        .add(routes!(handlers::verify_email))
        .add(routes!(handlers::change_password))
        // Every other path under /api/auth/ answers 404 in BetterAuth's
        // shape: not an operation, so not described.
        .route(
            "/api/auth/{*rest}",
            axum::routing::any(better_auth::unknown_endpoint),
        )
        .layer(axum::middleware::from_fn(better_auth::error_body))
        // Development and test only, and not part of the contract.
        .merge(test_routes::routes().into())
}

#[cfg(target_arch = "wasm32")]
codex_http_kit::workers_entry_point!(SERVICE, routes, "auth");
