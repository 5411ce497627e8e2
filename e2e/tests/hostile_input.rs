//! Hostile text: a NUL character (`\u0000`), which PostgreSQL cannot store,
//! sent in a JSON body field, a path segment and a query value. Each is
//! refused with a 400 `VALIDATION_ERROR` envelope, never a 500: by the input
//! checks where a field goes through them, and otherwise by the database
//! adapters, which turn the server's refusal (SQLSTATE 22021 or 22P05) into
//! the same 400.

use codex_e2e::accounts::{Browser, Reply, assert_auth_error};
use codex_e2e::assert_error_envelope;
use codex_e2e::organisations::{ORG, fresh_slug, org_path, owner_with_org, signed_in};
use reqwest::StatusCode;
use serde_json::json;

const NUL: &str = "\u{0}";

/// Asserts a 400 `VALIDATION_ERROR` envelope (so neither a 500 nor any other
/// failure).
fn assert_refused_as_invalid(reply: &Reply, what: &str) {
    assert!(
        !reply.status.is_server_error(),
        "{what}: answered {}: {}",
        reply.status,
        reply.body
    );
    reply.expect_status(StatusCode::BAD_REQUEST, what);
    assert_error_envelope(&reply.body, "VALIDATION_ERROR");
}

#[tokio::test]
async fn a_nul_in_a_json_body_field_is_a_400() {
    let (creator, _) = signed_in("creator").await;
    let name = format!("E2E{NUL}Org");
    for (what, body) in [
        ("name", json!({"name": name, "slug": fresh_slug()})),
        (
            "description",
            json!({"name": "E2E Org", "slug": fresh_slug(), "description": format!("a{NUL}b")}),
        ),
        (
            "websiteUrl",
            json!({"name": "E2E Org", "slug": fresh_slug(), "websiteUrl": format!("https://example.com/{NUL}")}),
        ),
    ] {
        let reply = creator
            .call(creator.post(ORG, "/api/organizations").json(&body))
            .await;
        assert_refused_as_invalid(&reply, &format!("create an organisation: {what}"));
    }

    let (owner, _, org) = owner_with_org().await;
    let id = org["id"].as_str().unwrap_or_default().to_owned();
    let reply = owner
        .call(
            owner
                .patch(ORG, &org_path(&id, ""))
                .json(&json!({"name": name})),
        )
        .await;
    assert_refused_as_invalid(&reply, "rename an organisation");

    for (what, body) in [
        (
            "displayName",
            json!({"displayName": format!("E2E{NUL}Tester")}),
        ),
        ("bio", json!({"bio": format!("Writes{NUL}tests.")})),
    ] {
        let reply = owner
            .call(owner.patch("identity", "/api/user/profile").json(&body))
            .await;
        assert_refused_as_invalid(&reply, &format!("profile: {what}"));
    }

    let stranger = Browser::new();
    let reply = stranger
        .call(
            stranger
                .post("auth", "/api/auth/sign-up/email")
                .json(&json!({
                    "name": format!("E2E{NUL}Tester"),
                    "email": codex_e2e::accounts::fresh_email(),
                    "password": codex_e2e::accounts::PASSWORD,
                })),
        )
        .await;
    assert_refused_as_invalid(&reply, "sign-up: name");
    assert_auth_error(&reply.body, "VALIDATION_ERROR");
}

#[tokio::test]
async fn a_nul_in_a_path_segment_is_a_400() {
    let (creator, _) = signed_in("creator").await;
    let reply = creator
        .call(creator.get(ORG, "/api/organizations/slug/a%00b"))
        .await;
    assert_refused_as_invalid(&reply, "organisation by slug");
}

#[tokio::test]
async fn a_nul_in_a_query_value_is_a_400() {
    let (creator, _) = signed_in("creator").await;
    for search in [NUL.to_owned(), format!("e2e{NUL}")] {
        let reply = creator
            .call(
                creator
                    .get(ORG, "/api/organizations")
                    .query(&[("search", search.as_str())]),
            )
            .await;
        assert_refused_as_invalid(&reply, &format!("search {search:?}"));
    }
    // The same as the raw bytes a hand-written URL carries.
    let reply = creator
        .call(creator.get(ORG, "/api/organizations?search=%00"))
        .await;
    assert_refused_as_invalid(&reply, "search=%00");
}
