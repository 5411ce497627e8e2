//! The `content-api` service: content, media items, categories, public content and access: streaming URLs, HLS playlists, playback progress and the library.
//!
//! [`routes`] is the service's axum router; the native host serves it on
//! its port in `services.tsv` and the `content` worker serves it on Cloudflare Workers. The
//! shared behaviour (health, envelopes, headers, CORS) comes from
//! `codex-http-kit`.

mod categories;
mod content;
mod media;

use codex_http_kit::openapi::{AddRoutes as _, with_body_limit};
use codex_http_kit::routes;
use codex_http_kit::{Envelope, Routes, Service};

pub const SERVICE: Service = Service {
    name: "content-api",
    version: env!("CARGO_PKG_VERSION"),
    envelope: Envelope::Procedure,
};

/// The service's own routes (the shared ones are added by `codex_http_kit::app`).
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(content::create_content, content::list_content))
        .add(routes!(
            content::get_content,
            content::update_content,
            content::delete_content
        ))
        .add(with_body_limit(
            routes!(content::upload_thumbnail, content::remove_thumbnail),
            content::MAX_THUMBNAIL_BODY,
        ))
        .add(routes!(content::publish_content))
        .add(routes!(content::unpublish_content))
        .add(routes!(content::check_content_slug))
        .add(routes!(content::browse_content))
        .add(routes!(content::public_content))
        .add(routes!(content::discover_content))
        .add(routes!(
            categories::list_categories,
            categories::create_category
        ))
        .add(routes!(
            categories::update_category,
            categories::delete_category
        ))
        .add(with_body_limit(
            routes!(
                categories::upload_category_cover,
                categories::remove_category_cover
            ),
            categories::MAX_COVER_BODY,
        ))
        .add(routes!(categories::reorder_categories))
        .add(routes!(categories::public_categories))
        .add(routes!(media::create, media::list))
        .add(routes!(media::get, media::update, media::delete))
        .add(routes!(
            media::upload_plan,
            media::upload_through,
            media::abort_upload
        ))
        .add(routes!(media::part_urls, media::stored_parts))
        .add(routes!(media::complete))
        .add(routes!(media::original))
}

#[cfg(target_arch = "wasm32")]
codex_http_kit::workers_entry_point!(SERVICE, routes, "content");

/// The cron trigger (`wrangler/content.toml`): the media library's upkeep.
#[cfg(target_arch = "wasm32")]
#[worker::event(scheduled)]
async fn scheduled(
    _event: worker::ScheduledEvent,
    env: worker::Env,
    _context: worker::ScheduleContext,
) {
    match codex_http_kit::edge::context(&env) {
        Ok(ctx) => codex_media::maintain(&ctx).await,
        Err(error) => worker::console_error!("content-api upkeep cannot start: {error}"),
    }
}
