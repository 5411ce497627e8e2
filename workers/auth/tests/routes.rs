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

/// The first link in the newest mail to `email` whose subject contains
/// `subject`, as the recipient would click it.
async fn mailed_link(app: &TestApp, email: &str, subject: &str) -> String {
    let mail = codex_mail::read_outbox(app.ctx().database(), email, 20)
        .await
        .expect("outbox");
    let message = mail
        .iter()
        .find(|message| message.subject.contains(subject))
        .unwrap_or_else(|| panic!("no mail about {subject:?} to {email}"));
    let start = message.text.find("http").expect("a link in the mail");
    message.text[start..]
        .split_whitespace()
        .next()
        .expect("a link")
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

    // The mailed link opens the web app's page, which calls the API with
    // the token; the development copy of the token is the same one.
    let link = mailed_link(&app, "ann@example.com", "Verify").await;
    let token = link
        .strip_prefix("http://localhost:5173/verify-email?token=")
        .unwrap_or_else(|| panic!("a link to the web app: {link}"))
        .to_owned();
    assert_eq!(token, verification_token(&app, "ann@example.com").await);
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

/// Waits for the `nth` reset mail, which a reset request sends after its
/// answer (natively the work is spawned), and returns its link.
async fn reset_link(app: &TestApp, email: &str, nth: usize) -> String {
    for _ in 0..100 {
        let mail = codex_mail::read_outbox(app.ctx().database(), email, 20)
            .await
            .expect("outbox");
        let resets = mail
            .iter()
            .filter(|message| message.subject.contains("Reset"));
        if resets.count() >= nth {
            return mailed_link(app, email, "Reset").await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no reset mail to {email}");
}

#[tokio::test]
async fn a_reset_as_the_web_app_asks_for_it() {
    let app = app().await;
    let old = app.sign_up("cat@example.com", "customer").await;
    // Relative `redirectTo`, no Origin, no cookie: as the SvelteKit server sends it.
    let requested = app
        .post("/api/auth/request-password-reset")
        .json(&json!({"email": "cat@example.com", "redirectTo": "/reset-password"}))
        .send()
        .await;
    requested.assert_status(StatusCode::OK);
    let link = reset_link(&app, "cat@example.com", 1).await;
    let token = link
        .strip_prefix("http://localhost:5173/reset-password?token=")
        .unwrap_or_else(|| panic!("a link to the web app's page: {link}"))
        .to_owned();

    let reset = |body: serde_json::Value| app.post("/api/auth/reset-password").json(&body).send();
    for body in [
        json!({"token": token}),
        json!({"token": token, "password": "a brand new secret", "newPassword": "another new secret"}),
        json!({"token": token, "password": "short"}),
    ] {
        let refused = reset(body.clone()).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            refused.text()
        );
        assert_eq!(refused.error_code().as_deref(), Some("VALIDATION_ERROR"));
        assert!(
            refused.json()["message"].is_string(),
            "the flat message too"
        );
    }
    let done = reset(json!({"token": token, "password": "a brand new secret"})).await;
    done.assert_status(StatusCode::OK);
    assert_eq!(done.json()["status"], true);
    assert!(
        app.get("/api/auth/get-session")
            .cookie(&old)
            .send()
            .await
            .json()
            .is_null(),
        "the reset ends the old session"
    );
    app.post("/api/auth/sign-in/email")
        .json(&json!({"email": "cat@example.com", "password": "a brand new secret"}))
        .send()
        .await
        .assert_status(StatusCode::OK);

    // BetterAuth's field, and both fields when they agree, work as well.
    app.post("/api/auth/request-password-reset")
        .json(&json!({"email": "cat@example.com", "redirectTo": "/reset-password"}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    let second = reset_link(&app, "cat@example.com", 2).await;
    let token = second.rsplit("token=").next().expect("a token").to_owned();
    reset(json!({"token": token, "newPassword": "third secret here", "password": "third secret here"}))
        .await
        .assert_status(StatusCode::OK);
}

mod behind_the_web_app {
    use super::*;
    use codex_testkit::test_config;

    const PROXY_SECRET: &str = "web-app-proxy-secret";

    /// A sign-in attempt from the SvelteKit server (always 10.0.0.1) on
    /// behalf of `visitor`, signed with `secret`.
    async fn attempt(app: &TestApp, visitor: &str, secret: &str) -> StatusCode {
        let now = app.ctx().clock().now().timestamp();
        app.post("/api/auth/sign-in/email")
            .header("x-forwarded-for", "10.0.0.1")
            .header("x-codex-client-ip", visitor)
            .header(
                "x-codex-client-ip-signature",
                &codex_context::signature::client_ip::sign(secret.as_bytes(), now, visitor),
            )
            .json(&json!({"email": "nobody@example.com", "password": "whatever it is"}))
            .send()
            .await
            .status
    }

    #[tokio::test]
    async fn signed_visitors_are_limited_one_by_one_and_forgers_with_the_server() {
        let config = test_config(&[("WEB_APP_PROXY_SECRET", PROXY_SECRET)]);
        let app = TestApp::with_config(config, SERVICE, routes()).await;
        for _ in 0..5 {
            assert_eq!(
                attempt(&app, "203.0.113.1", PROXY_SECRET).await,
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(
            attempt(&app, "203.0.113.1", PROXY_SECRET).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            attempt(&app, "203.0.113.2", PROXY_SECRET).await,
            StatusCode::UNAUTHORIZED,
            "another visitor behind the same server has a limit of its own"
        );
        // Forged: counted against the server's own address.
        for _ in 0..5 {
            assert_eq!(
                attempt(&app, "203.0.113.3", "forged").await,
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(
            attempt(&app, "203.0.113.4", "forged").await,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
}
