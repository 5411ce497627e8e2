//! The `media-api` service: transcoding: triggering jobs on the GPU transcoder, retries, status, and the signed transcoder callback.
//!
//! [`routes`] is the service's axum router; the native host serves it on
//! its port in `services.tsv` and the `media` worker serves it on Cloudflare Workers. The
//! shared behaviour (health, envelopes, headers, CORS) comes from
//! `codex-http-kit`.

mod callbacks;
mod transcoding;

use codex_http_kit::openapi::AddRoutes as _;
use codex_http_kit::routes;
use codex_http_kit::{Envelope, Routes, Service};

pub const SERVICE: Service = Service {
    name: "media-api",
    version: env!("CARGO_PKG_VERSION"),
    envelope: Envelope::Procedure,
};

/// The service's own routes (the shared ones are added by `codex_http_kit::app`).
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(transcoding::start))
        .add(routes!(transcoding::retry))
        .add(routes!(transcoding::status))
        .add(routes!(callbacks::callback))
        .add(routes!(callbacks::runpod_webhook))
}

#[cfg(target_arch = "wasm32")]
codex_http_kit::workers_entry_point!(SERVICE, routes, "media");

/// The cron trigger (`wrangler/media.toml`): transcoding jobs that went
/// silent are failed.
#[cfg(target_arch = "wasm32")]
#[worker::event(scheduled)]
async fn scheduled(
    _event: worker::ScheduledEvent,
    env: worker::Env,
    _context: worker::ScheduleContext,
) {
    match codex_http_kit::edge::context(&env) {
        Ok(ctx) => codex_flows::transcoding::maintain(&ctx).await,
        Err(error) => worker::console_error!("media-api upkeep cannot start: {error}"),
    }
}
