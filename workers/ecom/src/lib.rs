//! The `ecom-api` service: stripe checkout, purchases, sales, subscriptions and the Stripe webhooks.
//!
//! [`routes`] is the service's axum router; the native host serves it on
//! its port in `services.tsv` and the `ecom` worker serves it on Cloudflare Workers. The
//! shared behaviour (health, envelopes, headers, CORS) comes from
//! `codex-http-kit`.

use codex_http_kit::{Envelope, Routes, Service};

pub const SERVICE: Service = Service {
    name: "ecom-api",
    version: env!("CARGO_PKG_VERSION"),
    envelope: Envelope::Procedure,
};

/// The service's own routes (the shared ones are added by `codex_http_kit::app`).
pub fn routes() -> Routes {
    Routes::new()
}

#[cfg(target_arch = "wasm32")]
codex_http_kit::workers_entry_point!(SERVICE, routes, "ecom");
