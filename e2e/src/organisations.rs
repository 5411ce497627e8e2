//! Helpers for the organisation tests (`tests/organisations.rs`,
//! `tests/memberships.rs`, `tests/settings.rs`).
//!
//! Every organisation gets a fresh slug and every person a fresh address and
//! their own [`Browser`], so the tests run in parallel against one platform.
//! Members join the way people do: a manager invites the address, the
//! invitation mail is read from the outbox and the token in its
//! `accept-invite?token=` link is accepted by the invited person.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::accounts::{
    Account, Browser, PASSWORD, Reply, assert_token_form, fresh_email, outbox, token_after,
};
use crate::assert_error_envelope;

/// The service key of the organisation service.
pub const ORG: &str = "org";

/// A fresh slug in the allowed form: `e2e-` and 12 hex digits.
pub fn fresh_slug() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("e2e-{}", &id[..12])
}

/// A fresh word of 12 hex digits, for names that must be found by search.
pub fn fresh_word() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    id[..12].to_owned()
}

/// A browser signed in as a fresh user with `role`.
pub async fn signed_in(role: &str) -> (Browser, Account) {
    let mut browser = Browser::new();
    let account = browser.fast_register(role).await;
    (browser, account)
}

/// A browser signed in as `email` with `role`, registering the address if it
/// has no account yet: browser and account.
pub async fn signed_in_as(email: &str, role: &str) -> (Browser, Account) {
    let mut browser = Browser::new();
    let reply = browser
        .send(
            browser
                .post("auth", "/api/test/fast-register")
                .json(&json!({
                    "email": email,
                    "password": PASSWORD,
                    "name": "E2E Tester",
                    "role": role,
                })),
        )
        .await;
    reply.expect_status(StatusCode::OK, &format!("fast-register {email}"));
    assert!(browser.cookie().is_some(), "fast-register sets a cookie");
    let account = Account {
        id: text_of(&reply.body["user"], "id"),
        email: email.to_owned(),
        password: PASSWORD.to_owned(),
    };
    (browser, account)
}

/// `POST /api/organizations` with `body`.
pub async fn try_create_org(browser: &Browser, body: &Value) -> Reply {
    browser
        .call(browser.post(ORG, "/api/organizations").json(body))
        .await
}

/// Creates an organisation named `name` with a fresh slug; its `data`.
pub async fn create_org_named(browser: &Browser, name: &str) -> Value {
    let slug = fresh_slug();
    let reply = try_create_org(browser, &json!({"name": name, "slug": slug})).await;
    reply.expect_status(StatusCode::CREATED, "create organisation");
    let org = reply.body["data"].clone();
    assert_eq!(org["slug"], slug.as_str(), "{org}");
    assert_eq!(org["name"], name, "{org}");
    org
}

/// Creates an organisation with a fresh slug and name; its `data`.
pub async fn create_org(browser: &Browser) -> Value {
    create_org_named(browser, &format!("E2E Org {}", fresh_word())).await
}

/// A signed-in creator owning a fresh organisation: browser, account, org.
pub async fn owner_with_org() -> (Browser, Account, Value) {
    let (browser, account) = signed_in("creator").await;
    let org = create_org(&browser).await;
    (browser, account, org)
}

/// A string field of an object, failing with the object when missing.
pub fn text_of(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field}: {value}"))
        .to_owned()
}

/// The `id` of an object.
pub fn id_of(value: &Value) -> String {
    text_of(value, "id")
}

/// The path of an organisation route, e.g. `org_path(id, "/members")`.
pub fn org_path(org_id: &str, rest: &str) -> String {
    format!("/api/organizations/{org_id}{rest}")
}

/// The `items` of a list reply, asserting 200 and the pagination block.
pub fn items_of(reply: &Reply, what: &str) -> Vec<Value> {
    reply.expect_status(StatusCode::OK, what);
    let pagination = &reply.body["pagination"];
    for field in ["page", "limit", "total", "totalPages"] {
        assert!(
            pagination[field].is_u64(),
            "{what}: pagination.{field}: {}",
            reply.body
        );
    }
    reply.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: items: {}", reply.body))
        .clone()
}

/// Asserts a 400 `VALIDATION_ERROR` naming `path` in `error.details.details`.
pub fn assert_field_error(reply: &Reply, path: &str, what: &str) {
    reply.expect_status(StatusCode::BAD_REQUEST, what);
    assert_error_envelope(&reply.body, "VALIDATION_ERROR");
    let issues = reply.body["error"]["details"]["details"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: field list: {}", reply.body));
    assert!(
        issues.iter().any(|issue| issue["path"] == path),
        "{what}: no issue for {path}: {}",
        reply.body
    );
}

/// Asserts the status and the envelope code of an error reply.
pub fn assert_refused(reply: &Reply, status: StatusCode, code: &str, what: &str) {
    reply.expect_status(status, what);
    assert_error_envelope(&reply.body, code);
}

/// `GET /api/organizations/check-slug/{slug}`: whether it is available.
pub async fn slug_available(browser: &Browser, slug: &str) -> bool {
    let reply = browser
        .call(browser.get(ORG, &format!("/api/organizations/check-slug/{slug}")))
        .await;
    reply.expect_status(StatusCode::OK, &format!("check-slug {slug}"));
    reply.body["data"]["available"]
        .as_bool()
        .unwrap_or_else(|| panic!("available for {slug}: {}", reply.body))
}

/// `GET /api/organizations/my-organizations`: the `data` list.
pub async fn my_organizations(browser: &Browser) -> Vec<Value> {
    let reply = browser
        .call(browser.get(ORG, "/api/organizations/my-organizations"))
        .await;
    reply.expect_status(StatusCode::OK, "my-organizations");
    reply.body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("my-organizations list: {}", reply.body))
        .clone()
}

/// `GET /api/organizations/{id}/members/my-membership`: the `data`.
pub async fn my_membership(browser: &Browser, org_id: &str) -> Value {
    let reply = browser
        .call(browser.get(ORG, &org_path(org_id, "/members/my-membership")))
        .await;
    reply.expect_status(StatusCode::OK, "my-membership");
    reply.body["data"].clone()
}

/// `GET /api/organizations/public/{slug}/info` without a cookie.
pub async fn public_info(slug: &str) -> Reply {
    let browser = Browser::new();
    browser
        .call(browser.get(ORG, &format!("/api/organizations/public/{slug}/info")))
        .await
}

/// `GET /api/organizations/public/{slug}` without a cookie.
pub async fn public_branding(slug: &str) -> Reply {
    let browser = Browser::new();
    browser
        .call(browser.get(ORG, &format!("/api/organizations/public/{slug}")))
        .await
}

/// `POST /api/organizations/{id}/invitations`.
pub async fn invite(browser: &Browser, org_id: &str, email: &str, role: &str) -> Reply {
    browser
        .call(
            browser
                .post(ORG, &org_path(org_id, "/invitations"))
                .json(&json!({"email": email, "role": role})),
        )
        .await
}

/// The number of mails sent to `address` so far.
pub async fn mail_count(address: &str) -> usize {
    outbox(address).await.len()
}

/// Waits (up to 10 s) for a mail to `address` beyond the first `seen`;
/// the newest one.
pub async fn next_mail(address: &str, seen: usize) -> Value {
    for _ in 0..50 {
        let mail = outbox(address).await;
        if mail.len() > seen
            && let Some(newest) = mail.first()
        {
            return newest.clone();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no new mail to {address} after {seen}");
}

/// The token in an invitation mail's `accept-invite?token=` link.
pub fn invitation_token_in(mail: &Value) -> String {
    let text = mail["text"].as_str().unwrap_or_default();
    let token = token_after(text, "accept-invite?token=")
        .unwrap_or_else(|| panic!("no accept-invite link in {mail}"));
    assert_token_form(&token);
    token
}

/// Invites `email` with `role` (asserting 201) and returns the invitation
/// and the token from the mail it sent.
pub async fn invite_and_read_token(
    manager: &Browser,
    org_id: &str,
    email: &str,
    role: &str,
) -> (Value, String) {
    let seen = mail_count(email).await;
    let reply = invite(manager, org_id, email, role).await;
    reply.expect_status(StatusCode::CREATED, &format!("invite {email} as {role}"));
    let mail = next_mail(email, seen).await;
    (reply.body["data"].clone(), invitation_token_in(&mail))
}

/// `POST /api/organizations/invitations/accept` with `token`.
pub async fn accept(browser: &Browser, token: &str) -> Reply {
    browser
        .call(
            browser
                .post(ORG, "/api/organizations/invitations/accept")
                .json(&json!({"token": token})),
        )
        .await
}

/// `POST /api/organizations/invitations/decline` with `token`.
pub async fn decline(browser: &Browser, token: &str) -> Reply {
    browser
        .call(
            browser
                .post(ORG, "/api/organizations/invitations/decline")
                .json(&json!({"token": token})),
        )
        .await
}

/// A fresh customer who joined `org_id` with `role` through an invitation
/// from `manager`: browser and account.
pub async fn join(manager: &Browser, org_id: &str, role: &str) -> (Browser, Account) {
    let email = fresh_email();
    let (_, token) = invite_and_read_token(manager, org_id, &email, role).await;
    let (browser, account) = signed_in_as(&email, "customer").await;
    let accepted = accept(&browser, &token).await;
    accepted.expect_status(StatusCode::OK, &format!("accept as {role}"));
    assert_eq!(accepted.body["data"]["role"], role, "{}", accepted.body);
    assert_eq!(
        accepted.body["data"]["status"], "active",
        "{}",
        accepted.body
    );
    (browser, account)
}

/// `GET /api/organizations/{id}/members` with `query`.
pub async fn members(browser: &Browser, org_id: &str, query: &[(&str, &str)]) -> Reply {
    browser
        .call(browser.get(ORG, &org_path(org_id, "/members")).query(query))
        .await
}

/// `GET /api/organizations/{id}/settings`.
pub async fn settings(browser: &Browser, org_id: &str) -> Reply {
    browser
        .call(browser.get(ORG, &org_path(org_id, "/settings")))
        .await
}

/// A valid 1x1 transparent PNG.
pub const TINY_PNG: [u8; 68] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

/// A multipart form with one file field.
pub fn file_form(
    field: &str,
    bytes: Vec<u8>,
    file_name: &str,
    mime: &str,
) -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(mime)
        .expect("a valid MIME type");
    reqwest::multipart::Form::new().part(field.to_owned(), part)
}
