//! An organisation's branding, contact and feature settings (rows created
//! with the organisation, holding the defaults), and its logo.

use codex_context::{Context, public_files};
use codex_database::{FromRow, Patch, Update, columns};
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
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Branding {
    #[schema(required = true)]
    pub logo_url: Option<String>,
    pub primary_color_hex: String,
    #[schema(required = true)]
    pub secondary_color_hex: Option<String>,
    #[schema(required = true)]
    pub accent_color_hex: Option<String>,
    #[schema(required = true)]
    pub background_color_hex: Option<String>,
    #[schema(required = true)]
    pub font_body: Option<String>,
    #[schema(required = true)]
    pub font_heading: Option<String>,
    /// Stored as text.
    #[row(parse)]
    pub radius_value: f64,
    /// Stored as text.
    #[row(parse)]
    pub density_value: f64,
    pub hero_layout: String,
    /// JSON object text: design-token overrides for the light theme.
    #[schema(required = true)]
    pub token_overrides: Option<String>,
    /// JSON object text: overrides applied in dark mode.
    #[schema(required = true)]
    pub dark_mode_overrides: Option<String>,
    /// JSON object text: design-token overrides for the dark theme.
    #[schema(required = true)]
    pub dark_token_overrides: Option<String>,
    /// JSON array text: the pricing page's questions and answers.
    #[schema(required = true)]
    pub pricing_faq: Option<String>,
    /// The media item the intro video was made from (see `intro_video`).
    #[schema(required = true)]
    pub intro_video_media_item_id: Option<Uuid>,
    /// Where the intro video plays; none until one is linked and ready.
    #[schema(required = true)]
    pub intro_video_url: Option<String>,
}

/// Changes to branding (the body of `PUT …/settings/branding`). A field
/// left out is left as it is. `null` clears an optional field (the colours
/// other than the primary, the fonts, the overrides and the FAQ), and so
/// does an empty (or blank) one; `null` for the others is refused with a
/// 400 naming the field.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BrandingChanges {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub primary_color_hex: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub secondary_color_hex: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub accent_color_hex: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub background_color_hex: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub font_body: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub font_heading: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub radius_value: Patch<f64>,
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub density_value: Patch<f64>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub hero_layout: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub token_overrides: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub dark_mode_overrides: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub dark_token_overrides: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub pricing_faq: Patch<String>,
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

/// A number from `low` to `high`, kept to four decimal places (the column
/// holds ten characters: `1.0000000000000002` would not fit, and no design
/// needs that precision).
fn in_range(field: &'static str, value: f64, low: f64, high: f64) -> Result<String, ApiError> {
    if value.is_finite() && (low..=high).contains(&value) {
        let rounded = (value * 10_000.0).round() / 10_000.0;
        Ok(rounded.to_string())
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

/// A colour that may be cleared.
fn optional_colour(field: &'static str, patch: Patch<String>) -> Result<Patch<String>, ApiError> {
    patch.clearable(|v| codex_validation::colour(field, v).map(Some))
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
        .required("primaryColorHex")?
        .try_map(|v| codex_validation::colour("primaryColorHex", &v))?;
    let secondary = optional_colour("secondaryColorHex", changes.secondary_color_hex)?;
    let accent = optional_colour("accentColorHex", changes.accent_color_hex)?;
    let background = optional_colour("backgroundColorHex", changes.background_color_hex)?;
    let body = changes
        .font_body
        .clearable(|v| font("fontBody", v).map(Some))?;
    let heading = changes
        .font_heading
        .clearable(|v| font("fontHeading", v).map(Some))?;
    let radius = changes
        .radius_value
        .required("radiusValue")?
        .try_map(|v| in_range("radiusValue", v, 0.0, 2.0))?;
    let density = changes
        .density_value
        .required("densityValue")?
        .try_map(|v| in_range("densityValue", v, 0.75, 1.25))?;
    let layout = changes
        .hero_layout
        .required("heroLayout")?
        .try_map(|layout| {
            if HERO_LAYOUTS.contains(&layout.as_str()) {
                Ok(layout)
            } else {
                Err(ApiError::invalid_fields([(
                    "heroLayout",
                    "is not a known layout",
                )]))
            }
        })?;
    let tokens = changes
        .token_overrides
        .clearable(|v| json_object("tokenOverrides", v).map(Some))?;
    let dark = changes
        .dark_mode_overrides
        .clearable(|v| json_object("darkModeOverrides", v).map(Some))?;
    let dark_tokens = changes
        .dark_token_overrides
        .clearable(|v| json_object("darkTokenOverrides", v).map(Some))?;
    let faq = changes
        .pricing_faq
        .clearable(|v| pricing_faq(v).map(Some))?;
    let (sql, params) = Update::new("branding_settings b")
        .patch("primary_color_hex", primary)
        .patch("secondary_color_hex", secondary)
        .patch("accent_color_hex", accent)
        .patch("background_color_hex", background)
        .patch("font_body", body)
        .patch("font_heading", heading)
        .patch("radius_value", radius)
        .patch("density_value", density)
        .patch("hero_layout", layout)
        .patch("token_overrides", tokens)
        .patch("dark_mode_overrides", dark)
        .patch("dark_token_overrides", dark_tokens)
        .patch("pricing_faq", faq)
        .where_eq("b.organization_id", organization_id)
        .returning_columns::<Branding>()
        .build();
    let row = ctx
        .database()
        .query_opt(&sql, &params)
        .await?
        .ok_or_else(|| ApiError::not_found("Organization not found"))?;
    forget_public_of(ctx, organization_id).await;
    Ok(row.decode()?)
}

/// The largest logo accepted.
pub const MAX_LOGO: usize = 5 * 1024 * 1024;

/// Replaces the logo with `bytes`: a PNG, JPEG or WebP picture judged by
/// content, re-encoded to WebP at three widths (the logo's URL is the `md`
/// one), or an SVG document, stored only in its sanitised form. The files
/// are public (`logos/{orgId}/…`); the replaced ones are removed.
pub async fn replace_logo(
    ctx: &Context,
    organization_id: Uuid,
    bytes: Vec<u8>,
) -> Result<Branding, ApiError> {
    let folder = format!("logos/{organization_id}");
    let stored = match image::sniff(&bytes) {
        Some(ImageKind::Png | ImageKind::Jpeg | ImageKind::Webp) => {
            public_files::store_picture_anywhere(ctx, &folder, "logo", &bytes).await?
        }
        _ => match crate::svg::sanitise(&bytes) {
            Some(clean) => public_files::store(ctx, &folder, clean, "image/svg+xml", "svg").await?,
            None => {
                return Err(ApiError::invalid_fields([(
                    "logo",
                    "File 'logo' has invalid type: expected a PNG, JPEG, WebP or SVG image",
                )]));
            }
        },
    };
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

/// Drops the cached public views of the organisation, found by id.
pub(crate) async fn forget_public_of(ctx: &Context, organization_id: Uuid) {
    match organisation::get(ctx, organization_id).await {
        Ok(found) => organisation::forget_public(ctx, &found.slug).await,
        Err(error) => tracing::warn!(%error, "could not find the slug whose public view to drop"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub platform_name: String,
    pub support_email: String,
    #[schema(required = true)]
    pub contact_url: Option<String>,
    pub timezone: String,
    #[schema(required = true)]
    pub twitter_url: Option<String>,
    #[schema(required = true)]
    pub youtube_url: Option<String>,
    #[schema(required = true)]
    pub instagram_url: Option<String>,
    #[schema(required = true)]
    pub tiktok_url: Option<String>,
}

/// Changes to contact settings (the body of `PUT …/settings/contact`). A
/// field left out is left as it is. `null` clears a URL, and so does an
/// empty (or blank) one; `null` for the others is refused with a 400 naming
/// the field.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContactChanges {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub platform_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub support_email: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub timezone: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub contact_url: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub twitter_url: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub youtube_url: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub instagram_url: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub tiktok_url: Patch<String>,
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

fn bounded_text(field: &'static str, patch: Patch<String>) -> Result<Patch<String>, ApiError> {
    patch
        .required(field)?
        .try_map(|v| codex_validation::required_text(field, &v, 100))
}

fn url(field: &'static str, patch: Patch<String>) -> Result<Patch<String>, ApiError> {
    patch.clearable(|v| check_url(field, v))
}

pub async fn update_contact(
    ctx: &Context,
    organization_id: Uuid,
    changes: ContactChanges,
) -> Result<Contact, ApiError> {
    let name = bounded_text("platformName", changes.platform_name)?;
    let support = changes
        .support_email
        .required("supportEmail")?
        .try_map(|v| codex_validation::email_address("supportEmail", &v))?;
    let timezone = bounded_text("timezone", changes.timezone)?;
    let contact_url = url("contactUrl", changes.contact_url)?;
    let twitter = url("twitterUrl", changes.twitter_url)?;
    let youtube = url("youtubeUrl", changes.youtube_url)?;
    let instagram = url("instagramUrl", changes.instagram_url)?;
    let tiktok = url("tiktokUrl", changes.tiktok_url)?;
    let (sql, params) = Update::new("contact_settings c")
        .patch("platform_name", name)
        .patch("support_email", support)
        .patch("timezone", timezone)
        .patch("contact_url", contact_url)
        .patch("twitter_url", twitter)
        .patch("youtube_url", youtube)
        .patch("instagram_url", instagram)
        .patch("tiktok_url", tiktok)
        .where_eq("c.organization_id", organization_id)
        .returning_columns::<Contact>()
        .build();
    let row = ctx
        .database()
        .query_opt(&sql, &params)
        .await?
        .ok_or_else(|| ApiError::not_found("Organization not found"))?;
    Ok(row.decode()?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Features {
    pub enable_signups: bool,
    pub enable_purchases: bool,
    pub enable_subscriptions: bool,
}

/// Changes to features (the body of `PUT …/settings/features`). A switch
/// left out is left as it is; `null` is refused.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FeatureChanges {
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    pub enable_signups: Patch<bool>,
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    pub enable_purchases: Patch<bool>,
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    pub enable_subscriptions: Patch<bool>,
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
    let (sql, params) = Update::new("feature_settings f")
        .patch(
            "enable_signups",
            changes.enable_signups.required("enableSignups")?,
        )
        .patch(
            "enable_purchases",
            changes.enable_purchases.required("enablePurchases")?,
        )
        .patch(
            "enable_subscriptions",
            changes
                .enable_subscriptions
                .required("enableSubscriptions")?,
        )
        .where_eq("f.organization_id", organization_id)
        .returning_columns::<Features>()
        .build();
    let row = ctx
        .database()
        .query_opt(&sql, &params)
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
    fn numbers_in_range_fit_their_column_however_many_digits_they_come_with() {
        for (sent, stored) in [
            (1.0, "1"),
            (0.5, "0.5"),
            (1.000_000_000_000_000_2, "1"),
            (0.333_333_333_333_333_3, "0.3333"),
            (1.999_999_99, "2"),
        ] {
            let kept = in_range("radiusValue", sent, 0.0, 2.0).expect("in range");
            assert_eq!(kept, stored);
            assert!(kept.len() <= 10, "{kept}");
        }
        assert!(in_range("radiusValue", 2.1, 0.0, 2.0).is_err());
        assert!(in_range("radiusValue", f64::NAN, 0.0, 2.0).is_err());
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
