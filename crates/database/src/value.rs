use chrono::{DateTime, Utc};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::DbError;

/// A statement parameter or a column value. Every variant carries its SQL
/// type even when it is NULL, so that both drivers bind a typed NULL.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Bool(Option<bool>),
    /// Any integer column (`smallint`, `integer`, `bigint`).
    Int(Option<i64>),
    /// `real` or `double precision`.
    Float(Option<f64>),
    /// `text`, `varchar`, `char`.
    Text(Option<String>),
    Uuid(Option<Uuid>),
    /// `timestamptz`; `timestamp` columns are read as UTC.
    Timestamp(Option<DateTime<Utc>>),
    /// `json` or `jsonb`.
    Json(Option<Json>),
    Bytes(Option<Vec<u8>>),
}

impl SqlValue {
    pub fn is_null(&self) -> bool {
        match self {
            Self::Bool(v) => v.is_none(),
            Self::Int(v) => v.is_none(),
            Self::Float(v) => v.is_none(),
            Self::Text(v) => v.is_none(),
            Self::Uuid(v) => v.is_none(),
            Self::Timestamp(v) => v.is_none(),
            Self::Json(v) => v.is_none(),
            Self::Bytes(v) => v.is_none(),
        }
    }
}

macro_rules! sql_value_from {
    ($($variant:ident: $ty:ty => $convert:expr),* $(,)?) => {$(
        impl From<$ty> for SqlValue {
            fn from(value: $ty) -> Self {
                Self::$variant(Some($convert(value)))
            }
        }
        impl From<Option<$ty>> for SqlValue {
            fn from(value: Option<$ty>) -> Self {
                Self::$variant(value.map($convert))
            }
        }
    )*};
}

sql_value_from! {
    Bool: bool => std::convert::identity,
    Int: i64 => std::convert::identity,
    Int: i32 => i64::from,
    Float: f64 => std::convert::identity,
    Text: String => std::convert::identity,
    Text: &str => str::to_owned,
    Uuid: Uuid => std::convert::identity,
    Timestamp: DateTime<Utc> => std::convert::identity,
    Json: Json => std::convert::identity,
    Bytes: Vec<u8> => std::convert::identity,
}

impl From<&String> for SqlValue {
    fn from(value: &String) -> Self {
        Self::Text(Some(value.clone()))
    }
}

/// A row as read from either driver: column names with their values, in
/// the order the statement selected them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    columns: Vec<(String, SqlValue)>,
}

impl Row {
    pub fn new(columns: Vec<(String, SqlValue)>) -> Self {
        Self { columns }
    }

    /// Reads column `name` as `T`. Asking for a column the statement did not
    /// select, or for the wrong type, is a [`DbError::Decode`].
    pub fn get<T: FromSqlValue>(&self, name: &str) -> Result<T, DbError> {
        let value = self.value(name).ok_or_else(|| DbError::Decode {
            column: name.to_owned(),
            reason: "not selected by the statement".to_owned(),
        })?;
        T::from_sql_value(value).map_err(|reason| DbError::Decode {
            column: name.to_owned(),
            reason,
        })
    }

    pub fn columns(&self) -> &[(String, SqlValue)] {
        &self.columns
    }

    /// The value of column `name`, if the statement selected it.
    pub(crate) fn value(&self, name: &str) -> Option<&SqlValue> {
        self.columns
            .iter()
            .find(|(column, _)| column == name)
            .map(|(_, value)| value)
    }
}

/// Types a column can be read as.
pub trait FromSqlValue: Sized {
    fn from_sql_value(value: &SqlValue) -> Result<Self, String>;
}

fn mismatch(wanted: &str, found: &SqlValue) -> String {
    if found.is_null() {
        format!("expected {wanted}, found NULL")
    } else {
        format!("expected {wanted}, found {found:?}")
    }
}

macro_rules! from_sql_value {
    ($($ty:ty: $variant:ident => $convert:expr),* $(,)?) => {$(
        impl FromSqlValue for $ty {
            fn from_sql_value(value: &SqlValue) -> Result<Self, String> {
                match value {
                    SqlValue::$variant(Some(inner)) => $convert(inner),
                    other => Err(mismatch(stringify!($ty), other)),
                }
            }
        }
    )*};
}

from_sql_value! {
    bool: Bool => |v: &bool| Ok(*v),
    i64: Int => |v: &i64| Ok(*v),
    i32: Int => |v: &i64| i32::try_from(*v).map_err(|e| e.to_string()),
    f64: Float => |v: &f64| Ok(*v),
    String: Text => |v: &String| Ok(v.clone()),
    Uuid: Uuid => |v: &Uuid| Ok(*v),
    DateTime<Utc>: Timestamp => |v: &DateTime<Utc>| Ok(*v),
    Json: Json => |v: &Json| Ok(v.clone()),
    Vec<u8>: Bytes => |v: &Vec<u8>| Ok(v.clone()),
}

impl<T: FromSqlValue> FromSqlValue for Option<T> {
    fn from_sql_value(value: &SqlValue) -> Result<Self, String> {
        if value.is_null() {
            Ok(None)
        } else {
            T::from_sql_value(value).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_nulls_keep_their_type() {
        assert_eq!(SqlValue::from(None::<Uuid>), SqlValue::Uuid(None));
        assert!(SqlValue::from(None::<&str>).is_null());
    }

    #[test]
    fn rows_decode_by_name_and_refuse_wrong_types() {
        let row = Row::new(vec![
            ("id".into(), SqlValue::Int(Some(7))),
            ("name".into(), SqlValue::Text(None)),
        ]);
        assert_eq!(row.get::<i64>("id"), Ok(7));
        assert_eq!(row.get::<i32>("id"), Ok(7));
        assert_eq!(row.get::<Option<String>>("name"), Ok(None));
        assert!(row.get::<String>("name").is_err());
        assert!(row.get::<String>("id").is_err());
        assert!(matches!(
            row.get::<i64>("missing"),
            Err(DbError::Decode { .. })
        ));
    }

    #[test]
    fn out_of_range_integers_are_refused_not_truncated() {
        let row = Row::new(vec![("n".into(), SqlValue::Int(Some(i64::MAX)))]);
        assert!(row.get::<i32>("n").is_err());
    }
}
