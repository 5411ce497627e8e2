//! Content's routes in-process (`TestApp`, with the auth, organisation and
//! identity routes merged in): the studio's lifecycle and its rules, the
//! publishing gates, slugs, who may see and change what, and the public
//! listings.

use axum::http::StatusCode;
use codex_content_api::{SERVICE, routes};
use codex_testkit::{TestApp, TestResponse, test_config};
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

async fn id_of(app: &TestApp, cookie: &str) -> String {
    let session = app.get("/api/auth/get-session").cookie(cookie).send().await;
    session.json()["user"]["id"]
        .as_str()
        .expect("a user id")
        .to_owned()
}

async fn create(app: &TestApp, cookie: &str, body: Value) -> TestResponse {
    app.post("/api/content")
        .cookie(cookie)
        .json(&body)
        .send()
        .await
}

fn written(slug: &str) -> Value {
    json!({"title": "Field notes", "slug": slug, "contentType": "written", "contentBody": "Plain words"})
}

/// Creates content and answers its id.
async fn created(app: &TestApp, cookie: &str, body: Value) -> String {
    let response = create(app, cookie, body).await;
    response.assert_status(StatusCode::CREATED);
    response.json()["data"]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// Declares a media item through the media library and answers its id.
async fn media(app: &TestApp, cookie: &str, kind: &str) -> String {
    let mime = if kind == "video" {
        "video/mp4"
    } else {
        "audio/mpeg"
    };
    let declared = app
        .post("/api/media")
        .cookie(cookie)
        .json(&json!({"title": "Take one", "mediaType": kind, "mimeType": mime, "fileSizeBytes": 4096}))
        .send()
        .await;
    declared.assert_status(StatusCode::CREATED);
    declared.json()["data"]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// What transcoding will do: the media item becomes ready with its keys.
async fn make_ready(app: &TestApp, media_id: &str) {
    let changed = app
        .ctx()
        .database()
        .execute(
            "UPDATE media_items SET status = 'ready', uploaded_at = now(), duration_seconds = 95, \
             hls_master_playlist_key = creator_id || '/hls/' || id || '/master.m3u8', \
             thumbnail_key = creator_id || '/thumbnails/' || id || '/poster.jpg', \
             waveform_key = creator_id || '/waveforms/' || id || '/waveform.json' \
             WHERE id = $1::uuid",
            &[media_id.into()],
        )
        .await
        .expect("update");
    assert_eq!(changed, 1);
}

/// The owner of the organisation `night-studio` and a creator outside it:
/// their cookies and its id.
async fn owner_and_outsider(app: &TestApp) -> (String, String, String) {
    let owner = app.sign_up("owner@example.com", "creator").await;
    let outsider = app.sign_up("outsider@example.com", "creator").await;
    let org = app
        .post("/api/organizations")
        .cookie(&owner)
        .json(&json!({"name": "Night Studio", "slug": "night-studio"}))
        .send()
        .await;
    org.assert_status(StatusCode::CREATED);
    let org_id = org.json()["data"]["id"].as_str().expect("id").to_owned();
    (owner, outsider, org_id)
}

async fn post(app: &TestApp, cookie: &str, path: &str) -> TestResponse {
    app.post(path).cookie(cookie).send().await
}

#[tokio::test]
async fn a_written_piece_goes_from_draft_to_published_to_deleted() {
    let app = app().await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    let response = create(&app, &creator, written(" Field-Notes ")).await;
    response.assert_status(StatusCode::CREATED);
    let content = response.json()["data"].clone();
    let id = content["id"].as_str().expect("id").to_owned();
    assert_eq!(content["status"], "draft");
    assert_eq!(content["slug"], "field-notes");
    assert_eq!(content["accessType"], "free");
    assert_eq!(content["publishedAt"], Value::Null);
    assert_eq!(content["creator"]["id"], id_of(&app, &creator).await);
    assert!(content["creator"].get("email").is_none());
    assert_eq!(content["categoryIds"], json!([]));

    // A draft is in the studio, not in public.
    let drafts = app
        .get("/api/content?status=draft&limit=1")
        .cookie(&creator)
        .send()
        .await;
    drafts.assert_status(StatusCode::OK);
    assert_eq!(drafts.json()["pagination"]["total"], 1);
    let public = app.get("/api/content/public?slug=field-notes").send().await;
    public.assert_status(StatusCode::OK);
    assert_eq!(public.json()["items"], json!([]));

    let published = post(&app, &creator, &format!("/api/content/{id}/publish")).await;
    published.assert_status(StatusCode::OK);
    assert_eq!(published.json()["data"]["status"], "published");
    let published_at = published.json()["data"]["publishedAt"].clone();
    assert!(published_at.is_string());
    // Publishing again changes nothing.
    let again = post(&app, &creator, &format!("/api/content/{id}/publish")).await;
    again.assert_status(StatusCode::OK);
    assert_eq!(again.json()["data"]["publishedAt"], published_at);

    let public = app.get("/api/content/public?slug=field-notes").send().await;
    public.assert_status(StatusCode::OK);
    assert_eq!(
        public.header("cache-control"),
        Some("public, max-age=60, s-maxage=60")
    );
    let item = &public.json()["items"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(
        item["contentBody"], "Plain words",
        "free content shows its body"
    );
    assert!(!public.text().contains("maker@example.com"));
    let discover = app.get("/api/content/public/discover").send().await;
    assert_eq!(discover.json()["pagination"]["total"], 1);

    let unpublished = post(&app, &creator, &format!("/api/content/{id}/unpublish")).await;
    unpublished.assert_status(StatusCode::OK);
    assert_eq!(unpublished.json()["data"]["status"], "draft");
    let public = app.get("/api/content/public?slug=field-notes").send().await;
    assert_eq!(public.json()["items"], json!([]));

    app.delete(&format!("/api/content/{id}"))
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.get(&format!("/api/content/{id}"))
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    // Its slug is free again.
    created(&app, &creator, written("field-notes")).await;
}

#[tokio::test]
async fn video_is_published_only_once_its_media_is_ready_and_paid_bodies_stay_private() {
    let app = app().await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    let video = media(&app, &creator, "video").await;
    let audio = media(&app, &creator, "audio").await;

    // The media item must be the caller's and of the content's kind.
    let mismatched = create(
        &app,
        &creator,
        json!({"title": "Clip", "slug": "clip", "contentType": "video", "mediaItemId": audio}),
    )
    .await;
    mismatched.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let someone = app.sign_up("other@example.com", "creator").await;
    create(
        &app,
        &someone,
        json!({"title": "Clip", "slug": "clip", "contentType": "video", "mediaItemId": video}),
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);

    let id = created(
        &app,
        &creator,
        json!({"title": "Clip", "slug": "clip", "contentType": "video", "mediaItemId": video,
               "accessType": "paid", "price": 499, "contentBody": "Notes for buyers"}),
    )
    .await;
    let detail = app
        .get(&format!("/api/content/{id}"))
        .cookie(&creator)
        .send()
        .await;
    assert_eq!(detail.json()["data"]["priceCents"], 499);
    assert_eq!(detail.json()["data"]["mediaItem"]["status"], "uploading");

    let early = post(&app, &creator, &format!("/api/content/{id}/publish")).await;
    early.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(early.json()["error"]["details"]["code"], "MEDIA_NOT_READY");
    assert_eq!(
        app.get(&format!("/api/content/{id}"))
            .cookie(&creator)
            .send()
            .await
            .json()["data"]["status"],
        "draft"
    );

    make_ready(&app, &video).await;
    post(&app, &creator, &format!("/api/content/{id}/publish"))
        .await
        .assert_status(StatusCode::OK);
    let public = app.get("/api/content/public?slug=clip").send().await;
    let item = &public.json()["items"][0];
    assert_eq!(item["accessType"], "paid");
    assert_eq!(item["priceCents"], 499);
    assert_eq!(
        item["contentBody"],
        Value::Null,
        "a paid body is not public"
    );
    assert_eq!(item["mediaItem"]["durationSeconds"], 95);
    assert_eq!(item["mediaItem"]["mediaType"], "video");
    let text = public.text();
    for secret in ["/hls/", "/thumbnails/", "/originals/", "Key", "maker@"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }

    // Published content must stay publishable: its media cannot become
    // one that is not ready.
    let not_ready = media(&app, &creator, "video").await;
    app.patch(&format!("/api/content/{id}"))
        .cookie(&creator)
        .json(&json!({"mediaItemId": not_ready}))
        .send()
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // Making it free clears its price.
    let free = app
        .patch(&format!("/api/content/{id}"))
        .cookie(&creator)
        .json(&json!({"accessType": "free", "title": "Clip, free"}))
        .send()
        .await;
    free.assert_status(StatusCode::OK);
    assert_eq!(free.json()["data"]["priceCents"], Value::Null);
    assert_eq!(free.json()["data"]["title"], "Clip, free");
}

#[tokio::test]
async fn slugs_are_unique_per_space_and_a_race_has_one_winner() {
    let app = app().await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    let other = app.sign_up("other@example.com", "creator").await;
    created(&app, &creator, written("notes")).await;
    let taken = create(&app, &creator, written("notes")).await;
    taken.assert_status(StatusCode::CONFLICT);
    assert_eq!(taken.json()["error"]["details"]["field"], "slug");
    // Another creator's personal space is another space.
    created(&app, &other, written("notes")).await;

    let check = |slug: &'static str| {
        let app = &app;
        let creator = &creator;
        async move {
            let answer = app
                .get(&format!("/api/content/check-slug/{slug}"))
                .cookie(creator)
                .send()
                .await;
            answer.assert_status(StatusCode::OK);
            answer.json()["data"]["available"].clone()
        }
    };
    assert_eq!(check("notes").await, false);
    assert_eq!(check("fresh-notes").await, true);
    app.get("/api/content/check-slug/Not%20A%20Slug")
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);

    let racers = (0..6).map(|_| create(&app, &creator, written("race")));
    let answers = futures::future::join_all(racers).await;
    let won = answers
        .iter()
        .filter(|answer| answer.status == StatusCode::CREATED)
        .count();
    let lost = answers
        .iter()
        .filter(|answer| answer.status == StatusCode::CONFLICT)
        .count();
    assert_eq!((won, lost), (1, 5));
}

#[tokio::test]
async fn creators_see_and_change_only_their_own_content() {
    let app = app().await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    let other = app.sign_up("other@example.com", "creator").await;
    let customer = app.sign_up("buyer@example.com", "customer").await;
    let id = created(&app, &creator, written("mine")).await;

    for path in [
        format!("/api/content/{id}/publish"),
        format!("/api/content/{id}/unpublish"),
    ] {
        post(&app, &other, &path)
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    app.get(&format!("/api/content/{id}"))
        .cookie(&other)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    app.patch(&format!("/api/content/{id}"))
        .cookie(&other)
        .json(&json!({"title": "Taken over"}))
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    app.delete(&format!("/api/content/{id}"))
        .cookie(&other)
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let theirs = app.get("/api/content").cookie(&other).send().await;
    assert_eq!(theirs.json()["pagination"]["total"], 0);

    create(&app, &customer, written("bought"))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.post("/api/content")
        .json(&written("anonymous"))
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.get("/api/content")
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.get("/api/content/browse?organizationId=7b0c7c52-1111-4c4c-9a9a-5f5f5f5f5f5f")
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);

    // Nothing about the piece changed.
    let mine = app
        .get(&format!("/api/content/{id}"))
        .cookie(&creator)
        .send()
        .await;
    assert_eq!(mine.json()["data"]["title"], "Field notes");
    assert_eq!(mine.json()["data"]["status"], "draft");
}

#[tokio::test]
async fn organisation_content_needs_a_publisher_there_at_every_write() {
    let app = app().await;
    let (owner, outsider, org_id) = owner_and_outsider(&app).await;

    let mut body = written("studio-notes");
    body["organizationId"] = json!(org_id);
    create(&app, &outsider, body.clone())
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let id = created(&app, &owner, body.clone()).await;
    // The same slug in the organisation is taken, whoever asks; in a
    // personal space it is not.
    create(&app, &owner, body)
        .await
        .assert_status(StatusCode::CONFLICT);
    created(&app, &owner, written("studio-notes")).await;

    // Team-only content needs the organisation.
    let mut team = written("team-notes");
    team["accessType"] = json!("team");
    create(&app, &owner, team.clone())
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    team["organizationId"] = json!(org_id);
    created(&app, &owner, team).await;
    // Subscription tiers do not exist yet, so none can be named.
    let tiered = create(
        &app,
        &owner,
        json!({"title": "T", "slug": "tiered", "contentType": "written", "contentBody": "x",
               "accessType": "subscribers", "minimumTierId": "7b0c7c52-1111-4c4c-9a9a-5f5f5f5f5f5f",
               "organizationId": org_id}),
    )
    .await;
    tiered.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(tiered.json()["error"]["details"]["field"], "minimumTierId");

    post(&app, &owner, &format!("/api/content/{id}/publish"))
        .await
        .assert_status(StatusCode::OK);
    let listed = app
        .get(&format!("/api/content/public?orgId={org_id}"))
        .send()
        .await;
    assert_eq!(listed.json()["pagination"]["total"], 1);
    assert_eq!(
        listed.json()["items"][0]["organization"]["slug"],
        "night-studio"
    );
    let browse = app
        .get(&format!("/api/content/browse?organizationId={org_id}"))
        .cookie(&outsider)
        .send()
        .await;
    browse.assert_status(StatusCode::OK);
    assert_eq!(browse.json()["pagination"]["total"], 1);

    let stats = app
        .get("/api/organizations/public/night-studio/stats")
        .send()
        .await;
    stats.assert_status(StatusCode::OK);
    assert_eq!(
        stats.json()["data"]["content"],
        json!({"total": 1, "video": 0, "audio": 0, "written": 1})
    );

    let creators = app
        .get("/api/organizations/public/night-studio/creators")
        .send()
        .await;
    creators.assert_status(StatusCode::OK);
    let card = &creators.json()["items"][0];
    assert_eq!(card["contentCount"], 1);
    assert_eq!(card["recentContent"][0]["slug"], "studio-notes");
    assert_eq!(card["recentContent"][0]["contentType"], "written");

    // Once the organisation is deleted its content leaves public listings.
    app.delete(&format!("/api/organizations/{org_id}"))
        .cookie(&owner)
        .send()
        .await;
    let listed = app
        .get(&format!("/api/content/public?orgId={org_id}"))
        .send()
        .await;
    assert_eq!(listed.json()["pagination"]["total"], 0);
    // And no one publishes there any more.
    post(&app, &owner, &format!("/api/content/{id}/unpublish"))
        .await
        .assert_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn hostile_or_incoherent_input_is_refused_and_writes_nothing() {
    let app = app().await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    let refusals = [
        json!({"title": "T", "slug": "t", "contentType": "video"}),
        json!({"title": "T", "slug": "t", "contentType": "written"}),
        json!({"title": "T", "slug": "t", "contentType": "written", "contentBody": "x", "accessType": "paid"}),
        json!({"title": "T", "slug": "t", "contentType": "written", "contentBody": "x", "accessType": "free", "priceCents": 100}),
        json!({"title": "T", "slug": "t", "contentType": "written", "contentBody": "x", "priceCents": -1}),
        json!({"title": "T", "slug": "t", "contentType": "written", "contentBody": "x", "accessType": "followers"}),
        json!({"title": "T", "slug": "T T", "contentType": "written", "contentBody": "x"}),
        json!({"title": "", "slug": "t", "contentType": "written", "contentBody": "x"}),
        json!({"title": "T", "slug": "t", "contentType": "podcast", "contentBody": "x"}),
        json!({"title": "T", "slug": "t", "contentType": "written", "contentBody": "x", "status": "published"}),
        json!({"title": "T", "slug": "t", "contentType": "written", "contentBody": "x", "tags": vec!["x"; 21]}),
        json!({"title": "T", "slug": "t", "contentType": "written", "contentBody": "x", "categoryIds": ["7b0c7c52-1111-4c4c-9a9a-5f5f5f5f5f5f"]}),
        json!({"title": "T", "slug": "t", "contentType": "written", "contentBody": "x\u{0}"}),
    ];
    for body in refusals {
        let answer = create(&app, &creator, body.clone()).await;
        answer.assert_status(StatusCode::BAD_REQUEST);
        assert!(answer.json()["error"]["message"].is_string(), "{body}");
    }
    // An organisation that does not exist has no publishers.
    create(
        &app,
        &creator,
        json!({"title": "T", "slug": "t", "contentType": "written", "contentBody": "x",
               "organizationId": "7b0c7c52-1111-4c4c-9a9a-5f5f5f5f5f5f"}),
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    app.post("/api/content")
        .cookie(&creator)
        .body("{\"title\":", "application/json")
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    app.get("/api/content/not-a-uuid")
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    app.get("/api/content?sortBy=password")
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    app.get("/api/content/public")
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    app.get("/api/content/public/discover?featured=maybe")
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    // A search with SQL's wildcards finds them as text, not as patterns.
    created(&app, &creator, written("percent")).await;
    let search = app
        .get("/api/content?search=%25")
        .cookie(&creator)
        .send()
        .await;
    search.assert_status(StatusCode::OK);
    assert_eq!(search.json()["pagination"]["total"], 0);

    let all = app.get("/api/content").cookie(&creator).send().await;
    assert_eq!(all.json()["pagination"]["total"], 1, "only the good piece");

    // An update that breaks a rule changes nothing.
    let id = all.json()["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.patch(&format!("/api/content/{id}"))
        .cookie(&creator)
        .json(&json!({"contentBody": null, "title": "Changed"}))
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    let unchanged = app
        .get(&format!("/api/content/{id}"))
        .cookie(&creator)
        .send()
        .await;
    assert_eq!(unchanged.json()["data"]["title"], "Field notes");
}

#[tokio::test]
async fn an_account_with_content_cannot_be_deleted_until_the_content_is() {
    let app = app().await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    let id = created(&app, &creator, written("last-words")).await;
    let refused = app
        .delete("/api/user/account")
        .cookie(&creator)
        .json(&json!({"confirmation": "DELETE"}))
        .send()
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.json()["error"]["details"]["code"],
        "ACCOUNT_HAS_CONTENT"
    );
    app.delete(&format!("/api/content/{id}"))
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let deleted = app
        .delete("/api/user/account")
        .cookie(&creator)
        .json(&json!({"confirmation": "DELETE"}))
        .send()
        .await;
    assert!(deleted.status.is_success(), "{}", deleted.text());
}

async fn category(app: &TestApp, cookie: &str, query: &str, name: &str) -> TestResponse {
    app.post(&format!("/api/categories{query}"))
        .cookie(cookie)
        .json(&json!({"name": name}))
        .send()
        .await
}

#[tokio::test]
async fn category_slugs_come_from_names_and_stay_unique_under_concurrent_creates() {
    let app = app().await;
    let creator = app.sign_up("maker@example.com", "creator").await;
    let first = category(&app, &creator, "", "Behind the Scenes").await;
    first.assert_status(StatusCode::CREATED);
    assert_eq!(first.json()["data"]["slug"], "behind-the-scenes");
    assert_eq!(first.json()["data"]["organizationId"], Value::Null);
    let unicode = category(&app, &creator, "", "Über Cafés").await;
    assert_eq!(unicode.json()["data"]["slug"], "über-cafés");
    category(&app, &creator, "", "!!! ---")
        .await
        .assert_status(StatusCode::BAD_REQUEST);

    let racers = (0..5).map(|_| category(&app, &creator, "", "Behind the scenes"));
    let answers = futures::future::join_all(racers).await;
    let mut slugs: Vec<String> = answers
        .iter()
        .map(|answer| {
            answer.assert_status(StatusCode::CREATED);
            answer.json()["data"]["slug"]
                .as_str()
                .expect("a slug")
                .to_owned()
        })
        .collect();
    slugs.sort();
    assert_eq!(
        slugs,
        [
            "behind-the-scenes-2",
            "behind-the-scenes-3",
            "behind-the-scenes-4",
            "behind-the-scenes-5",
            "behind-the-scenes-6"
        ]
    );

    // New categories go last; a reorder puts them where asked.
    let listed = app
        .get("/api/categories?limit=100")
        .cookie(&creator)
        .send()
        .await;
    listed.assert_status(StatusCode::OK);
    assert_eq!(listed.json()["pagination"]["total"], 7);
    let ids: Vec<String> = listed.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids[0], first.json()["data"]["id"].as_str().expect("id"));
    let reversed: Vec<&String> = ids.iter().rev().collect();
    app.post("/api/categories/reorder")
        .cookie(&creator)
        .json(&json!({"orderedIds": reversed}))
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let listed = app
        .get("/api/categories?limit=100")
        .cookie(&creator)
        .send()
        .await;
    assert_eq!(listed.json()["items"][0]["id"], ids[6].as_str());
    app.post("/api/categories/reorder")
        .cookie(&creator)
        .json(&json!({"orderedIds": [ids[0], ids[0]]}))
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);

    // Another creator's personal space is theirs alone.
    let other = app.sign_up("other@example.com", "creator").await;
    let theirs = app.get("/api/categories").cookie(&other).send().await;
    assert_eq!(theirs.json()["pagination"]["total"], 0);
    app.patch(&format!("/api/categories/{}", ids[0]))
        .cookie(&other)
        .json(&json!({"name": "Mine"}))
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    category(&app, &other, "", "Behind the Scenes")
        .await
        .assert_status(StatusCode::CREATED);

    let renamed = app
        .patch(&format!("/api/categories/{}", ids[0]))
        .cookie(&creator)
        .json(&json!({"name": "Making of", "description": "How it was made"}))
        .send()
        .await;
    renamed.assert_status(StatusCode::OK);
    assert_eq!(renamed.json()["data"]["name"], "Making of");
    assert_eq!(
        renamed.json()["data"]["slug"],
        "behind-the-scenes",
        "links keep working"
    );
    app.delete(&format!("/api/categories/{}", ids[0]))
        .cookie(&creator)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    // Its slug is free again.
    let again = category(&app, &creator, "", "Behind the Scenes").await;
    assert_eq!(again.json()["data"]["slug"], "behind-the-scenes");
}

#[tokio::test]
async fn content_is_filed_in_categories_of_its_own_space_and_listed_by_them() {
    let app = app().await;
    let (owner, outsider, org_id) = owner_and_outsider(&app).await;
    let in_org = format!("?organizationId={org_id}");

    category(&app, &outsider, &in_org, "Tours")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.get(&format!("/api/categories{in_org}"))
        .cookie(&outsider)
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let tours = category(&app, &owner, &in_org, "Tours").await;
    tours.assert_status(StatusCode::CREATED);
    let tours_id = tours.json()["data"]["id"].as_str().expect("id").to_owned();
    let personal = category(&app, &owner, "", "Tours").await;
    let personal_id = personal.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // A category of another space is refused, and nothing is written.
    let mut body = written("live-in-tokyo");
    body["organizationId"] = json!(org_id);
    body["categoryIds"] = json!([personal_id]);
    create(&app, &owner, body.clone())
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    body["categoryIds"] = json!([tours_id, tours_id]);
    let created = create(&app, &owner, body).await;
    created.assert_status(StatusCode::CREATED);
    assert_eq!(created.json()["data"]["categoryIds"], json!([tours_id]));
    let id = created.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    post(&app, &owner, &format!("/api/content/{id}/publish"))
        .await
        .assert_status(StatusCode::OK);

    let by_category = app
        .get(&format!(
            "/api/content/public?orgId={org_id}&category=tours"
        ))
        .send()
        .await;
    assert_eq!(by_category.json()["pagination"]["total"], 1);
    assert_eq!(
        by_category.json()["items"][0]["categorySlugs"],
        json!(["tours"])
    );
    let elsewhere = app
        .get(&format!(
            "/api/content/public?orgId={org_id}&category=walks"
        ))
        .send()
        .await;
    assert_eq!(elsewhere.json()["pagination"]["total"], 0);
    let shelf = app
        .get(&format!("/api/content/public/categories?orgId={org_id}"))
        .send()
        .await;
    shelf.assert_status(StatusCode::OK);
    assert_eq!(shelf.json()["data"][0]["slug"], "tours");
    assert_eq!(shelf.json()["data"][0]["coverImageUrl"], Value::Null);
    let stats = app
        .get("/api/organizations/public/night-studio/stats")
        .send()
        .await;
    assert_eq!(
        stats.json()["data"]["categories"],
        json!([{"name": "Tours", "count": 1}])
    );

    // Moving the content to the personal space empties its categories.
    let moved = app
        .patch(&format!("/api/content/{id}"))
        .cookie(&owner)
        .json(&json!({"organizationId": null}))
        .send()
        .await;
    moved.assert_status(StatusCode::OK);
    assert_eq!(moved.json()["data"]["categoryIds"], json!([]));
    let filed = app
        .patch(&format!("/api/content/{id}"))
        .cookie(&owner)
        .json(&json!({"categoryIds": [personal_id]}))
        .send()
        .await;
    filed.assert_status(StatusCode::OK);
    assert_eq!(filed.json()["data"]["categoryIds"], json!([personal_id]));

    // A deleted category leaves the content.
    app.delete(&format!("/api/categories/{personal_id}"))
        .cookie(&owner)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let detail = app
        .get(&format!("/api/content/{id}"))
        .cookie(&owner)
        .send()
        .await;
    assert_eq!(detail.json()["data"]["categoryIds"], json!([]));
}

#[tokio::test]
async fn the_studio_looks_up_several_pieces_by_repeated_id() {
    let app = app().await;
    let maker = app.sign_up("maker@example.com", "creator").await;
    let other = app.sign_up("other@example.com", "creator").await;
    let first = created(&app, &maker, written("first")).await;
    let second = created(&app, &maker, written("second")).await;
    created(&app, &maker, written("third")).await;
    let theirs = created(&app, &other, written("theirs")).await;

    let found = app
        .get(&format!(
            "/api/content?id={first}&id={second}&id={theirs}&id={first}"
        ))
        .cookie(&maker)
        .send()
        .await;
    found.assert_status(StatusCode::OK);
    let mut ids: Vec<String> = found.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect();
    ids.sort();
    let mut expected = vec![first.clone(), second];
    expected.sort();
    assert_eq!(ids, expected, "only the caller's, each once");
    assert_eq!(found.json()["pagination"]["total"], 2);

    let everything = app.get("/api/content").cookie(&maker).send().await;
    assert_eq!(everything.json()["pagination"]["total"], 3);

    let bad = app
        .get(&format!("/api/content?id={first}&id=not-a-uuid"))
        .cookie(&maker)
        .send()
        .await;
    bad.assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_code().as_deref(), Some("VALIDATION_ERROR"));
    let too_many: String = (0..101)
        .map(|_| format!("id={}&", uuid::Uuid::new_v4()))
        .collect();
    app.get(&format!("/api/content?{too_many}"))
        .cookie(&maker)
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn public_listings_are_cached_until_a_change_raises_their_version() {
    let app = app().await;
    let maker = app.sign_up("maker@example.com", "creator").await;
    let id = created(&app, &maker, written("cached-notes")).await;
    post(&app, &maker, &format!("/api/content/{id}/publish"))
        .await
        .assert_status(StatusCode::OK);
    let titles = || async {
        let listed = app
            .get("/api/content/public/discover?search=notes")
            .send()
            .await;
        listed.assert_status(StatusCode::OK);
        listed.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| item["title"].as_str().expect("a title").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(titles().await, ["Field notes"]);

    // A change behind the service's back raises no version: the listing
    // still comes from the cache.
    app.ctx()
        .database()
        .execute(
            "UPDATE content SET title = 'Changed behind' WHERE id = $1::uuid",
            &[id.as_str().into()],
        )
        .await
        .expect("changed");
    assert_eq!(titles().await, ["Field notes"]);

    // Every change through the service is seen by the next read.
    app.patch(&format!("/api/content/{id}"))
        .cookie(&maker)
        .json(&json!({"title": "Renamed notes"}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(titles().await, ["Renamed notes"]);
    post(&app, &maker, &format!("/api/content/{id}/unpublish"))
        .await
        .assert_status(StatusCode::OK);
    assert!(titles().await.is_empty());
    post(&app, &maker, &format!("/api/content/{id}/publish"))
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(titles().await, ["Renamed notes"]);
    app.delete(&format!("/api/content/{id}"))
        .cookie(&maker)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert!(titles().await.is_empty());
}
