//! The accounts tables hold only well-formed rows, whatever code writes them.

use codex_database::{Database, DbError};
use codex_testkit::TestDatabase;

async fn insert_user(db: &dyn Database, id: &str, email: &str) -> Result<u64, DbError> {
    db.execute(
        "INSERT INTO users (id, name, email) VALUES ($1, 'Ann', $2)",
        &[id.into(), email.into()],
    )
    .await
}

#[tokio::test]
async fn e_mail_addresses_are_stored_normalised_and_unique() {
    let test = TestDatabase::new().await;
    let db = test.database();
    insert_user(db.as_ref(), "u1", "ann@example.com")
        .await
        .expect("insert");
    let duplicate = insert_user(db.as_ref(), "u2", "ann@example.com")
        .await
        .expect_err("duplicate");
    assert!(
        duplicate.is_unique_violation("users_email_unique"),
        "{duplicate:?}"
    );
    for not_normal in ["Ann@example.com", " ann2@example.com"] {
        let refused = insert_user(db.as_ref(), "u3", not_normal)
            .await
            .expect_err(not_normal);
        assert!(
            matches!(refused, DbError::ConstraintViolation { .. }),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn roles_ids_usernames_and_hashes_are_checked() {
    let test = TestDatabase::new().await;
    let db = test.database();
    insert_user(db.as_ref(), "u1", "ann@example.com")
        .await
        .expect("insert");
    let bad_role = db
        .execute("UPDATE users SET role = 'superuser' WHERE id = 'u1'", &[])
        .await
        .expect_err("role");
    assert!(
        matches!(bad_role, DbError::ConstraintViolation { .. }),
        "{bad_role:?}"
    );
    let bad_id = insert_user(db.as_ref(), "has space", "b@example.com")
        .await
        .expect_err("id");
    assert!(
        matches!(bad_id, DbError::ConstraintViolation { .. }),
        "{bad_id:?}"
    );
    let bad_username = db
        .execute(
            "UPDATE users SET username = 'Not A Slug' WHERE id = 'u1'",
            &[],
        )
        .await
        .expect_err("username");
    assert!(
        matches!(bad_username, DbError::ConstraintViolation { .. }),
        "{bad_username:?}"
    );
    let plain_password = db
        .execute(
            "INSERT INTO accounts (id, account_id, provider_id, user_id, password) \
             VALUES ('a1', 'u1', 'credential', 'u1', 'hunter22')",
            &[],
        )
        .await
        .expect_err("plain-text password");
    assert!(
        matches!(plain_password, DbError::ConstraintViolation { .. }),
        "{plain_password:?}"
    );
    let plain_token = db
        .execute(
            "INSERT INTO sessions (id, token_hash, user_id, expires_at) \
             VALUES ('s1', 'the-token-itself', 'u1', now() + interval '1 day')",
            &[],
        )
        .await
        .expect_err("plain-text token");
    assert!(
        matches!(plain_token, DbError::ConstraintViolation { .. }),
        "{plain_token:?}"
    );
}

#[tokio::test]
async fn usernames_are_unique_among_live_users_only_and_sessions_go_with_their_user() {
    let test = TestDatabase::new().await;
    let db = test.database();
    insert_user(db.as_ref(), "u1", "ann@example.com")
        .await
        .expect("insert");
    insert_user(db.as_ref(), "u2", "bob@example.com")
        .await
        .expect("insert");
    db.execute("UPDATE users SET username = 'ann' WHERE id = 'u1'", &[])
        .await
        .expect("username");
    let taken = db
        .execute("UPDATE users SET username = 'ann' WHERE id = 'u2'", &[])
        .await
        .expect_err("taken");
    assert!(
        taken.is_unique_violation("idx_unique_username"),
        "{taken:?}"
    );
    db.execute("UPDATE users SET deleted_at = now() WHERE id = 'u1'", &[])
        .await
        .expect("delete");
    db.execute("UPDATE users SET username = 'ann' WHERE id = 'u2'", &[])
        .await
        .expect("free again once its holder is deleted");

    let hash = "a".repeat(64);
    db.execute(
        "INSERT INTO sessions (id, token_hash, user_id, expires_at) VALUES ('s1', $1, 'u2', now() + interval '1 day')",
        &[hash.as_str().into()],
    )
    .await
    .expect("session");
    db.execute("DELETE FROM users WHERE id = 'u2'", &[])
        .await
        .expect("hard delete");
    let left = db
        .query_opt("SELECT count(*) AS n FROM sessions", &[])
        .await
        .expect("count")
        .expect("row")
        .get::<i64>("n");
    assert_eq!(left, Ok(0));
}
