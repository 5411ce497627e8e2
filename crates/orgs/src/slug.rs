//! Organisation slugs: trimmed, lower-case, `^[a-z0-9]+(?:-[a-z0-9]+)*$`, at
//! most 255 characters, and none of the names the platform's own
//! sub-domains use.

use codex_errors::ApiError;
use codex_validation::is_slug;

pub const MAX_LENGTH: usize = 255;

/// Names an organisation may not take, since `{slug}.example.com` would
/// shadow a service or a page of the platform.
pub const RESERVED: &[&str] = &[
    "about",
    "account",
    "accounts",
    "admin",
    "admin-api",
    "admin-api-staging",
    "api",
    "app",
    "assets",
    "auth",
    "auth-worker",
    "auth-worker-staging",
    "billing",
    "blog",
    "cdn",
    "checkout",
    "content-api",
    "content-api-staging",
    "dashboard",
    "dev",
    "docs",
    "ecom-api",
    "ecom-api-staging",
    "help",
    "identity-api",
    "identity-api-staging",
    "localhost",
    "login",
    "logout",
    "mail",
    "media",
    "media-api",
    "media-api-staging",
    "notifications-api",
    "notifications-api-staging",
    "organization-api",
    "organization-api-staging",
    "platform",
    "preview",
    "register",
    "settings",
    "signin",
    "signup",
    "stage",
    "staging",
    "static",
    "status",
    "studio",
    "support",
    "test",
    "www",
];

/// The normal form of `raw`, or a 400 naming the `slug` field.
pub fn normalise(raw: &str) -> Result<String, ApiError> {
    let slug = raw.trim().to_lowercase();
    if slug.is_empty() || slug.len() > MAX_LENGTH || !is_slug(&slug, MAX_LENGTH) {
        return Err(ApiError::invalid_fields([(
            "slug",
            "must be at most 255 lower-case letters, digits and single hyphens, starting and ending with a letter or digit",
        )]));
    }
    if RESERVED.contains(&slug.as_str()) {
        return Err(ApiError::invalid_fields([("slug", "is reserved")]));
    }
    Ok(slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_normalised_and_checked() {
        assert_eq!(normalise("  My-Studio-42 "), Ok("my-studio-42".to_owned()));
        for bad in [
            "",
            "bad slug",
            "-lead",
            "trail-",
            "double--hyphen",
            "under_score",
            "admin",
            "API",
            "content-api",
        ] {
            assert!(normalise(bad).is_err(), "{bad}");
        }
        assert!(normalise(&"a".repeat(256)).is_err());
        assert!(normalise(&"a".repeat(255)).is_ok());
    }
}
