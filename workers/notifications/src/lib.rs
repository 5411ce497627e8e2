//! The `notifications-api` service: e-mail templates, previews and test sends, the internal send endpoint and unsubscribe links.
//!
//! [`routes`] is the service's axum router; the native host serves it on
//! its port in `services.tsv` and the `notifications` worker serves it on Cloudflare Workers. The
//! shared behaviour (health, envelopes, headers, CORS) comes from
//! `codex-http-kit`.

use codex_http_kit::{Envelope, Routes, Service};

pub const SERVICE: Service = Service {
    name: "notifications-api",
    version: env!("CARGO_PKG_VERSION"),
    envelope: Envelope::Bare,
};

/// The service's own routes (the shared ones are added by `codex_http_kit::app`).
pub fn routes() -> Routes {
    Routes::new()
}

#[cfg(target_arch = "wasm32")]
codex_http_kit::workers_entry_point!(SERVICE, routes, "notifications");
