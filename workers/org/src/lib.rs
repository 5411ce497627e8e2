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

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, patch, post};
use codex_http_kit::{AppState, Service};

pub const SERVICE: Service = Service {
    name: "organization-api",
    version: env!("CARGO_PKG_VERSION"),
    envelope: codex_http_kit::Envelope::Procedure,
};

/// The service's own routes (the shared ones are added by `codex_http_kit::app`).
pub fn routes() -> codex_http_kit::Routes {
    routes_undescribed().into()
}

fn routes_undescribed() -> Router<AppState> {
    Router::new()
        .route(
            "/api/organizations",
            post(organisations::create).get(organisations::list),
        )
        .route(
            "/api/organizations/check-slug/{slug}",
            get(organisations::check_slug),
        )
        .route(
            "/api/organizations/slug/{slug}",
            get(organisations::by_slug),
        )
        .route(
            "/api/organizations/my-organizations",
            get(organisations::mine),
        )
        .route(
            "/api/organizations/public/{slug}",
            get(organisations::public_branding),
        )
        .route(
            "/api/organizations/public/{slug}/info",
            get(organisations::public_info),
        )
        .route(
            "/api/organizations/public/{slug}/creators",
            get(organisations::public_creators),
        )
        .route(
            "/api/organizations/public/{slug}/stats",
            get(organisations::public_stats),
        )
        .route(
            "/api/organizations/invitations/accept",
            post(members::accept),
        )
        .route(
            "/api/organizations/invitations/decline",
            post(members::decline),
        )
        .route(
            "/api/organizations/{id}",
            get(organisations::get)
                .patch(organisations::update)
                .delete(organisations::delete),
        )
        .route("/api/organizations/{id}/members", get(members::list))
        .route(
            "/api/organizations/{id}/members/my-membership",
            get(members::mine),
        )
        // The front end's name for inviting: the same handler as
        // `POST …/invitations` (an invitation, its mail, the accept step).
        .route(
            "/api/organizations/{id}/members/invite",
            post(members::invite),
        )
        .route(
            "/api/organizations/{id}/members/{userId}",
            patch(members::change_role).delete(members::remove),
        )
        .route(
            "/api/organizations/{id}/invitations",
            post(members::invite).get(members::pending),
        )
        .route(
            "/api/organizations/{id}/invitations/{invitationId}",
            delete(members::revoke),
        )
        .route(
            "/api/organizations/{id}/followers",
            post(followers::follow).delete(followers::unfollow),
        )
        .route("/api/organizations/{id}/followers/me", get(followers::me))
        .route(
            "/api/organizations/{id}/followers/count",
            get(followers::count),
        )
        .route("/api/organizations/{id}/settings", get(settings::all))
        .route(
            "/api/organizations/{id}/settings/branding",
            get(settings::branding).put(settings::update_branding),
        )
        .route(
            "/api/organizations/{id}/settings/branding/logo",
            post(settings::upload_logo)
                .delete(settings::remove_logo)
                .layer(DefaultBodyLimit::max(settings::MAX_BODY)),
        )
        .route(
            "/api/organizations/{id}/settings/branding/intro-video",
            post(settings::link_intro_video).delete(settings::remove_intro_video),
        )
        .route(
            "/api/organizations/{id}/settings/branding/intro-video/status",
            get(settings::intro_video_status),
        )
        .route(
            "/api/organizations/{id}/settings/contact",
            get(settings::contact).put(settings::update_contact),
        )
        .route(
            "/api/organizations/{id}/settings/features",
            get(settings::features).put(settings::update_features),
        )
        .route(
            "/api/platform/settings",
            get(settings::platform).put(settings::update_platform),
        )
}

#[cfg(target_arch = "wasm32")]
codex_http_kit::workers_entry_point!(SERVICE, routes);
