//! One field of a partial update, as a client sent it.
//!
//! The project's convention for `PATCH`-style requests:
//! - a field left out of the request is left as it is ([`Patch::Absent`]);
//! - a field sent as JSON `null` is cleared ([`Patch::Null`]);
//! - any other value replaces it ([`Patch::Value`]).
//!
//! Declare such fields with `#[serde(default)]` (on the field, or on a
//! struct that implements `Default`): serde then fills a missing field with
//! `Patch::Absent`. Without it, serde hands a missing field to the type as
//! if it were `null`, and the field would be cleared instead of kept.
//!
//! ```
//! use codex_database::Patch;
//!
//! #[derive(serde::Deserialize, Default)]
//! #[serde(default, deny_unknown_fields)]
//! struct Changes {
//!     bio: Patch<String>,
//!     website: Patch<String>,
//! }
//!
//! let changes: Changes = serde_json::from_str(r#"{"bio": null}"#).expect("valid JSON");
//! assert_eq!(changes.bio, Patch::Null);
//! assert_eq!(changes.website, Patch::Absent);
//! ```
//!
//! [`Update::patch`](crate::Update::patch) turns a `Patch` into `SET` (or
//! nothing).

use serde::{Deserialize, Deserializer};

/// A field that may be left as it is, cleared, or replaced. The default is
/// `Absent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Patch<T> {
    /// Not sent: leave the stored value as it is.
    #[default]
    Absent,
    /// Sent as `null`: clear the stored value.
    Null,
    /// Sent with a value: store it.
    Value(T),
}

impl<T> Patch<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The value sent, if one was.
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Value(value) => Some(value),
            Self::Absent | Self::Null => None,
        }
    }

    pub fn as_ref(&self) -> Patch<&T> {
        match self {
            Self::Absent => Patch::Absent,
            Self::Null => Patch::Null,
            Self::Value(value) => Patch::Value(value),
        }
    }

    /// Maps the value, keeping `Absent` and `Null` as they are.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Self::Absent => Patch::Absent,
            Self::Null => Patch::Null,
            Self::Value(value) => Patch::Value(f(value)),
        }
    }

    /// Checks or converts the value, keeping `Absent` and `Null` as they
    /// are; the first error is returned as it is.
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Patch<U>, E> {
        Ok(match self {
            Self::Absent => Patch::Absent,
            Self::Null => Patch::Null,
            Self::Value(value) => Patch::Value(f(value)?),
        })
    }

    /// `None` for `Absent`, `Some(None)` for `Null`, `Some(Some(value))` for
    /// a value.
    pub fn into_option(self) -> Option<Option<T>> {
        match self {
            Self::Absent => None,
            Self::Null => Some(None),
            Self::Value(value) => Some(Some(value)),
        }
    }
}

/// `null` is `Null`, anything else is `Value(T)`. A missing field is
/// `Absent` only under `#[serde(default)]` (see the module documentation).
impl<T> Patch<T> {
    /// A field that must keep a value: left out, it stays `Absent`; sent, it
    /// is the caller's to check; sent as `null`, it is refused with a 400
    /// naming `field`.
    pub fn required(self, field: &'static str) -> Result<Self, codex_errors::ApiError> {
        if self.is_null() {
            return Err(codex_errors::ApiError::invalid_fields([(
                field,
                "must not be null",
            )]));
        }
        Ok(self)
    }
}

impl Patch<String> {
    /// A clearable text field: left out, it stays `Absent`; `null` clears
    /// it, and so does an empty string (after trimming), which is what a
    /// form sends for a field the user emptied. Other text goes through
    /// `check`, which may clear the field too by answering `None`.
    pub fn clearable<T>(
        self,
        check: impl FnOnce(&str) -> Result<Option<T>, codex_errors::ApiError>,
    ) -> Result<Patch<T>, codex_errors::ApiError> {
        Ok(match self {
            Self::Absent => Patch::Absent,
            Self::Null => Patch::Null,
            Self::Value(text) if text.trim().is_empty() => Patch::Null,
            Self::Value(text) => check(&text)?.map_or(Patch::Null, Patch::Value),
        })
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(|value| value.map_or(Self::Null, Self::Value))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default, deny_unknown_fields, rename_all = "camelCase")]
    struct Changes {
        display_name: Patch<String>,
        bio: Patch<String>,
        age: Patch<u8>,
        tags: Patch<Vec<String>>,
    }

    fn changes(value: serde_json::Value) -> Result<Changes, serde_json::Error> {
        serde_json::from_value(value)
    }

    #[test]
    fn absent_null_and_values_are_three_different_things() {
        let found = changes(json!({"bio": null, "age": 30, "tags": ["a"]})).expect("valid");
        assert_eq!(found.display_name, Patch::Absent);
        assert_eq!(found.bio, Patch::Null);
        assert_eq!(found.age, Patch::Value(30));
        assert_eq!(found.tags, Patch::Value(vec!["a".to_owned()]));

        let empty = changes(json!({})).expect("valid");
        assert!(empty.display_name.is_absent() && empty.bio.is_absent());
        assert!(empty.age.is_absent() && empty.tags.is_absent());
    }

    #[test]
    fn an_empty_string_is_a_value_not_a_null() {
        let found = changes(json!({"displayName": ""})).expect("valid");
        assert_eq!(found.display_name, Patch::Value(String::new()));
    }

    #[test]
    fn wrong_types_and_unknown_fields_are_refused() {
        assert!(changes(json!({"age": "thirty"})).is_err());
        assert!(changes(json!({"age": 300})).is_err());
        assert!(changes(json!({"tags": "a"})).is_err());
        let unknown = changes(json!({"nickname": "x"})).expect_err("unknown field");
        assert!(unknown.to_string().contains("nickname"), "{unknown}");
    }

    #[test]
    fn field_level_default_works_without_a_struct_default() {
        #[derive(Deserialize)]
        struct Only {
            #[serde(default)]
            note: Patch<String>,
            id: u32,
        }
        let only: Only = serde_json::from_value(json!({"id": 1})).expect("valid");
        assert_eq!((only.id, only.note), (1, Patch::Absent));
        let only: Only = serde_json::from_value(json!({"id": 1, "note": null})).expect("valid");
        assert_eq!(only.note, Patch::Null);
    }

    #[test]
    fn helpers_keep_absent_and_null_apart() {
        let value = Patch::Value(" x ".to_owned());
        assert_eq!(value.value().map(String::as_str), Some(" x "));
        assert_eq!(value.as_ref().map(|v| v.trim()), Patch::Value("x"));
        assert_eq!(value.into_option(), Some(Some(" x ".to_owned())));
        assert_eq!(Patch::<u8>::Null.into_option(), Some(None));
        assert_eq!(Patch::<u8>::Absent.into_option(), None);
        assert_eq!(Patch::<u8>::Null.map(|n| n + 1), Patch::Null);
        assert_eq!(Patch::<u8>::Absent.map(|n| n + 1), Patch::Absent);
        assert!(Patch::<u8>::Null.is_null() && !Patch::<u8>::Null.is_absent());
        assert_eq!(Patch::<u8>::default(), Patch::Absent);
        assert_eq!(Patch::<u8>::Null.value(), None);
    }

    #[test]
    fn try_map_checks_values_only() {
        let check = |n: u8| if n > 10 { Err("too big") } else { Ok(n * 2) };
        assert_eq!(Patch::Value(4).try_map(check), Ok(Patch::Value(8)));
        assert_eq!(Patch::Value(40).try_map(check), Err("too big"));
        assert_eq!(Patch::Null.try_map(check), Ok(Patch::Null));
        assert_eq!(Patch::Absent.try_map(check), Ok(Patch::Absent));
    }
}
