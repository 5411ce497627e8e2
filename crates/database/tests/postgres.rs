//! The native adapter against a real PostgreSQL, one fresh database per test.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use codex_database::native::PgDatabase;
use codex_database::{Database, DbError, INVALID_TEXT_MESSAGE, SqlValue};
use codex_errors::{ApiError, ErrorCode};
use codex_testkit::TestDatabase;
use codex_testkit::fault_proxy::{FaultProxy, Mode};
use serde_json::json;
use uuid::Uuid;

/// The bound of the adapters made here (the test kit's own uses the default).
const BOUND: Duration = Duration::from_secs(1);

/// How long a call may take, at most, under [`BOUND`].
const ANSWERED_WITHIN: Duration = Duration::from_secs(3);

/// A fault proxy in front of the test server, and `test`'s database reached
/// through it with [`BOUND`] on each statement.
async fn through_a_proxy(test: &TestDatabase) -> (FaultProxy, PgDatabase) {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let proxy = FaultProxy::start(any, codex_testkit::server_address(), any)
        .await
        .expect("proxy");
    let database = PgDatabase::connect_lazy(&test.url_via(proxy.listen), 2, BOUND).expect("url");
    (proxy, database)
}

/// Runs `call`, failing the test if it has not answered well after the
/// bound (without the bound, it would hang).
async fn answered<T>(what: &str, call: impl std::future::Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let outcome = tokio::time::timeout(Duration::from_secs(15), call)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer after 15 s"));
    (outcome, started.elapsed())
}

fn assert_unavailable_in_time(what: &str, error: &DbError, took: Duration) {
    assert!(
        matches!(error, DbError::Unavailable(_)),
        "{what}: {error:?}"
    );
    assert!(took < ANSWERED_WITHIN, "{what}: took {took:?}");
}

const TABLE: &str = "CREATE TABLE sample (
    id uuid PRIMARY KEY,
    small smallint,
    normal integer,
    big bigint,
    ratio double precision,
    label varchar(20) UNIQUE,
    note text CHECK (note <> 'forbidden'),
    happened timestamptz,
    local_time timestamp,
    doc jsonb,
    raw bytea,
    flag boolean
)";

#[tokio::test]
async fn every_value_type_round_trips_including_typed_nulls() {
    let test = TestDatabase::new().await;
    let db = test.database();
    db.execute(TABLE, &[]).await.expect("create table");
    let id = Uuid::new_v4();
    let when = DateTime::<Utc>::from_timestamp(1_800_000_000, 123_000_000).expect("time");
    let inserted = db
        .execute(
            "INSERT INTO sample VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                id.into(),
                7_i64.into(),
                70_000_i64.into(),
                i64::MAX.into(),
                0.25_f64.into(),
                "label".into(),
                None::<String>.into(),
                when.into(),
                when.into(),
                json!({"a": [1, 2]}).into(),
                vec![0_u8, 255].into(),
                true.into(),
            ],
        )
        .await
        .expect("insert");
    assert_eq!(inserted, 1);

    let row = db
        .query_opt("SELECT * FROM sample WHERE id = $1", &[id.into()])
        .await
        .expect("select")
        .expect("row");
    assert_eq!(row.get::<Uuid>("id"), Ok(id));
    assert_eq!(row.get::<i32>("small"), Ok(7));
    assert_eq!(row.get::<i64>("normal"), Ok(70_000));
    assert_eq!(row.get::<i64>("big"), Ok(i64::MAX));
    assert_eq!(row.get::<f64>("ratio"), Ok(0.25));
    assert_eq!(row.get::<String>("label"), Ok("label".to_owned()));
    assert_eq!(row.get::<Option<String>>("note"), Ok(None));
    assert_eq!(row.get::<DateTime<Utc>>("happened"), Ok(when));
    assert_eq!(row.get::<DateTime<Utc>>("local_time"), Ok(when));
    assert_eq!(
        row.get::<serde_json::Value>("doc"),
        Ok(json!({"a": [1, 2]}))
    );
    assert_eq!(row.get::<Vec<u8>>("raw"), Ok(vec![0, 255]));
    assert_eq!(row.get::<bool>("flag"), Ok(true));
}

#[tokio::test]
async fn constraint_violations_are_named_and_classified() {
    let test = TestDatabase::new().await;
    let db = test.database();
    db.execute(TABLE, &[]).await.expect("create table");
    let insert = "INSERT INTO sample (id, label, note) VALUES ($1, $2, $3)";
    db.execute(
        insert,
        &[Uuid::new_v4().into(), "taken".into(), "ok".into()],
    )
    .await
    .expect("first insert");

    let duplicate = db
        .execute(
            insert,
            &[Uuid::new_v4().into(), "taken".into(), "ok".into()],
        )
        .await
        .expect_err("duplicate label");
    assert!(
        duplicate.is_unique_violation("sample_label_key"),
        "{duplicate:?}"
    );

    let checked = db
        .execute(
            insert,
            &[Uuid::new_v4().into(), "other".into(), "forbidden".into()],
        )
        .await
        .expect_err("check constraint");
    assert!(
        matches!(checked, DbError::ConstraintViolation { .. }),
        "{checked:?}"
    );

    let too_long = db
        .execute(
            insert,
            &[Uuid::new_v4().into(), "x".repeat(21).into(), "ok".into()],
        )
        .await
        .expect_err("varchar(20)");
    assert!(
        matches!(too_long, DbError::ConstraintViolation { .. }),
        "{too_long:?}"
    );

    let bug = db.query("SELEC 1", &[]).await.expect_err("syntax error");
    assert!(matches!(bug, DbError::Query(_)), "{bug:?}");
}

#[tokio::test]
async fn transactions_commit_or_leave_nothing_behind() {
    let test = TestDatabase::new().await;
    let db = test.database();
    db.execute(TABLE, &[]).await.expect("create table");
    let count = |db: std::sync::Arc<PgDatabase>| async move {
        db.query_opt("SELECT count(*) AS n FROM sample", &[])
            .await
            .expect("count")
            .expect("row")
            .get::<i64>("n")
            .expect("n")
    };

    let mut tx = db.begin().await.expect("begin");
    tx.execute(
        "INSERT INTO sample (id) VALUES ($1)",
        &[Uuid::new_v4().into()],
    )
    .await
    .expect("insert");
    tx.rollback().await.expect("rollback");
    assert_eq!(count(db.clone()).await, 0);

    let mut tx = db.begin().await.expect("begin");
    tx.execute(
        "INSERT INTO sample (id) VALUES ($1)",
        &[Uuid::new_v4().into()],
    )
    .await
    .expect("insert");
    drop(tx);
    assert_eq!(
        count(db.clone()).await,
        0,
        "a dropped transaction rolls back"
    );

    let mut tx = db.begin().await.expect("begin");
    tx.execute(
        "INSERT INTO sample (id) VALUES ($1)",
        &[Uuid::new_v4().into()],
    )
    .await
    .expect("insert");
    let seen_inside = tx
        .query_opt("SELECT count(*) AS n FROM sample", &[])
        .await
        .expect("count")
        .expect("row")
        .get::<i64>("n");
    assert_eq!(seen_inside, Ok(1));
    assert_eq!(count(db.clone()).await, 0, "not visible before commit");
    tx.commit().await.expect("commit");
    assert_eq!(count(db).await, 1);
}

#[tokio::test]
async fn the_updated_at_helper_moves_the_timestamp_on_update() {
    let test = TestDatabase::new().await;
    let db = test.database();
    let row = db
        .query_opt(
            "INSERT INTO mail_outbox (to_address, from_address, subject, text_body, transport) \
             VALUES ('a@example.com', 'b@example.com', 's', 't', 'outbox') \
             RETURNING id, created_at, updated_at",
            &[],
        )
        .await
        .expect("insert")
        .expect("row");
    let id: Uuid = row.get("id").expect("id");
    let created: DateTime<Utc> = row.get("created_at").expect("created");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let updated = db
        .query_opt(
            "UPDATE mail_outbox SET status = 'sent' WHERE id = $1 RETURNING updated_at",
            &[SqlValue::from(id)],
        )
        .await
        .expect("update")
        .expect("row")
        .get::<DateTime<Utc>>("updated_at")
        .expect("updated_at");
    assert!(updated > created, "{updated} should be after {created}");
}

#[tokio::test]
async fn text_the_database_cannot_store_is_a_400_not_a_bug() {
    let test = TestDatabase::new().await;
    let db = test.database();
    db.execute(TABLE, &[]).await.expect("create table");
    let stored = db
        .execute(
            "INSERT INTO sample (id, note) VALUES ($1, $2)",
            &[Uuid::new_v4().into(), "a\u{0}b".into()],
        )
        .await
        .expect_err("NUL in text (22021)");
    let looked_up = db
        .query(
            "SELECT id FROM sample WHERE note ILIKE $1",
            &["%\u{0}%".into()],
        )
        .await
        .expect_err("NUL in a lookup (22021)");
    let in_json = db
        .execute(
            "INSERT INTO sample (id, doc) VALUES ($1, $2)",
            &[Uuid::new_v4().into(), json!({"name": "a\u{0}b"}).into()],
        )
        .await
        .expect_err("\\u0000 in JSON (22P05)");
    for (what, error) in [("text", stored), ("lookup", looked_up), ("json", in_json)] {
        assert!(
            matches!(error, DbError::InvalidText(_)),
            "{what}: {error:?}"
        );
        let api = ApiError::from(error);
        assert_eq!(api.code(), ErrorCode::ValidationError, "{what}");
        assert_eq!(api.message(), INVALID_TEXT_MESSAGE, "{what}");
    }
}

#[tokio::test]
async fn every_connection_runs_under_the_statement_timeout() {
    let test = TestDatabase::new().await;
    let db = PgDatabase::connect_lazy(test.url(), 2, Duration::from_millis(700)).expect("url");
    let shown = db
        .query_opt("SHOW statement_timeout", &[])
        .await
        .expect("show")
        .expect("row")
        .get::<String>("statement_timeout");
    assert_eq!(shown, Ok("700ms".to_owned()));

    let (slow, took) = answered(
        "slow statement",
        db.query("SELECT pg_sleep(5)::text AS slept", &[]),
    )
    .await;
    assert_unavailable_in_time("slow statement", &slow.expect_err("cancelled"), took);
    let mut tx = db.begin().await.expect("begin");
    let (slow, took) = answered(
        "slow statement in a transaction",
        tx.query("SELECT pg_sleep(5)::text AS slept", &[]),
    )
    .await;
    assert_unavailable_in_time(
        "slow statement in a transaction",
        &slow.expect_err("cancelled"),
        took,
    );
    drop(tx);
    db.ping().await.expect("the pool still serves");
}

#[tokio::test]
async fn a_stalled_link_answers_unavailable_within_the_bound_and_recovers() {
    let test = TestDatabase::new().await;
    let (proxy, db) = through_a_proxy(&test).await;
    db.ping().await.expect("through the proxy");
    let mut tx = db.begin().await.expect("begin before the stall");

    proxy.set_mode(Mode::Stall);
    let (result, took) = answered("query", db.query("SELECT 1 AS one", &[])).await;
    assert_unavailable_in_time("query", &result.expect_err("stalled"), took);
    let (result, took) = answered("execute", db.execute("SELECT 1", &[])).await;
    assert_unavailable_in_time("execute", &result.expect_err("stalled"), took);
    let (result, took) = answered("begin", db.begin()).await;
    match result {
        Ok(_) => panic!("begin: answered while stalled"),
        Err(error) => assert_unavailable_in_time("begin", &error, took),
    }
    let (result, took) = answered("in a transaction", tx.query("SELECT 1 AS one", &[])).await;
    assert_unavailable_in_time("in a transaction", &result.expect_err("stalled"), took);
    // That connection is given up: the transaction fails at once from now on.
    let (result, took) = answered("after a timeout", tx.execute("SELECT 1", &[])).await;
    assert_unavailable_in_time("after a timeout", &result.expect_err("given up"), took);
    assert!(took < Duration::from_millis(100), "{took:?}");
    let (result, took) = answered("commit", tx.commit()).await;
    assert_unavailable_in_time("commit", &result.expect_err("given up"), took);

    proxy.set_mode(Mode::Up);
    for _ in 0..3 {
        db.ping().await.expect("recovered without a restart");
    }
}

#[tokio::test]
async fn a_link_cut_or_reset_is_unavailable_never_a_bug() {
    for mode in [Mode::Down, Mode::Reset] {
        let test = TestDatabase::new().await;
        let (proxy, db) = through_a_proxy(&test).await;
        db.ping().await.expect("through the proxy");
        let mut tx = db.begin().await.expect("begin");

        // Established connections cut or reset.
        proxy.set_mode(mode);
        let (result, took) = answered("query", db.query("SELECT 1 AS one", &[])).await;
        assert_unavailable_in_time(&format!("{mode:?}: query"), &result.expect_err("cut"), took);
        let (result, took) = answered("in a transaction", tx.query("SELECT 1 AS one", &[])).await;
        assert_unavailable_in_time(
            &format!("{mode:?}: in a transaction"),
            &result.expect_err("cut"),
            took,
        );
        drop(tx);

        // New connections cut or reset while they open: sqlx reads an empty
        // answer to its SSLRequest ("unexpected response from SSLRequest").
        let fresh = PgDatabase::connect_lazy(&test.url_via(proxy.listen), 2, BOUND).expect("url");
        for attempt in 0..5 {
            let (result, took) = answered("fresh", fresh.query("SELECT 1 AS one", &[])).await;
            assert_unavailable_in_time(
                &format!("{mode:?}: new connection {attempt}"),
                &result.expect_err("cut"),
                took,
            );
        }

        proxy.set_mode(Mode::Up);
        db.ping().await.expect("recovered without a restart");
        fresh.ping().await.expect("recovered without a restart");
    }
}

#[tokio::test]
async fn an_unreachable_server_is_reported_unavailable_quickly() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let db =
        PgDatabase::connect_lazy("postgres://postgres@127.0.0.1:9/none", 1, BOUND).expect("url");
    let started = std::time::Instant::now();
    let error = db.ping().await.expect_err("nothing listens there");
    assert!(matches!(error, DbError::Unavailable(_)), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_malformed_url_is_refused_without_echoing_it() {
    let error = PgDatabase::connect_lazy("mysql://user:secret@host/db", 1, BOUND)
        .expect_err("not postgres");
    assert!(!error.to_string().contains("secret"), "{error}");
}
