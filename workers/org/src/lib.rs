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

use codex_http_kit::openapi::AddRoutes as _;
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
        .add(routes!(organisations::create, organisations::list))
        .add(routes!(organisations::check_slug))
        .add(routes!(organisations::by_slug))
        .add(routes!(organisations::mine))
        .add(routes!(organisations::public_branding))
        .add(routes!(organisations::public_info))
        .add(routes!(organisations::public_creators))
        .add(routes!(organisations::public_stats))
        .add(routes!(members::accept))
        .add(routes!(members::decline))
        .add(routes!(
            organisations::get,
            organisations::update,
            organisations::delete
        ))
        .add(routes!(members::list))
        .add(routes!(members::mine))
        // The front end's name for inviting: the same rules as
        // `POST …/invitations` (an invitation, its mail, the accept step).
        .add(routes!(members::invite_member))
        .add(routes!(members::change_role, members::remove))
        .add(routes!(members::invite, members::pending))
        .add(routes!(members::revoke))
        .add(routes!(followers::follow, followers::unfollow))
        .add(routes!(followers::me))
        .add(routes!(followers::count))
        .add(routes!(settings::all))
        .add(routes!(settings::branding, settings::update_branding))
        .add(with_body_limit(
            routes!(settings::upload_logo, settings::remove_logo),
            settings::MAX_BODY,
        ))
        .add(routes!(
            settings::link_intro_video,
            settings::remove_intro_video
        ))
        .add(routes!(settings::intro_video_status))
        .add(routes!(settings::contact, settings::update_contact))
        .add(routes!(settings::features, settings::update_features))
        .add(routes!(settings::platform, settings::update_platform))
}

#[cfg(target_arch = "wasm32")]
codex_http_kit::workers_entry_point!(SERVICE, routes, "org");
