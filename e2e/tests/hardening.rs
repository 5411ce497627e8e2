//! Defects found by hostile testing, each shown fixed over HTTP on both
//! runtimes: a revocation racing concurrent look-ups ends the session for
//! good, a branding number with many digits is kept instead of overflowing
//! its column, and an organisation name with a line break is refused.

use codex_e2e::accounts::{Browser, PASSWORD};
use codex_e2e::organisations::{
    fresh_slug, id_of, org_path, owner_with_org, signed_in, slug_available, try_create_org,
};
use reqwest::StatusCode;
use serde_json::json;

/// A password change while other requests are looking the same sessions
/// up: once the change has answered, every earlier session is refused, and
/// stays refused (a look-up that read a session before the revocation must
/// not be able to put it back).
#[tokio::test]
async fn a_revocation_racing_lookups_ends_every_session_for_good() {
    for round in 0..8 {
        let mut browser = Browser::new();
        let account = browser.fast_register("customer").await;
        let old = browser.clone();
        let lookups = (0..6).map(|_| {
            let old = old.clone();
            async move { old.session().await }
        });
        let change = async {
            let reply = old
                .call(old.post("auth", "/api/auth/change-password").json(&json!({
                    "currentPassword": account.password,
                    "newPassword": format!("{PASSWORD}-{round}"),
                })))
                .await;
            reply.expect_status(StatusCode::OK, "change-password");
        };
        let (_, _) = tokio::join!(futures::future::join_all(lookups), change);
        for attempt in 0..3 {
            assert!(
                old.session().await.is_null(),
                "round {round}, look-up {attempt}: the old session still opens"
            );
        }
    }
}

/// `radiusValue` and `densityValue` with many digits are within range and
/// kept (rounded to four places), not a generic 400 from the database.
#[tokio::test]
async fn branding_numbers_with_many_digits_are_kept() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let reply =
        owner
            .call(owner.put("org", &org_path(&id, "/settings/branding")).json(
                &json!({"radiusValue": 1.000_000_000_000_000_2, "densityValue": 0.987_654_321}),
            ))
            .await;
    reply.expect_status(StatusCode::OK, "many digits");
    assert_eq!(reply.body["data"]["radiusValue"], 1.0, "{}", reply.body);
    assert_eq!(reply.body["data"]["densityValue"], 0.9877, "{}", reply.body);
}

/// A line break in an organisation's name could reach an e-mail header
/// (the invitation's subject) and silently drop every invitation of that
/// organisation: names with control characters are refused, naming the
/// field, and nothing is created.
#[tokio::test]
async fn an_organisation_name_with_a_line_break_is_refused() {
    let (creator, _) = signed_in("creator").await;
    for name in [
        "Night\r\nBcc: x@example.com",
        "Night\nStudio",
        "Night\tStudio",
    ] {
        let slug = fresh_slug();
        let reply = try_create_org(&creator, &json!({"name": name, "slug": slug})).await;
        reply.expect_status(StatusCode::BAD_REQUEST, "a name with a control character");
        assert!(reply.body.to_string().contains("name"), "{}", reply.body);
        assert!(slug_available(&creator, &slug).await, "nothing was created");
    }
}
