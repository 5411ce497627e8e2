//! Organisations and who belongs to them, their settings, and the
//! platform's own settings: the rules behind the organisation service.
//!
//! - [`slug`]: the organisation slug rule and the reserved names;
//! - [`organisation`]: create (the caller becomes owner in the same
//!   transaction), read, update, list, soft delete, and the public
//!   branding and info, cached in the key-value store and dropped on every
//!   change that affects them;
//! - [`members`]: invitations (e-mailed, single-use, expiring, accepted by
//!   the invited address, waiting for it to sign up), roles, removal and the
//!   last-owner guard, each change dropping the cached membership;
//! - [`settings`]: branding, contact and features of an organisation, and
//!   the platform's settings;
//! - [`svg`]: uploaded SVG logos rewritten without scripts, event handlers,
//!   foreign objects or external references.
//!
//! Operations take `codex_users::Deps`, like the account rules.

pub mod members;
pub mod organisation;
pub mod settings;
pub mod slug;
pub mod svg;

pub use codex_users::Deps;
