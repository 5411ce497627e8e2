//! The auth service: sign-up, e-mail verification, sign-in, sessions,
//! sign-out, password reset and change, the rate limit and the test routes.
//! Every test uses fresh addresses and browsers with their own client IPs,
//! so the tests can run in parallel against one platform.

use std::time::{SystemTime, UNIX_EPOCH};

use codex_e2e::accounts::{
    Browser, PASSWORD, Reply, assert_any_error_envelope, assert_auth_error, assert_token_form,
    awaited_mail, fresh_email, mailed_verification_token, newest_mail, outbox, token_after,
    verification_page,
};
use codex_e2e::{allowed_origin, assert_error_envelope};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

/// Signs up `email` and returns the token from the verification mail.
async fn sign_up_and_read_link(browser: &Browser, email: &str) -> String {
    let reply = browser.sign_up(email, PASSWORD).await;
    reply.expect_status(StatusCode::OK, "sign-up");
    mailed_verification_token(email).await
}

/// `GET /api/auth/verify-email?token=...`.
async fn verify(browser: &Browser, token: &str) -> Reply {
    browser
        .call(
            browser
                .get("auth", "/api/auth/verify-email")
                .query(&[("token", token)]),
        )
        .await
}

#[tokio::test]
async fn a_new_user_signs_up_verifies_signs_in_and_signs_out() {
    let mut browser = Browser::new();
    let email = fresh_email();

    let signed_up = browser.sign_up(&email, PASSWORD).await;
    signed_up.expect_status(StatusCode::OK, "sign-up");

    let mail = newest_mail(&email).await;
    let text = mail["text"].as_str().unwrap_or_default();
    let token = token_after(text, &verification_page())
        .unwrap_or_else(|| panic!("a link to the web app's verification page: {mail}"));
    assert!(
        !text.contains("/api/auth/verify-email"),
        "the mail links to the web app, not to the API: {text}"
    );
    assert_token_form(&token);
    let verified = verify(&browser, &token).await;
    verified.expect_status(StatusCode::OK, "verify-email");
    assert_eq!(verified.body["status"], true, "{}", verified.body);
    assert_eq!(
        verified.body["user"]["emailVerified"], true,
        "{}",
        verified.body
    );

    let signed_in = browser.sign_in(&email, PASSWORD).await;
    signed_in.expect_status(StatusCode::OK, "sign-in");
    let user_id = signed_in.body["user"]["id"].as_str().unwrap_or_default();
    assert!(!user_id.is_empty(), "{}", signed_in.body);
    let cookie = browser.cookie().expect("session cookie").to_owned();

    let session = browser.session().await;
    assert_eq!(session["user"]["email"], email.as_str(), "{session}");
    assert_eq!(session["user"]["id"], user_id, "{session}");
    assert_eq!(session["user"]["emailVerified"], true, "{session}");
    assert_eq!(session["session"]["userId"], user_id, "{session}");

    let profile = browser.profile().await;
    profile.expect_status(StatusCode::OK, "profile");
    assert_eq!(profile.body["data"]["id"], user_id, "{}", profile.body);
    assert_eq!(
        profile.body["data"]["email"],
        email.as_str(),
        "{}",
        profile.body
    );

    let signed_out = browser.sign_out().await;
    signed_out.expect_status(StatusCode::OK, "sign-out");
    assert_eq!(signed_out.body["success"], true, "{}", signed_out.body);
    assert!(browser.cookie().is_none(), "sign-out clears the cookie");

    let old = browser.holding(Some(&cookie));
    let session = old.session().await;
    assert!(
        session.is_null(),
        "revoked session still answers: {session}"
    );
    let profile = old.profile().await;
    profile.expect_status(StatusCode::UNAUTHORIZED, "profile after sign-out");
    assert_error_envelope(&profile.body, "UNAUTHORIZED");
}

#[tokio::test]
async fn sign_up_normalises_the_address_and_mails_a_link_without_signing_in() {
    let browser = Browser::new();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let typed = format!("  E2E-{}@Example.COM ", id.to_uppercase());
    let normal = format!("e2e-{id}@example.com");

    let reply = browser.sign_up(&typed, PASSWORD).await;
    reply.expect_status(StatusCode::OK, "sign-up");
    assert!(
        reply.session_cookie().is_none(),
        "sign-up signs nobody in: {:?}",
        reply.headers
    );
    let body = &reply.body;
    assert!(body["token"].is_null(), "{body}");
    let user = &body["user"];
    assert_eq!(user["email"], normal.as_str(), "{body}");
    assert_eq!(user["name"], "E2E Tester", "{body}");
    assert_eq!(user["emailVerified"], false, "{body}");
    assert_eq!(user["role"], "customer", "{body}");
    assert!(user["image"].is_null(), "{body}");
    for field in ["id", "createdAt", "updatedAt"] {
        assert!(
            user[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}: {body}"
        );
    }

    let mail = outbox(&normal).await;
    assert_eq!(mail.len(), 1, "one verification mail: {mail:?}");
    assert_eq!(mail[0]["to"], normal.as_str(), "{:?}", mail[0]);
    mailed_verification_token(&normal).await;
}

#[tokio::test]
async fn an_address_can_only_sign_up_once_whatever_its_case() {
    let browser = Browser::new();
    let email = fresh_email();
    browser
        .sign_up(&email, PASSWORD)
        .await
        .expect_status(StatusCode::OK, "first sign-up");

    let again = browser
        .sign_up(&email.to_uppercase(), "another password entirely")
        .await;
    again.expect_status(StatusCode::UNPROCESSABLE_ENTITY, "second sign-up");
    assert_auth_error(&again.body, "USER_ALREADY_EXISTS");
    assert_error_envelope(&again.body, "BUSINESS_LOGIC_ERROR");
}

#[tokio::test]
async fn concurrent_sign_ups_with_one_address_make_one_account() {
    let first = Browser::new();
    let second = Browser::new();
    let email = fresh_email();
    let (a, b) = tokio::join!(
        first.sign_up(&email, PASSWORD),
        second.sign_up(&email, PASSWORD)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY],
        "{} / {}",
        a.body,
        b.body
    );
    let loser = if a.status == StatusCode::OK { &b } else { &a };
    assert_auth_error(&loser.body, "USER_ALREADY_EXISTS");
    assert_eq!(
        outbox(&email).await.len(),
        1,
        "one account, one verification mail"
    );
}

#[tokio::test]
async fn bad_sign_up_input_is_refused_and_writes_nothing() {
    let email = fresh_email();
    let cases: Vec<(&str, Value)> = vec![
        (
            "missing name",
            json!({"email": email, "password": PASSWORD}),
        ),
        (
            "invalid e-mail",
            json!({"name": "E2E Tester", "email": "not-an-email", "password": PASSWORD}),
        ),
        (
            "7-character password",
            json!({"name": "E2E Tester", "email": email, "password": "abcdefg"}),
        ),
        (
            "129-character password",
            json!({"name": "E2E Tester", "email": email, "password": "a".repeat(129)}),
        ),
        (
            "name as a number",
            json!({"name": 42, "email": email, "password": PASSWORD}),
        ),
        (
            "256-character name",
            json!({"name": "n".repeat(256), "email": email, "password": PASSWORD}),
        ),
    ];
    // Each attempt from its own IP, so the rate limit stays out of the way.
    for (what, body) in cases {
        let browser = Browser::new();
        let reply = browser
            .call(browser.post("auth", "/api/auth/sign-up/email").json(&body))
            .await;
        reply.expect_status(StatusCode::BAD_REQUEST, what);
        assert_auth_error(&reply.body, "VALIDATION_ERROR");
        assert_error_envelope(&reply.body, "VALIDATION_ERROR");
    }
    let browser = Browser::new();
    let malformed = browser
        .call(
            browser
                .post("auth", "/api/auth/sign-up/email")
                .header(CONTENT_TYPE, "application/json")
                .body(format!(r#"{{"name": "E2E Tester", "email": "{email}", "#)),
        )
        .await;
    malformed.expect_status(StatusCode::BAD_REQUEST, "malformed JSON");
    // The top-level code is the precise one, the envelope's the general one.
    assert_auth_error(&malformed.body, "INVALID_JSON");
    assert_error_envelope(&malformed.body, "VALIDATION_ERROR");

    assert!(
        outbox(&email).await.is_empty(),
        "no mail for refused sign-ups"
    );
    let proper = Browser::new().sign_up(&email, PASSWORD).await;
    proper.expect_status(StatusCode::OK, "sign-up after refusals");
    assert_eq!(proper.body["user"]["email"], email.as_str());
}

#[tokio::test]
async fn sign_in_sets_an_http_only_session_cookie() {
    let mut registrar = Browser::new();
    let account = registrar.fast_register("customer").await;

    let mut browser = Browser::new();
    let reply = browser.sign_in(&account.email, &account.password).await;
    reply.expect_status(StatusCode::OK, "sign-in");
    let body = &reply.body;
    assert_eq!(body["redirect"], false, "{body}");
    let token = body["token"].as_str().unwrap_or_default();
    assert!(!token.is_empty(), "{body}");
    assert_eq!(body["user"]["id"], account.id.as_str(), "{body}");
    assert_eq!(body["user"]["email"], account.email.as_str(), "{body}");

    let cookie = reply.session_cookie().expect("Set-Cookie for the session");
    assert_eq!(cookie.value, token, "{}", cookie.raw);
    assert!(cookie.has("HttpOnly"), "{}", cookie.raw);
    assert!(!cookie.has("Secure"), "no Secure in tests: {}", cookie.raw);
    assert_eq!(cookie.attribute("SameSite"), Some("Lax"), "{}", cookie.raw);
    assert_eq!(cookie.attribute("Path"), Some("/"), "{}", cookie.raw);
    assert_eq!(cookie.attribute("Max-Age"), Some("86400"), "{}", cookie.raw);

    let session = browser.session().await;
    for field in [
        "id",
        "userId",
        "expiresAt",
        "createdAt",
        "updatedAt",
        "ipAddress",
        "userAgent",
    ] {
        assert!(
            session["session"].get(field).is_some(),
            "session.{field}: {session}"
        );
    }
    assert_eq!(
        session["session"]["userId"],
        account.id.as_str(),
        "{session}"
    );
    let user = &session["user"];
    assert_eq!(user["id"], account.id.as_str(), "{session}");
    assert_eq!(user["email"], account.email.as_str(), "{session}");
    assert_eq!(user["name"], "E2E Tester", "{session}");
    assert_eq!(user["emailVerified"], true, "{session}");
    assert_eq!(user["role"], "customer", "{session}");
}

#[tokio::test]
async fn an_unverified_account_cannot_sign_in_and_is_sent_a_new_link() {
    let mut browser = Browser::new();
    let email = fresh_email();
    sign_up_and_read_link(&browser, &email).await;
    assert_eq!(outbox(&email).await.len(), 1);

    let refused = browser.sign_in(&email, PASSWORD).await;
    refused.expect_status(StatusCode::FORBIDDEN, "unverified sign-in");
    assert_auth_error(&refused.body, "EMAIL_NOT_VERIFIED");
    assert!(refused.session_cookie().is_none(), "{:?}", refused.headers);
    assert!(browser.cookie().is_none());

    assert_eq!(outbox(&email).await.len(), 2, "a new verification mail");
    let token = mailed_verification_token(&email).await;
    verify(&browser, &token)
        .await
        .expect_status(StatusCode::OK, "the new link verifies");
    browser
        .sign_in(&email, PASSWORD)
        .await
        .expect_status(StatusCode::OK, "sign-in once verified");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_look_the_same() {
    let mut registrar = Browser::new();
    let account = registrar.fast_register("customer").await;

    let mut browser = Browser::new();
    let wrong = browser
        .sign_in(&account.email, "not the right password")
        .await;
    wrong.expect_status(StatusCode::UNAUTHORIZED, "wrong password");
    assert_auth_error(&wrong.body, "INVALID_EMAIL_OR_PASSWORD");

    let unknown = browser.sign_in(&fresh_email(), PASSWORD).await;
    unknown.expect_status(StatusCode::UNAUTHORIZED, "unknown address");
    assert_auth_error(&unknown.body, "INVALID_EMAIL_OR_PASSWORD");

    assert_eq!(
        wrong.body["message"], unknown.body["message"],
        "{} / {}",
        wrong.body, unknown.body
    );
    assert!(browser.cookie().is_none(), "no session either way");
}

#[tokio::test]
async fn get_session_without_a_valid_cookie_is_null() {
    let browser = Browser::new();
    let none = browser.session().await;
    assert!(none.is_null(), "no cookie: {none}");
    let garbage = browser
        .holding(Some("not-a-real-session-token"))
        .session()
        .await;
    assert!(garbage.is_null(), "garbage cookie: {garbage}");
    let plausible = browser
        .holding(Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
        .session()
        .await;
    assert!(plausible.is_null(), "unknown token: {plausible}");
}

#[tokio::test]
async fn sign_out_clears_the_cookie_and_revokes_the_session() {
    let mut browser = Browser::new();
    let account = browser.fast_register("customer").await;
    let cookie = browser.cookie().expect("cookie").to_owned();

    let reply = browser.sign_out().await;
    reply.expect_status(StatusCode::OK, "sign-out");
    assert_eq!(reply.body["success"], true, "{}", reply.body);
    let cleared = reply
        .session_cookie()
        .expect("Set-Cookie clearing the session");
    assert_eq!(cleared.attribute("Max-Age"), Some("0"), "{}", cleared.raw);

    let old = browser.holding(Some(&cookie));
    let session = old.session().await;
    assert!(session.is_null(), "revoked: {session}");
    let profile = old.profile().await;
    profile.expect_status(StatusCode::UNAUTHORIZED, "profile with a revoked cookie");
    assert_error_envelope(&profile.body, "UNAUTHORIZED");

    let mut again = Browser::new();
    again
        .fast_sign_in(&account.email, &account.password)
        .await
        .expect_status(StatusCode::OK, "signing in again");
    assert!(!again.session().await.is_null());
}

#[tokio::test]
async fn send_verification_email_answers_alike_for_any_address() {
    let browser = Browser::new();
    let email = fresh_email();
    sign_up_and_read_link(&browser, &email).await;

    let resend = |address: String| {
        let browser = browser.clone();
        async move {
            browser
                .call(
                    browser
                        .post("auth", "/api/auth/send-verification-email")
                        .json(&json!({"email": address})),
                )
                .await
        }
    };

    let known = resend(email.clone()).await;
    known.expect_status(StatusCode::OK, "known address");
    assert_eq!(known.body, json!({"status": true}));
    assert_eq!(outbox(&email).await.len(), 2, "a new link for the account");
    let token = mailed_verification_token(&email).await;
    verify(&browser, &token)
        .await
        .expect_status(StatusCode::OK, "the resent link verifies");

    let stranger = fresh_email();
    let unknown = resend(stranger.clone()).await;
    unknown.expect_status(StatusCode::OK, "unknown address");
    assert_eq!(unknown.body, known.body, "no account enumeration");
    assert!(outbox(&stranger).await.is_empty(), "no mail to a stranger");
}

#[tokio::test]
async fn a_verification_link_signs_in_and_works_only_once() {
    let browser = Browser::new();
    let email = fresh_email();
    let token = sign_up_and_read_link(&browser, &email).await;

    let verified = verify(&browser, &token).await;
    verified.expect_status(StatusCode::OK, "verify-email");
    assert_eq!(verified.body["status"], true, "{}", verified.body);
    assert_eq!(verified.body["user"]["email"], email.as_str());
    assert_eq!(
        verified.body["user"]["emailVerified"], true,
        "{}",
        verified.body
    );
    let cookie = verified
        .session_cookie()
        .expect("verification signs the user in");
    let signed_in = browser.holding(Some(&cookie.value));
    let session = signed_in.session().await;
    assert_eq!(session["user"]["email"], email.as_str(), "{session}");
    assert_eq!(session["user"]["emailVerified"], true, "{session}");

    let reused = verify(&browser, &token).await;
    reused.expect_status(StatusCode::BAD_REQUEST, "reused token");
    assert_auth_error(&reused.body, "INVALID_TOKEN");

    let garbage = verify(&browser, "definitely-not-a-token").await;
    garbage.expect_status(StatusCode::BAD_REQUEST, "garbage token");
    assert_auth_error(&garbage.body, "INVALID_TOKEN");
}

#[tokio::test]
async fn verification_redirects_only_to_allowed_callbacks() {
    let mut browser = Browser::new();
    let email = fresh_email();
    let token = sign_up_and_read_link(&browser, &email).await;

    let evil = browser
        .call(browser.get("auth", "/api/auth/verify-email").query(&[
            ("token", token.as_str()),
            ("callbackURL", "https://evil.example/"),
        ]))
        .await;
    evil.expect_status(StatusCode::BAD_REQUEST, "foreign callback");
    assert_auth_error(&evil.body, "VALIDATION_ERROR");
    assert_error_envelope(&evil.body, "VALIDATION_ERROR");
    assert!(evil.header("location").is_none(), "{:?}", evil.headers);

    let welcome = format!("{}/welcome", allowed_origin());
    let redirected = browser
        .call(
            browser
                .get("auth", "/api/auth/verify-email")
                .query(&[("token", token.as_str()), ("callbackURL", welcome.as_str())]),
        )
        .await;
    assert_eq!(
        redirected.status,
        StatusCode::FOUND,
        "the token survived the refusal: {}",
        redirected.body
    );
    assert_eq!(
        redirected.header("location"),
        Some(welcome.as_str()),
        "{:?}",
        redirected.headers
    );
    browser
        .sign_in(&email, PASSWORD)
        .await
        .expect_status(StatusCode::OK, "verified through the redirect");
}

#[tokio::test]
async fn a_password_reset_through_the_mailed_link_ends_every_session() {
    let mut browser = Browser::new();
    let account = browser.fast_register("customer").await;
    let before = browser.cookie().expect("cookie").to_owned();

    let requested = browser
        .call(
            browser
                .post("auth", "/api/auth/request-password-reset")
                .json(&json!({"email": account.email})),
        )
        .await;
    requested.expect_status(StatusCode::OK, "request-password-reset");
    assert_eq!(requested.body["status"], true, "{}", requested.body);
    assert!(
        requested.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        requested.body
    );
    let mail = awaited_mail(&account.email, "Reset your password").await;
    let text = mail["text"].as_str().unwrap_or_default();
    let token = token_after(text, "token=").unwrap_or_else(|| panic!("reset link: {mail}"));
    assert_token_form(&token);

    let reset = |password: &'static str| {
        let browser = browser.clone();
        let token = token.clone();
        async move {
            browser
                .call(
                    browser
                        .post("auth", "/api/auth/reset-password")
                        .json(&json!({"newPassword": password, "token": token})),
                )
                .await
        }
    };
    let short = reset("short").await;
    short.expect_status(StatusCode::BAD_REQUEST, "too-short password");
    assert_error_envelope(&short.body, "VALIDATION_ERROR");

    let new_password = "a brand new passphrase";
    let done = reset(new_password).await;
    done.expect_status(StatusCode::OK, "reset with the unspent token");
    assert_eq!(done.body["status"], true, "{}", done.body);

    let session = browser.holding(Some(&before)).session().await;
    assert!(
        session.is_null(),
        "sessions revoked by the reset: {session}"
    );
    let mut fresh = Browser::new();
    let old = fresh.sign_in(&account.email, PASSWORD).await;
    old.expect_status(StatusCode::UNAUTHORIZED, "old password");
    assert_auth_error(&old.body, "INVALID_EMAIL_OR_PASSWORD");
    fresh
        .sign_in(&account.email, new_password)
        .await
        .expect_status(StatusCode::OK, "new password");

    let again = reset("yet another passphrase").await;
    again.expect_status(StatusCode::BAD_REQUEST, "spent token");
    assert_auth_error(&again.body, "INVALID_TOKEN");
    fresh
        .sign_in(&account.email, new_password)
        .await
        .expect_status(StatusCode::OK, "the spent token changed nothing");
}

#[tokio::test]
async fn a_password_reset_request_does_not_reveal_accounts() {
    let browser = Browser::new();
    let stranger = fresh_email();
    let reply = browser
        .call(
            browser
                .post("auth", "/api/auth/request-password-reset")
                .json(&json!({"email": stranger})),
        )
        .await;
    reply.expect_status(StatusCode::OK, "unknown address");
    assert_eq!(reply.body["status"], true, "{}", reply.body);
    assert!(outbox(&stranger).await.is_empty(), "no mail to a stranger");

    let mut registrar = Browser::new();
    let account = registrar.fast_register("customer").await;
    let known = browser
        .call(
            browser
                .post("auth", "/api/auth/request-password-reset")
                .json(&json!({"email": account.email})),
        )
        .await;
    known.expect_status(StatusCode::OK, "known address");
    assert_eq!(known.body, reply.body, "same answer for both");

    let garbage = browser
        .call(
            browser
                .post("auth", "/api/auth/reset-password")
                .json(&json!({
                    "newPassword": "a brand new passphrase",
                    "token": "A".repeat(43),
                })),
        )
        .await;
    garbage.expect_status(StatusCode::BAD_REQUEST, "unknown reset token");
    assert_auth_error(&garbage.body, "INVALID_TOKEN");
}

#[tokio::test]
async fn changing_the_password_revokes_every_earlier_session() {
    let mut first = Browser::new();
    let account = first.fast_register("customer").await;
    let first_cookie = first.cookie().expect("cookie").to_owned();
    let mut second = Browser::new();
    second
        .fast_sign_in(&account.email, &account.password)
        .await
        .expect_status(StatusCode::OK, "second session");

    let new_password = "a brand new passphrase";
    let changed = first
        .send(
            first
                .post("auth", "/api/auth/change-password")
                .json(&json!({"currentPassword": PASSWORD, "newPassword": new_password})),
        )
        .await;
    changed.expect_status(StatusCode::OK, "change-password");
    let token = changed.body["token"].as_str().unwrap_or_default();
    assert!(!token.is_empty(), "{}", changed.body);
    assert_eq!(changed.body["user"]["id"], account.id.as_str());
    let cookie = changed.session_cookie().expect("a new session cookie");
    assert_eq!(cookie.value, token, "{}", cookie.raw);
    assert_ne!(cookie.value, first_cookie, "a new session");

    let session = first.session().await;
    assert_eq!(session["user"]["id"], account.id.as_str(), "{session}");
    let used = first.holding(Some(&first_cookie)).session().await;
    assert!(used.is_null(), "the session used is revoked: {used}");
    let other = second.session().await;
    assert!(other.is_null(), "the other session is revoked: {other}");

    let mut fresh = Browser::new();
    fresh
        .sign_in(&account.email, PASSWORD)
        .await
        .expect_status(StatusCode::UNAUTHORIZED, "old password");
    fresh
        .sign_in(&account.email, new_password)
        .await
        .expect_status(StatusCode::OK, "new password");
}

#[tokio::test]
async fn a_wrong_current_password_changes_nothing() {
    let mut browser = Browser::new();
    let account = browser.fast_register("customer").await;

    let wrong = browser
        .send(
            browser
                .post("auth", "/api/auth/change-password")
                .json(&json!({"currentPassword": "not the right one", "newPassword": "a brand new passphrase"})),
        )
        .await;
    wrong.expect_status(StatusCode::BAD_REQUEST, "wrong current password");
    assert_auth_error(&wrong.body, "INVALID_PASSWORD");
    assert!(
        !browser.session().await.is_null(),
        "the session survives a refused change"
    );
    let mut fresh = Browser::new();
    fresh
        .sign_in(&account.email, PASSWORD)
        .await
        .expect_status(StatusCode::OK, "the old password still works");

    let anonymous = Browser::new();
    let refused =
        anonymous
            .call(anonymous.post("auth", "/api/auth/change-password").json(
                &json!({"currentPassword": PASSWORD, "newPassword": "a brand new passphrase"}),
            ))
            .await;
    refused.expect_status(StatusCode::UNAUTHORIZED, "no session");
    assert_error_envelope(&refused.body, "UNAUTHORIZED");
}

#[tokio::test]
async fn sign_in_is_limited_to_five_attempts_per_client_ip() {
    let mut registrar = Browser::new();
    let account = registrar.fast_register("customer").await;
    let mut browser = Browser::new();

    let mut remaining = Vec::new();
    for attempt in 1..=5 {
        let reply = browser
            .sign_in(&account.email, "not the right password")
            .await;
        reply.expect_status(StatusCode::UNAUTHORIZED, &format!("attempt {attempt}"));
        assert_eq!(
            reply.header("x-ratelimit-limit"),
            Some("5"),
            "{:?}",
            reply.headers
        );
        let left: u32 = reply
            .header("x-ratelimit-remaining")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("X-RateLimit-Remaining: {:?}", reply.headers));
        remaining.push(left);
    }
    assert!(
        remaining.windows(2).all(|pair| pair[1] < pair[0]),
        "remaining counts down: {remaining:?}"
    );

    let limited = browser.sign_in(&account.email, &account.password).await;
    limited.expect_status(StatusCode::TOO_MANY_REQUESTS, "sixth attempt");
    assert_error_envelope(&limited.body, "RATE_LIMITED");
    assert!(browser.cookie().is_none(), "no session past the limit");
    let retry_after: u64 = limited
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After: {:?}", limited.headers));
    assert!(
        (1..=900).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    assert_eq!(limited.header("x-ratelimit-limit"), Some("5"));
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    let reset: u64 = limited
        .header("x-ratelimit-reset")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("X-RateLimit-Reset: {:?}", limited.headers));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    assert!(
        reset > now && reset <= now + 901,
        "reset {reset} vs now {now}"
    );

    let mut elsewhere = Browser::new();
    elsewhere
        .sign_in(&account.email, &account.password)
        .await
        .expect_status(StatusCode::OK, "another IP on the same path");

    let same_ip = Browser::with_ip(browser.ip());
    let signed_up = same_ip.sign_up(&fresh_email(), PASSWORD).await;
    signed_up.expect_status(StatusCode::OK, "sign-up counts on its own");
    assert_eq!(signed_up.header("x-ratelimit-limit"), Some("5"));
}

#[tokio::test]
async fn fast_register_makes_verified_users_with_any_known_role() {
    for role in ["customer", "creator", "admin", "platform_owner"] {
        let mut browser = Browser::new();
        let account = browser.fast_register(role).await;
        let session = browser.session().await;
        assert_eq!(session["user"]["id"], account.id.as_str(), "{session}");
        assert_eq!(session["user"]["role"], role, "{session}");
        assert_eq!(session["user"]["emailVerified"], true, "{session}");
    }

    let browser = Browser::new();
    let refused = browser
        .call(
            browser
                .post("auth", "/api/test/fast-register")
                .json(&json!({
                    "email": fresh_email(),
                    "password": PASSWORD,
                    "role": "superuser",
                })),
        )
        .await;
    refused.expect_status(StatusCode::BAD_REQUEST, "unknown role");
    assert_any_error_envelope(&refused.body);
    assert!(refused.session_cookie().is_none(), "{:?}", refused.headers);
}

#[tokio::test]
async fn fast_sign_in_is_not_rate_limited() {
    let mut registrar = Browser::new();
    let account = registrar.fast_register("customer").await;
    let mut browser = Browser::new();
    for attempt in 1..=7 {
        let reply = browser
            .fast_sign_in(&account.email, &account.password)
            .await;
        reply.expect_status(StatusCode::OK, &format!("fast sign-in {attempt}"));
        assert_eq!(reply.body["user"]["id"], account.id.as_str());
        let cookie = reply.session_cookie().expect("Set-Cookie");
        assert_eq!(
            reply.body["token"].as_str(),
            Some(cookie.value.as_str()),
            "{}",
            reply.body
        );
    }
    assert_eq!(
        browser.session().await["user"]["email"],
        account.email.as_str()
    );
}

#[tokio::test]
async fn the_test_routes_expose_the_latest_verification_token() {
    let mut browser = Browser::new();
    let email = fresh_email();
    sign_up_and_read_link(&browser, &email).await;
    browser
        .sign_in(&email, PASSWORD)
        .await
        .expect_status(StatusCode::FORBIDDEN, "unverified, so a second link");
    let mailed = mailed_verification_token(&email).await;

    let reply = browser
        .call(browser.get("auth", &format!("/api/test/verification-token/{email}")))
        .await;
    reply.expect_status(StatusCode::OK, "verification-token");
    assert_eq!(reply.body, json!({"token": mailed, "email": email}));

    let unknown = browser
        .call(browser.get(
            "auth",
            &format!("/api/test/verification-token/{}", fresh_email()),
        ))
        .await;
    unknown.expect_status(StatusCode::NOT_FOUND, "unknown address");
    assert_error_envelope(&unknown.body, "NOT_FOUND");
}
