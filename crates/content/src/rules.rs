//! What a creator may write: the fields of a piece of content, each
//! checked on its own, then the rules between them. Both creating and
//! changing content end in [`check`], so an update can never reach a
//! combination a create would refuse. Everything here is pure; what needs
//! the database (the organisation, the media item) is in `studio`.

use codex_database::Patch;
use codex_errors::ApiError;
use codex_validation::{http_url, is_slug, multiline_text, required_text};
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::model::{AccessType, Content, ContentType};

pub const MAX_TITLE: usize = 500;
pub const MAX_SLUG: usize = 500;
pub const MAX_DESCRIPTION: usize = 10_000;
pub const MAX_BODY: usize = 500_000;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG: usize = 50;
pub const MAX_CATEGORY_IDS: usize = 20;
pub const MAX_PRICE_CENTS: i64 = 10_000_000;
const MAX_SHADER_KEYS: usize = 32;

/// The body of `POST /api/content`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewContent {
    /// 1 to 500 characters.
    pub title: String,
    /// Lower-case words joined by single hyphens, at most 500 characters;
    /// unique among the live content of the organisation (or of the
    /// creator's personal space).
    pub slug: String,
    /// At most 10,000 characters.
    #[serde(default)]
    pub description: Option<String>,
    pub content_type: ContentType,
    /// Required for video and audio: one of the creator's own media items
    /// of that kind. Absent for written content.
    #[serde(default)]
    pub media_item_id: Option<Uuid>,
    /// Required for written content: at most 500,000 characters (a TipTap
    /// document as JSON is kept as JSON too).
    #[serde(default)]
    pub content_body: Option<String>,
    /// The organisation to publish in (the caller must be its owner, an
    /// admin or a creator there); absent for the personal space.
    #[serde(default)]
    pub organization_id: Option<Uuid>,
    /// 1 to 100 characters (the web app's older free-text category).
    #[serde(default)]
    pub category: Option<String>,
    /// At most 20 categories of the content's space (its organisation's,
    /// or the creator's own without one).
    #[serde(default)]
    pub category_ids: Option<Vec<Uuid>>,
    /// At most 20 tags of 1 to 50 characters.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// An http(s) URL.
    #[serde(default)]
    pub thumbnail_url: Option<String>,
    /// Default `free`.
    #[serde(default)]
    pub access_type: Option<AccessType>,
    /// In pence, 0 to 10,000,000; above zero for paid content, none for
    /// free content. The web app's name `price` is accepted.
    #[serde(default, alias = "price")]
    pub price_cents: Option<i64>,
    /// The subscription tier from which subscribers may open it.
    #[serde(default)]
    pub minimum_tier_id: Option<Uuid>,
    /// At most 50 characters.
    #[serde(default)]
    pub shader_preset: Option<String>,
    /// Names (at most 32) to numbers or booleans.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub shader_config: Option<Map<String, Value>>,
    #[serde(default)]
    pub featured: Option<bool>,
}

/// The body of `PATCH /api/content/{id}`: any of the fields a new piece
/// takes; `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContentChanges {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[serde(default)]
    pub content_type: Option<ContentType>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub media_item_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub content_body: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub organization_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub category: Patch<String>,
    #[serde(default)]
    pub category_ids: Option<Vec<Uuid>>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub thumbnail_url: Patch<String>,
    #[serde(default)]
    pub access_type: Option<AccessType>,
    #[serde(default, alias = "price")]
    #[schema(value_type = Option<i64>)]
    pub price_cents: Patch<i64>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub minimum_tier_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub shader_preset: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub shader_config: Patch<Map<String, Value>>,
    #[serde(default)]
    pub featured: Option<bool>,
}

/// Every field a creator writes, each checked on its own and normalised;
/// [`check`] then holds them to the rules between fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Fields {
    pub organization_id: Option<Uuid>,
    pub media_item_id: Option<Uuid>,
    pub title: String,
    pub slug: String,
    pub description: Option<String>,
    pub content_type: ContentType,
    pub thumbnail_url: Option<String>,
    pub content_body: Option<String>,
    pub category: Option<String>,
    pub category_ids: Vec<Uuid>,
    pub tags: Vec<String>,
    pub shader_preset: Option<String>,
    pub shader_config: Option<Map<String, Value>>,
    pub access_type: AccessType,
    pub price_cents: Option<i32>,
    pub minimum_tier_id: Option<Uuid>,
    pub featured: bool,
}

impl Fields {
    /// The fields of a new piece, checked.
    pub fn from_new(input: NewContent) -> Result<Self, ApiError> {
        let fields = Self {
            organization_id: input.organization_id,
            media_item_id: input.media_item_id,
            title: required_text("title", &input.title, MAX_TITLE)?,
            slug: slug("slug", &input.slug)?,
            description: optional_multiline("description", input.description, MAX_DESCRIPTION)?,
            content_type: input.content_type,
            thumbnail_url: optional_url(input.thumbnail_url)?,
            content_body: optional_multiline("contentBody", input.content_body, MAX_BODY)?,
            category: optional_line("category", input.category, 100)?,
            category_ids: category_ids(input.category_ids.unwrap_or_default())?,
            tags: tags(input.tags.unwrap_or_default())?,
            shader_preset: optional_line("shaderPreset", input.shader_preset, 50)?,
            shader_config: input.shader_config.map(shader_config).transpose()?,
            access_type: input.access_type.unwrap_or(AccessType::Free),
            price_cents: input.price_cents.map(price).transpose()?,
            minimum_tier_id: input.minimum_tier_id,
            featured: input.featured.unwrap_or(false),
        };
        check(&fields)?;
        Ok(fields)
    }

    /// The stored piece with `changes` applied, checked as a whole.
    ///
    /// Two fields follow the audience, as the web app expects: when the
    /// change makes the content neither paid nor for subscribers, or takes
    /// it out of its organisation, and does not name the tier itself, the
    /// tier is cleared; when it makes the content free without naming a
    /// price, the price is cleared.
    pub fn changed(current: &Content, changes: ContentChanges) -> Result<Self, ApiError> {
        let mut fields = Self::from_stored(current);
        if let Some(title) = changes.title {
            fields.title = required_text("title", &title, MAX_TITLE)?;
        }
        if let Some(value) = changes.slug {
            fields.slug = slug("slug", &value)?;
        }
        if let Some(description) = patch(changes.description, |text| {
            multiline_text("description", &text, MAX_DESCRIPTION)
        })? {
            fields.description = description;
        }
        if let Some(kind) = changes.content_type {
            fields.content_type = kind;
        }
        if let Some(media) = patch(changes.media_item_id, |id| Ok(Some(id)))? {
            fields.media_item_id = media;
        }
        if let Some(body) = patch(changes.content_body, |text| {
            multiline_text("contentBody", &text, MAX_BODY)
        })? {
            fields.content_body = body;
        }
        if let Some(category) = patch(changes.category, |text| line("category", &text, 100))? {
            fields.category = category;
        }
        let organisation_before = fields.organization_id;
        if let Some(organisation) = patch(changes.organization_id, |id| Ok(Some(id)))? {
            fields.organization_id = organisation;
        }
        match changes.category_ids {
            Some(ids) => fields.category_ids = category_ids(ids)?,
            // Categories belong to a space: moving the content empties them.
            None if fields.organization_id != organisation_before => fields.category_ids.clear(),
            None => {}
        }
        if let Some(values) = changes.tags {
            fields.tags = tags(values)?;
        }
        if let Some(url) = patch(changes.thumbnail_url, |text| optional_url(Some(text)))? {
            fields.thumbnail_url = url;
        }
        if let Some(access) = changes.access_type {
            fields.access_type = access;
        }
        let price_named = !changes.price_cents.is_absent();
        if let Some(value) = patch(changes.price_cents, |cents| price(cents).map(Some))? {
            fields.price_cents = value;
        }
        let tier_named = !changes.minimum_tier_id.is_absent();
        if let Some(tier) = patch(changes.minimum_tier_id, |id| Ok(Some(id)))? {
            fields.minimum_tier_id = tier;
        }
        if let Some(preset) = patch(changes.shader_preset, |text| {
            line("shaderPreset", &text, 50)
        })? {
            fields.shader_preset = preset;
        }
        if let Some(config) = patch(changes.shader_config, |map| shader_config(map).map(Some))? {
            fields.shader_config = config;
        }
        if let Some(featured) = changes.featured {
            fields.featured = featured;
        }
        if !tier_named
            && (!matches!(
                fields.access_type,
                AccessType::Paid | AccessType::Subscribers
            ) || fields.organization_id.is_none())
        {
            fields.minimum_tier_id = None;
        }
        if !price_named && fields.access_type == AccessType::Free {
            fields.price_cents = None;
        }
        check(&fields)?;
        Ok(fields)
    }

    /// The fields of a stored piece, as they are.
    pub(crate) fn from_stored(content: &Content) -> Self {
        Self {
            organization_id: content.organization_id,
            media_item_id: content.media_item_id,
            title: content.title.clone(),
            slug: content.slug.clone(),
            description: content.description.clone(),
            content_type: content.content_type,
            thumbnail_url: content.thumbnail_url.clone(),
            content_body: content.content_body.clone(),
            category: content.category.clone(),
            category_ids: content.category_ids.clone(),
            tags: content.tags.clone(),
            shader_preset: content.shader_preset.clone(),
            shader_config: content
                .shader_config
                .as_ref()
                .and_then(Value::as_object)
                .cloned(),
            access_type: content.access_type,
            price_cents: content.price_cents,
            minimum_tier_id: content.minimum_tier_id,
            featured: content.featured,
        }
    }

    /// The body as JSON when it is a JSON object (a TipTap document).
    pub fn body_json(&self) -> Option<Value> {
        let body = self.content_body.as_deref()?;
        match serde_json::from_str::<Value>(body) {
            Ok(value @ Value::Object(_)) => Some(value),
            _ => None,
        }
    }
}

/// The rules between fields; a 400 naming the field to fix.
pub fn check(fields: &Fields) -> Result<(), ApiError> {
    let refuse = |field: &str, message: &str| Err(ApiError::invalid_fields([(field, message)]));
    match fields.content_type {
        ContentType::Video | ContentType::Audio if fields.media_item_id.is_none() => {
            return refuse("mediaItemId", "is required for video and audio content");
        }
        ContentType::Written if fields.media_item_id.is_some() => {
            return refuse("mediaItemId", "must be empty for written content");
        }
        ContentType::Written if fields.content_body.is_none() => {
            return refuse("contentBody", "is required for written content");
        }
        _ => {}
    }
    let priced = fields.price_cents.is_some_and(|cents| cents > 0);
    match fields.access_type {
        AccessType::Paid if !priced => {
            return refuse(
                "priceCents",
                "Paid content requires a price greater than £0",
            );
        }
        AccessType::Free if priced => {
            return refuse("priceCents", "Free content has no price");
        }
        AccessType::Subscribers if fields.minimum_tier_id.is_none() => {
            return refuse("minimumTierId", "is required for subscribers-only content");
        }
        AccessType::Followers | AccessType::Team if fields.organization_id.is_none() => {
            return refuse(
                "organizationId",
                "is required for followers-only and team-only content",
            );
        }
        _ => {}
    }
    if fields.minimum_tier_id.is_some() {
        if !matches!(
            fields.access_type,
            AccessType::Paid | AccessType::Subscribers
        ) {
            return refuse(
                "minimumTierId",
                "is only for paid or subscribers-only content",
            );
        }
        if fields.organization_id.is_none() {
            return refuse("minimumTierId", "needs an organisation");
        }
    }
    Ok(())
}

/// A content slug: trimmed, lower-cased, words of letters and digits
/// joined by single hyphens, at most 500 characters.
pub fn slug(field: &'static str, raw: &str) -> Result<String, ApiError> {
    let slug = raw.trim().to_lowercase();
    if is_slug(&slug, MAX_SLUG) {
        Ok(slug)
    } else {
        Err(ApiError::invalid_fields([(
            field,
            "must be at most 500 lower-case letters, digits and single hyphens, \
             starting and ending with a letter or digit",
        )]))
    }
}

/// `Absent` → `None` (unchanged); `Null` → `Some(None)` (cleared); a value
/// → `Some(check(value))`.
pub(crate) fn patch<T, U>(
    value: Patch<T>,
    check: impl FnOnce(T) -> Result<Option<U>, ApiError>,
) -> Result<Option<Option<U>>, ApiError> {
    match value {
        Patch::Absent => Ok(None),
        Patch::Null => Ok(Some(None)),
        Patch::Value(value) => check(value).map(Some),
    }
}

fn optional_multiline(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    Ok(value
        .map(|text| multiline_text(field, &text, max))
        .transpose()?
        .flatten())
}

/// One line of at most `max` characters; empty means none.
pub(crate) fn line(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    required_text(field, value, max).map(Some)
}

pub(crate) fn optional_line(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    Ok(value
        .map(|text| line(field, &text, max))
        .transpose()?
        .flatten())
}

fn optional_url(value: Option<String>) -> Result<Option<String>, ApiError> {
    Ok(value
        .map(|url| http_url("thumbnailUrl", &url, 2048))
        .transpose()?
        .flatten())
}

fn tags(values: Vec<String>) -> Result<Vec<String>, ApiError> {
    if values.len() > MAX_TAGS {
        return Err(ApiError::invalid_fields([("tags", "at most 20 tags")]));
    }
    values
        .iter()
        .map(|tag| required_text("tags", tag, MAX_TAG))
        .collect()
}

fn category_ids(ids: Vec<Uuid>) -> Result<Vec<Uuid>, ApiError> {
    if ids.len() > MAX_CATEGORY_IDS {
        return Err(ApiError::invalid_fields([(
            "categoryIds",
            "at most 20 categories",
        )]));
    }
    let mut unique = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    Ok(unique)
}

fn price(cents: i64) -> Result<i32, ApiError> {
    if (0..=MAX_PRICE_CENTS).contains(&cents) {
        i32::try_from(cents).map_err(ApiError::internal)
    } else {
        Err(ApiError::invalid_fields([(
            "priceCents",
            "must be from 0 to 10,000,000 pence",
        )]))
    }
}

fn shader_config(map: Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let well_formed = map.len() <= MAX_SHADER_KEYS
        && map.iter().all(|(name, value)| {
            (1..=50).contains(&name.chars().count())
                && !name.chars().any(char::is_control)
                && (value.is_number() || value.is_boolean())
        });
    if well_formed {
        Ok(map)
    } else {
        Err(ApiError::invalid_fields([(
            "shaderConfig",
            "must map at most 32 names to numbers or booleans",
        )]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn new(body: Value) -> Result<Fields, ApiError> {
        let input: NewContent = serde_json::from_value(body).expect("a well-formed body");
        Fields::from_new(input)
    }

    fn refused_field(result: Result<Fields, ApiError>) -> String {
        let error = result.expect_err("refused");
        assert_eq!(error.status().as_u16(), 400, "{error}");
        error.details().expect("details")["details"][0]["path"]
            .as_str()
            .expect("a path")
            .to_owned()
    }

    const ORG: &str = "7b0c7c52-1111-4c4c-9a9a-5f5f5f5f5f5f";
    const MEDIA: &str = "0b0c7c52-2222-4c4c-9a9a-5f5f5f5f5f5f";
    const TIER: &str = "1b0c7c52-3333-4c4c-9a9a-5f5f5f5f5f5f";

    #[test]
    fn a_written_piece_needs_a_body_and_no_media() {
        let fields = new(json!({"title": " Notes ", "slug": " Field-Notes ", "contentType": "written", "contentBody": "Hello"}))
            .expect("accepted");
        assert_eq!(fields.title, "Notes");
        assert_eq!(fields.slug, "field-notes");
        assert_eq!(fields.access_type, AccessType::Free);
        assert_eq!(
            refused_field(new(
                json!({"title": "Notes", "slug": "notes", "contentType": "written", "contentBody": "  "})
            )),
            "contentBody"
        );
        assert_eq!(
            refused_field(new(
                json!({"title": "Notes", "slug": "notes", "contentType": "written", "contentBody": "x", "mediaItemId": MEDIA})
            )),
            "mediaItemId"
        );
    }

    #[test]
    fn video_and_audio_need_a_media_item() {
        for kind in ["video", "audio"] {
            assert_eq!(
                refused_field(new(json!({"title": "T", "slug": "t", "contentType": kind}))),
                "mediaItemId"
            );
            assert!(
                new(json!({"title": "T", "slug": "t", "contentType": kind, "mediaItemId": MEDIA}))
                    .is_ok()
            );
        }
    }

    #[test]
    fn the_audience_rules_hold_between_price_tier_and_organisation() {
        let base = |extra: Value| {
            let mut body =
                json!({"title": "T", "slug": "t", "contentType": "video", "mediaItemId": MEDIA});
            for (name, value) in extra.as_object().expect("object") {
                body[name] = value.clone();
            }
            new(body)
        };
        assert_eq!(
            refused_field(base(json!({"accessType": "paid"}))),
            "priceCents"
        );
        assert_eq!(
            refused_field(base(json!({"accessType": "paid", "priceCents": 0}))),
            "priceCents"
        );
        assert_eq!(
            base(json!({"accessType": "paid", "price": 499}))
                .expect("the web app's name")
                .price_cents,
            Some(499)
        );
        assert_eq!(
            refused_field(base(json!({"accessType": "free", "priceCents": 100}))),
            "priceCents"
        );
        assert_eq!(
            refused_field(base(json!({"priceCents": 10_000_001}))),
            "priceCents"
        );
        assert_eq!(
            refused_field(base(
                json!({"accessType": "subscribers", "organizationId": ORG})
            )),
            "minimumTierId"
        );
        assert_eq!(
            refused_field(base(json!({"accessType": "followers"}))),
            "organizationId"
        );
        assert_eq!(
            refused_field(base(json!({"accessType": "team"}))),
            "organizationId"
        );
        assert!(base(json!({"accessType": "team", "organizationId": ORG})).is_ok());
        assert_eq!(
            refused_field(base(
                json!({"accessType": "free", "minimumTierId": TIER, "organizationId": ORG})
            )),
            "minimumTierId"
        );
        assert_eq!(
            refused_field(base(
                json!({"accessType": "paid", "priceCents": 100, "minimumTierId": TIER})
            )),
            "minimumTierId"
        );
    }

    #[test]
    fn each_field_keeps_its_bounds() {
        let body = |name: &str, value: Value| {
            let mut body =
                json!({"title": "T", "slug": "t", "contentType": "written", "contentBody": "x"});
            body[name] = value;
            new(body)
        };
        assert_eq!(refused_field(body("title", json!(""))), "title");
        assert_eq!(
            refused_field(body("title", json!("x".repeat(501)))),
            "title"
        );
        for bad in ["", "Two Words", "a--b", "-a", "é", "a_b"] {
            assert_eq!(refused_field(body("slug", json!(bad))), "slug", "{bad:?}");
        }
        assert_eq!(refused_field(body("slug", json!("a".repeat(501)))), "slug");
        assert_eq!(refused_field(body("tags", json!(vec!["t"; 21]))), "tags");
        assert_eq!(refused_field(body("tags", json!(["x".repeat(51)]))), "tags");
        assert_eq!(
            refused_field(body("thumbnailUrl", json!("javascript:alert(1)"))),
            "thumbnailUrl"
        );
        assert_eq!(
            refused_field(body("shaderConfig", json!({"speed": "fast"}))),
            "shaderConfig"
        );
        assert!(body("shaderConfig", json!({"speed": 1.5, "glow": true})).is_ok());
        assert_eq!(
            refused_field(body("description", json!("a\u{0}b"))),
            "description"
        );
        assert!(
            serde_json::from_value::<NewContent>(
                json!({"title": "T", "slug": "t", "contentType": "written", "status": "published"})
            )
            .is_err()
        );
    }

    #[test]
    fn a_tiptap_document_is_kept_as_json_as_well() {
        let fields = new(json!({"title": "T", "slug": "t", "contentType": "written",
            "contentBody": "{\"type\":\"doc\",\"content\":[]}"}))
        .expect("accepted");
        assert_eq!(
            fields.body_json(),
            Some(json!({"type": "doc", "content": []}))
        );
        let plain = new(json!({"title": "T", "slug": "t", "contentType": "written", "contentBody": "Plain words"}))
            .expect("accepted");
        assert_eq!(plain.body_json(), None);
    }
}
