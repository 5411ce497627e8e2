//! Content: what creators publish (video, audio and written pieces), free,
//! paid or for an audience, in an organisation or a personal space. Owns
//! the tables `content`, `categories` and `content_categories`.
//!
//! - [`categories`]: how a space groups its content (the tables
//!   `categories` and `content_categories`);
//! - [`model`]: the studio's view of a piece ([`Content`]), its kinds,
//!   audiences and states;
//! - [`rules`]: the fields a creator writes and the rules between them,
//!   the same for a create and a change;
//! - [`studio`]: the creator's operations, scoped to their own content;
//! - [`public`]: published content as anyone sees it.

pub mod categories;
pub mod listing_cache;
pub mod model;
pub mod public;
pub mod rules;
pub mod studio;
pub mod thumbnail;

pub use model::{AccessType, Content, ContentStatus, ContentType};
