//! `Patch` from a JSON body, through `Update`, against a real PostgreSQL:
//! absent fields are kept, `null` clears, values replace, a request that
//! changes nothing does not write, and the `RETURNING` row decodes with the
//! derive.

use chrono::{DateTime, Utc};
use codex_database::{Database, DbError, FromRow, Patch, SqlValue, Update, columns};
use codex_testkit::TestDatabase;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

const TABLE: &str = "CREATE TABLE profile (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    bio text,
    age integer,
    links jsonb,
    deleted_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT '2000-01-01T00:00:00Z'
);
CREATE TRIGGER set_updated_at BEFORE UPDATE ON profile
FOR EACH ROW EXECUTE FUNCTION set_updated_at()";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Links {
    website: String,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
struct Profile {
    id: Uuid,
    #[row(rename = "name")]
    display_name: String,
    bio: Option<String>,
    age: Option<i32>,
    #[row(json)]
    links: Option<Links>,
    updated_at: DateTime<Utc>,
}

/// A `PATCH /profile` body.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
struct ProfileChanges {
    display_name: Patch<String>,
    bio: Patch<String>,
    age: Patch<i32>,
    links: Patch<Links>,
}

fn never_written() -> DateTime<Utc> {
    "2000-01-01T00:00:00Z".parse().expect("valid time")
}

async fn setup(db: &dyn Database) -> Uuid {
    for statement in TABLE.split(";\n") {
        db.execute(statement, &[]).await.expect("create table");
    }
    let id = Uuid::new_v4();
    db.execute(
        "INSERT INTO profile (id, name, bio, age, links) VALUES ($1, $2, $3, $4, $5)",
        &[
            id.into(),
            "Ada".into(),
            "Counts things".into(),
            36_i64.into(),
            json!({"website": "https://old.example"}).into(),
        ],
    )
    .await
    .expect("insert");
    id
}

/// What a repository would do with the body of a `PATCH` request.
async fn apply(
    db: &dyn Database,
    id: Uuid,
    body: serde_json::Value,
) -> Result<Option<Profile>, DbError> {
    let changes: ProfileChanges = serde_json::from_value(body).expect("a valid body");
    let links = changes
        .links
        .try_map(serde_json::to_value)
        .expect("links serialise");
    let (sql, params) = Update::new("profile p")
        .patch("name", changes.display_name)
        .patch("bio", changes.bio)
        .patch("age", changes.age)
        .patch("links", links)
        .where_eq("p.id", id)
        .where_sql("p.deleted_at IS NULL")
        .returning_columns::<Profile>()
        .build();
    let row = db.query_opt(&sql, &params).await?;
    row.map(|row| row.decode()).transpose()
}

async fn stored(db: &dyn Database, id: Uuid) -> Profile {
    db.query_opt(
        &format!(
            "SELECT {} FROM profile WHERE id = $1",
            columns::<Profile>("")
        ),
        &[id.into()],
    )
    .await
    .expect("select")
    .expect("the row exists")
    .decode()
    .expect("decodes")
}

#[tokio::test]
async fn patches_write_exactly_the_fields_sent() {
    let test = TestDatabase::new().await;
    let database = test.database();
    let db = database.as_ref();
    let id = setup(db).await;

    let returned = apply(
        db,
        id,
        json!({"displayName": "Ada L.", "bio": null, "links": {"website": "https://ada.example"}}),
    )
    .await
    .expect("update")
    .expect("the row exists");
    assert_eq!(returned, stored(db, id).await);
    assert_eq!(returned.display_name, "Ada L.");
    assert_eq!(returned.bio, None);
    assert_eq!(returned.age, Some(36), "absent: kept");
    assert_eq!(
        returned.links,
        Some(Links {
            website: "https://ada.example".to_owned()
        })
    );
    assert!(returned.updated_at > never_written());

    let returned = apply(db, id, json!({"links": null, "age": 37}))
        .await
        .expect("update")
        .expect("the row exists");
    assert_eq!(returned, stored(db, id).await);
    assert_eq!(returned.links, None);
    assert_eq!(returned.age, Some(37));
    assert_eq!(returned.display_name, "Ada L.", "absent: kept");

    let returned = apply(db, id, json!({"age": null}))
        .await
        .expect("update")
        .expect("the row exists");
    assert_eq!(returned.age, None, "an integer column takes a typed NULL");
}

#[tokio::test]
async fn a_request_that_changes_nothing_reads_the_row_without_writing() {
    let test = TestDatabase::new().await;
    let database = test.database();
    let db = database.as_ref();
    let id = setup(db).await;
    let before = stored(db, id).await;

    let returned = apply(db, id, json!({}))
        .await
        .expect("read")
        .expect("the row exists");
    assert_eq!(returned, before);
    assert_eq!(
        stored(db, id).await.updated_at,
        never_written(),
        "no UPDATE ran, so the trigger did not fire"
    );
}

#[tokio::test]
async fn missing_and_deleted_rows_give_no_row_whether_or_not_anything_changes() {
    let test = TestDatabase::new().await;
    let database = test.database();
    let db = database.as_ref();
    let id = setup(db).await;
    let unknown = Uuid::new_v4();
    assert_eq!(apply(db, unknown, json!({})).await, Ok(None));
    assert_eq!(apply(db, unknown, json!({"bio": "x"})).await, Ok(None));

    db.execute(
        "UPDATE profile SET deleted_at = now() WHERE id = $1",
        &[SqlValue::from(id)],
    )
    .await
    .expect("soft delete");
    let deleted = stored(db, id).await;
    assert_eq!(apply(db, id, json!({})).await, Ok(None));
    assert_eq!(apply(db, id, json!({"bio": "x"})).await, Ok(None));
    assert_eq!(stored(db, id).await, deleted);
}

#[tokio::test]
async fn null_reaches_the_database_so_a_required_column_refuses_it() {
    let test = TestDatabase::new().await;
    let database = test.database();
    let db = database.as_ref();
    let id = setup(db).await;
    let refused = apply(db, id, json!({"displayName": null}))
        .await
        .expect_err("name is NOT NULL");
    assert!(
        matches!(refused, DbError::ConstraintViolation { .. }),
        "{refused:?}"
    );
    assert_eq!(stored(db, id).await.display_name, "Ada");
}
