//! Operations that span domains, each written once, in one place, calling
//! the owner of every table it touches:
//!
//! - [`account`]: deleting an account (the user and their credentials and
//!   sessions, their memberships, their avatar);
//! - [`team`]: an organisation's members with who they are (their
//!   addresses for managers only), and inviting an address that may or may
//!   not have an account;
//! - [`storefront`]: an organisation's public creators with their public
//!   profiles (never an address), and its public figures;
//! - [`intro_video`]: an organisation's intro video, a video of the media
//!   library linked in its branding;
//! - [`organisation`]: changing or deleting an organisation, which its
//!   public content listings show at once;
//! - [`transcoding`]: a transcoding job's end, mailed to its creator.
//!
//! Neither `codex-accounts` nor `codex-orgs` depends on the other; this
//! crate depends on both.

pub mod account;
pub mod intro_video;
pub mod organisation;
pub mod storefront;
pub mod team;
pub mod transcoding;
