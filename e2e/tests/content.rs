//! Content end to end, the way the studio and the storefront use it: a
//! creator drafts, publishes, unpublishes and deletes pieces in their
//! organisation; the public listings show published pieces only, without
//! an address, a storage key or a paid body; video waits for its media;
//! slugs conflict per organisation; and an isolation matrix (anonymous, a
//! customer, another creator, the owner of another organisation) sees and
//! changes nothing of it. Thumbnails and category covers, from a real JPEG
//! made by ffmpeg, are served as WebP at three widths.

use codex_e2e::accounts::{Browser, Reply};
use codex_e2e::organisations::{file_form, fresh_slug, owner_with_org, signed_in, text_of};
use codex_e2e::{assert_error_envelope, made_by_ffmpeg, webp_size};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CONTENT: &str = "content";

async fn create(browser: &Browser, body: &Value) -> Reply {
    browser
        .call(browser.post(CONTENT, "/api/content").json(body))
        .await
}

fn written(org_id: &str, slug: &str, access: &str) -> Value {
    let mut body = json!({
        "organizationId": org_id,
        "title": "Field notes",
        "slug": slug,
        "description": "What we saw",
        "contentType": "written",
        "contentBody": "Plain words for everyone",
        "accessType": access,
        "tags": ["notes"],
    });
    if access == "paid" {
        body["price"] = json!(350);
    }
    body
}

async fn public(query: &[(&str, &str)]) -> Reply {
    let browser = Browser::new();
    browser
        .call(browser.get(CONTENT, "/api/content/public").query(query))
        .await
}

async fn action(browser: &Browser, id: &str, what: &str) -> Reply {
    browser
        .call(browser.post(CONTENT, &format!("/api/content/{id}/{what}")))
        .await
}

#[tokio::test]
async fn a_creator_publishes_in_their_organisation_and_the_storefront_shows_only_what_is_published()
{
    let (owner, account, org) = owner_with_org().await;
    let org_id = text_of(&org, "id");
    let org_slug = text_of(&org, "slug");
    let free_slug = fresh_slug();
    let paid_slug = fresh_slug();

    let free = create(&owner, &written(&org_id, &free_slug, "free")).await;
    free.expect_status(StatusCode::CREATED, "create a free piece");
    assert_eq!(free.body["data"]["status"], "draft");
    assert_eq!(free.body["data"]["organization"]["slug"], org_slug.as_str());
    let free_id = text_of(&free.body["data"], "id");
    let paid = create(&owner, &written(&org_id, &paid_slug, "paid")).await;
    paid.expect_status(StatusCode::CREATED, "create a paid piece");
    assert_eq!(paid.body["data"]["priceCents"], 350);
    let paid_id = text_of(&paid.body["data"], "id");

    // The slug is taken in the organisation.
    let again = create(&owner, &written(&org_id, &free_slug, "free")).await;
    again.expect_status(StatusCode::CONFLICT, "the same slug again");
    assert_eq!(again.body["error"]["details"]["field"], "slug");
    let check = owner
        .call(
            owner
                .get(CONTENT, &format!("/api/content/check-slug/{free_slug}"))
                .query(&[("organizationId", org_id.as_str())]),
        )
        .await;
    check.expect_status(StatusCode::OK, "check-slug");
    assert_eq!(check.body["data"]["available"], false);

    // Drafts are nowhere public.
    let listed = public(&[("orgId", org_id.as_str())]).await;
    listed.expect_status(StatusCode::OK, "public listing");
    assert_eq!(listed.body["pagination"]["total"], 0);

    for id in [&free_id, &paid_id] {
        action(&owner, id, "publish")
            .await
            .expect_status(StatusCode::OK, "publish");
    }
    let listed = public(&[("orgId", org_id.as_str()), ("sort", "title")]).await;
    listed.expect_status(StatusCode::OK, "public listing");
    assert_eq!(listed.body["pagination"]["total"], 2);
    assert_eq!(
        listed.header("cache-control"),
        Some("public, max-age=60, s-maxage=60")
    );
    let text = listed.body.to_string();
    assert!(!text.contains(&account.email), "no address in {text}");
    assert!(!text.contains("r2Key") && !text.contains("/originals/"));
    let by_slug = |slug: &str| {
        listed.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|item| item["slug"] == slug)
            .cloned()
            .expect("listed")
    };
    assert_eq!(
        by_slug(&free_slug)["contentBody"],
        "Plain words for everyone"
    );
    assert_eq!(by_slug(&paid_slug)["contentBody"], Value::Null);
    assert_eq!(by_slug(&paid_slug)["priceCents"], 350);

    // The detail page asks by slug for one item.
    let detail = public(&[("slug", paid_slug.as_str()), ("limit", "1")]).await;
    assert_eq!(detail.body["items"][0]["id"], paid_id.as_str());

    // The storefront's figures count what is published.
    let stats = owner
        .call(owner.get(
            "org",
            &format!("/api/organizations/public/{org_slug}/stats"),
        ))
        .await;
    stats.expect_status(StatusCode::OK, "stats");
    assert_eq!(stats.body["data"]["content"]["written"], 2);

    action(&owner, &paid_id, "unpublish")
        .await
        .expect_status(StatusCode::OK, "unpublish");
    owner
        .call(owner.delete(CONTENT, &format!("/api/content/{free_id}")))
        .await
        .expect_status(StatusCode::NO_CONTENT, "delete");
    let listed = public(&[("orgId", org_id.as_str())]).await;
    assert_eq!(listed.body["pagination"]["total"], 0, "{}", listed.body);
    let studio = owner
        .call(
            owner
                .get(CONTENT, "/api/content")
                .query(&[("organizationId", org_id.as_str())]),
        )
        .await;
    studio.expect_status(StatusCode::OK, "studio list");
    assert_eq!(
        studio.body["pagination"]["total"], 1,
        "the deleted piece is gone"
    );
    assert_eq!(studio.body["items"][0]["status"], "draft");
}

#[tokio::test]
async fn video_waits_for_its_media_to_be_ready() {
    let (creator, _) = signed_in("creator").await;
    let declared = creator
        .call(creator.post(CONTENT, "/api/media").json(&json!({
            "title": "Rushes",
            "mediaType": "video",
            "mimeType": "video/mp4",
            "fileSizeBytes": 4096,
        })))
        .await;
    declared.expect_status(StatusCode::CREATED, "declare media");
    let media_id = text_of(&declared.body["data"], "id");

    let wrong_kind = create(
        &creator,
        &json!({"title": "Rushes", "slug": fresh_slug(), "contentType": "audio", "mediaItemId": media_id}),
    )
    .await;
    wrong_kind.expect_status(StatusCode::UNPROCESSABLE_ENTITY, "audio content on a video");
    let video = create(
        &creator,
        &json!({"title": "Rushes", "slug": fresh_slug(), "contentType": "video", "mediaItemId": media_id}),
    )
    .await;
    video.expect_status(StatusCode::CREATED, "video content");
    assert_eq!(video.body["data"]["mediaItem"]["status"], "uploading");
    let id = text_of(&video.body["data"], "id");
    let early = action(&creator, &id, "publish").await;
    early.expect_status(StatusCode::UNPROCESSABLE_ENTITY, "publish before ready");
    assert_eq!(early.body["error"]["details"]["code"], "MEDIA_NOT_READY");

    // A written piece needs its body.
    let bodiless = create(
        &creator,
        &json!({"title": "Empty", "slug": fresh_slug(), "contentType": "written"}),
    )
    .await;
    bodiless.expect_status(StatusCode::BAD_REQUEST, "written without a body");
}

#[tokio::test]
async fn nobody_else_sees_or_changes_a_creators_content() {
    let (owner, _, org) = owner_with_org().await;
    let org_id = text_of(&org, "id");
    let slug = fresh_slug();
    let created = create(&owner, &written(&org_id, &slug, "free")).await;
    created.expect_status(StatusCode::CREATED, "create");
    let id = text_of(&created.body["data"], "id");

    let anonymous = Browser::new();
    let (customer, _) = signed_in("customer").await;
    let (other_creator, _) = signed_in("creator").await;
    let (other_owner, _, _) = owner_with_org().await;

    let anonymous_list = anonymous.call(anonymous.get(CONTENT, "/api/content")).await;
    anonymous_list.expect_status(StatusCode::UNAUTHORIZED, "anonymous studio list");
    let anonymous_create = create(&anonymous, &written(&org_id, &fresh_slug(), "free")).await;
    anonymous_create.expect_status(StatusCode::UNAUTHORIZED, "anonymous create");
    create(&customer, &written(&org_id, &fresh_slug(), "free"))
        .await
        .expect_status(StatusCode::FORBIDDEN, "a customer creates");
    for stranger in [&other_creator, &other_owner] {
        create(stranger, &written(&org_id, &fresh_slug(), "free"))
            .await
            .expect_status(
                StatusCode::FORBIDDEN,
                "a stranger publishes in the organisation",
            );
        stranger
            .call(stranger.get(CONTENT, &format!("/api/content/{id}")))
            .await
            .expect_status(StatusCode::NOT_FOUND, "a stranger reads the draft");
        stranger
            .call(
                stranger
                    .patch(CONTENT, &format!("/api/content/{id}"))
                    .json(&json!({"title": "Mine now"})),
            )
            .await
            .expect_status(StatusCode::NOT_FOUND, "a stranger edits");
        action(stranger, &id, "publish")
            .await
            .expect_status(StatusCode::NOT_FOUND, "a stranger publishes");
        stranger
            .call(stranger.delete(CONTENT, &format!("/api/content/{id}")))
            .await
            .expect_status(StatusCode::NOT_FOUND, "a stranger deletes");
    }
    let mine = owner
        .call(owner.get(CONTENT, &format!("/api/content/{id}")))
        .await;
    mine.expect_status(StatusCode::OK, "the owner reads it");
    assert_eq!(mine.body["data"]["title"], "Field notes");
    assert_eq!(mine.body["data"]["status"], "draft");
}

#[tokio::test]
async fn an_organisation_files_its_content_in_categories_the_storefront_lists() {
    let (owner, _, org) = owner_with_org().await;
    let org_id = text_of(&org, "id");
    let (outsider, _) = signed_in("creator").await;
    let new_category = |browser: &Browser, name: &str| {
        browser
            .post(CONTENT, "/api/categories")
            .query(&[("organizationId", org_id.as_str())])
            .json(&json!({"name": name}))
    };

    let refused = outsider.call(new_category(&outsider, "Tours")).await;
    refused.expect_status(StatusCode::FORBIDDEN, "an outsider adds a category");
    let tours = owner.call(new_category(&owner, "Tours & Travels")).await;
    tours.expect_status(StatusCode::CREATED, "add a category");
    assert_eq!(tours.body["data"]["slug"], "tours-travels");
    let again = owner.call(new_category(&owner, "Tours, travels")).await;
    again.expect_status(StatusCode::CREATED, "the same name again");
    assert_eq!(again.body["data"]["slug"], "tours-travels-2");
    let tours_id = text_of(&tours.body["data"], "id");

    let mut body = written(&org_id, &fresh_slug(), "free");
    body["categoryIds"] = json!([tours_id]);
    let created = create(&owner, &body).await;
    created.expect_status(StatusCode::CREATED, "content in a category");
    assert_eq!(created.body["data"]["categoryIds"], json!([tours_id]));
    let id = text_of(&created.body["data"], "id");
    action(&owner, &id, "publish")
        .await
        .expect_status(StatusCode::OK, "publish");

    let listed = public(&[("orgId", org_id.as_str()), ("category", "tours-travels")]).await;
    listed.expect_status(StatusCode::OK, "listing by category");
    assert_eq!(listed.body["pagination"]["total"], 1);
    assert_eq!(
        listed.body["items"][0]["categorySlugs"],
        json!(["tours-travels"])
    );
    let empty = public(&[("orgId", org_id.as_str()), ("category", "tours-travels-2")]).await;
    assert_eq!(empty.body["pagination"]["total"], 0);

    let anyone = Browser::new();
    let shelf = anyone
        .call(
            anyone
                .get(CONTENT, "/api/content/public/categories")
                .query(&[("orgId", org_id.as_str())]),
        )
        .await;
    shelf.expect_status(StatusCode::OK, "the storefront's categories");
    let slugs: Vec<&str> = shelf.body["data"]
        .as_array()
        .expect("a plain array")
        .iter()
        .filter_map(|category| category["slug"].as_str())
        .collect();
    assert_eq!(slugs, ["tours-travels", "tours-travels-2"]);
}

/// A real 1600×1200 JPEG photo of ffmpeg's test pattern.
fn photo_jpeg() -> Vec<u8> {
    made_by_ffmpeg(
        "jpg",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1600x1200",
            "-frames:v",
            "1",
            "-q:v",
            "3",
        ],
    )
}

/// Each of the three WebP files beside `md_url` is served with its width.
async fn assert_served_at_three_widths(md_url: &str, what: &str) {
    assert!(md_url.ends_with("/md.webp"), "{what}: {md_url}");
    for (size, width) in [("sm", 200), ("md", 400), ("lg", 800)] {
        let url = md_url.replace("/md.webp", &format!("/{size}.webp"));
        let (status, content_type, bytes) = Browser::new().download(&url).await;
        assert_eq!(status, StatusCode::OK, "{what}: GET {url}");
        assert_eq!(content_type.as_deref(), Some("image/webp"), "{what}: {url}");
        assert_eq!(
            webp_size(&bytes),
            Some((width, width * 3 / 4)),
            "{what}: {url}"
        );
    }
}

#[tokio::test]
async fn thumbnails_and_category_covers_are_served_as_webp_at_three_widths() {
    let (owner, _, org) = owner_with_org().await;
    let org_id = text_of(&org, "id");
    let (outsider, _) = signed_in("creator").await;
    let photo = photo_jpeg();

    let created = create(&owner, &written(&org_id, &fresh_slug(), "free")).await;
    created.expect_status(StatusCode::CREATED, "content");
    let id = text_of(&created.body["data"], "id");
    let path = format!("/api/content/{id}/thumbnail");
    let upload = |browser: &Browser, path: &str, field: &str, bytes: Vec<u8>| {
        browser
            .post(CONTENT, path)
            .multipart(file_form(field, bytes, "photo.jpg", "image/jpeg"))
    };

    let refused = outsider
        .call(upload(&outsider, &path, "thumbnail", photo.clone()))
        .await;
    refused.expect_status(StatusCode::NOT_FOUND, "another creator's thumbnail");
    let not_a_picture = owner
        .call(upload(
            &owner,
            &path,
            "thumbnail",
            b"<svg onload=alert(1)>".to_vec(),
        ))
        .await;
    not_a_picture.expect_status(StatusCode::BAD_REQUEST, "an SVG as a thumbnail");
    assert_error_envelope(&not_a_picture.body, "VALIDATION_ERROR");

    let stored = owner
        .call(upload(&owner, &path, "thumbnail", photo.clone()))
        .await;
    stored.expect_status(StatusCode::OK, "upload a thumbnail");
    assert_eq!(stored.body["data"]["mimeType"], "image/webp");
    let thumbnail_url = text_of(&stored.body["data"], "thumbnailUrl");
    assert_served_at_three_widths(&thumbnail_url, "thumbnail").await;
    let read = owner
        .call(owner.get(CONTENT, &format!("/api/content/{id}")))
        .await;
    assert_eq!(read.body["data"]["thumbnailUrl"], thumbnail_url.as_str());

    let removed = owner.call(owner.delete(CONTENT, &path)).await;
    removed.expect_status(StatusCode::NO_CONTENT, "remove the thumbnail");
    let (status, _, _) = Browser::new().download(&thumbnail_url).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the removed thumbnail");

    let category = owner
        .call(
            owner
                .post(CONTENT, "/api/categories")
                .query(&[("organizationId", org_id.as_str())])
                .json(&json!({"name": "Stills"})),
        )
        .await;
    category.expect_status(StatusCode::CREATED, "a category");
    let category_id = text_of(&category.body["data"], "id");
    let cover_path = format!("/api/categories/{category_id}/cover?organizationId={org_id}");
    let refused = outsider
        .call(upload(&outsider, &cover_path, "cover", photo.clone()))
        .await;
    refused.expect_status(StatusCode::FORBIDDEN, "an outsider's cover");
    let cover = owner
        .call(upload(&owner, &cover_path, "cover", photo))
        .await;
    cover.expect_status(StatusCode::OK, "upload a cover");
    let cover_url = text_of(&cover.body["data"], "coverImageUrl");
    assert_served_at_three_widths(&cover_url, "cover").await;
    let anyone = Browser::new();
    let shelf = anyone
        .call(
            anyone
                .get(CONTENT, "/api/content/public/categories")
                .query(&[("orgId", org_id.as_str())]),
        )
        .await;
    assert_eq!(shelf.body["data"][0]["coverImageUrl"], cover_url.as_str());
}
