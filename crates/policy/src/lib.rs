//! Who may call a route, said once per handler by the extractors it takes:
//!
//! | policy | extractor | refused with |
//! |---|---|---|
//! | public | none | |
//! | optional session | [`MaybeViewer`] | |
//! | required session | [`Viewer`] | 401 `UNAUTHORIZED` |
//! | role in a set | [`RoleIn<S>`], e.g. `RoleIn<Creators>`, [`PlatformOwner`] | 401, then 403 `FORBIDDEN` |
//! | member of the organisation in the path | [`OrgMember`] | 401, 400 without an organisation, 403 |
//! | manager (owner or admin) of it | [`OrgManager`] | 401, 400, 403 |
//! | signed worker-to-worker call | [`WorkerCall`] | 401 |
//!
//! A session is read from the cookie ([`cookie`]), then the key-value
//! cache, then PostgreSQL, once per request however many extractors ask.
//! Deleted users have no sessions; an unverified user is refused.

pub mod cookie;
mod extract;
pub mod membership;
mod worker;

use codex_http_kit::AppState;
use codex_users::Deps;

pub use extract::{
    Admins, Creators, MaybeViewer, OrgManager, OrgMember, PlatformOwner, PlatformOwners, RoleIn,
    RoleSet, Viewer,
};
pub use membership::Membership;
pub use worker::WorkerCall;

/// The account operations' view of a service's state.
pub fn deps(state: &AppState) -> Deps<'_> {
    Deps {
        database: state.database(),
        kv: state.kv(),
        mailer: state.mailer(),
        clock: state.clock(),
    }
}

mod client;
pub use client::Client;
