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
    let served = app.get(&path).send().await;
    served.assert_status(StatusCode::OK);
    assert_eq!(served.body, PNG);

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
