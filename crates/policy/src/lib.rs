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
//! | owner of it | [`OrgOwner`] | 401, 400, 403 |
//! | signed worker-to-worker call | [`WorkerCall`] | 401 |
//!
//! A session is read from the cookie ([`cookie`]) and confirmed in
//! PostgreSQL (`codex_accounts::session`), a membership likewise
//! (`codex_orgs::membership`), once per request however many extractors
//! ask. The policies hold no SQL of their own. Deleted users have no
//! sessions; an unverified user is refused.

pub mod cookie;
mod extract;
mod worker;

pub use codex_orgs::membership::Membership;
pub use extract::{
    Admins, Creators, MaybeViewer, OrgManager, OrgMember, OrgOwner, PlatformOwner, PlatformOwners,
    RoleIn, RoleSet, Viewer,
};
pub use worker::WorkerCall;

mod client;
pub use client::Client;
