//! Content as its creator reads it in the studio, and its kinds, audiences
//! and states.

use chrono::{DateTime, Utc};
use codex_database::FromRow;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An enum stored as text: its names in the API and in the database are
/// the same, lower-case.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$variant_meta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($text => Ok(Self::$variant),)+
                    other => Err(format!(concat!("unknown ", stringify!($name), " {:?}"), other)),
                }
            }
        }
    };
}

text_enum! {
    /// What the content is: a video or an audio piece (both played from a
    /// media item), or a written piece (its body).
    ContentType {
        Video = "video",
        Audio = "audio",
        Written = "written",
    }
}

text_enum! {
    /// Who may open it once published.
    AccessType {
        /// Anyone.
        Free = "free",
        /// Buyers (a price above zero).
        Paid = "paid",
        /// The organisation's followers.
        Followers = "followers",
        /// Subscribers from a tier up.
        Subscribers = "subscribers",
        /// The organisation's team.
        Team = "team",
    }
}

text_enum! {
    /// Where the content is in its life: drafts are seen by their creator
    /// only. `archived` is reserved: no route sets it.
    ContentStatus {
        Draft = "draft",
        Published = "published",
        Archived = "archived",
    }
}

/// The content's media item, as the studio shows it beside the content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContentMedia {
    pub id: Uuid,
    pub title: String,
    /// `video` or `audio`.
    pub media_type: String,
    /// `uploading`, `uploaded`, `transcoding`, `ready` or `failed`.
    pub status: String,
    #[schema(required = true)]
    pub duration_seconds: Option<i32>,
    #[schema(required = true)]
    pub width: Option<i32>,
    #[schema(required = true)]
    pub height: Option<i32>,
}

/// The organisation the content belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContentOrganization {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    #[schema(required = true)]
    pub logo_url: Option<String>,
}

/// Who made it: never an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContentCreator {
    pub id: String,
    pub name: String,
    #[schema(required = true)]
    pub username: Option<String>,
    #[schema(required = true)]
    pub image: Option<String>,
}

/// A piece of content as its creator reads it in the studio, with its media
/// item, organisation and creator. Drafts included; never shown publicly.
#[derive(Debug, Clone, PartialEq, Serialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    pub id: Uuid,
    pub creator_id: String,
    #[schema(required = true)]
    pub organization_id: Option<Uuid>,
    #[schema(required = true)]
    pub media_item_id: Option<Uuid>,
    pub title: String,
    pub slug: String,
    #[schema(required = true)]
    pub description: Option<String>,
    #[row(parse)]
    pub content_type: ContentType,
    #[schema(required = true)]
    pub thumbnail_url: Option<String>,
    /// The written piece's body, as sent (plain text, HTML or TipTap JSON).
    #[schema(required = true)]
    pub content_body: Option<String>,
    /// The body as JSON when it was a TipTap document.
    #[row(json)]
    #[schema(required = true, value_type = Option<Object>)]
    pub content_body_json: Option<serde_json::Value>,
    /// A free-text category (the web app's older field).
    #[schema(required = true)]
    pub category: Option<String>,
    #[row(json)]
    pub tags: Vec<String>,
    #[schema(required = true)]
    pub shader_preset: Option<String>,
    #[row(json)]
    #[schema(required = true, value_type = Option<Object>)]
    pub shader_config: Option<serde_json::Value>,
    #[row(parse)]
    pub access_type: AccessType,
    #[schema(required = true)]
    pub price_cents: Option<i32>,
    #[schema(required = true)]
    pub minimum_tier_id: Option<Uuid>,
    #[row(parse)]
    pub status: ContentStatus,
    #[schema(required = true)]
    pub published_at: Option<DateTime<Utc>>,
    pub featured: bool,
    pub view_count: i32,
    pub purchase_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[row(default, json)]
    #[schema(required = true)]
    pub media_item: Option<ContentMedia>,
    #[row(default, json)]
    #[schema(required = true)]
    pub organization: Option<ContentOrganization>,
    #[row(default, json)]
    pub creator: ContentCreator,
    /// The content's live categories, in their order.
    #[row(default, json)]
    pub category_ids: Vec<Uuid>,
    /// Their slugs, in the same order.
    #[row(default, json)]
    pub category_slugs: Vec<String>,
}

/// The select list and joins that read [`Content`] with its relations:
/// `{SELECT_CONTENT} WHERE …` on the alias `c`.
pub(crate) fn select_content() -> String {
    format!(
        "SELECT {}, \
         CASE WHEN m.id IS NULL THEN NULL ELSE jsonb_build_object('id', m.id, 'title', m.title, \
           'mediaType', m.media_type, 'status', m.status, 'durationSeconds', m.duration_seconds, \
           'width', m.width, 'height', m.height) END AS media_item, \
         CASE WHEN o.id IS NULL THEN NULL ELSE jsonb_build_object('id', o.id, 'name', o.name, \
           'slug', o.slug, 'logoUrl', o.logo_url) END AS organization, \
         jsonb_build_object('id', u.id, 'name', u.name, 'username', u.username, 'image', u.image) AS creator, \
         COALESCE(categories.ids, '[]'::jsonb) AS category_ids, \
         COALESCE(categories.slugs, '[]'::jsonb) AS category_slugs \
         FROM content c \
         LEFT JOIN LATERAL (SELECT jsonb_agg(k.id ORDER BY k.sort_order, k.id) AS ids, \
           jsonb_agg(k.slug ORDER BY k.sort_order, k.id) AS slugs \
           FROM content_categories cc JOIN categories k ON k.id = cc.category_id AND k.deleted_at IS NULL \
           WHERE cc.content_id = c.id) categories ON true \
         LEFT JOIN media_items m ON m.id = c.media_item_id AND m.deleted_at IS NULL \
         LEFT JOIN organizations o ON o.id = c.organization_id AND o.deleted_at IS NULL \
         JOIN users u ON u.id = c.creator_id",
        codex_database::columns::<Content>("c")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_audiences_and_states_round_trip_through_their_names() {
        for kind in ContentType::ALL {
            assert_eq!(kind.as_str().parse::<ContentType>(), Ok(*kind));
            assert_eq!(
                serde_json::to_value(kind).expect("serialise"),
                kind.as_str()
            );
        }
        for access in AccessType::ALL {
            assert_eq!(access.as_str().parse::<AccessType>(), Ok(*access));
        }
        for status in ContentStatus::ALL {
            assert_eq!(status.as_str().parse::<ContentStatus>(), Ok(*status));
        }
        assert!("Video".parse::<ContentType>().is_err());
        assert!("public".parse::<AccessType>().is_err());
    }
}
