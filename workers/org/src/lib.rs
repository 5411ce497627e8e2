//! The `organization-api` service: organisations, memberships and
//! invitations, organisation settings, public organisation info, and the
//! platform's settings.
//!
//! [`routes`] is the service's axum router; the native host serves it on
//! its port in `services.tsv` and the `org` worker serves it on Cloudflare Workers. The
//! shared behaviour (health, envelopes, headers, CORS) comes from
//! `codex-http-kit`; the rules from `codex-orgs`; who may call what from the
//! extractors of `codex-policy` each handler takes.

mod followers;
mod members;
mod organisations;
mod settings;

use codex_http_kit::openapi::with_body_limit;
use codex_http_kit::routes;
use codex_http_kit::{Envelope, Routes, Service};

pub const SERVICE: Service = Service {
    name: "organization-api",
    version: env!("CARGO_PKG_VERSION"),
    envelope: Envelope::Procedure,
};

/// The service's own routes (the shared ones are added by `codex_http_kit::app`).
pub fn routes() -> Routes {
    Routes::new()
        .routes(routes!(organisations::create, organisations::list))
        .routes(routes!(organisations::check_slug))
        .routes(routes!(organisations::by_slug))
        .routes(routes!(organisations::mine))
        .routes(routes!(organisations::public_branding))
        .routes(routes!(organisations::public_info))
        .routes(routes!(organisations::public_creators))
        .routes(routes!(organisations::public_stats))
        .routes(routes!(members::accept))
        .routes(routes!(members::decline))
        .routes(routes!(
            organisations::get,
            organisations::update,
            organisations::delete
        ))
        .routes(routes!(members::list))
        .routes(routes!(members::mine))
        // The front end's name for inviting: the same rules as
        // `POST …/invitations` (an invitation, its mail, the accept step).
        .routes(routes!(members::invite_member))
        .routes(routes!(members::change_role, members::remove))
        .routes(routes!(members::invite, members::pending))
        .routes(routes!(members::revoke))
        .routes(routes!(followers::follow, followers::unfollow))
        .routes(routes!(followers::me))
        .routes(routes!(followers::count))
        .routes(routes!(settings::all))
        .routes(routes!(settings::branding, settings::update_branding))
        .routes(with_body_limit(
            routes!(settings::upload_logo, settings::remove_logo),
            settings::MAX_BODY,
        ))
        .routes(routes!(
            settings::link_intro_video,
            settings::remove_intro_video
        ))
        .routes(routes!(settings::intro_video_status))
        .routes(routes!(settings::contact, settings::update_contact))
        .routes(routes!(settings::features, settings::update_features))
        .routes(routes!(settings::platform, settings::update_platform))
}

#[cfg(target_arch = "wasm32")]
codex_http_kit::workers_entry_point!(SERVICE, routes, "org");
