//! The account flows against real PostgreSQL with a manual clock: one
//! account per address under concurrent sign-ups, token expiry and single
//! use, what a password reset revokes, and profile changes (left out:
//! kept; `null` or an emptied text field: cleared; a name: required).

use codex_accounts::auth::{self, SignUp};
use codex_accounts::email_token::{self, Purpose};
use codex_accounts::profile::{self, ProfileChanges};
use codex_accounts::session::{self, ClientInfo};
use codex_mail::read_outbox;
use codex_testkit::test_config;
use codex_testkit::world::World;
use serde_json::json;

/// A world whose links point at the example hosts.
async fn world() -> World {
    World::with_config(test_config(&[
        ("AUTH_URL", "http://auth.example"),
        ("WEB_APP_URL", "http://app.example"),
    ]))
    .await
}

fn sign_up_as(email: &str) -> SignUp {
    SignUp {
        name: "Ann".to_owned(),
        email: email.to_owned(),
        password: "correct horse battery".to_owned(),
        callback_url: None,
    }
}

fn token_in(text: &str) -> String {
    let start = text.find("token=").expect("a token in the link") + "token=".len();
    text[start..].chars().take(43).collect()
}

#[tokio::test]
async fn concurrent_sign_ups_make_one_account() {
    let world = world().await;
    let (first, second) = tokio::join!(
        auth::sign_up(world.ctx(), sign_up_as("ann@example.com")),
        auth::sign_up(world.ctx(), sign_up_as(" ANN@example.com")),
    );
    assert_eq!(usize::from(first.is_ok()) + usize::from(second.is_ok()), 1);
    let refused = first.err().or(second.err()).expect("one refused");
    assert_eq!(refused.status().as_u16(), 422);
    let rows = world
        .database
        .query("SELECT id FROM users WHERE email = 'ann@example.com'", &[])
        .await
        .expect("query");
    assert_eq!(rows.len(), 1);
    let accounts = world
        .database
        .query("SELECT id FROM accounts", &[])
        .await
        .expect("query");
    assert_eq!(accounts.len(), 1, "no credential left behind by the loser");
}

#[tokio::test]
async fn reset_tokens_expire_after_an_hour_and_work_once() {
    let world = world().await;
    let user = auth::sign_up(world.ctx(), sign_up_as("bob@example.com"))
        .await
        .expect("sign up");
    let stale = email_token::issue(world.ctx(), Purpose::PasswordReset, &user.id)
        .await
        .expect("token");
    world.clock.advance(std::time::Duration::from_secs(3601));
    assert_eq!(
        email_token::redeem(world.ctx(), Purpose::PasswordReset, &stale)
            .await
            .expect("redeem"),
        None
    );

    let fresh = email_token::issue(world.ctx(), Purpose::PasswordReset, &user.id)
        .await
        .expect("token");
    // A reset token does not verify an address, nor the other way round.
    assert_eq!(
        email_token::redeem(world.ctx(), Purpose::EmailVerification, &fresh)
            .await
            .expect("redeem"),
        None
    );
    let (session_token, _) = session::create(world.ctx(), &user.id, &ClientInfo::default())
        .await
        .expect("session");
    auth::reset_password(world.ctx(), &fresh, "newPassword", "a brand new secret")
        .await
        .expect("reset");
    assert!(
        session::resolve(world.ctx(), &session_token.plaintext)
            .await
            .expect("resolve")
            .is_none(),
        "sessions are revoked by a reset"
    );
    let again = auth::reset_password(world.ctx(), &fresh, "newPassword", "another new secret")
        .await
        .expect_err("single use");
    assert_eq!(again.status().as_u16(), 400);
    auth::sign_in(
        world.ctx(),
        "bob@example.com",
        "a brand new secret",
        &ClientInfo::default(),
    )
    .await
    .expect("the new password works, and the reset verified the address");
}

#[tokio::test]
async fn verification_links_last_a_day() {
    let world = world().await;
    auth::sign_up(world.ctx(), sign_up_as("cat@example.com"))
        .await
        .expect("sign up");
    let mail = read_outbox(world.database.as_ref(), "cat@example.com", 1)
        .await
        .expect("outbox");
    assert_eq!(mail[0].subject, "Verify your e-mail address");
    assert!(
        mail[0]
            .text
            .contains("http://app.example/verify-email?token="),
        "the link opens the web app's page, which calls the API itself"
    );
    let token = token_in(&mail[0].text);

    world
        .clock
        .advance(std::time::Duration::from_secs(24 * 3600 + 1));
    let expired = auth::verify_email(world.ctx(), &token)
        .await
        .expect_err("expired");
    assert_eq!(expired.status().as_u16(), 400);
}

/// The one field a 400 names.
fn refused_field(error: &codex_errors::ApiError) -> String {
    assert_eq!(error.status().as_u16(), 400, "{error:?}");
    let details = error.details().expect("details");
    details["details"][0]["path"]
        .as_str()
        .expect("a field")
        .to_owned()
}

#[tokio::test]
async fn a_profile_change_keeps_what_is_left_out_and_clears_what_is_null() {
    let world = world().await;
    let user = auth::sign_up(world.ctx(), sign_up_as("dan@example.com"))
        .await
        .expect("sign up");
    let update = |body: serde_json::Value| {
        let changes: ProfileChanges = serde_json::from_value(body).expect("a valid body");
        profile::update(world.ctx(), &user.id, changes)
    };

    let set = update(json!({
        "username": "Dan-Writes",
        "bio": " Writes. ",
        "socialLinks": {"website": "https://dan.example"},
    }))
    .await
    .expect("values set");
    assert_eq!(set.username.as_deref(), Some("dan-writes"));
    assert_eq!(set.bio.as_deref(), Some("Writes."));
    assert_eq!(
        set.social_links
            .0
            .and_then(|links| links.website)
            .as_deref(),
        Some("https://dan.example")
    );

    let renamed = update(json!({"displayName": "Daniel"}))
        .await
        .expect("a rename");
    assert_eq!(renamed.name, "Daniel");
    assert_eq!(
        (renamed.username.as_deref(), renamed.bio.as_deref()),
        (Some("dan-writes"), Some("Writes.")),
        "left out: kept"
    );

    let cleared = update(json!({"bio": null, "socialLinks": null}))
        .await
        .expect("null clears");
    assert_eq!((cleared.bio, cleared.social_links.0), (None, None));
    assert_eq!(cleared.username.as_deref(), Some("dan-writes"), "kept");

    let emptied = update(json!({"username": ""}))
        .await
        .expect("an emptied form field clears");
    assert_eq!(emptied.username, None);

    let untouched = update(json!({})).await.expect("nothing sent");
    assert_eq!(untouched, emptied, "nothing written, updatedAt included");

    for name in [json!(null), json!(""), json!("   ")] {
        let refused = update(json!({ "displayName": name }))
            .await
            .expect_err("a name is required");
        assert_eq!(refused_field(&refused), "displayName", "{name}");
    }
    assert_eq!(
        profile::get(world.ctx(), &user.id).await.expect("read"),
        emptied,
        "a refused change writes nothing"
    );
}
