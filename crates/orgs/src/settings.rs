//! An organisation's branding, contact and feature settings (rows created
//! with the organisation, holding the defaults), and its logo.

use codex_context::{Context, public_files};
use codex_database::{FromRow, columns};
use codex_errors::ApiError;
use codex_validation::image::{self, ImageKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::organisation::{self, check_url};

pub const HERO_LAYOUTS: &[&str] = &[
    "default",
    "centered",
    "logo-hero",
    "minimal",
    "split",
    "magazine",
    "asymmetric",
    "portrait",
    "gallery",
    "stacked",
];

/// Every setting of an organisation at once.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllSettings {
    pub branding: Branding,
    pub contact: Contact,
    pub features: Features,
}

pub async fn all(ctx: &Context, organization_id: Uuid) -> Result<AllSettings, ApiError> {
    Ok(AllSettings {
        branding: branding(ctx, organization_id).await?,
        contact: contact(ctx, organization_id).await?,
        features: features(ctx, organization_id).await?,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Branding {
    pub logo_url: Option<String>,
    pub primary_color_hex: String,
    pub secondary_color_hex: Option<String>,
    pub accent_color_hex: Option<String>,
    pub background_color_hex: Option<String>,
    pub font_body: Option<String>,
    pub font_heading: Option<String>,
    /// Stored as text.
    #[row(parse)]
    pub radius_value: f64,
    /// Stored as text.
    #[row(parse)]
    pub density_value: f64,
    pub hero_layout: String,
    /// JSON object text: design-token overrides for the light theme.
    pub token_overrides: Option<String>,
    /// JSON object text: overrides applied in dark mode.
    pub dark_mode_overrides: Option<String>,
    /// JSON object text: design-token overrides for the dark theme.
    pub dark_token_overrides: Option<String>,
    /// JSON array text: the pricing page's questions and answers.
    pub pricing_faq: Option<String>,
}

/// Changes to branding: outer `None` leaves a field, `Some(None)` clears a
/// nullable one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BrandingChanges {
    pub primary_color_hex: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub secondary_color_hex: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub accent_color_hex: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub background_color_hex: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub font_body: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub font_heading: Option<Option<String>>,
    pub radius_value: Option<f64>,
    pub density_value: Option<f64>,
    pub hero_layout: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub token_overrides: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub dark_mode_overrides: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub dark_token_overrides: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub pricing_faq: Option<Option<String>>,
}

/// Distinguishes a field sent as `null` (clear it) from one left out.
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

fn font(field: &'static str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    let ok = !value.is_empty()
        && value.chars().count() <= 50
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(ApiError::invalid_fields([(
            field,
            "must be 1 to 50 letters, digits and spaces",
        )]))
    }
}

fn in_range(field: &'static str, value: f64, low: f64, high: f64) -> Result<String, ApiError> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(value.to_string())
    } else {
        Err(ApiError::invalid_fields([(
            field,
            format!("must be from {low} to {high}"),
        )]))
    }
}

/// Token overrides: the text of a JSON object, at most 20,000 characters.
fn json_object(field: &'static str, value: &str) -> Result<String, ApiError> {
    let parsed: Option<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(value).ok();
    if value.chars().count() > 20_000 || parsed.is_none() {
        return Err(ApiError::invalid_fields([(
            field,
            "must be a JSON object of at most 20000 characters",
        )]));
    }
    Ok(value.to_owned())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaqItem {
    id: Uuid,
    question: String,
    answer: String,
    order: u32,
}

/// The pricing FAQ: the text of a JSON array of at most 20 items, each with
/// a UUID, a question of 1–200 and an answer of 1–2000 characters (no
/// HTML), and an order of its own.
fn pricing_faq(value: &str) -> Result<String, ApiError> {
    let refused = |why: &str| ApiError::invalid_fields([("pricingFaq", why.to_owned())]);
    let items: Vec<FaqItem> = serde_json::from_str(value)
        .map_err(|_| refused("must be a JSON array of {id, question, answer, order}"))?;
    if items.is_empty() || items.len() > 20 {
        return Err(refused("must have 1 to 20 items"));
    }
    let mut orders = std::collections::HashSet::new();
    for item in &items {
        let question = item.question.trim().chars().count();
        let answer = item.answer.trim().chars().count();
        if !(1..=200).contains(&question) || !(1..=2000).contains(&answer) {
            return Err(refused(
                "questions must be 1 to 200 characters, answers 1 to 2000",
            ));
        }
        if item.answer.contains(['<', '>']) || item.question.contains(['<', '>']) {
            return Err(refused("must not contain HTML"));
        }
        if !orders.insert(item.order) || item.id.is_nil() {
            return Err(refused("each item needs its own id and order"));
        }
    }
    Ok(value.to_owned())
}

pub async fn branding(ctx: &Context, organization_id: Uuid) -> Result<Branding, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "SELECT {} FROM branding_settings WHERE organization_id = $1",
                columns::<Branding>("")
            ),
            &[organization_id.into()],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("Organization not found"))?;
    Ok(row.decode()?)
}

fn checked_option(
    value: Option<Option<String>>,
    check: impl Fn(&str) -> Result<String, ApiError>,
) -> Result<(bool, Option<String>), ApiError> {
    match value {
        None => Ok((false, None)),
        Some(None) => Ok((true, None)),
        Some(Some(value)) => Ok((true, Some(check(&value)?))),
    }
}

/// Applies branding changes after checking all of them, and drops the
/// organisation's cached public views.
pub async fn update_branding(
    ctx: &Context,
    organization_id: Uuid,
    changes: BrandingChanges,
) -> Result<Branding, ApiError> {
    let primary = changes
        .primary_color_hex
        .as_deref()
        .map(|v| codex_validation::colour("primaryColorHex", v))
        .transpose()?;
    let secondary = checked_option(changes.secondary_color_hex, |v| {
        codex_validation::colour("secondaryColorHex", v)
    })?;
    let accent = checked_option(changes.accent_color_hex, |v| {
        codex_validation::colour("accentColorHex", v)
    })?;
    let background = checked_option(changes.background_color_hex, |v| {
        codex_validation::colour("backgroundColorHex", v)
    })?;
    let body = checked_option(changes.font_body, |v| font("fontBody", v))?;
    let heading = checked_option(changes.font_heading, |v| font("fontHeading", v))?;
    let radius = changes
        .radius_value
        .map(|v| in_range("radiusValue", v, 0.0, 2.0))
        .transpose()?;
    let density = changes
        .density_value
        .map(|v| in_range("densityValue", v, 0.75, 1.25))
        .transpose()?;
    let layout = changes
        .hero_layout
        .map(|layout| {
            if HERO_LAYOUTS.contains(&layout.as_str()) {
                Ok(layout)
            } else {
                Err(ApiError::invalid_fields([(
                    "heroLayout",
                    "is not a known layout",
                )]))
            }
        })
        .transpose()?;
    let tokens = checked_option(changes.token_overrides, |v| {
        json_object("tokenOverrides", v)
    })?;
    let dark = checked_option(changes.dark_mode_overrides, |v| {
        json_object("darkModeOverrides", v)
    })?;
    let dark_tokens = checked_option(changes.dark_token_overrides, |v| {
        json_object("darkTokenOverrides", v)
    })?;
    let faq = checked_option(changes.pricing_faq, pricing_faq)?;
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "UPDATE branding_settings b SET \
                   primary_color_hex = COALESCE($2, b.primary_color_hex), \
                   secondary_color_hex = CASE WHEN $3 THEN $4 ELSE b.secondary_color_hex END, \
                   accent_color_hex = CASE WHEN $5 THEN $6 ELSE b.accent_color_hex END, \
                   background_color_hex = CASE WHEN $7 THEN $8 ELSE b.background_color_hex END, \
                   font_body = CASE WHEN $9 THEN $10 ELSE b.font_body END, \
                   font_heading = CASE WHEN $11 THEN $12 ELSE b.font_heading END, \
                   radius_value = COALESCE($13, b.radius_value), \
                   density_value = COALESCE($14, b.density_value), \
                   hero_layout = COALESCE($15, b.hero_layout), \
                   token_overrides = CASE WHEN $16 THEN $17 ELSE b.token_overrides END, \
                   dark_mode_overrides = CASE WHEN $18 THEN $19 ELSE b.dark_mode_overrides END, \
                   dark_token_overrides = CASE WHEN $20 THEN $21 ELSE b.dark_token_overrides END, \
                   pricing_faq = CASE WHEN $22 THEN $23 ELSE b.pricing_faq END \
                 WHERE b.organization_id = $1 RETURNING {}",
                columns::<Branding>("")
            ),
            &[
                organization_id.into(),
                primary.into(),
                secondary.0.into(),
                secondary.1.into(),
                accent.0.into(),
                accent.1.into(),
                background.0.into(),
                background.1.into(),
                body.0.into(),
                body.1.into(),
                heading.0.into(),
                heading.1.into(),
                radius.into(),
                density.into(),
                layout.into(),
                tokens.0.into(),
                tokens.1.into(),
                dark.0.into(),
                dark.1.into(),
                dark_tokens.0.into(),
                dark_tokens.1.into(),
                faq.0.into(),
                faq.1.into(),
            ],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("Organization not found"))?;
    forget_public_of(ctx, organization_id).await;
    Ok(row.decode()?)
}

/// The largest logo accepted.
pub const MAX_LOGO: usize = 5 * 1024 * 1024;

/// Replaces the logo with `bytes`: PNG, JPEG or WebP judged by content, or
/// an SVG document, which is stored only in its sanitised form. The file is
/// public (`logos/{orgId}/…`); the replaced one is removed.
pub async fn replace_logo(
    ctx: &Context,
    organization_id: Uuid,
    bytes: Vec<u8>,
) -> Result<Branding, ApiError> {
    let (bytes, mime_type, extension) = match image::sniff(&bytes) {
        Some(kind @ (ImageKind::Png | ImageKind::Jpeg | ImageKind::Webp)) => {
            (bytes, kind.mime_type(), kind.extension())
        }
        _ => match crate::svg::sanitise(&bytes) {
            Some(clean) => (clean, "image/svg+xml", "svg"),
            None => {
                return Err(ApiError::invalid_fields([(
                    "logo",
                    "File 'logo' has invalid type: expected a PNG, JPEG, WebP or SVG image",
                )]));
            }
        },
    };
    let folder = format!("logos/{organization_id}");
    let stored = public_files::store(ctx, &folder, bytes, mime_type, extension).await?;
    let branding = set_logo(ctx, organization_id, Some((&stored.url, &stored.key))).await?;
    public_files::remove_all(ctx, &folder, Some(&stored.key)).await;
    Ok(branding)
}

/// Removes the logo and its file.
pub async fn remove_logo(ctx: &Context, organization_id: Uuid) -> Result<Branding, ApiError> {
    let branding = set_logo(ctx, organization_id, None).await?;
    public_files::remove_all(ctx, &format!("logos/{organization_id}"), None).await;
    Ok(branding)
}

async fn set_logo(
    ctx: &Context,
    organization_id: Uuid,
    logo: Option<(&str, &str)>,
) -> Result<Branding, ApiError> {
    let (url, key) = logo.map_or((None, None), |(url, key)| (Some(url), Some(key)));
    let mut transaction = ctx.database().begin().await?;
    let row = transaction
        .query_opt(
            &format!(
                "UPDATE branding_settings SET logo_url = $2, logo_r2_path = $3 WHERE organization_id = $1 \
                 RETURNING {}",
                columns::<Branding>("")
            ),
            &[organization_id.into(), url.into(), key.into()],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("Organization not found"))?;
    transaction
        .execute(
            "UPDATE organizations SET logo_url = $2 WHERE id = $1",
            &[organization_id.into(), url.into()],
        )
        .await?;
    transaction.commit().await?;
    forget_public_of(ctx, organization_id).await;
    Ok(row.decode()?)
}

async fn forget_public_of(ctx: &Context, organization_id: Uuid) {
    match organisation::get(ctx, organization_id).await {
        Ok(found) => organisation::forget_public(ctx, &found.slug).await,
        Err(error) => tracing::warn!(%error, "could not find the slug whose public view to drop"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub platform_name: String,
    pub support_email: String,
    pub contact_url: Option<String>,
    pub timezone: String,
    pub twitter_url: Option<String>,
    pub youtube_url: Option<String>,
    pub instagram_url: Option<String>,
    pub tiktok_url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContactChanges {
    pub platform_name: Option<String>,
    pub support_email: Option<String>,
    pub timezone: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub contact_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub twitter_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub youtube_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub instagram_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub tiktok_url: Option<Option<String>>,
}

pub async fn contact(ctx: &Context, organization_id: Uuid) -> Result<Contact, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "SELECT {} FROM contact_settings WHERE organization_id = $1",
                columns::<Contact>("")
            ),
            &[organization_id.into()],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("Organization not found"))?;
    Ok(row.decode()?)
}

fn bounded_text(field: &'static str, value: &str) -> Result<String, ApiError> {
    codex_validation::required_text(field, value, 100)
}

fn url_option(
    field: &'static str,
    value: Option<Option<String>>,
) -> Result<(bool, Option<String>), ApiError> {
    match value {
        None => Ok((false, None)),
        Some(None) => Ok((true, None)),
        Some(Some(value)) => Ok((true, check_url(field, &value)?)),
    }
}

pub async fn update_contact(
    ctx: &Context,
    organization_id: Uuid,
    changes: ContactChanges,
) -> Result<Contact, ApiError> {
    let name = changes
        .platform_name
        .as_deref()
        .map(|v| bounded_text("platformName", v))
        .transpose()?;
    let support = changes
        .support_email
        .as_deref()
        .map(|v| codex_validation::email_address("supportEmail", v))
        .transpose()?;
    let timezone = changes
        .timezone
        .as_deref()
        .map(|v| bounded_text("timezone", v))
        .transpose()?;
    let contact_url = url_option("contactUrl", changes.contact_url)?;
    let twitter = url_option("twitterUrl", changes.twitter_url)?;
    let youtube = url_option("youtubeUrl", changes.youtube_url)?;
    let instagram = url_option("instagramUrl", changes.instagram_url)?;
    let tiktok = url_option("tiktokUrl", changes.tiktok_url)?;
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "UPDATE contact_settings c SET \
                   platform_name = COALESCE($2, c.platform_name), \
                   support_email = COALESCE($3, c.support_email), \
                   timezone = COALESCE($4, c.timezone), \
                   contact_url = CASE WHEN $5 THEN $6 ELSE c.contact_url END, \
                   twitter_url = CASE WHEN $7 THEN $8 ELSE c.twitter_url END, \
                   youtube_url = CASE WHEN $9 THEN $10 ELSE c.youtube_url END, \
                   instagram_url = CASE WHEN $11 THEN $12 ELSE c.instagram_url END, \
                   tiktok_url = CASE WHEN $13 THEN $14 ELSE c.tiktok_url END \
                 WHERE c.organization_id = $1 RETURNING {}",
                columns::<Contact>("")
            ),
            &[
                organization_id.into(),
                name.into(),
                support.into(),
                timezone.into(),
                contact_url.0.into(),
                contact_url.1.into(),
                twitter.0.into(),
                twitter.1.into(),
                youtube.0.into(),
                youtube.1.into(),
                instagram.0.into(),
                instagram.1.into(),
                tiktok.0.into(),
                tiktok.1.into(),
            ],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("Organization not found"))?;
    Ok(row.decode()?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Features {
    pub enable_signups: bool,
    pub enable_purchases: bool,
    pub enable_subscriptions: bool,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FeatureChanges {
    pub enable_signups: Option<bool>,
    pub enable_purchases: Option<bool>,
    pub enable_subscriptions: Option<bool>,
}

pub async fn features(ctx: &Context, organization_id: Uuid) -> Result<Features, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "SELECT {} FROM feature_settings WHERE organization_id = $1",
                columns::<Features>("")
            ),
            &[organization_id.into()],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("Organization not found"))?;
    Ok(row.decode()?)
}

pub async fn update_features(
    ctx: &Context,
    organization_id: Uuid,
    changes: FeatureChanges,
) -> Result<Features, ApiError> {
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "UPDATE feature_settings f SET enable_signups = COALESCE($2, f.enable_signups), \
                   enable_purchases = COALESCE($3, f.enable_purchases), \
                   enable_subscriptions = COALESCE($4, f.enable_subscriptions) \
                 WHERE f.organization_id = $1 RETURNING {}",
                columns::<Features>("f")
            ),
            &[
                organization_id.into(),
                changes.enable_signups.into(),
                changes.enable_purchases.into(),
                changes.enable_subscriptions.into(),
            ],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("Organization not found"))?;
    forget_public_of(ctx, organization_id).await;
    Ok(row.decode()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_upper_cased_and_checked() {
        assert_eq!(
            codex_validation::colour("c", " #abcdef "),
            Ok("#ABCDEF".to_owned())
        );
        for bad in ["red", "#12345", "#1234567", "abcdef", "#GGGGGG"] {
            assert!(codex_validation::colour("c", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_overrides_must_be_json_objects() {
        assert!(json_object("t", r#"{"--radius":"4px"}"#).is_ok());
        for bad in [
            "[]",
            "\"x\"",
            "{",
            "null",
            &format!("{{\"a\":\"{}\"}}", "x".repeat(20_000)),
        ] {
            assert!(json_object("t", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_pricing_faq_is_checked_item_by_item() {
        let item = |order: u32, answer: &str| serde_json::json!({"id": Uuid::new_v4(), "question": "Can I cancel?", "answer": answer, "order": order});
        let good =
            serde_json::json!([item(0, "Yes, any time."), item(1, "Of course.")]).to_string();
        assert!(pricing_faq(&good).is_ok());
        for bad in [
            serde_json::json!([]).to_string(),
            serde_json::json!([item(0, "Yes"), item(0, "No")]).to_string(),
            serde_json::json!([item(0, "<b>Yes</b>")]).to_string(),
            serde_json::json!([item(0, "")]).to_string(),
            serde_json::json!((0..21).map(|n| item(n, "Yes")).collect::<Vec<_>>()).to_string(),
            "{\"id\":1}".to_owned(),
        ] {
            assert!(pricing_faq(&bad).is_err(), "{bad}");
        }
    }
}
