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

use axum::Router;
use axum::routing::{get, post};
use codex_http_kit::rate_limit::{self, AUTH};
use codex_http_kit::{AppState, Service};

pub const SERVICE: Service = Service {
    name: "auth-worker",
    version: env!("CARGO_PKG_VERSION"),
    envelope: codex_http_kit::Envelope::BetterAuth,
};

/// The service's own routes (the shared ones are added by `codex_http_kit::app`).
pub fn routes() -> codex_http_kit::Routes {
    routes_undescribed().into()
}

fn routes_undescribed() -> Router<AppState> {
    let limited = Router::new()
        .route("/api/auth/sign-up/email", post(handlers::sign_up))
        .route("/api/auth/sign-in/email", post(handlers::sign_in))
        .route(
            "/api/auth/request-password-reset",
            post(handlers::request_password_reset),
        )
        .route("/api/auth/reset-password", post(handlers::reset_password))
        .route_layer(axum::middleware::from_fn(|request, next| {
            rate_limit::enforce(AUTH, request, next)
        }));
    let auth = Router::new()
        .merge(limited)
        .route("/api/auth/sign-out", post(handlers::sign_out))
        .route("/api/auth/get-session", get(handlers::get_session))
        .route(
            "/api/auth/send-verification-email",
            post(handlers::send_verification_email),
        )
        .route("/api/auth/verify-email", get(handlers::verify_email))
        .route("/api/auth/change-password", post(handlers::change_password))
        .route(
            "/api/auth/{*rest}",
            axum::routing::any(better_auth::unknown_endpoint),
        )
        .layer(axum::middleware::from_fn(better_auth::error_body));
    auth.merge(test_routes::routes())
}

#[cfg(target_arch = "wasm32")]
codex_http_kit::workers_entry_point!(SERVICE, routes);
