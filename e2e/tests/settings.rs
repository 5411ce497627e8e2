//! Organisation settings: branding, contact and features, the logo (PNG
//! re-encoded to WebP at three widths, SVG stripped of active content), and who may read
//! and change them. Every test makes its own users and organisation.

use codex_e2e::accounts::{Browser, Reply};
use codex_e2e::organisations::{
    ORG, TINY_PNG, assert_field_error, assert_refused, file_form, id_of, join, org_path,
    owner_with_org, public_branding, public_info, settings, signed_in, text_of,
};
use codex_e2e::{assert_error_envelope, webp_size};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The hero layouts a branding update accepts.
const HERO_LAYOUTS: [&str; 10] = [
    "default",
    "centered",
    "logo-hero",
    "minimal",
    "split",
    "magazine",
    "asymmetric",
    "portrait",
    "gallery",
    "stacked",
];

/// An SVG with a script, an event handler, foreign HTML and an outside
/// image around one harmless circle.
const HOSTILE_SVG: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32" viewBox="0 0 32 32" onload="alert(2)">
  <script>alert(1)</script>
  <circle cx="16" cy="16" r="12" fill="#3B82F6"/>
  <foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>
  <image href="https://evil.example/x.png" width="4" height="4"/>
</svg>
"##;

/// An SVG whose `javascript:` links are hidden from a filter that reads
/// attribute values as written: character references and tabs inside
/// animations that retarget `href`, an encoded link, an outside `use`, a
/// style sheet and handlers.
const ENCODED_SCRIPT_SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" \
     xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"32\" height=\"32\">\
     <a id=\"l\"><animate attributeName=\"href\" values=\"jav&#x61;script:alert(1)\"/>\
     <set attributeName=\"href\" to=\"java&#x09;script:alert(2)\"/>\
     <rect width=\"32\" height=\"32\" fill=\"#10B981\"/></a>\
     <a xlink:href=\"jav&#x09;ascript:alert(3)\"><circle cx=\"16\" cy=\"16\" r=\"8\"/></a>\
     <use href=\"https://evil.example/sprite.svg#icon\"/>\
     <style>rect { fill: url(javascript:alert(4)) }</style>\
     <foreignObject><iframe xmlns=\"http://www.w3.org/1999/xhtml\" src=\"javascript:alert(5)\"/></foreignObject>\
     <g onclick=\"alert(6)\" style=\"fill:url(&quot;java&#9;script:alert(7)&quot;)\"/>\
     </svg>";

/// `text` as a browser would read it: character references decoded,
/// whitespace and control characters gone, lower case.
fn as_read(text: &str) -> String {
    let mut decoded = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("&#") {
        decoded.push_str(&rest[..start]);
        let reference = &rest[start + 2..];
        let end = reference.find(';').unwrap_or(reference.len());
        let number = &reference[..end];
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => number.parse().ok(),
        };
        match code.and_then(char::from_u32) {
            Some(character) => decoded.push(character),
            None => decoded.push_str(&rest[start..start + 2 + end]),
        }
        rest = reference.get(end + 1..).unwrap_or_default();
    }
    decoded.push_str(rest);
    decoded
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .flat_map(char::to_lowercase)
        .collect()
}

/// `PUT /api/organizations/{id}/settings/{section}` with `body`.
async fn put_section(browser: &Browser, org_id: &str, section: &str, body: &Value) -> Reply {
    browser
        .call(
            browser
                .put(ORG, &org_path(org_id, &format!("/settings/{section}")))
                .json(body),
        )
        .await
}

/// `POST /api/organizations/{id}/settings/branding/logo` with one file.
async fn upload_logo(
    browser: &Browser,
    org_id: &str,
    field: &str,
    bytes: Vec<u8>,
    file_name: &str,
    mime: &str,
) -> Reply {
    browser
        .call(
            browser
                .post(ORG, &org_path(org_id, "/settings/branding/logo"))
                .multipart(file_form(field, bytes, file_name, mime)),
        )
        .await
}

/// The settings (`data`) as a manager sees them, asserting 200.
async fn settings_of(browser: &Browser, org_id: &str) -> Value {
    let reply = settings(browser, org_id).await;
    reply.expect_status(StatusCode::OK, "GET settings");
    reply.body["data"].clone()
}

/// A number field as `f64`, failing with the object when it is not one.
fn number(value: &Value, field: &str) -> f64 {
    value[field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field}: {value}"))
}

#[tokio::test]
async fn settings_start_with_the_defaults_and_only_managers_read_them() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let data = settings_of(&owner, &id).await;

    let branding = &data["branding"];
    assert_eq!(branding["primaryColorHex"], "#3B82F6", "{data}");
    assert_eq!(number(branding, "radiusValue"), 0.5, "{data}");
    assert_eq!(number(branding, "densityValue"), 1.0, "{data}");
    assert_eq!(branding["heroLayout"], "default", "{data}");
    for field in [
        "logoUrl",
        "secondaryColorHex",
        "accentColorHex",
        "backgroundColorHex",
        "fontBody",
        "fontHeading",
    ] {
        assert!(
            branding.get(field).is_some_and(Value::is_null),
            "{field}: {data}"
        );
    }
    assert_eq!(
        data["contact"],
        json!({
            "platformName": "Codex Platform",
            "supportEmail": "support@example.com",
            "contactUrl": null,
            "timezone": "UTC",
            "twitterUrl": null,
            "youtubeUrl": null,
            "instagramUrl": null,
            "tiktokUrl": null,
        }),
        "{data}"
    );
    assert_eq!(
        data["features"],
        json!({"enableSignups": true, "enablePurchases": true, "enableSubscriptions": false}),
        "{data}"
    );

    let (admin, _) = join(&owner, &id, "admin").await;
    assert_eq!(settings_of(&admin, &id).await, data, "the admin's view");

    let (member, _) = join(&owner, &id, "member").await;
    let (creator, _) = join(&owner, &id, "creator").await;
    let (stranger, _) = signed_in("creator").await;
    for (who, browser) in [
        ("member", &member),
        ("creator member", &creator),
        ("stranger", &stranger),
    ] {
        assert_refused(
            &settings(browser, &id).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            &format!("GET settings as a {who}"),
        );
    }
    assert_refused(
        &settings(&Browser::new(), &id).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        "GET settings anonymously",
    );
}

#[tokio::test]
async fn branding_is_saved_in_part_upper_cased_and_shown_publicly() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let slug = text_of(&org, "slug");

    let first = put_section(
        &owner,
        &id,
        "branding",
        &json!({
            "primaryColorHex": "#abcdef",
            "secondaryColorHex": "#123456",
            "fontBody": "Inter",
            "fontHeading": "Playfair Display 2",
            "radiusValue": 1.0,
            "heroLayout": "split",
        }),
    )
    .await;
    first.expect_status(StatusCode::OK, "PUT branding");
    let data = &first.body["data"];
    assert_eq!(data["primaryColorHex"], "#ABCDEF", "{data}");
    assert_eq!(data["secondaryColorHex"], "#123456", "{data}");
    assert_eq!(data["fontBody"], "Inter", "{data}");
    assert_eq!(data["fontHeading"], "Playfair Display 2", "{data}");
    assert_eq!(number(data, "radiusValue"), 1.0, "{data}");
    assert_eq!(number(data, "densityValue"), 1.0, "untouched: {data}");
    assert_eq!(data["heroLayout"], "split", "{data}");
    assert!(data["accentColorHex"].is_null(), "{data}");

    let faq = json!([
        {"id": uuid::Uuid::new_v4(), "question": "Can I cancel?", "answer": "Yes, at any time.", "order": 0},
        {"id": uuid::Uuid::new_v4(), "question": "Is there a trial?", "answer": "Seven days.", "order": 1},
    ])
    .to_string();
    let tuned = put_section(
        &owner,
        &id,
        "branding",
        &json!({"tokenOverrides": "{\"--radius\":\"6px\"}", "pricingFaq": faq}),
    )
    .await;
    tuned.expect_status(StatusCode::OK, "PUT fine tuning");
    assert_eq!(
        tuned.body["data"]["pricingFaq"],
        faq.as_str(),
        "{}",
        tuned.body
    );
    let info = public_info(&slug).await;
    info.expect_status(StatusCode::OK, "public info after fine tuning");
    assert_eq!(
        info.body["data"]["brandFineTune"]["tokenOverrides"], "{\"--radius\":\"6px\"}",
        "{}",
        info.body
    );

    let second = put_section(
        &owner,
        &id,
        "branding",
        &json!({"accentColorHex": "#00ff7f", "backgroundColorHex": "#FAFAFA"}),
    )
    .await;
    second.expect_status(StatusCode::OK, "partial PUT branding");
    let data = second.body["data"].clone();
    assert_eq!(data["accentColorHex"], "#00FF7F", "{data}");
    assert_eq!(data["backgroundColorHex"], "#FAFAFA", "{data}");
    assert_eq!(data["primaryColorHex"], "#ABCDEF", "kept: {data}");
    assert_eq!(data["fontBody"], "Inter", "kept: {data}");
    assert_eq!(data["heroLayout"], "split", "kept: {data}");

    assert_eq!(settings_of(&owner, &id).await["branding"], data);
    let public = public_branding(&slug).await;
    public.expect_status(StatusCode::OK, "public branding");
    assert_eq!(public.body["data"], data, "public branding");
    let info = public_info(&slug).await;
    info.expect_status(StatusCode::OK, "public info");
    assert_eq!(
        info.body["data"]["brandColors"],
        json!({"primary": "#ABCDEF", "secondary": "#123456", "accent": "#00FF7F", "background": "#FAFAFA"}),
        "{}",
        info.body
    );
    assert_eq!(
        info.body["data"]["brandFonts"],
        json!({"body": "Inter", "heading": "Playfair Display 2"}),
        "{}",
        info.body
    );
    assert_eq!(
        number(&info.body["data"], "brandRadius"),
        1.0,
        "{}",
        info.body
    );

    for layout in HERO_LAYOUTS {
        let reply = put_section(&owner, &id, "branding", &json!({"heroLayout": layout})).await;
        reply.expect_status(StatusCode::OK, &format!("heroLayout {layout}"));
        assert_eq!(reply.body["data"]["heroLayout"], layout, "{}", reply.body);
    }
}

#[tokio::test]
async fn bad_branding_is_refused_and_changes_nothing() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let slug = text_of(&org, "slug");
    let before = settings_of(&owner, &id).await;

    let cases = [
        ("primaryColorHex", json!("red")),
        ("primaryColorHex", json!("#12345")),
        ("radiusValue", json!(2.5)),
        ("densityValue", json!(0.5)),
        ("heroLayout", json!("weird")),
        ("fontBody", json!("<script>")),
        ("fontHeading", json!("F".repeat(51))),
        ("tokenOverrides", json!("[1, 2]")),
        ("darkModeOverrides", json!("{not json")),
        (
            "pricingFaq",
            json!(json!([{"id": uuid::Uuid::new_v4(), "question": "Q?", "answer": "<b>A</b>", "order": 0}]).to_string()),
        ),
    ];
    for (field, value) in cases {
        let mut body = json!({"secondaryColorHex": "#010203"});
        body[field] = value.clone();
        let reply = put_section(&owner, &id, "branding", &body).await;
        assert_field_error(&reply, field, &format!("{field} = {value}"));
    }
    assert_eq!(settings_of(&owner, &id).await, before, "nothing changed");
    let public = public_branding(&slug).await;
    public.expect_status(StatusCode::OK, "public branding");
    assert_eq!(public.body["data"], before["branding"], "public branding");

    let (member, _) = join(&owner, &id, "member").await;
    assert_refused(
        &put_section(
            &member,
            &id,
            "branding",
            &json!({"primaryColorHex": "#FF0000"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "a member changes the branding",
    );
    assert_eq!(settings_of(&owner, &id).await, before, "nothing changed");
}

#[tokio::test]
async fn contact_settings_are_saved_in_part_and_checked() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);

    let first = put_section(
        &owner,
        &id,
        "contact",
        &json!({
            "supportEmail": "help@example.com",
            "contactUrl": "https://example.com/contact",
            "twitterUrl": "https://twitter.com/codex",
            "youtubeUrl": "https://youtube.com/codex",
        }),
    )
    .await;
    first.expect_status(StatusCode::OK, "PUT contact");
    let data = &first.body["data"];
    assert_eq!(data["supportEmail"], "help@example.com", "{data}");
    assert_eq!(data["contactUrl"], "https://example.com/contact", "{data}");
    assert_eq!(data["twitterUrl"], "https://twitter.com/codex", "{data}");
    assert_eq!(data["youtubeUrl"], "https://youtube.com/codex", "{data}");
    assert_eq!(data["platformName"], "Codex Platform", "untouched: {data}");
    assert_eq!(data["timezone"], "UTC", "untouched: {data}");
    assert!(data["instagramUrl"].is_null(), "{data}");

    let second = put_section(
        &owner,
        &id,
        "contact",
        &json!({"platformName": "E2E Platform"}),
    )
    .await;
    second.expect_status(StatusCode::OK, "partial PUT contact");
    let data = second.body["data"].clone();
    assert_eq!(data["platformName"], "E2E Platform", "{data}");
    assert_eq!(data["supportEmail"], "help@example.com", "kept: {data}");
    assert_eq!(
        data["twitterUrl"], "https://twitter.com/codex",
        "kept: {data}"
    );
    assert_eq!(settings_of(&owner, &id).await["contact"], data);

    for (field, value) in [
        ("supportEmail", "nope"),
        ("platformName", ""),
        ("twitterUrl", "ftp://x"),
        ("contactUrl", "javascript:alert(1)"),
    ] {
        let reply = put_section(&owner, &id, "contact", &json!({ field: value })).await;
        assert_field_error(&reply, field, &format!("{field} = {value:?}"));
    }
    assert_eq!(
        settings_of(&owner, &id).await["contact"],
        data,
        "nothing changed"
    );

    let (member, _) = join(&owner, &id, "member").await;
    assert_refused(
        &put_section(
            &member,
            &id,
            "contact",
            &json!({"platformName": "E2E Hijack"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "a member changes the contact",
    );
    assert_eq!(settings_of(&owner, &id).await["contact"], data);
}

#[tokio::test]
async fn features_are_saved_in_part_and_subscriptions_show_publicly() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let slug = text_of(&org, "slug");
    let before = public_info(&slug).await;
    before.expect_status(StatusCode::OK, "public info before");
    assert_eq!(
        before.body["data"]["enableSubscriptions"], false,
        "{}",
        before.body
    );

    let on = put_section(
        &owner,
        &id,
        "features",
        &json!({"enableSubscriptions": true}),
    )
    .await;
    on.expect_status(StatusCode::OK, "PUT features");
    assert_eq!(
        on.body["data"],
        json!({"enableSignups": true, "enablePurchases": true, "enableSubscriptions": true}),
        "{}",
        on.body
    );
    let after = public_info(&slug).await;
    after.expect_status(StatusCode::OK, "public info after");
    assert_eq!(
        after.body["data"]["enableSubscriptions"], true,
        "{}",
        after.body
    );

    let off = put_section(&owner, &id, "features", &json!({"enablePurchases": false})).await;
    off.expect_status(StatusCode::OK, "partial PUT features");
    let expected =
        json!({"enableSignups": true, "enablePurchases": false, "enableSubscriptions": true});
    assert_eq!(off.body["data"], expected, "{}", off.body);

    let refused = put_section(&owner, &id, "features", &json!({"enableSignups": "no"})).await;
    assert_refused(
        &refused,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "a string flag",
    );
    let (member, _) = join(&owner, &id, "creator").await;
    assert_refused(
        &put_section(&member, &id, "features", &json!({"enableSignups": false})).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "a member changes the features",
    );
    assert_eq!(settings_of(&owner, &id).await["features"], expected);
}

#[tokio::test]
async fn a_png_logo_is_served_to_anyone_and_can_be_removed() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let slug = text_of(&org, "slug");

    let uploaded = upload_logo(
        &owner,
        &id,
        "logo",
        TINY_PNG.to_vec(),
        "logo.png",
        "image/png",
    )
    .await;
    uploaded.expect_status(StatusCode::OK, "upload a PNG logo");
    let data = &uploaded.body["data"];
    assert_eq!(data["primaryColorHex"], "#3B82F6", "branding: {data}");
    let logo_url = text_of(data, "logoUrl");
    assert!(logo_url.starts_with("http"), "absolute URL: {logo_url}");

    let (status, content_type, bytes) = Browser::new().download(&logo_url).await;
    assert_eq!(status, StatusCode::OK, "GET {logo_url}");
    assert_eq!(
        content_type.as_deref(),
        Some("image/webp"),
        "GET {logo_url}"
    );
    assert_eq!(webp_size(&bytes), Some((1, 1)), "the picture, as WebP");
    assert!(logo_url.ends_with("/md.webp"), "{logo_url}");
    for other in ["sm", "lg"] {
        let beside = logo_url.replace("/md.webp", &format!("/{other}.webp"));
        let (status, _, _) = Browser::new().download(&beside).await;
        assert_eq!(status, StatusCode::OK, "GET {beside}");
    }

    assert_eq!(
        settings_of(&owner, &id).await["branding"]["logoUrl"],
        logo_url.as_str()
    );
    let public = public_branding(&slug).await;
    assert_eq!(
        public.body["data"]["logoUrl"],
        logo_url.as_str(),
        "{}",
        public.body
    );
    let info = public_info(&slug).await;
    assert_eq!(
        info.body["data"]["logoUrl"],
        logo_url.as_str(),
        "{}",
        info.body
    );

    let (member, _) = join(&owner, &id, "member").await;
    let by_member = member
        .call(member.delete(ORG, &org_path(&id, "/settings/branding/logo")))
        .await;
    assert_refused(
        &by_member,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "a member removes the logo",
    );
    let upload_by_member = upload_logo(
        &member,
        &id,
        "logo",
        TINY_PNG.to_vec(),
        "logo.png",
        "image/png",
    )
    .await;
    assert_refused(
        &upload_by_member,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "a member uploads a logo",
    );

    let removed = owner
        .call(owner.delete(ORG, &org_path(&id, "/settings/branding/logo")))
        .await;
    removed.expect_status(StatusCode::OK, "remove the logo");
    assert!(
        removed.body["data"]
            .get("logoUrl")
            .is_some_and(Value::is_null),
        "{}",
        removed.body
    );
    assert!(
        settings_of(&owner, &id).await["branding"]["logoUrl"].is_null(),
        "removed from the settings"
    );
    let public = public_branding(&slug).await;
    assert!(
        public.body["data"]["logoUrl"].is_null(),
        "removed from the public branding: {}",
        public.body
    );
}

#[tokio::test]
async fn logos_that_are_not_images_are_refused() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);

    let text = upload_logo(
        &owner,
        &id,
        "logo",
        b"just some text, not an image".to_vec(),
        "fake.png",
        "image/png",
    )
    .await;
    assert_refused(
        &text,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "text declared as PNG",
    );

    let mut large = vec![0_u8; 5 * 1024 * 1024 + 1];
    large[..TINY_PNG.len()].copy_from_slice(&TINY_PNG);
    let too_large = upload_logo(&owner, &id, "logo", large, "big.png", "image/png").await;
    too_large.expect_status(StatusCode::BAD_REQUEST, "over 5 MB");
    assert_error_envelope(&too_large.body, "VALIDATION_ERROR");

    let no_field = upload_logo(
        &owner,
        &id,
        "picture",
        TINY_PNG.to_vec(),
        "logo.png",
        "image/png",
    )
    .await;
    no_field.expect_status(StatusCode::BAD_REQUEST, "no logo field");

    assert!(
        settings_of(&owner, &id).await["branding"]["logoUrl"].is_null(),
        "nothing stored"
    );
}

#[tokio::test]
async fn an_svg_logo_is_stored_without_its_active_content() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);

    let uploaded = upload_logo(
        &owner,
        &id,
        "logo",
        HOSTILE_SVG.as_bytes().to_vec(),
        "logo.svg",
        "image/svg+xml",
    )
    .await;
    uploaded.expect_status(StatusCode::OK, "upload an SVG logo");
    let logo_url = text_of(&uploaded.body["data"], "logoUrl");

    let (status, _, bytes) = Browser::new().download(&logo_url).await;
    assert_eq!(status, StatusCode::OK, "GET {logo_url}");
    let stored = String::from_utf8_lossy(&bytes).into_owned();
    let lower = stored.to_lowercase();
    for banned in ["<script", "onload", "foreignobject", "evil.example"] {
        assert!(!lower.contains(banned), "{banned} kept in: {stored}");
    }
    for kept in ["<svg", "<circle"] {
        assert!(lower.contains(kept), "{kept} lost from: {stored}");
    }
}

#[tokio::test]
async fn an_svg_logo_keeps_no_encoded_script_and_cannot_be_opened_as_a_page() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);

    let uploaded = upload_logo(
        &owner,
        &id,
        "logo",
        ENCODED_SCRIPT_SVG.as_bytes().to_vec(),
        "logo.svg",
        "image/svg+xml",
    )
    .await;
    uploaded.expect_status(StatusCode::OK, "upload an SVG logo");
    let logo_url = text_of(&uploaded.body["data"], "logoUrl");

    let response = codex_e2e::client()
        .get(&logo_url)
        .send()
        .await
        .expect("GET the logo");
    assert_eq!(response.status(), StatusCode::OK, "GET {logo_url}");
    let headers = response.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let stored = String::from_utf8_lossy(&response.bytes().await.expect("the logo")).into_owned();
    let read = as_read(&stored);
    for banned in [
        "javascript",
        "alert",
        "evil.example",
        "<animate",
        "<set",
        "<style",
        "foreignobject",
        "onclick",
    ] {
        assert!(!read.contains(banned), "{banned} kept in: {stored}");
    }
    for kept in ["<svg", "<rect", "<circle"] {
        assert!(read.contains(kept), "{kept} lost from: {stored}");
    }
    assert_eq!(
        header("content-type").as_deref(),
        Some("image/svg+xml"),
        "GET {logo_url}"
    );
    let policy = header("content-security-policy").unwrap_or_default();
    assert!(
        policy.starts_with("default-src 'none'") && !policy.contains("script-src"),
        "policy: {policy}"
    );
    assert!(
        header("content-disposition").is_some_and(|value| value.starts_with("attachment")),
        "{:?}",
        header("content-disposition")
    );
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
}
