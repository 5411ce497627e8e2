//! The `media-api` service: transcoding: triggering jobs on the GPU transcoder, retries, status, and the signed transcoder callback.
//!
//! [`routes`] is the service's axum router; the native host serves it on
//! its port in `services.tsv` and the `media` worker serves it on Cloudflare Workers. The
//! shared behaviour (health, envelopes, headers, CORS) comes from
//! `codex-http-kit`.

use codex_http_kit::{Envelope, Routes, Service};

pub const SERVICE: Service = Service {
    name: "media-api",
    version: env!("CARGO_PKG_VERSION"),
    envelope: Envelope::Procedure,
};

/// The service's own routes (the shared ones are added by `codex_http_kit::app`).
pub fn routes() -> Routes {
    Routes::new()
}

#[cfg(target_arch = "wasm32")]
codex_http_kit::workers_entry_point!(SERVICE, routes, "media");
