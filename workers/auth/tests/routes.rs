//! The auth service's routes in-process (`TestApp`): the account flow as
//! the front end drives it, the answers BetterAuth's client reads, and
//! hostile input refused without a write.

use axum::http::StatusCode;
use codex_auth_worker::{SERVICE, routes};
use codex_testkit::TestApp;
use serde_json::json;

async fn app() -> TestApp {
    TestApp::new(SERVICE, routes()).await
}

async fn verification_token(app: &TestApp, email: &str) -> String {
    let response = app
        .get(&format!("/api/test/verification-token/{email}"))
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    response.json()["token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

#[tokio::test]
async fn sign_up_verify_sign_in_and_sign_out() {
    let app = app().await;
    let signed_up = app
        .post("/api/auth/sign-up/email")
        .json(&json!({"name": "Ann", "email": "Ann@Example.com", "password": "correct horse battery"}))
        .send()
        .await;
    signed_up.assert_status(StatusCode::OK);
    assert_eq!(signed_up.json()["user"]["email"], "ann@example.com");
    assert_eq!(signed_up.json()["user"]["emailVerified"], false);

    // Unverified: refused with BetterAuth's code, and a new link is sent.
    let early = app
        .post("/api/auth/sign-in/email")
        .json(&json!({"email": "ann@example.com", "password": "correct horse battery"}))
        .send()
        .await;
    early.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(early.json()["code"], "EMAIL_NOT_VERIFIED");

    let token = verification_token(&app, "ann@example.com").await;
    let verified = app
        .get(&format!("/api/auth/verify-email?token={token}"))
        .send()
        .await;
    verified.assert_status(StatusCode::OK);
    assert!(verified.session_cookie().is_some(), "verification signs in");

    let wrong = app
        .post("/api/auth/sign-in/email")
        .json(&json!({"email": "ann@example.com", "password": "not the password"}))
        .send()
        .await;
    wrong.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json()["code"], "INVALID_EMAIL_OR_PASSWORD");

    let signed_in = app
        .post("/api/auth/sign-in/email")
        .json(&json!({"email": "ann@example.com", "password": "correct horse battery"}))
        .send()
        .await;
    signed_in.assert_status(StatusCode::OK);
    let cookie = signed_in.session_cookie().expect("a session cookie");
    let session = app
        .get("/api/auth/get-session")
        .cookie(&cookie)
        .send()
        .await;
    session.assert_status(StatusCode::OK);
    assert_eq!(session.json()["user"]["email"], "ann@example.com");

    app.post("/api/auth/sign-out")
        .cookie(&cookie)
        .send()
        .await
        .assert_status(StatusCode::OK);
    let after = app
        .get("/api/auth/get-session")
        .cookie(&cookie)
        .send()
        .await;
    assert_eq!(
        after.json(),
        serde_json::Value::Null,
        "the old cookie opens nothing"
    );
}

#[tokio::test]
async fn a_password_change_ends_every_other_session_at_once() {
    let app = app().await;
    let first = app.sign_up("bob@example.com", "customer").await;
    let second = app
        .post("/api/test/fast-signin")
        .json(&json!({"email": "bob@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .session_cookie()
        .expect("a second session");
    let changed = app
        .post("/api/auth/change-password")
        .cookie(&first)
        .json(&json!({"currentPassword": "correct horse battery", "newPassword": "another long secret"}))
        .send()
        .await;
    changed.assert_status(StatusCode::OK);
    let fresh = changed
        .session_cookie()
        .expect("a new session for the caller");
    for (cookie, signed_in) in [(&first, false), (&second, false), (&fresh, true)] {
        let session = app.get("/api/auth/get-session").cookie(cookie).send().await;
        assert_eq!(!session.json().is_null(), signed_in, "{cookie}");
    }
}

#[tokio::test]
async fn bad_input_is_a_clear_400_and_writes_nothing() {
    let app = app().await;
    for body in [
        json!({"name": "Ann", "email": "not-an-address", "password": "correct horse battery"}),
        json!({"name": "Ann", "email": "ann@example.com", "password": "short"}),
        json!({"name": "", "email": "ann@example.com", "password": "correct horse battery"}),
        json!({"email": "ann@example.com"}),
    ] {
        let response = app.post("/api/auth/sign-up/email").json(&body).send().await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            response.text()
        );
    }
    let users = app
        .ctx()
        .database()
        .query("SELECT id FROM users", &[])
        .await
        .expect("query");
    assert!(users.is_empty());
}

#[tokio::test]
async fn the_auth_limit_counts_per_client_and_path() {
    let app = app().await;
    let attempt = |ip: &'static str| {
        app.post("/api/auth/sign-in/email")
            .header("x-forwarded-for", ip)
            .json(&json!({"email": "nobody@example.com", "password": "whatever it is"}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(attempt("10.1.0.1").await.status, StatusCode::UNAUTHORIZED);
    }
    let limited = attempt("10.1.0.1").await;
    limited.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.header("retry-after").is_some());
    assert_eq!(attempt("10.1.0.2").await.status, StatusCode::UNAUTHORIZED);
    let other_path = app
        .post("/api/auth/request-password-reset")
        .header("x-forwarded-for", "10.1.0.1")
        .json(&json!({"email": "nobody@example.com"}))
        .send()
        .await;
    other_path.assert_status(StatusCode::OK);
}
