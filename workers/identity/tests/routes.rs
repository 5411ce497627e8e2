//! The identity service's routes in-process (`TestApp`, with the auth and
//! organisation routes merged in to sign users up and make organisations):
//! profile, avatar, upgrade, preferences and account deletion.

use axum::http::StatusCode;
use codex_identity_api::{SERVICE, routes};
use codex_testkit::TestApp;
use serde_json::json;

async fn app() -> TestApp {
    TestApp::new(
        SERVICE,
        routes()
            .merge(codex_auth_worker::routes())
            .merge(codex_org_api::routes()),
    )
    .await
}

/// A valid 1×1 PNG (every chunk whole, every CRC right, no metadata), so
/// it is stored and served byte for byte.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

fn multipart(field: &str, bytes: &[u8]) -> (Vec<u8>, String) {
    let boundary = "codexboundary7";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"a.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

#[tokio::test]
async fn the_profile_is_read_changed_and_checked() {
    let app = app().await;
    let ann = app.sign_up("ann@example.com", "customer").await;
    let bob = app.sign_up("bob@example.com", "customer").await;
    app.get("/api/user/profile")
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let changed = app
        .patch("/api/user/profile")
        .cookie(&ann)
        .json(&json!({"displayName": "Ann Smith", "username": "Ann", "bio": "Films."}))
        .send()
        .await;
    changed.assert_status(StatusCode::OK);
    assert_eq!(changed.json()["data"]["name"], "Ann Smith");
    assert_eq!(changed.json()["data"]["username"], "ann");

    let taken = app
        .patch("/api/user/profile")
        .cookie(&bob)
        .json(&json!({"username": "ann"}))
        .send()
        .await;
    taken.assert_status(StatusCode::CONFLICT);
    let unknown = app
        .patch("/api/user/profile")
        .cookie(&bob)
        .json(&json!({"email": "x@example.com"}))
        .send()
        .await;
    unknown.assert_status(StatusCode::BAD_REQUEST);

    let read = app.get("/api/user/profile").cookie(&ann).send().await;
    assert_eq!(read.json()["data"]["bio"], "Films.");
}

#[tokio::test]
async fn an_avatar_is_stored_served_and_replaced() {
    let app = app().await;
    let ann = app.sign_up("ann@example.com", "customer").await;
    let (body, content_type) = multipart("avatar", PNG);
    let uploaded = app
        .post("/api/user/avatar")
        .cookie(&ann)
        .body(body.clone(), &content_type)
        .send()
        .await;
    uploaded.assert_status(StatusCode::OK);
    let url = uploaded.json()["data"]["avatarUrl"]
        .as_str()
        .expect("a URL")
        .to_owned();
    let path = url
        .split_once("/assets/")
        .map(|(_, key)| format!("/assets/{key}"))
        .expect("served under /assets");
    assert!(path.ends_with("/md.webp"), "{path}");
    let served = app.get(&path).send().await;
    served.assert_status(StatusCode::OK);
    assert_eq!(served.header("content-type"), Some("image/webp"));
    assert!(served.body.starts_with(b"RIFF") && &served.body[8..12] == b"WEBP");
    assert_eq!(uploaded.json()["data"]["mimeType"], "image/webp");
    assert_eq!(uploaded.json()["data"]["size"], served.body.len());
    for other in ["sm", "lg"] {
        app.get(&path.replace("/md.webp", &format!("/{other}.webp")))
            .send()
            .await
            .assert_status(StatusCode::OK);
    }

    // A new upload replaces the old file.
    app.post("/api/user/avatar")
        .cookie(&ann)
        .body(body, &content_type)
        .send()
        .await
        .assert_status(StatusCode::OK);
    app.get(&path)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // Not an image by content: refused, whatever it claims.
    let (disguised, content_type) = multipart("avatar", b"<svg onload=alert(1)></svg>");
    app.post("/api/user/avatar")
        .cookie(&ann)
        .body(disguised, &content_type)
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn public_files_cannot_run_as_documents() {
    let app = app().await;
    let objects = app.ctx().objects();
    objects
        .put(
            "logos/o1/logo.svg",
            br#"<svg xmlns="http://www.w3.org/2000/svg"/>"#.to_vec(),
            Some("image/svg+xml"),
        )
        .await
        .expect("put");
    objects
        .put("avatars/u1/a.png", PNG.to_vec(), Some("image/png"))
        .await
        .expect("put");
    let policy = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

    let svg = app.get("/assets/logos/o1/logo.svg").send().await;
    svg.assert_status(StatusCode::OK);
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
    assert_eq!(svg.header("content-security-policy"), Some(policy));
    assert_eq!(svg.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(svg.header("content-disposition"), Some("attachment"));

    let png = app.get("/assets/avatars/u1/a.png").send().await;
    png.assert_status(StatusCode::OK);
    assert_eq!(png.header("content-security-policy"), Some(policy));
    assert_eq!(png.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        png.header("content-disposition"),
        None,
        "shown, not downloaded"
    );

    // Other routes keep the usual policy.
    let profile = app.get("/api/user/profile").send().await;
    assert!(
        profile
            .header("content-security-policy")
            .is_some_and(|value| value.starts_with("default-src 'self'")),
        "{:?}",
        profile.header("content-security-policy")
    );
}

#[tokio::test]
async fn deleting_an_account_needs_the_word_and_no_owned_organisation() {
    let app = app().await;
    let ann = app.sign_up("ann@example.com", "creator").await;
    app.delete("/api/user/account")
        .cookie(&ann)
        .json(&json!({"confirmation": "yes"}))
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);

    let created = app
        .post("/api/organizations")
        .cookie(&ann)
        .json(&json!({"name": "Studio", "slug": "ann-studio"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let refused = app
        .delete("/api/user/account")
        .cookie(&ann)
        .json(&json!({"confirmation": "DELETE"}))
        .send()
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.json()["error"]["details"]["code"],
        "ACCOUNT_OWNS_ORGANIZATION"
    );

    let id = created.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.delete(&format!("/api/organizations/{id}"))
        .cookie(&ann)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.delete("/api/user/account")
        .cookie(&ann)
        .json(&json!({"confirmation": "DELETE"}))
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.get("/api/user/profile")
        .cookie(&ann)
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn preferences_keep_transactional_mail_on() {
    let app = app().await;
    let ann = app.sign_up("ann@example.com", "customer").await;
    let read = app
        .get("/api/user/notification-preferences")
        .cookie(&ann)
        .send()
        .await;
    assert_eq!(read.json()["data"]["emailMarketing"], true);
    let changed = app
        .put("/api/user/notification-preferences")
        .cookie(&ann)
        .json(&json!({"emailMarketing": false}))
        .send()
        .await;
    assert_eq!(changed.json()["data"]["emailMarketing"], false);
    app.put("/api/user/notification-preferences")
        .cookie(&ann)
        .json(&json!({"emailTransactional": false}))
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn creator_onboarding_is_read_and_moved_on_by_its_owner_only() {
    let app = app().await;
    app.get("/api/user/creator-onboarding")
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.patch("/api/user/creator-onboarding")
        .json(&json!({"welcomeSeen": true}))
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);

    let ann = app.sign_up("ann@example.com", "creator").await;
    let first = app
        .get("/api/user/creator-onboarding")
        .cookie(&ann)
        .send()
        .await;
    first.assert_status(StatusCode::OK);
    let data = &first.json()["data"];
    assert_eq!(data["currentStep"], "essentials", "{data}");
    for moment in ["welcomeSeenAt", "dismissedAt", "completedAt"] {
        assert!(data[moment].is_null(), "{moment}: {data}");
    }
    assert!(data["createdAt"].is_string() && data["updatedAt"].is_string());
    let again = app
        .get("/api/user/creator-onboarding")
        .cookie(&ann)
        .send()
        .await;
    assert_eq!(again.json(), first.json(), "a read changes nothing");

    let patch = |body: serde_json::Value| {
        app.patch("/api/user/creator-onboarding")
            .cookie(&ann)
            .json(&body)
            .send()
    };
    let moved = patch(json!({"currentStep": "payouts"})).await;
    moved.assert_status(StatusCode::OK);
    assert_eq!(moved.json()["data"]["currentStep"], "payouts");
    assert!(moved.json()["data"]["welcomeSeenAt"].is_null());

    let seen = patch(json!({"welcomeSeen": true})).await;
    seen.assert_status(StatusCode::OK);
    let seen_at = seen.json()["data"]["welcomeSeenAt"].clone();
    assert!(seen_at.is_string(), "{}", seen.text());
    assert_eq!(seen.json()["data"]["currentStep"], "payouts", "kept");

    app.clock().advance(std::time::Duration::from_secs(300));
    let twice = patch(json!({"welcomeSeen": true, "dismissed": true})).await;
    twice.assert_status(StatusCode::OK);
    assert_eq!(
        twice.json()["data"]["welcomeSeenAt"],
        seen_at,
        "the first time is kept"
    );
    assert!(twice.json()["data"]["dismissedAt"].is_string());
    assert_ne!(twice.json()["data"]["dismissedAt"], seen_at);

    let done = patch(json!({"completed": true, "currentStep": "finish"})).await;
    done.assert_status(StatusCode::OK);
    assert_eq!(done.json()["data"]["currentStep"], "finish");
    assert!(done.json()["data"]["completedAt"].is_string());

    for bad in [
        json!({}),
        json!({"currentStep": "welcome"}),
        json!({"currentStep": null}),
        json!({"dismissed": false}),
        json!({"welcomeSeen": "yes"}),
        json!({"step": "profile"}),
    ] {
        let refused = patch(bad.clone()).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            refused.text()
        );
        assert_eq!(
            refused.error_code().as_deref(),
            Some("VALIDATION_ERROR"),
            "{bad}"
        );
    }
    let kept = app
        .get("/api/user/creator-onboarding")
        .cookie(&ann)
        .send()
        .await;
    assert_eq!(kept.json()["data"]["currentStep"], "finish");

    // Another user starts from the beginning.
    let bob = app.sign_up("bob@example.com", "customer").await;
    let theirs = app
        .patch("/api/user/creator-onboarding")
        .cookie(&bob)
        .json(&json!({"dismissed": true}))
        .send()
        .await;
    theirs.assert_status(StatusCode::OK);
    assert_eq!(theirs.json()["data"]["currentStep"], "essentials");
    assert!(theirs.json()["data"]["welcomeSeenAt"].is_null());
}

/// The worker signature on a body-less call made now, as
/// `codex_context::ServiceClient` makes it.
fn worker_headers(app: &TestApp, secret: &str) -> [(String, String); 2] {
    let now = app.ctx().clock().now().timestamp();
    [
        ("x-worker-timestamp".to_owned(), now.to_string()),
        (
            "x-worker-signature".to_owned(),
            codex_context::signature::sign(secret.as_bytes(), now, b""),
        ),
    ]
}

async fn membership(
    app: &TestApp,
    org: &str,
    user: &str,
    secret: Option<&str>,
) -> codex_testkit::TestResponse {
    let mut request = app.get(&format!("/api/organizations/{org}/membership/{user}"));
    if let Some(secret) = secret {
        for (name, value) in worker_headers(app, secret) {
            request = request.header(&name, &value);
        }
    }
    request.send().await
}

async fn user_id(app: &TestApp, cookie: &str) -> String {
    app.get("/api/auth/get-session")
        .cookie(cookie)
        .send()
        .await
        .json()["user"]["id"]
        .as_str()
        .expect("a user id")
        .to_owned()
}

#[tokio::test]
async fn the_membership_look_up_answers_signed_calls_only() {
    const SECRET: &str = "test-worker-secret";
    let app = app().await;
    let owner = app.sign_up("owner@example.com", "creator").await;
    let guest = app.sign_up("guest@example.com", "customer").await;
    let (owner_id, guest_id) = (user_id(&app, &owner).await, user_id(&app, &guest).await);
    let created = app
        .post("/api/organizations")
        .cookie(&owner)
        .json(&json!({"name": "Studio", "slug": "the-studio"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let org = created.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let active = membership(&app, &org, &owner_id, Some(SECRET)).await;
    active.assert_status(StatusCode::OK);
    assert_eq!(active.json()["data"]["role"], "owner", "{}", active.text());
    assert!(active.json()["data"]["joinedAt"].is_string());

    let stranger = membership(&app, &org, &guest_id, Some(SECRET)).await;
    stranger.assert_status(StatusCode::OK);
    assert_eq!(
        stranger.json(),
        json!({"data": {"role": null, "joinedAt": null}})
    );

    // An invitation not yet accepted is no membership in force.
    app.ctx()
        .database()
        .execute(
            "INSERT INTO organization_memberships (organization_id, user_id, role, status) \
             VALUES ($1::uuid, $2, 'admin', 'invited')",
            &[org.as_str().into(), guest_id.as_str().into()],
        )
        .await
        .expect("an invited membership");
    let invited = membership(&app, &org, &guest_id, Some(SECRET)).await;
    assert_eq!(
        invited.json(),
        json!({"data": {"role": null, "joinedAt": null}})
    );

    for (what, response) in [
        ("unsigned", membership(&app, &org, &owner_id, None).await),
        (
            "wrong secret",
            membership(&app, &org, &owner_id, Some("another")).await,
        ),
        ("the owner's session", {
            app.get(&format!("/api/organizations/{org}/membership/{owner_id}"))
                .cookie(&owner)
                .send()
                .await
        }),
        (
            "unsigned and malformed",
            membership(&app, "not-a-uuid", &owner_id, None).await,
        ),
    ] {
        assert_eq!(
            response.status,
            StatusCode::UNAUTHORIZED,
            "{what}: {}",
            response.text()
        );
    }
    for (org, user) in [("not-a-uuid", owner_id.as_str()), (org.as_str(), "a%20b")] {
        let malformed = membership(&app, org, user, Some(SECRET)).await;
        malformed.assert_status(StatusCode::BAD_REQUEST);
        assert_eq!(malformed.error_code().as_deref(), Some("VALIDATION_ERROR"));
    }
}
