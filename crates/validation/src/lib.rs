//! Input primitives shared by every service. Each returns a clear
//! [`ApiError`] (400 `VALIDATION_ERROR`) naming the field that failed.
//!
//! No text they accept holds a control character (NUL, DEL, the C0 and C1
//! ranges), which PostgreSQL cannot store (NUL) or which have no business in
//! a name or a link. Only [`multiline_text`], for free text written in a
//! text area, keeps line breaks and tabs.

use codex_errors::ApiError;
use serde::{Deserialize, Serialize};

pub mod email;
pub mod image;

/// What a field holding a control character is told.
const NO_CONTROL_CHARACTERS: &str = "must not contain control characters";

/// Text that must be there, on one line: trimmed, then 1 to `max`
/// characters and no control character (tabs and line breaks included), or
/// a 400 naming `field`.
pub fn required_text(field: &'static str, value: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(ApiError::invalid_fields([(
            field,
            format!("must be 1 to {max} characters"),
        )]));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::invalid_fields([(field, NO_CONTROL_CHARACTERS)]));
    }
    Ok(value.to_owned())
}

/// Free text that may span lines, as typed into a text area: trimmed, at
/// most `max` characters, and no control character other than a line break
/// (`\n`, `\r`) or a tab (`\t`); empty means none. Otherwise a 400 naming
/// `field`.
///
/// For descriptions and biographies: an organisation's `description` and a
/// profile's `bio`. Names, titles, links and anything else on one line use
/// [`required_text`] or [`http_url`], which refuse line breaks as well.
pub fn multiline_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(ApiError::invalid_fields([(
            field,
            format!("must be at most {max} characters"),
        )]));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApiError::invalid_fields([(field, NO_CONTROL_CHARACTERS)]));
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

/// An http(s) URL with a host, at most `max` characters, trimmed, without
/// spaces or control characters; empty means none. Otherwise a 400 naming
/// `field`.
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    #[default]
    Desc,
}

impl SortOrder {
    /// The direction as SQL: `ASC` or `DESC`.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Asc => "ASC",
            Self::Desc => "DESC",
        }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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

    /// The field named in a 400's `details.details`.
    fn field_of(error: &ApiError) -> String {
        assert_eq!(error.code(), codex_errors::ErrorCode::ValidationError);
        error.body()["error"]["details"]["details"][0]["path"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// NUL, other C0 controls, tab and line breaks, DEL and a C1 control.
    const CONTROLS: [char; 8] = [
        '\0', '\u{1}', '\u{1b}', '\t', '\n', '\r', '\u{7f}', '\u{85}',
    ];

    #[test]
    fn required_text_is_trimmed_bounded_and_on_one_line() {
        assert_eq!(required_text("name", "  Ann  ", 5), Ok("Ann".to_owned()));
        assert_eq!(required_text("name", "Zoë 😀", 5), Ok("Zoë 😀".to_owned()));
        for bad in ["", "   ", "toolong"] {
            let error = required_text("name", bad, 5).expect_err(bad);
            assert_eq!(field_of(&error), "name", "{bad:?}");
        }
        for control in CONTROLS {
            let value = format!("a{control}b");
            let error = required_text("name", &value, 50).expect_err(&value);
            assert_eq!(field_of(&error), "name", "{value:?}");
            assert!(error.body().to_string().contains("control characters"));
        }
        // Trailing line breaks are trimmed away, not refused.
        assert_eq!(required_text("name", "Ann\n", 5), Ok("Ann".to_owned()));
    }

    #[test]
    fn multiline_text_keeps_line_breaks_and_tabs_only() {
        assert_eq!(
            multiline_text("bio", " line one\r\n\tline two \n", 50),
            Ok(Some("line one\r\n\tline two".to_owned()))
        );
        assert_eq!(multiline_text("bio", "  \n ", 50), Ok(None));
        let error = multiline_text("bio", "abcdef", 5).expect_err("too long");
        assert_eq!(field_of(&error), "bio");
        for control in ['\0', '\u{1}', '\u{1b}', '\u{7f}', '\u{85}'] {
            let value = format!("a{control}b");
            let error = multiline_text("bio", &value, 50).expect_err(&value);
            assert_eq!(field_of(&error), "bio", "{value:?}");
        }
    }

    #[test]
    fn urls_refuse_control_characters() {
        assert_eq!(
            http_url("websiteUrl", " https://example.com/a ", 100),
            Ok(Some("https://example.com/a".to_owned()))
        );
        assert_eq!(http_url("websiteUrl", "  ", 100), Ok(None));
        for control in CONTROLS {
            let value = format!("https://example.com/a{control}b");
            let error = http_url("websiteUrl", &value, 100).expect_err(&value);
            assert_eq!(field_of(&error), "websiteUrl", "{value:?}");
        }
        for bad in [
            "example.com",
            "https://",
            "https:///path",
            "ftp://example.com",
        ] {
            assert!(http_url("websiteUrl", bad, 100).is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses_and_colours_refuse_control_characters() {
        for control in CONTROLS {
            let address = format!("ann{control}@example.com");
            let error = email_address("supportEmail", &address).expect_err(&address);
            assert_eq!(field_of(&error), "supportEmail", "{address:?}");
            let colour_value = format!("#ABC{control}EF");
            let error = colour("primaryColorHex", &colour_value).expect_err(&colour_value);
            assert_eq!(field_of(&error), "primaryColorHex", "{colour_value:?}");
            assert!(!is_slug(&format!("a{control}b"), 50));
        }
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
