//! `#[derive(FromRow)]` on rows built by hand: what each field attribute
//! reads, and that every failure names its column.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use codex_database::{DbError, FromRow, Row, SqlValue, columns};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
struct Links {
    website: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Customer,
    Creator,
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "customer" => Ok(Self::Customer),
            "creator" => Ok(Self::Creator),
            _ => Err("unknown role".to_owned()),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Customer => "customer",
            Self::Creator => "creator",
        })
    }
}

#[derive(Debug, PartialEq, FromRow)]
struct User {
    id: Uuid,
    #[row(rename = "email_address")]
    email: String,
    name: Option<String>,
    #[row(parse)]
    role: Role,
    #[row(parse)]
    previous_role: Option<Role>,
    #[row(json)]
    links: Option<Links>,
    #[row(json)]
    tags: Vec<String>,
    #[row(default)]
    unread: i64,
    #[row(default, json)]
    extra: Links,
    created_at: DateTime<Utc>,
    r#type: String,
}

fn when() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).expect("valid time")
}

fn user_row(id: Uuid) -> Vec<(String, SqlValue)> {
    vec![
        ("id".into(), id.into()),
        ("email_address".into(), "ada@example.com".into()),
        ("name".into(), SqlValue::Text(None)),
        ("role".into(), "creator".into()),
        ("previous_role".into(), SqlValue::Text(None)),
        (
            "links".into(),
            json!({"website": "https://ada.example"}).into(),
        ),
        ("tags".into(), json!(["math", "engines"]).into()),
        ("created_at".into(), when().into()),
        ("type".into(), "person".into()),
    ]
}

/// The row of `user_row` with column `name` replaced or added.
fn with(mut columns: Vec<(String, SqlValue)>, name: &str, value: SqlValue) -> Row {
    match columns.iter_mut().find(|(column, _)| column == name) {
        Some(existing) => existing.1 = value,
        None => columns.push((name.to_owned(), value)),
    }
    Row::new(columns)
}

fn decode_error(result: Result<User, DbError>) -> (String, String) {
    match result {
        Err(DbError::Decode { column, reason }) => (column, reason),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn columns_list_what_is_read_in_field_order_without_defaults() {
    assert_eq!(
        User::COLUMNS,
        [
            "id",
            "email_address",
            "name",
            "role",
            "previous_role",
            "links",
            "tags",
            "created_at",
            "type",
        ]
    );
    assert_eq!(
        columns::<User>("u"),
        "u.id, u.email_address, u.name, u.role, u.previous_role, u.links, u.tags, \
         u.created_at, u.type"
    );
    assert!(columns::<User>("").starts_with("id, email_address, name,"));
}

#[test]
fn every_attribute_reads_its_column() {
    let id = Uuid::new_v4();
    let user: User = Row::new(user_row(id)).decode().expect("decodes");
    assert_eq!(
        user,
        User {
            id,
            email: "ada@example.com".to_owned(),
            name: None,
            role: Role::Creator,
            previous_role: None,
            links: Some(Links {
                website: Some("https://ada.example".to_owned()),
            }),
            tags: vec!["math".to_owned(), "engines".to_owned()],
            unread: 0,
            extra: Links::default(),
            created_at: when(),
            r#type: "person".to_owned(),
        }
    );
}

#[test]
fn optional_columns_read_values_when_present() {
    let mut columns = user_row(Uuid::new_v4());
    columns.retain(|(column, _)| column != "name" && column != "previous_role");
    columns.extend([
        ("name".into(), "Ada".into()),
        ("previous_role".into(), "customer".into()),
        ("unread".into(), 4_i64.into()),
        (
            "extra".into(),
            json!({"website": "https://x.example"}).into(),
        ),
    ]);
    let user = User::from_row(&Row::new(columns)).expect("decodes");
    assert_eq!(user.previous_role, Some(Role::Customer));
    assert_eq!(user.name.as_deref(), Some("Ada"));
    assert_eq!(user.unread, 4);
    assert_eq!(user.extra.website.as_deref(), Some("https://x.example"));
}

#[test]
fn null_json_is_none_for_an_option_and_default_for_a_default() {
    let mut columns = user_row(Uuid::new_v4());
    columns.push(("unread".into(), SqlValue::Int(None)));
    columns.push(("extra".into(), SqlValue::Json(None)));
    let row = with(columns, "links", SqlValue::Json(None));
    let user: User = row.decode().expect("decodes");
    assert_eq!(user.links, None);
    assert_eq!(user.unread, 0);
    assert_eq!(user.extra, Links::default());
}

#[test]
fn a_wrong_type_is_a_decode_error_naming_the_column() {
    let base = || user_row(Uuid::new_v4());
    let cases = [
        ("email_address", SqlValue::Int(Some(1)), "expected String"),
        ("role", "admin".into(), "unknown role"),
        ("role", SqlValue::Text(None), "found NULL"),
        ("previous_role", "owner".into(), "unknown role"),
        (
            "tags",
            json!({"not": "a list"}).into(),
            "invalid JSON content",
        ),
        ("tags", SqlValue::Json(None), "found NULL"),
        ("tags", "[\"text\"]".into(), "expected Json"),
        ("unread", "many".into(), "expected i64"),
    ];
    for (column, value, expected) in cases {
        let (named, reason) = decode_error(with(base(), column, value).decode());
        assert_eq!(named, column);
        assert!(reason.contains(expected), "{column}: {reason}");
    }
}

#[test]
fn a_column_left_out_of_the_statement_is_named() {
    let columns = user_row(Uuid::new_v4())
        .into_iter()
        .filter(|(column, _)| column != "tags")
        .collect();
    let (column, reason) = decode_error(Row::new(columns).decode());
    assert_eq!(column, "tags");
    assert!(reason.contains("not selected"), "{reason}");
}

#[derive(Debug, PartialEq, FromRow)]
struct Counter<T: codex_database::FromSqlValue> {
    #[row(rename = "n")]
    value: T,
}

#[derive(Debug, PartialEq, FromRow)]
struct Nothing {}

#[test]
fn generic_and_empty_structs_are_supported() {
    let row = Row::new(vec![("n".into(), SqlValue::Int(Some(3)))]);
    assert_eq!(row.decode::<Counter<i32>>(), Ok(Counter { value: 3 }));
    assert_eq!(Counter::<i64>::COLUMNS, ["n"]);
    assert_eq!(row.decode::<Nothing>(), Ok(Nothing {}));
    assert!(Nothing::COLUMNS.is_empty());
}
