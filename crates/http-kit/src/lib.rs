//! What every Codex service shares over HTTP, on both runtimes.
//!
//! - [`AppState`]: the service's identity and the shared
//!   [`Context`](codex_context::Context) (the outside world and the
//!   configuration), handed to every handler;
//! - [`app`]: wraps a service's routes with the shared behaviour: request
//!   ids, request spans named by route template, security headers, CORS,
//!   `GET /health`, the 404 fallback, the error envelope for everything
//!   axum itself would answer in plain text, and (natively) a 500 envelope
//!   for a handler that panics;
//! - [`extract`]: `Json`, `Path` and `Query` extractors whose rejections use
//!   the error envelope;
//! - [`respond`]: the success envelopes;
//! - [`telemetry`]: tracing set-up;
//! - `edge`: the Cloudflare Workers entry point (wasm32 only).

pub mod client;
pub mod dev;
#[cfg(target_arch = "wasm32")]
pub mod edge;
pub mod extract;
pub mod health;
pub mod layers;
pub mod openapi;
pub mod rate_limit;
pub mod respond;
mod state;
pub mod telemetry;
#[cfg(feature = "multipart")]
pub mod upload;

use axum::Router;

pub use openapi::{Envelope, Routes, ServiceRoutes};
pub use state::{AppState, Service};
#[doc(hidden)]
pub use {axum, utoipa, utoipa_axum};

/// Wraps a service's routes with everything the services share and binds
/// the state. `/health` and `/openapi.json` come with [`ServiceRoutes`].
pub fn app(service_routes: &ServiceRoutes, state: AppState) -> Router {
    let cors = layers::cors(&state.config().cors_origins);
    let mut routes = service_routes
        .router()
        .layer(axum::Extension(service_routes.document().clone()));
    if state.config().environment.is_local() {
        routes = routes.merge(dev::routes());
    }
    let routes = routes.fallback(layers::route_not_found);
    #[cfg(not(target_arch = "wasm32"))]
    let routes = routes.layer(tower_http::catch_panic::CatchPanicLayer::custom(
        layers::panic_response,
    ));
    routes
        .layer(axum::middleware::from_fn(layers::envelope_for_bare_errors))
        // Middleware built without the state (rate limits) finds it here.
        .layer(axum::Extension(state.clone()))
        .layer(cors)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            layers::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            layers::request_span,
        ))
        .layer(axum::middleware::from_fn(layers::request_id))
        .with_state(state)
}
