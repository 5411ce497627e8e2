//! Decoding a whole [`Row`] into a struct, and the column list that goes
//! with it.
//!
//! `#[derive(codex_database::FromRow)]` writes both; see the derive's
//! documentation (`codex-database-derive`) for its field attributes.

use std::fmt::Display;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use crate::{DbError, Row};

/// A type read from one row.
///
/// `COLUMNS` names the columns `from_row` reads, in field order, so that a
/// statement selects exactly them (see [`columns`]). Columns read only when
/// present (`#[row(default)]`) are not in it.
pub trait FromRow: Sized {
    const COLUMNS: &'static [&'static str];

    fn from_row(row: &Row) -> Result<Self, DbError>;
}

/// The select list for `T`: `"u.id, u.email"` for alias `"u"`, or
/// `"id, email"` when `alias` is empty.
pub fn columns<T: FromRow>(alias: &str) -> String {
    if alias.is_empty() {
        T::COLUMNS.join(", ")
    } else {
        T::COLUMNS
            .iter()
            .map(|column| format!("{alias}.{column}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Row {
    /// Reads the whole row as `T`.
    pub fn decode<T: FromRow>(&self) -> Result<T, DbError> {
        T::from_row(self)
    }
}

fn decode_error(column: &str, reason: impl Into<String>) -> DbError {
    DbError::Decode {
        column: column.to_owned(),
        reason: reason.into(),
    }
}

/// What the derived code calls. Not a public API: it may change at any time.
#[doc(hidden)]
pub mod private {
    use super::*;

    /// True when the column was selected and is not NULL.
    pub fn has_value(row: &Row, column: &str) -> bool {
        row.value(column).is_some_and(|value| !value.is_null())
    }

    /// A `json`/`jsonb` column deserialised into `T`. NULL is offered to
    /// `T` as JSON `null`, so an `Option` reads it as `None`; any other `T`
    /// refuses it.
    pub fn json<T: DeserializeOwned>(row: &Row, column: &str) -> Result<T, DbError> {
        match row.get::<Option<Json>>(column)? {
            Some(value) => serde_json::from_value(value)
                .map_err(|error| decode_error(column, format!("invalid JSON content: {error}"))),
            None => serde_json::from_value(Json::Null).map_err(|_| {
                decode_error(
                    column,
                    format!("expected {}, found NULL", std::any::type_name::<T>()),
                )
            }),
        }
    }

    /// A text column parsed with `FromStr`.
    pub fn parse<T>(row: &Row, column: &str) -> Result<T, DbError>
    where
        T: FromStr,
        T::Err: Display,
    {
        let text: String = row.get(column)?;
        parse_text(column, &text)
    }

    /// A nullable text column parsed with `FromStr`; NULL is `None`.
    pub fn parse_optional<T>(row: &Row, column: &str) -> Result<Option<T>, DbError>
    where
        T: FromStr,
        T::Err: Display,
    {
        row.get::<Option<String>>(column)?
            .map(|text| parse_text(column, &text))
            .transpose()
    }

    fn parse_text<T>(column: &str, text: &str) -> Result<T, DbError>
    where
        T: FromStr,
        T::Err: Display,
    {
        text.parse().map_err(|error: T::Err| {
            decode_error(
                column,
                format!("not a valid {}: {error}", std::any::type_name::<T>()),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqlValue;

    struct Pair;

    impl FromRow for Pair {
        const COLUMNS: &'static [&'static str] = &["id", "email"];

        fn from_row(_row: &Row) -> Result<Self, DbError> {
            Ok(Self)
        }
    }

    #[test]
    fn column_lists_take_the_alias_when_there_is_one() {
        assert_eq!(columns::<Pair>("u"), "u.id, u.email");
        assert_eq!(columns::<Pair>(""), "id, email");
    }

    #[test]
    fn has_value_is_false_for_missing_and_null_columns() {
        let row = Row::new(vec![
            ("a".into(), SqlValue::Int(Some(1))),
            ("b".into(), SqlValue::Text(None)),
        ]);
        assert!(private::has_value(&row, "a"));
        assert!(!private::has_value(&row, "b"));
        assert!(!private::has_value(&row, "c"));
    }
}
