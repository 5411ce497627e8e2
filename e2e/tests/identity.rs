//! The identity service: profile, avatar, upgrade to creator, account
//! deletion and notification preferences, all behind the session cookie the
//! auth service sets. Every test signs up its own user.

use codex_e2e::accounts::{
    Browser, PASSWORD, assert_any_error_envelope, assert_auth_error, fresh_username,
};
use codex_e2e::{assert_error_envelope, webp_size};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

/// A valid 1x1 transparent PNG.
const TINY_PNG: [u8; 68] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

/// TINY_PNG with the metadata a camera or editor adds after its header: an
/// `eXIf` chunk with a GPS position, a `tEXt` comment and a `tIME` stamp,
/// each with its CRC.
fn png_with_metadata() -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFF_u32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut png = TINY_PNG[..33].to_vec();
    for (kind, data) in [
        (
            &b"eXIf"[..],
            &b"MM\0*\0\0\0\x08\0\0\0\0GPSLatitude 51.5007 N"[..],
        ),
        (b"tEXt", b"Comment\0taken at home, GPS 51.5007 N 0.1246 W"),
        (b"tIME", &[7, 233, 6, 1, 12, 0, 0]),
    ] {
        let mut chunk = u32::try_from(data.len())
            .expect("a small chunk")
            .to_be_bytes()
            .to_vec();
        chunk.extend_from_slice(kind);
        chunk.extend_from_slice(data);
        let crc = crc32(&chunk[4..]);
        chunk.extend_from_slice(&crc.to_be_bytes());
        png.extend(chunk);
    }
    png.extend_from_slice(&TINY_PNG[33..]);
    png
}

/// A form with one file field.
fn file_form(field: &str, bytes: Vec<u8>, file_name: &str, mime: &str) -> Form {
    let part = Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(mime)
        .expect("a valid MIME type");
    Form::new().part(field.to_owned(), part)
}

/// The profile (`data`), asserting 200.
async fn profile_of(browser: &Browser) -> Value {
    let reply = browser.profile().await;
    reply.expect_status(StatusCode::OK, "profile");
    reply.body["data"].clone()
}

/// A signed-in customer.
async fn signed_in() -> Browser {
    let mut browser = Browser::new();
    browser.fast_register("customer").await;
    browser
}

#[tokio::test]
async fn every_route_needs_a_session() {
    for cookie in [None, Some("not-a-real-session-token")] {
        let browser = Browser::new().holding(cookie);
        let requests = [
            ("GET profile", browser.get("identity", "/api/user/profile")),
            (
                "PATCH profile",
                browser
                    .patch("identity", "/api/user/profile")
                    .json(&json!({"bio": "hello"})),
            ),
            (
                "POST avatar",
                browser
                    .post("identity", "/api/user/avatar")
                    .multipart(file_form("avatar", TINY_PNG.to_vec(), "a.png", "image/png")),
            ),
            (
                "DELETE avatar",
                browser.delete("identity", "/api/user/avatar"),
            ),
            (
                "upgrade",
                browser
                    .post("identity", "/api/user/upgrade-to-creator")
                    .json(&json!({"username": fresh_username()})),
            ),
            (
                "DELETE account",
                browser
                    .delete("identity", "/api/user/account")
                    .json(&json!({"confirmation": "DELETE"})),
            ),
            (
                "GET preferences",
                browser.get("identity", "/api/user/notification-preferences"),
            ),
            (
                "PUT preferences",
                browser
                    .put("identity", "/api/user/notification-preferences")
                    .json(&json!({"emailMarketing": false})),
            ),
        ];
        for (what, request) in requests {
            let reply = browser.call(request).await;
            reply.expect_status(StatusCode::UNAUTHORIZED, &format!("{what} with {cookie:?}"));
            assert_error_envelope(&reply.body, "UNAUTHORIZED");
        }
    }
}

#[tokio::test]
async fn the_profile_shows_the_signed_in_user() {
    let mut browser = Browser::new();
    let account = browser.fast_register("customer").await;
    let profile = profile_of(&browser).await;
    assert_eq!(profile["id"], account.id.as_str(), "{profile}");
    assert_eq!(profile["email"], account.email.as_str(), "{profile}");
    assert_eq!(profile["name"], "E2E Tester", "{profile}");
    assert_eq!(profile["emailVerified"], true, "{profile}");
    assert_eq!(profile["role"], "customer", "{profile}");
    for field in ["image", "username", "bio"] {
        assert!(profile[field].is_null(), "{field}: {profile}");
    }
    assert!(profile.get("socialLinks").is_some(), "{profile}");
    for field in ["createdAt", "updatedAt"] {
        assert!(
            profile[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}: {profile}"
        );
    }
}

#[tokio::test]
async fn profile_updates_are_saved() {
    let browser = signed_in().await;
    let username = fresh_username();
    let reply = browser
        .call(browser.patch("identity", "/api/user/profile").json(&json!({
            "displayName": "Renamed Tester",
            "username": username,
            "bio": "Writes tests.",
            "socialLinks": {"website": "https://example.com/me"},
        })))
        .await;
    reply.expect_status(StatusCode::OK, "PATCH profile");
    let updated = &reply.body["data"];
    assert_eq!(updated["name"], "Renamed Tester", "{updated}");
    assert_eq!(updated["username"], username.as_str(), "{updated}");
    assert_eq!(updated["bio"], "Writes tests.", "{updated}");
    assert_eq!(
        updated["socialLinks"]["website"], "https://example.com/me",
        "{updated}"
    );

    let read = profile_of(&browser).await;
    assert_eq!(read["name"], "Renamed Tester", "{read}");
    assert_eq!(read["username"], username.as_str(), "{read}");
    assert_eq!(read["bio"], "Writes tests.", "{read}");
    assert_eq!(
        read["socialLinks"]["website"], "https://example.com/me",
        "{read}"
    );
    let session = browser.session().await;
    assert_eq!(session["user"]["name"], "Renamed Tester", "{session}");
}

#[tokio::test]
async fn a_username_taken_by_another_user_is_refused() {
    let first = signed_in().await;
    let second = signed_in().await;
    let username = fresh_username();
    first
        .call(
            first
                .patch("identity", "/api/user/profile")
                .json(&json!({"username": username})),
        )
        .await
        .expect_status(StatusCode::OK, "first claim");

    let taken = second
        .call(
            second
                .patch("identity", "/api/user/profile")
                .json(&json!({"username": username})),
        )
        .await;
    taken.expect_status(StatusCode::CONFLICT, "second claim");
    assert_error_envelope(&taken.body, "CONFLICT");
    assert_eq!(
        taken.body["error"]["message"], "Username already taken",
        "{}",
        taken.body
    );
    let profile = profile_of(&second).await;
    assert!(profile["username"].is_null(), "{profile}");
}

#[tokio::test]
async fn bad_profile_updates_are_refused_and_change_nothing() {
    let browser = signed_in().await;
    let before = profile_of(&browser).await;
    let cases = [
        ("unknown field", json!({"role": "admin"})),
        ("username with spaces", json!({"username": "Bad Name!"})),
        ("501-character bio", json!({"bio": "b".repeat(501)})),
        (
            "script URL",
            json!({"socialLinks": {"website": "javascript:alert(1)"}}),
        ),
        ("empty display name", json!({"displayName": ""})),
    ];
    for (what, body) in cases {
        let reply = browser
            .call(browser.patch("identity", "/api/user/profile").json(&body))
            .await;
        reply.expect_status(StatusCode::BAD_REQUEST, what);
        assert_error_envelope(&reply.body, "VALIDATION_ERROR");
        let after = profile_of(&browser).await;
        assert_eq!(after, before, "{what} changed the profile");
    }
}

#[tokio::test]
async fn an_uploaded_avatar_is_served_and_shown_until_removed() {
    let browser = signed_in().await;
    let reply = browser
        .call(
            browser
                .post("identity", "/api/user/avatar")
                .multipart(file_form(
                    "avatar",
                    TINY_PNG.to_vec(),
                    "me.png",
                    "image/png",
                )),
        )
        .await;
    reply.expect_status(StatusCode::OK, "upload");
    let data = &reply.body["data"];
    assert_eq!(data["mimeType"], "image/webp", "{data}");
    let avatar_url = data["avatarUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("avatarUrl: {data}"))
        .to_owned();
    assert!(avatar_url.starts_with("http"), "absolute URL: {avatar_url}");

    let (status, content_type, bytes) = browser.download(&avatar_url).await;
    assert_eq!(status, StatusCode::OK, "GET {avatar_url}");
    assert_eq!(
        content_type.as_deref(),
        Some("image/webp"),
        "GET {avatar_url}"
    );
    assert_eq!(data["size"], bytes.len(), "{data}");
    assert_eq!(webp_size(&bytes), Some((1, 1)), "the picture, as WebP");

    let profile = profile_of(&browser).await;
    assert_eq!(profile["image"], avatar_url.as_str(), "{profile}");

    let removed = browser
        .call(browser.delete("identity", "/api/user/avatar"))
        .await;
    removed.expect_status(StatusCode::NO_CONTENT, "DELETE avatar");
    let profile = profile_of(&browser).await;
    assert!(profile["image"].is_null(), "{profile}");
}

#[tokio::test]
async fn an_avatar_is_served_without_its_metadata() {
    let browser = signed_in().await;
    let photo = png_with_metadata();
    let reply = browser
        .call(
            browser
                .post("identity", "/api/user/avatar")
                .multipart(file_form("avatar", photo, "me.png", "image/png")),
        )
        .await;
    reply.expect_status(StatusCode::OK, "upload");
    let avatar_url = reply.body["data"]["avatarUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("avatarUrl: {}", reply.body))
        .to_owned();

    let (status, content_type, bytes) = browser.download(&avatar_url).await;
    assert_eq!(status, StatusCode::OK, "GET {avatar_url}");
    assert_eq!(content_type.as_deref(), Some("image/webp"));
    for gone in [&b"GPS"[..], b"eXIf", b"tEXt", b"tIME", b"taken at home"] {
        assert!(
            !bytes.windows(gone.len()).any(|window| window == gone),
            "{} kept",
            String::from_utf8_lossy(gone)
        );
    }
    assert_eq!(
        webp_size(&bytes),
        Some((1, 1)),
        "the 1×1 picture, re-encoded to WebP"
    );
}

#[tokio::test]
async fn avatars_that_are_not_small_images_are_refused() {
    let browser = signed_in().await;

    let text = browser
        .call(
            browser
                .post("identity", "/api/user/avatar")
                .multipart(file_form(
                    "avatar",
                    b"just some text, not an image".to_vec(),
                    "fake.png",
                    "image/png",
                )),
        )
        .await;
    text.expect_status(StatusCode::BAD_REQUEST, "text declared as PNG");
    assert_error_envelope(&text.body, "VALIDATION_ERROR");

    let mut large = vec![0_u8; 5 * 1024 * 1024 + 1];
    large[..8].copy_from_slice(&TINY_PNG[..8]);
    let too_large = browser
        .call(
            browser
                .post("identity", "/api/user/avatar")
                .multipart(file_form("avatar", large, "big.png", "image/png")),
        )
        .await;
    too_large.expect_status(StatusCode::BAD_REQUEST, "over 5 MB");
    assert_error_envelope(&too_large.body, "VALIDATION_ERROR");

    let no_field = browser
        .call(
            browser
                .post("identity", "/api/user/avatar")
                .multipart(file_form(
                    "picture",
                    TINY_PNG.to_vec(),
                    "me.png",
                    "image/png",
                )),
        )
        .await;
    no_field.expect_status(StatusCode::BAD_REQUEST, "no avatar field");
    assert_any_error_envelope(&no_field.body);

    let profile = profile_of(&browser).await;
    assert!(profile["image"].is_null(), "nothing stored: {profile}");
}

#[tokio::test]
async fn a_customer_upgrades_to_creator_once() {
    let browser = signed_in().await;
    let username = fresh_username();
    let reply = browser
        .call(
            browser
                .post("identity", "/api/user/upgrade-to-creator")
                .json(&json!({"username": username, "bio": "I make things."})),
        )
        .await;
    reply.expect_status(StatusCode::OK, "upgrade");
    let data = &reply.body["data"];
    assert_eq!(data["role"], "creator", "{data}");
    assert_eq!(data["username"], username.as_str(), "{data}");
    assert_eq!(data["bio"], "I make things.", "{data}");

    let session = browser.session().await;
    assert_eq!(session["user"]["role"], "creator", "{session}");
    assert_eq!(profile_of(&browser).await["role"], "creator");

    let again = browser
        .call(
            browser
                .post("identity", "/api/user/upgrade-to-creator")
                .json(&json!({"username": fresh_username()})),
        )
        .await;
    again.expect_status(StatusCode::UNPROCESSABLE_ENTITY, "second upgrade");
    assert_error_envelope(&again.body, "BUSINESS_LOGIC_ERROR");
    assert_eq!(profile_of(&browser).await["username"], username.as_str());
}

#[tokio::test]
async fn deleting_the_account_needs_the_exact_confirmation_and_ends_everything() {
    let mut browser = Browser::new();
    let account = browser.fast_register("customer").await;

    let lower = browser
        .call(
            browser
                .delete("identity", "/api/user/account")
                .json(&json!({"confirmation": "delete"})),
        )
        .await;
    lower.expect_status(StatusCode::BAD_REQUEST, "lower-case confirmation");
    assert_any_error_envelope(&lower.body);
    assert_eq!(profile_of(&browser).await["id"], account.id.as_str());

    let deleted = browser
        .call(
            browser
                .delete("identity", "/api/user/account")
                .json(&json!({"confirmation": "DELETE"})),
        )
        .await;
    deleted.expect_status(StatusCode::NO_CONTENT, "DELETE account");

    let profile = browser.profile().await;
    profile.expect_status(StatusCode::UNAUTHORIZED, "profile after deletion");
    assert_error_envelope(&profile.body, "UNAUTHORIZED");
    let session = browser.session().await;
    assert!(session.is_null(), "session after deletion: {session}");

    let mut fresh = Browser::new();
    let refused = fresh.sign_in(&account.email, PASSWORD).await;
    refused.expect_status(StatusCode::UNAUTHORIZED, "sign-in after deletion");
    assert_auth_error(&refused.body, "INVALID_EMAIL_OR_PASSWORD");
}

#[tokio::test]
async fn notification_preferences_default_on_and_keep_transactional_mail() {
    let browser = signed_in().await;
    let path = "/api/user/notification-preferences";

    let defaults = browser.call(browser.get("identity", path)).await;
    defaults.expect_status(StatusCode::OK, "GET preferences");
    let data = &defaults.body["data"];
    for field in ["emailMarketing", "emailTransactional", "emailDigest"] {
        assert_eq!(data[field], true, "{field}: {data}");
    }
    for field in ["createdAt", "updatedAt"] {
        assert!(
            data[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}: {data}"
        );
    }

    let updated = browser
        .call(
            browser
                .put("identity", path)
                .json(&json!({"emailMarketing": false})),
        )
        .await;
    updated.expect_status(StatusCode::OK, "PUT preferences");
    let data = &updated.body["data"];
    assert_eq!(data["emailMarketing"], false, "{data}");
    assert_eq!(data["emailTransactional"], true, "{data}");
    assert_eq!(data["emailDigest"], true, "{data}");

    let read = browser.call(browser.get("identity", path)).await;
    read.expect_status(StatusCode::OK, "GET preferences again");
    assert_eq!(read.body["data"]["emailMarketing"], false, "{}", read.body);
    assert_eq!(read.body["data"]["emailTransactional"], true);
    assert_eq!(read.body["data"]["emailDigest"], true);

    let refused = browser
        .call(
            browser
                .put("identity", path)
                .json(&json!({"emailTransactional": false})),
        )
        .await;
    refused.expect_status(StatusCode::BAD_REQUEST, "transactional off");
    assert_error_envelope(&refused.body, "VALIDATION_ERROR");
    let after = browser.call(browser.get("identity", path)).await;
    assert_eq!(
        after.body["data"]["emailTransactional"], true,
        "{}",
        after.body
    );
    assert_eq!(
        after.body["data"]["emailMarketing"], false,
        "{}",
        after.body
    );
}
