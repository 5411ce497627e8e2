//! The calls the SvelteKit server makes, made as it makes them: no
//! `Origin` on the reset and verification calls, a relative `redirectTo`,
//! the reset form's `password` field, the session forwarded under three
//! cookie names, the visitor's address forwarded and signed with
//! `WEB_APP_PROXY_SECRET`; and the signed membership look-up the other
//! services make. `scripts/e2e.sh` gives the suite both secrets
//! (`E2E_WEB_APP_PROXY_SECRET`, `E2E_WORKER_SHARED_SECRET`).

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use codex_e2e::accounts::{
    Browser, PASSWORD, Reply, assert_token_form, awaited_mail, client_ip, fresh_email, token_after,
    verification_page,
};
use codex_e2e::{allowed_origin, assert_error_envelope, client, url};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::header::COOKIE;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;

fn secret(variable: &str) -> String {
    std::env::var(variable)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| panic!("{variable} is not set: run the suite through scripts/e2e.sh"))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

fn hmac_sha256(key: &str, message: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("any key");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// `X-Codex-Client-IP-Signature` for `ip` now: `t={t},v1={hex HMAC of "{t}.{ip}"}`.
fn visitor_signature(key: &str, ip: &str) -> String {
    let t = now();
    let digest = hmac_sha256(key, format!("{t}.{ip}").as_bytes());
    format!("t={t},v1={}", hex::encode(digest))
}

/// A request from the SvelteKit server: no `Origin`, the server's own
/// address in `X-Forwarded-For` (the first entry names the client in the
/// test environment).
fn from_the_server(
    server_ip: &str,
    method: reqwest::Method,
    service: &str,
    path: &str,
) -> RequestBuilder {
    client()
        .request(method, url(service, path))
        .header("x-forwarded-for", server_ip)
        .header("content-type", "application/json")
}

/// The session cookie as the web app forwards it.
fn forwarded_session(token: &str) -> String {
    format!(
        "codex-session={token}; __Secure-better-auth.session_token={token}; better-auth.session_token={token}"
    )
}

async fn call(request: RequestBuilder) -> Reply {
    Reply::exchange(request).await
}

#[tokio::test]
async fn the_verification_mail_opens_the_web_app_which_calls_the_api() {
    let server = client_ip();
    let email = fresh_email();
    let signed_up = call(
        from_the_server(
            &server,
            reqwest::Method::POST,
            "auth",
            "/api/auth/sign-up/email",
        )
        .header("origin", allowed_origin())
        .json(&json!({"name": "Web Tester", "email": email, "password": PASSWORD})),
    )
    .await;
    signed_up.expect_status(StatusCode::OK, "sign-up");

    let mail = awaited_mail(&email, "Verify your e-mail address").await;
    let text = mail["text"].as_str().unwrap_or_default();
    let token = token_after(text, &verification_page())
        .unwrap_or_else(|| panic!("a link to {}: {text}", verification_page()));
    assert_token_form(&token);
    assert!(
        !text.contains("/api/auth/"),
        "no API link in the mail: {text}"
    );

    // The page's server-side load: no Origin, no cookie, redirect: 'manual'.
    let verified = call(
        from_the_server(
            &server,
            reqwest::Method::GET,
            "auth",
            "/api/auth/verify-email",
        )
        .query(&[("token", token.as_str())]),
    )
    .await;
    verified.expect_status(StatusCode::OK, "verify-email");
    let cookie = verified.session_cookie().expect("verification signs in");
    let session = call(
        from_the_server(
            &server,
            reqwest::Method::GET,
            "auth",
            "/api/auth/get-session",
        )
        .header(COOKIE, forwarded_session(&cookie.value)),
    )
    .await;
    session.expect_status(StatusCode::OK, "get-session");
    assert_eq!(
        session.body["user"]["email"],
        email.as_str(),
        "{}",
        session.body
    );
    assert_eq!(session.body["user"]["emailVerified"], true);
}

#[tokio::test]
async fn a_reset_with_a_relative_redirect_and_the_password_field() {
    let mut browser = Browser::new();
    let account = browser.fast_register("customer").await;
    let old_session = browser.cookie().expect("a session").to_owned();
    let server = client_ip();

    let requested = call(
        from_the_server(
            &server,
            reqwest::Method::POST,
            "auth",
            "/api/auth/request-password-reset",
        )
        .json(&json!({"email": account.email, "redirectTo": "/reset-password"})),
    )
    .await;
    requested.expect_status(StatusCode::OK, "request-password-reset");
    let mail = awaited_mail(&account.email, "Reset your password").await;
    let text = mail["text"].as_str().unwrap_or_default();
    let page = format!("{}/reset-password?token=", allowed_origin());
    let token = token_after(text, &page).unwrap_or_else(|| panic!("a link to {page}: {text}"));
    assert_token_form(&token);

    let reset = |body: Value| {
        call(
            from_the_server(
                &server,
                reqwest::Method::POST,
                "auth",
                "/api/auth/reset-password",
            )
            .json(&body),
        )
    };
    let neither = reset(json!({"token": token})).await;
    neither.expect_status(StatusCode::BAD_REQUEST, "no password");
    assert_error_envelope(&neither.body, "VALIDATION_ERROR");
    assert!(
        neither.body["message"].is_string(),
        "the flat message the form shows"
    );
    let differing = reset(json!({"token": token, "password": "one new passphrase", "newPassword": "another passphrase"})).await;
    differing.expect_status(StatusCode::BAD_REQUEST, "two different passwords");

    let new_password = "the web app's new passphrase";
    let done = reset(json!({"token": token, "password": new_password})).await;
    done.expect_status(StatusCode::OK, "reset-password with `password`");
    let old = call(
        from_the_server(
            &server,
            reqwest::Method::GET,
            "auth",
            "/api/auth/get-session",
        )
        .header(COOKIE, forwarded_session(&old_session)),
    )
    .await;
    assert!(
        old.body.is_null(),
        "the reset ended the old session: {}",
        old.body
    );
    let mut fresh = Browser::new();
    fresh
        .sign_in(&account.email, new_password)
        .await
        .expect_status(StatusCode::OK, "the new password");
}

/// A sign-in attempt the SvelteKit server at `server` makes for `visitor`,
/// with the visitor address signed by `key`.
async fn attempt_for(server: &str, visitor: &str, key: &str) -> StatusCode {
    call(
        from_the_server(
            server,
            reqwest::Method::POST,
            "auth",
            "/api/auth/sign-in/email",
        )
        .header("x-codex-client-ip", visitor)
        .header(
            "x-codex-client-ip-signature",
            visitor_signature(key, visitor),
        )
        .json(&json!({"email": fresh_email(), "password": "not the password"})),
    )
    .await
    .status
}

#[tokio::test]
async fn visitors_behind_the_web_app_get_limits_of_their_own() {
    let key = secret("E2E_WEB_APP_PROXY_SECRET");
    let server = client_ip();
    let (first, second) = (client_ip(), client_ip());
    for n in 1..=5 {
        assert_eq!(
            attempt_for(&server, &first, &key).await,
            StatusCode::UNAUTHORIZED,
            "attempt {n}"
        );
    }
    assert_eq!(
        attempt_for(&server, &first, &key).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the first visitor's sixth attempt"
    );
    assert_eq!(
        attempt_for(&server, &second, &key).await,
        StatusCode::UNAUTHORIZED,
        "the second visitor behind the same server is not limited"
    );
}

#[tokio::test]
async fn a_forged_visitor_address_does_not_escape_the_limit() {
    let server = client_ip();
    for n in 1..=5 {
        assert_eq!(
            attempt_for(&server, &client_ip(), "a guessed secret").await,
            StatusCode::UNAUTHORIZED,
            "attempt {n}"
        );
    }
    assert_eq!(
        attempt_for(&server, &client_ip(), "a guessed secret").await,
        StatusCode::TOO_MANY_REQUESTS,
        "forged addresses all count against the sender's own"
    );
    let unsigned = call(
        from_the_server(
            &server,
            reqwest::Method::POST,
            "auth",
            "/api/auth/sign-in/email",
        )
        .header("x-codex-client-ip", client_ip())
        .json(&json!({"email": fresh_email(), "password": "not the password"})),
    )
    .await;
    unsigned.expect_status(StatusCode::TOO_MANY_REQUESTS, "an unsigned address");
}

#[tokio::test]
async fn creator_onboarding_through_the_forwarded_session() {
    let mut browser = Browser::new();
    browser.fast_register("creator").await;
    let token = browser.cookie().expect("a session").to_owned();
    let server = client_ip();
    let onboarding = |method: reqwest::Method| {
        from_the_server(&server, method, "identity", "/api/user/creator-onboarding")
            .header(COOKIE, forwarded_session(&token))
    };

    let first = call(onboarding(reqwest::Method::GET)).await;
    first.expect_status(StatusCode::OK, "GET creator-onboarding");
    assert_eq!(
        first.body["data"]["currentStep"], "essentials",
        "{}",
        first.body
    );
    assert!(first.body["data"]["welcomeSeenAt"].is_null());
    assert!(first.body["data"]["createdAt"].is_string());

    let step =
        call(onboarding(reqwest::Method::PATCH).json(&json!({"currentStep": "profile"}))).await;
    step.expect_status(StatusCode::OK, "PATCH currentStep");
    assert_eq!(step.body["data"]["currentStep"], "profile");
    let seen = call(onboarding(reqwest::Method::PATCH).json(&json!({"welcomeSeen": true}))).await;
    seen.expect_status(StatusCode::OK, "PATCH welcomeSeen");
    let seen_at = seen.body["data"]["welcomeSeenAt"].clone();
    assert!(seen_at.is_string(), "{}", seen.body);
    let again = call(onboarding(reqwest::Method::PATCH).json(&json!({"welcomeSeen": true}))).await;
    assert_eq!(
        again.body["data"]["welcomeSeenAt"], seen_at,
        "the first time is kept"
    );
    for body in [json!({"dismissed": true}), json!({"completed": true})] {
        call(onboarding(reqwest::Method::PATCH).json(&body))
            .await
            .expect_status(StatusCode::OK, &body.to_string());
    }
    let read = call(onboarding(reqwest::Method::GET)).await;
    assert!(
        read.body["data"]["dismissedAt"].is_string(),
        "{}",
        read.body
    );
    assert!(
        read.body["data"]["completedAt"].is_string(),
        "{}",
        read.body
    );
    assert_eq!(read.body["data"]["currentStep"], "profile");

    for body in [
        json!({}),
        json!({"currentStep": "somewhere"}),
        json!({"extra": 1}),
    ] {
        let refused = call(onboarding(reqwest::Method::PATCH).json(&body)).await;
        refused.expect_status(StatusCode::BAD_REQUEST, &body.to_string());
        assert_error_envelope(&refused.body, "VALIDATION_ERROR");
    }
    let anonymous = call(from_the_server(
        &server,
        reqwest::Method::GET,
        "identity",
        "/api/user/creator-onboarding",
    ))
    .await;
    anonymous.expect_status(StatusCode::UNAUTHORIZED, "no session");
}

/// `GET /api/organizations/{org}/membership/{user}` on identity, signed as
/// our services sign their calls (`X-Worker-*`, over `"{t}:"` and the empty
/// body) with `key`, or unsigned.
async fn membership(org: &str, user: &str, key: Option<&str>) -> Reply {
    let mut request = client().get(url(
        "identity",
        &format!("/api/organizations/{org}/membership/{user}"),
    ));
    if let Some(key) = key {
        let t = now();
        let signature = STANDARD.encode(hmac_sha256(key, format!("{t}:").as_bytes()));
        request = request
            .header("x-worker-timestamp", t.to_string())
            .header("x-worker-signature", signature);
    }
    call(request).await
}

#[tokio::test]
async fn the_membership_look_up_answers_signed_service_calls_only() {
    let key = secret("E2E_WORKER_SHARED_SECRET");
    let mut owner = Browser::new();
    let account = owner.fast_register("creator").await;
    let slug = codex_e2e::organisations::fresh_slug();
    let created = owner
        .send(
            owner
                .post("org", "/api/organizations")
                .json(&json!({"name": "Membership Look-up", "slug": slug})),
        )
        .await;
    created.expect_status(StatusCode::CREATED, "create organisation");
    let org = created.body["data"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();

    let found = membership(&org, &account.id, Some(&key)).await;
    found.expect_status(StatusCode::OK, "signed look-up");
    assert_eq!(found.body["data"]["role"], "owner", "{}", found.body);
    assert!(found.body["data"]["joinedAt"].is_string(), "{}", found.body);

    let mut other = Browser::new();
    let stranger = other.fast_register("customer").await;
    let none = membership(&org, &stranger.id, Some(&key)).await;
    none.expect_status(StatusCode::OK, "not a member");
    assert_eq!(none.body, json!({"data": {"role": null, "joinedAt": null}}));

    let unsigned = membership(&org, &account.id, None).await;
    unsigned.expect_status(StatusCode::UNAUTHORIZED, "unsigned");
    assert_error_envelope(&unsigned.body, "UNAUTHORIZED");
    membership(&org, &account.id, Some("not the secret"))
        .await
        .expect_status(StatusCode::UNAUTHORIZED, "wrong secret");
    let malformed = membership("not-a-uuid", &account.id, Some(&key)).await;
    malformed.expect_status(StatusCode::BAD_REQUEST, "malformed organisation id");
    assert_error_envelope(&malformed.body, "VALIDATION_ERROR");
}
