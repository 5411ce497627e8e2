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
use codex_database::{FromRow, Patch, Update, columns};
use codex_errors::ApiError;
use serde::{Deserialize, Serialize};

/// The platform's own settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformSettings {
    pub platform_name: String,
    #[schema(required = true)]
    pub logo_url: Option<String>,
    pub primary_color_hex: String,
    pub support_email: String,
    pub enable_signups: bool,
    pub enable_purchases: bool,
    pub updated_at: DateTime<Utc>,
}

/// Changes to the platform settings (the body of `PUT
/// /api/platform/settings`). A field left out is left as it is. `null`
/// clears `logoUrl`, and so does an empty one (forms send an emptied field
/// as `""`); `null` for any other field is refused with a 400 naming it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlatformChanges {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub platform_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub logo_url: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub primary_color_hex: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub support_email: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    pub enable_signups: Patch<bool>,
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    pub enable_purchases: Patch<bool>,
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
        .required("platformName")?
        .try_map(|v| codex_validation::required_text("platformName", &v, 100))?;
    // An empty URL is none: `http_url` answers `None` for it.
    let logo = match changes.logo_url {
        Patch::Value(url) => {
            codex_validation::http_url("logoUrl", &url, 2048)?.map_or(Patch::Null, Patch::Value)
        }
        other => other,
    };
    let primary = changes
        .primary_color_hex
        .required("primaryColorHex")?
        .try_map(|v| codex_validation::colour("primaryColorHex", &v))?;
    let support = changes
        .support_email
        .required("supportEmail")?
        .try_map(|v| codex_validation::email_address("supportEmail", &v))?;
    let (sql, params) = Update::new("platform_configuration p")
        .patch("platform_name", name)
        .patch("logo_url", logo)
        .patch("primary_color_hex", primary)
        .patch("support_email", support)
        .patch(
            "enable_signups",
            changes.enable_signups.required("enableSignups")?,
        )
        .patch(
            "enable_purchases",
            changes.enable_purchases.required("enablePurchases")?,
        )
        .set("updated_by", changed_by)
        .returning_columns::<PlatformSettings>()
        .build();
    let row = ctx
        .database()
        .query_opt(&sql, &params)
        .await?
        .ok_or_else(|| ApiError::internal("the platform settings row is missing"))?;
    if let Err(error) = ctx.kv().delete(PLATFORM_KEY).await {
        tracing::error!(%error, "could not drop the cached platform settings");
    }
    Ok(row.decode()?)
}
