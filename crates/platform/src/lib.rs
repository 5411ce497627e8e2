//! The platform's own settings (one row of `platform_configuration`, which
//! this crate alone reads and writes): name, logo, colour, support address,
//! and the switches for sign-ups and purchases. Read through one cached
//! reader ([`current`]) by sign-up now and by purchases later; every change
//! drops the cached copy. A copy at another Workers location may lag a change
//! by up to a minute: these switches open and close doors for new actions,
//! they end nobody's access.

use std::time::Duration;

use chrono::{DateTime, Utc};
use codex_context::Context;
use codex_database::{FromRow, columns};
use codex_errors::ApiError;
use serde::{Deserialize, Serialize};

fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The platform's own settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct PlatformSettings {
    pub platform_name: String,
    pub logo_url: Option<String>,
    pub primary_color_hex: String,
    pub support_email: String,
    pub enable_signups: bool,
    pub enable_purchases: bool,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlatformChanges {
    pub platform_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub logo_url: Option<Option<String>>,
    pub primary_color_hex: Option<String>,
    pub support_email: Option<String>,
    pub enable_signups: Option<bool>,
    pub enable_purchases: Option<bool>,
}

const PLATFORM_KEY: &str = "platform:settings";
/// A safety net only: every change drops the cached copy.
const CACHE_TTL: Duration = Duration::from_secs(3600);

/// The platform settings, cached until they change.
pub async fn current(ctx: &Context) -> Result<PlatformSettings, ApiError> {
    if let Ok(Some(value)) = ctx.kv().get(PLATFORM_KEY).await
        && let Ok(found) = serde_json::from_str(&value)
    {
        return Ok(found);
    }
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "SELECT {} FROM platform_configuration",
                columns::<PlatformSettings>("")
            ),
            &[],
        )
        .await?
        .ok_or_else(|| ApiError::internal("the platform settings row is missing"))?;
    let found: PlatformSettings = row.decode()?;
    if let Ok(value) = serde_json::to_string(&found)
        && let Err(error) = ctx.kv().put(PLATFORM_KEY, &value, Some(CACHE_TTL)).await
    {
        tracing::warn!(%error, "could not cache the platform settings");
    }
    Ok(found)
}

pub async fn update(
    ctx: &Context,
    changed_by: &str,
    changes: PlatformChanges,
) -> Result<PlatformSettings, ApiError> {
    let name = changes
        .platform_name
        .as_deref()
        .map(|v| codex_validation::required_text("platformName", v, 100))
        .transpose()?;
    let logo = match changes.logo_url {
        None => (false, None),
        Some(None) => (true, None),
        Some(Some(url)) => (true, codex_validation::http_url("logoUrl", &url, 2048)?),
    };
    let primary = changes
        .primary_color_hex
        .as_deref()
        .map(|v| codex_validation::colour("primaryColorHex", v))
        .transpose()?;
    let support = changes
        .support_email
        .as_deref()
        .map(|v| codex_validation::email_address("supportEmail", v))
        .transpose()?;
    let row = ctx
        .database()
        .query_opt(
            &format!(
                "UPDATE platform_configuration p SET \
                   platform_name = COALESCE($1, p.platform_name), \
                   logo_url = CASE WHEN $2 THEN $3 ELSE p.logo_url END, \
                   primary_color_hex = COALESCE($4, p.primary_color_hex), \
                   support_email = COALESCE($5, p.support_email), \
                   enable_signups = COALESCE($6, p.enable_signups), \
                   enable_purchases = COALESCE($7, p.enable_purchases), \
                   updated_by = $8 \
                 RETURNING {}",
                columns::<PlatformSettings>("p")
            ),
            &[
                name.into(),
                logo.0.into(),
                logo.1.into(),
                primary.into(),
                support.into(),
                changes.enable_signups.into(),
                changes.enable_purchases.into(),
                changed_by.into(),
            ],
        )
        .await?
        .ok_or_else(|| ApiError::internal("the platform settings row is missing"))?;
    if let Err(error) = ctx.kv().delete(PLATFORM_KEY).await {
        tracing::error!(%error, "could not drop the cached platform settings");
    }
    Ok(row.decode()?)
}
