//! Input primitives shared by every service. Each returns a clear
//! [`ApiError`] (400 `VALIDATION_ERROR`) naming the field that failed.

use codex_errors::ApiError;
use serde::{Deserialize, Serialize};

pub mod email;
pub mod image;

/// Text that must be there: trimmed, then 1 to `max` characters, or a 400
/// naming `field`.
pub fn required_text(field: &'static str, value: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(ApiError::invalid_fields([(
            field,
            format!("must be 1 to {max} characters"),
        )]));
    }
    Ok(value.to_owned())
}

/// An http(s) URL with a host, at most `max` characters, trimmed; empty
/// means none. Otherwise a 400 naming `field`.
pub fn http_url(field: &'static str, value: &str, max: usize) -> Result<Option<String>, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let has_host = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if !has_host || value.len() > max || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ApiError::invalid_fields([(
            field,
            "must be an http or https URL",
        )]));
    }
    Ok(Some(value.to_owned()))
}

/// An e-mail address in its normal form (see [`email::normalise`]), or a
/// 400 naming `field`.
pub fn email_address(field: &'static str, value: &str) -> Result<String, ApiError> {
    email::normalise(value)
        .map_err(|_| ApiError::invalid_fields([(field, "must be an e-mail address")]))
}

/// A colour as `#RRGGBB`, upper-cased, or a 400 naming `field`.
pub fn colour(field: &'static str, value: &str) -> Result<String, ApiError> {
    let value = value.trim().to_ascii_uppercase();
    let ok = value.len() == 7
        && value.starts_with('#')
        && value[1..].chars().all(|c| c.is_ascii_hexdigit());
    if ok {
        Ok(value)
    } else {
        Err(ApiError::invalid_fields([(
            field,
            "must be a colour such as #3B82F6",
        )]))
    }
}

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE: u32 = 1000;

/// `?page=&limit=` as sent by the client: strings, checked by [`PageQuery::check`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageQuery {
    pub page: Option<String>,
    pub limit: Option<String>,
}

/// A checked page request: `page` 1..=1000, `limit` 1..=100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u32,
    pub limit: u32,
}

impl Page {
    /// Rows to skip.
    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.limit)
    }
}

impl PageQuery {
    pub fn check(&self) -> Result<Page, ApiError> {
        Ok(Page {
            page: bounded("page", self.page.as_deref(), 1, MAX_PAGE, 1)?,
            limit: bounded(
                "limit",
                self.limit.as_deref(),
                1,
                MAX_PAGE_SIZE,
                DEFAULT_PAGE_SIZE,
            )?,
        })
    }
}

fn bounded(
    field: &'static str,
    value: Option<&str>,
    min: u32,
    max: u32,
    default: u32,
) -> Result<u32, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(default),
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                ApiError::invalid_fields([(
                    field,
                    format!("must be a whole number from {min} to {max}"),
                )])
            }),
    }
}

/// The `pagination` block of a list response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub page: u32,
    pub limit: u32,
    pub total: u64,
    pub total_pages: u64,
}

impl Pagination {
    pub fn new(page: Page, total: u64) -> Self {
        Self {
            page: page.page,
            limit: page.limit,
            total,
            total_pages: total.div_ceil(u64::from(page.limit)),
        }
    }
}

/// Lower-case words of `a-z 0-9` joined by single hyphens, 1..=`max` long.
pub fn is_slug(value: &str, max: usize) -> bool {
    !value.is_empty()
        && value.len() <= max
        && value.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(page: Option<&str>, limit: Option<&str>) -> PageQuery {
        PageQuery {
            page: page.map(str::to_owned),
            limit: limit.map(str::to_owned),
        }
    }

    #[test]
    fn pages_default_and_respect_bounds() {
        assert_eq!(query(None, None).check(), Ok(Page { page: 1, limit: 20 }));
        assert_eq!(
            query(Some("3"), Some("100")).check(),
            Ok(Page {
                page: 3,
                limit: 100
            })
        );
        for (page, limit) in [
            ("0", "10"),
            ("1001", "10"),
            ("1", "0"),
            ("1", "101"),
            ("x", "1"),
            ("-1", "5"),
            ("1.5", "5"),
        ] {
            assert!(
                query(Some(page), Some(limit)).check().is_err(),
                "{page}/{limit}"
            );
        }
    }

    #[test]
    fn total_pages_is_zero_for_an_empty_list() {
        let page = Page { page: 1, limit: 20 };
        assert_eq!(Pagination::new(page, 0).total_pages, 0);
        assert_eq!(Pagination::new(page, 41).total_pages, 3);
        assert_eq!(Page { page: 3, limit: 20 }.offset(), 40);
    }

    #[test]
    fn slugs_are_lowercase_hyphenated_words() {
        assert!(is_slug("my-org-2", 255));
        for bad in ["", "-a", "a-", "a--b", "A", "a b", "a_b", "ü"] {
            assert!(!is_slug(bad, 255), "{bad:?}");
        }
        assert!(!is_slug("abc", 2));
    }
}
