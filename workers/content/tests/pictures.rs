//! Content thumbnails and category covers in-process: uploaded pictures
//! become three WebP files served publicly, replace and remove the old
//! ones, and only those who may change the piece or the category may.

use std::io::Cursor;

use axum::http::StatusCode;
use codex_content_api::{SERVICE, routes};
use codex_testkit::{TestApp, test_config};
use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};
use serde_json::{Value, json};

async fn app() -> TestApp {
    TestApp::with_config(
        test_config(&[]),
        SERVICE,
        routes()
            .merge(codex_auth_worker::routes())
            .merge(codex_org_api::routes())
            .merge(codex_identity_api::routes()),
    )
    .await
}

/// A 1200×600 photo-like picture in `format`.
fn picture(format: ImageFormat) -> Vec<u8> {
    let pixels = ImageBuffer::from_fn(1200, 600, |x, y| {
        Rgb([(x % 251) as u8, (y % 241) as u8, ((x * y) % 239) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(pixels)
        .write_to(&mut out, format)
        .expect("encodes");
    out.into_inner()
}

fn multipart(field: &str, bytes: &[u8]) -> (Vec<u8>, String) {
    let boundary = "codexboundary7";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"a.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

async fn upload(
    app: &TestApp,
    cookie: &str,
    path: &str,
    field: &str,
    bytes: &[u8],
) -> codex_testkit::TestResponse {
    let (body, content_type) = multipart(field, bytes);
    app.post(path)
        .cookie(cookie)
        .body(body, &content_type)
        .send()
        .await
}

/// The path under which a public URL is served (`/assets/…`).
fn asset_path(url: &str) -> String {
    url.split_once("/assets/")
        .map(|(_, key)| format!("/assets/{key}"))
        .unwrap_or_else(|| panic!("served under /assets: {url}"))
}

/// The width of the WebP file served at `path`, checking its type.
async fn served_width(app: &TestApp, path: &str) -> u32 {
    let served = app.get(path).send().await;
    served.assert_status(StatusCode::OK);
    assert_eq!(served.header("content-type"), Some("image/webp"), "{path}");
    image::load_from_memory_with_format(&served.body, ImageFormat::WebP)
        .expect("a WebP file")
        .width()
}

async fn assert_three_widths(app: &TestApp, md_url: &str) {
    let md = asset_path(md_url);
    assert!(md.ends_with("/md.webp"), "{md}");
    assert_eq!(served_width(app, &md).await, 400);
    assert_eq!(
        served_width(app, &md.replace("/md.webp", "/sm.webp")).await,
        200
    );
    assert_eq!(
        served_width(app, &md.replace("/md.webp", "/lg.webp")).await,
        800
    );
}

async fn gone(app: &TestApp, url: &str) {
    app.get(&asset_path(url))
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

fn text(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

#[tokio::test]
async fn a_thumbnail_is_three_webp_widths_replaced_removed_and_only_the_creators() {
    let app = app().await;
    let maker = app.sign_up("maker@example.com", "creator").await;
    let other = app.sign_up("other@example.com", "creator").await;
    let created = app
        .post("/api/content")
        .cookie(&maker)
        .json(&json!({"title": "Notes", "slug": "notes", "contentType": "written", "contentBody": "x"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let id = text(&created.json()["data"]["id"]);
    let path = format!("/api/content/{id}/thumbnail");

    let first = upload(
        &app,
        &maker,
        &path,
        "thumbnail",
        &picture(ImageFormat::Jpeg),
    )
    .await;
    first.assert_status(StatusCode::OK);
    let data = first.json()["data"].clone();
    assert_eq!(data["mimeType"], "image/webp");
    let first_url = text(&data["thumbnailUrl"]);
    assert_three_widths(&app, &first_url).await;
    let read = app
        .get(&format!("/api/content/{id}"))
        .cookie(&maker)
        .send()
        .await;
    assert_eq!(read.json()["data"]["thumbnailUrl"], first_url.as_str());

    // Another creator cannot touch it; a file that is no picture is
    // refused and changes nothing.
    upload(&app, &other, &path, "thumbnail", &picture(ImageFormat::Png))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    app.delete(&path)
        .cookie(&other)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let refused = upload(
        &app,
        &maker,
        &path,
        "thumbnail",
        b"<html>not a picture</html>",
    )
    .await;
    refused.assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(refused.error_code().as_deref(), Some("VALIDATION_ERROR"));
    let wrong_field = upload(&app, &maker, &path, "image", &picture(ImageFormat::Png)).await;
    wrong_field.assert_status(StatusCode::BAD_REQUEST);
    let read = app
        .get(&format!("/api/content/{id}"))
        .cookie(&maker)
        .send()
        .await;
    assert_eq!(read.json()["data"]["thumbnailUrl"], first_url.as_str());
    assert_three_widths(&app, &first_url).await;

    // A new one replaces the old files.
    let second = upload(&app, &maker, &path, "thumbnail", &picture(ImageFormat::Png)).await;
    second.assert_status(StatusCode::OK);
    let second_url = text(&second.json()["data"]["thumbnailUrl"]);
    assert_ne!(second_url, first_url);
    gone(&app, &first_url).await;
    assert_three_widths(&app, &second_url).await;

    // Removing it clears the URL and the files.
    app.delete(&path)
        .cookie(&maker)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let read = app
        .get(&format!("/api/content/{id}"))
        .cookie(&maker)
        .send()
        .await;
    assert_eq!(read.json()["data"]["thumbnailUrl"], Value::Null);
    gone(&app, &second_url).await;

    // Deleting the content removes its thumbnail's files.
    let third = upload(&app, &maker, &path, "thumbnail", &picture(ImageFormat::Gif)).await;
    third.assert_status(StatusCode::OK);
    let third_url = text(&third.json()["data"]["thumbnailUrl"]);
    app.delete(&format!("/api/content/{id}"))
        .cookie(&maker)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    gone(&app, &third_url).await;
    upload(&app, &maker, &path, "thumbnail", &picture(ImageFormat::Png))
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_category_cover_is_set_by_its_managers_and_shown_on_the_storefront() {
    let app = app().await;
    let owner = app.sign_up("owner@example.com", "creator").await;
    let writer = app.sign_up("writer@example.com", "creator").await;
    let outsider = app.sign_up("outsider@example.com", "creator").await;
    let org = app
        .post("/api/organizations")
        .cookie(&owner)
        .json(&json!({"name": "Night Studio", "slug": "night-studio"}))
        .send()
        .await;
    org.assert_status(StatusCode::CREATED);
    let org_id = text(&org.json()["data"]["id"]);
    let writer_id = text(
        &app.get("/api/auth/get-session")
            .cookie(&writer)
            .send()
            .await
            .json()["user"]["id"],
    );
    app.ctx()
        .database()
        .execute(
            "INSERT INTO organization_memberships (organization_id, user_id, role, status) \
             VALUES ($1::uuid, $2, 'creator', 'active')",
            &[org_id.as_str().into(), writer_id.as_str().into()],
        )
        .await
        .expect("a creator of the organisation");
    let category = app
        .post(&format!("/api/categories?organizationId={org_id}"))
        .cookie(&owner)
        .json(&json!({"name": "Films"}))
        .send()
        .await;
    category.assert_status(StatusCode::CREATED);
    assert_eq!(category.json()["data"]["coverImageUrl"], Value::Null);
    let id = text(&category.json()["data"]["id"]);
    let path = format!("/api/categories/{id}/cover?organizationId={org_id}");

    // Creators of the organisation and outsiders may not.
    for cookie in [&writer, &outsider] {
        upload(&app, cookie, &path, "cover", &picture(ImageFormat::Png))
            .await
            .assert_status(StatusCode::FORBIDDEN);
    }
    let stored = upload(&app, &owner, &path, "cover", &picture(ImageFormat::Png)).await;
    stored.assert_status(StatusCode::OK);
    let data = stored.json()["data"].clone();
    let url = text(&data["coverImageUrl"]);
    assert!(
        url.ends_with(&format!("{}/md.webp", text(&data["coverImageKey"]))),
        "{data}"
    );
    assert_three_widths(&app, &url).await;

    let listed = app
        .get(&format!("/api/categories?organizationId={org_id}"))
        .cookie(&owner)
        .send()
        .await;
    assert_eq!(listed.json()["items"][0]["coverImageUrl"], url.as_str());
    let public = app
        .get(&format!("/api/content/public/categories?orgId={org_id}"))
        .send()
        .await;
    public.assert_status(StatusCode::OK);
    assert_eq!(public.json()["data"][0]["coverImageUrl"], url.as_str());

    let refused = upload(&app, &owner, &path, "cover", b"GIF89a but nothing more").await;
    refused.assert_status(StatusCode::BAD_REQUEST);

    app.delete(&path)
        .cookie(&writer)
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.delete(&path)
        .cookie(&owner)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    gone(&app, &url).await;
    let public = app
        .get(&format!("/api/content/public/categories?orgId={org_id}"))
        .send()
        .await;
    assert_eq!(public.json()["data"][0]["coverImageUrl"], Value::Null);

    // Deleting the category removes its cover's files.
    let again = upload(&app, &owner, &path, "cover", &picture(ImageFormat::Jpeg)).await;
    again.assert_status(StatusCode::OK);
    let again_url = text(&again.json()["data"]["coverImageUrl"]);
    app.delete(&format!("/api/categories/{id}?organizationId={org_id}"))
        .cookie(&owner)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    gone(&app, &again_url).await;
}
