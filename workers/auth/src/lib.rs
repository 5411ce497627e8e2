//! The `auth-worker` service: accounts and sessions: sign-up, sign-in, sign-out, e-mail verification and password reset, compatible with the BetterAuth client the front end uses.
//!
//! [`routes`] is the service's axum router; the native host serves it on
//! port 42069 and the `auth` worker serves it on Cloudflare Workers. The
//! shared behaviour (health, envelopes, headers, CORS) comes from
//! `codex-http-kit`.

use axum::Router;
use codex_http_kit::{AppState, Service};

pub const SERVICE: Service = Service {
    name: "auth-worker",
    version: env!("CARGO_PKG_VERSION"),
};

/// The port the existing front end expects this service on.
pub const DEFAULT_PORT: u16 = 42069;

/// The service's own routes (the shared ones are added by `codex_http_kit::app`).
pub fn routes() -> Router<AppState> {
    Router::new()
}

#[cfg(target_arch = "wasm32")]
codex_http_kit::workers_entry_point!(SERVICE, routes);
