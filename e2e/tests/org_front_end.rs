//! The organisation service called exactly as the web app's server calls
//! it (`codex_e2e::front_end::FrontEnd`: JSON content type on every
//! request, no `Origin`, the three-name session cookie): the team page's
//! invite and member list, the studio's membership guard after a removal,
//! the storefront's creators and figures, following, the intro video and
//! clearing the description.

use codex_e2e::accounts::fresh_email;
use codex_e2e::front_end::FrontEnd;
use codex_e2e::organisations::{
    ORG, accept, create_org_named, fresh_slug, id_of, invitation_token_in, invite_and_read_token,
    items_of, join, mail_count, next_mail, org_path, owner_with_org, signed_in, signed_in_as,
    text_of,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A fresh organisation owned by a fresh creator: the owner's front end,
/// their browser, the organisation's id and slug.
async fn owned_org() -> (FrontEnd, codex_e2e::accounts::Browser, String, String) {
    let (browser, _, org) = owner_with_org().await;
    (
        FrontEnd::of(&browser),
        browser,
        id_of(&org),
        text_of(&org, "slug"),
    )
}

#[tokio::test]
async fn the_team_page_invites_through_members_invite_and_sees_addresses() {
    let (owner, _, id, _) = owned_org().await;
    let email = fresh_email();
    let invite = org_path(&id, "/members/invite");

    let refused = owner
        .post(ORG, &invite, &json!({"email": email, "role": "owner"}))
        .await;
    refused.expect_status(StatusCode::BAD_REQUEST, "invite as owner");
    let seen = mail_count(&email).await;
    let invited = owner
        .post(ORG, &invite, &json!({"email": email, "role": "creator"}))
        .await;
    invited.expect_status(StatusCode::CREATED, "members/invite");
    assert_eq!(
        invited.body["data"]["status"], "pending",
        "{}",
        invited.body
    );
    assert_eq!(invited.body["data"]["role"], "creator", "{}", invited.body);

    // The same invitation as `POST …/invitations` makes: mailed, accepted.
    let mail = next_mail(&email, seen).await;
    let token = invitation_token_in(&mail);
    let (invitee_browser, invitee) = signed_in_as(&email, "customer").await;
    let invitee_front = FrontEnd::of(&invitee_browser);
    let before = invitee_front
        .get(ORG, &org_path(&id, "/members/my-membership"))
        .await;
    assert!(before.body["data"]["role"].is_null(), "{}", before.body);
    accept(&invitee_browser, &token)
        .await
        .expect_status(StatusCode::OK, "accept");
    let after = invitee_front
        .get(ORG, &org_path(&id, "/members/my-membership"))
        .await;
    assert_eq!(after.body["data"]["role"], "creator", "{}", after.body);

    let again = owner
        .post(ORG, &invite, &json!({"email": email, "role": "member"}))
        .await;
    again.expect_status(StatusCode::CONFLICT, "invite an active member");

    let listed = owner
        .get(ORG, &org_path(&id, "/members?page=1&limit=50"))
        .await;
    let items = items_of(&listed, "members for the owner");
    assert_eq!(items.len(), 2, "{items:?}");
    let entry = items
        .iter()
        .find(|item| item["userId"] == invitee.id.as_str())
        .unwrap_or_else(|| panic!("invitee listed: {items:?}"));
    assert_eq!(entry["email"], email.as_str(), "{entry}");
    assert!(entry.get("avatarUrl").is_some(), "{entry}");
    for field in ["userId", "name", "role", "status", "joinedAt"] {
        assert!(entry.get(field).is_some(), "{field}: {entry}");
    }
    let owner_entry = items
        .iter()
        .find(|item| item["role"] == "owner")
        .unwrap_or_else(|| panic!("owner listed: {items:?}"));
    assert!(owner_entry["email"].is_string(), "{owner_entry}");

    // A creator sees the team, but no addresses.
    let seen_by_creator = invitee_front
        .get(ORG, &org_path(&id, "/members?page=1&limit=50"))
        .await;
    for item in items_of(&seen_by_creator, "members for a creator") {
        assert!(item["email"].is_null(), "{item}");
    }
}

#[tokio::test]
async fn a_removed_member_gets_no_role_and_the_studio_stays_shut() {
    let (owner, owner_browser, id, _) = owned_org().await;
    let (admin_browser, admin) = join(&owner_browser, &id, "admin").await;
    let admin_front = FrontEnd::of(&admin_browser);
    let mine = org_path(&id, "/members/my-membership");
    assert_eq!(
        admin_front.get(ORG, &mine).await.body["data"]["role"],
        "admin"
    );

    owner
        .delete(ORG, &org_path(&id, &format!("/members/{}", admin.id)))
        .await
        .expect_status(StatusCode::NO_CONTENT, "remove the admin");
    let after = admin_front.get(ORG, &mine).await;
    after.expect_status(StatusCode::OK, "my-membership after removal");
    assert!(after.body["data"]["role"].is_null(), "{}", after.body);
    assert!(after.body["data"]["joinedAt"].is_null(), "{}", after.body);
    admin_front
        .get(ORG, &org_path(&id, "/settings"))
        .await
        .expect_status(StatusCode::FORBIDDEN, "settings after removal");
}

#[tokio::test]
async fn the_storefront_lists_creators_and_figures_without_addresses() {
    let (owner, owner_browser, id, slug) = owned_org().await;
    // A creator with an organisation of their own joins as a creator.
    let (creator_browser, creator) = signed_in("creator").await;
    let own = create_org_named(&creator_browser, "Own Shop").await;
    let (_, token) = invite_and_read_token(&owner_browser, &id, &creator.email, "creator").await;
    accept(&creator_browser, &token)
        .await
        .expect_status(StatusCode::OK, "the creator joins");
    let (_, member) = join(&owner_browser, &id, "member").await;
    let anyone = FrontEnd::anonymous();
    let path = format!("/api/organizations/public/{slug}/creators?page=1&limit=20");

    let listed = anyone.get(ORG, &path).await;
    let items = items_of(&listed, "public creators");
    let text = listed.body.to_string();
    assert!(!text.contains("@example.com"), "{text}");
    assert!(
        !text.contains(member.id.as_str()),
        "a plain member listed: {text}"
    );
    assert_eq!(listed.body["pagination"]["total"], 2, "{}", listed.body);
    assert_eq!(items[0]["role"], "owner", "{items:?}");
    assert_eq!(items[0]["organizations"], json!([]), "{items:?}");
    assert_eq!(items[1]["id"], creator.id.as_str(), "{items:?}");
    assert_eq!(
        items[1]["organizations"],
        json!([{"slug": text_of(&own, "slug"), "name": "Own Shop", "logoUrl": null}]),
        "{items:?}"
    );
    for item in &items {
        for field in [
            "id",
            "name",
            "username",
            "avatarUrl",
            "bio",
            "socialLinks",
            "role",
            "joinedAt",
        ] {
            assert!(item.get(field).is_some(), "{field}: {item}");
        }
        assert_eq!(item["contentCount"], 0, "{item}");
        assert_eq!(item["recentContent"], json!([]), "{item}");
    }
    let second = anyone
        .get(
            ORG,
            &format!("/api/organizations/public/{slug}/creators?page=2&limit=1"),
        )
        .await;
    let page = items_of(&second, "the second page");
    assert_eq!(page.len(), 1, "{}", second.body);
    assert_eq!(page[0]["id"], creator.id.as_str(), "{}", second.body);
    assert_eq!(
        second.body["pagination"]["totalPages"], 2,
        "{}",
        second.body
    );

    for bad in ["limit=0", "limit=101", "page=0"] {
        anyone
            .get(
                ORG,
                &format!("/api/organizations/public/{slug}/creators?{bad}"),
            )
            .await
            .expect_status(StatusCode::BAD_REQUEST, bad);
    }
    anyone
        .get(
            ORG,
            &format!("/api/organizations/public/{}/creators", fresh_slug()),
        )
        .await
        .expect_status(StatusCode::NOT_FOUND, "unknown storefront");

    let stats = anyone
        .get(ORG, &format!("/api/organizations/public/{slug}/stats"))
        .await;
    stats.expect_status(StatusCode::OK, "public stats");
    assert_eq!(
        stats.body["data"],
        json!({
            "content": {"total": 0, "video": 0, "audio": 0, "written": 0},
            "totalDurationSeconds": 0,
            "creators": 2,
            "totalViews": 0,
            "categories": [],
        })
    );

    owner
        .delete(ORG, &format!("/api/organizations/{id}"))
        .await
        .expect_status(StatusCode::NO_CONTENT, "delete the organisation");
    for what in ["creators", "stats"] {
        anyone
            .get(ORG, &format!("/api/organizations/public/{slug}/{what}"))
            .await
            .expect_status(StatusCode::NOT_FOUND, what);
    }
}

#[tokio::test]
async fn following_an_organisation_is_idempotent_and_counted() {
    let (owner, _, id, _) = owned_org().await;
    let (fan_browser, _) = signed_in("customer").await;
    let fan = FrontEnd::of(&fan_browser);
    let anyone = FrontEnd::anonymous();
    let followers = org_path(&id, "/followers");
    let count = org_path(&id, "/followers/count");
    let me = org_path(&id, "/followers/me");

    anyone
        .post_empty(ORG, &followers)
        .await
        .expect_status(StatusCode::UNAUTHORIZED, "follow signed out");
    assert_eq!(
        anyone.get(ORG, &count).await.body,
        json!({"data": {"count": 0}})
    );
    for round in 0..2 {
        let followed = fan.post_empty(ORG, &followers).await;
        followed.expect_status(StatusCode::CREATED, &format!("follow {round}"));
        assert_eq!(followed.body, json!({"data": null}));
    }
    assert_eq!(anyone.get(ORG, &count).await.body["data"]["count"], 1);
    assert_eq!(fan.get(ORG, &me).await.body["data"]["following"], true);
    assert_eq!(owner.get(ORG, &me).await.body["data"]["following"], false);
    for round in 0..2 {
        let left = fan.delete(ORG, &followers).await;
        left.expect_status(StatusCode::OK, &format!("unfollow {round}"));
        assert_eq!(left.body, json!({"data": null}));
    }
    assert_eq!(anyone.get(ORG, &count).await.body["data"]["count"], 0);
    assert_eq!(fan.get(ORG, &me).await.body["data"]["following"], false);

    let unknown = org_path("00000000-0000-4000-8000-000000000000", "/followers");
    fan.post_empty(ORG, &unknown)
        .await
        .expect_status(StatusCode::NOT_FOUND, "follow an unknown organisation");
    owner
        .delete(ORG, &format!("/api/organizations/{id}"))
        .await
        .expect_status(StatusCode::NO_CONTENT, "delete");
    fan.post_empty(ORG, &followers)
        .await
        .expect_status(StatusCode::NOT_FOUND, "follow a deleted organisation");
    anyone
        .get(ORG, &count)
        .await
        .expect_status(StatusCode::NOT_FOUND, "count of a deleted organisation");
}

#[tokio::test]
async fn the_intro_video_is_in_the_branding_and_links_a_video_of_the_media_library() {
    let (owner, owner_browser, id, slug) = owned_org().await;
    let (member_browser, _) = join(&owner_browser, &id, "member").await;
    let member = FrontEnd::of(&member_browser);
    let anyone = FrontEnd::anonymous();
    let intro = org_path(&id, "/settings/branding/intro-video");

    let settings = owner.get(ORG, &org_path(&id, "/settings")).await;
    settings.expect_status(StatusCode::OK, "settings");
    let branding = &settings.body["data"]["branding"];
    for field in ["introVideoUrl", "introVideoMediaItemId"] {
        assert!(
            branding.get(field).is_some_and(Value::is_null),
            "{field}: {branding}"
        );
    }
    for path in [
        format!("/api/organizations/public/{slug}"),
        format!("/api/organizations/public/{slug}/info"),
    ] {
        let public = anyone.get(ORG, &path).await;
        public.expect_status(StatusCode::OK, &path);
        assert!(
            public.body["data"]
                .get("introVideoUrl")
                .is_some_and(Value::is_null),
            "{path}: {}",
            public.body
        );
    }

    let status = member.get(ORG, &format!("{intro}/status")).await;
    status.expect_status(StatusCode::OK, "status for a member");
    assert_eq!(
        status.body["data"],
        json!({"status": "none", "introVideoUrl": null, "progress": null, "error": null})
    );
    let media = json!({"mediaItemId": "00000000-0000-4000-8000-000000000000"});
    member
        .post(ORG, &intro, &media)
        .await
        .expect_status(StatusCode::FORBIDDEN, "a member links");
    owner
        .post(ORG, &intro, &json!({"mediaItemId": "not-a-uuid"}))
        .await
        .expect_status(StatusCode::BAD_REQUEST, "a malformed id");
    let missing = owner.post(ORG, &intro, &media).await;
    missing.expect_status(StatusCode::NOT_FOUND, "no such media item");
    assert_eq!(missing.body["error"]["message"], "Media item not found");

    // A video the owner declares in the media library: linked, and the
    // status follows it while it is still being uploaded.
    let declared = owner
        .post(
            "content",
            "/api/media",
            &json!({"title": "Intro", "mediaType": "video", "mimeType": "video/mp4", "fileSizeBytes": 4096}),
        )
        .await;
    declared.expect_status(StatusCode::CREATED, "declare the intro video");
    let video = declared.body["data"]["id"].clone();
    let linked = owner
        .post(ORG, &intro, &json!({"mediaItemId": video}))
        .await;
    linked.expect_status(StatusCode::OK, "link the intro video");
    assert_eq!(linked.body["data"]["introVideoMediaItemId"], video);
    let status = member.get(ORG, &format!("{intro}/status")).await;
    status.expect_status(StatusCode::OK, "status of a linked video");
    assert_eq!(status.body["data"]["status"], "uploading");
    // Another creator's video cannot be linked.
    let (stranger_browser, _) = join(&owner_browser, &id, "admin").await;
    let stranger = FrontEnd::of(&stranger_browser);
    stranger
        .post(ORG, &intro, &json!({"mediaItemId": video}))
        .await
        .expect_status(StatusCode::FORBIDDEN, "an admin links the owner's video");

    let removed = owner.delete(ORG, &intro).await;
    removed.expect_status(StatusCode::OK, "remove the intro video");
    assert!(
        removed.body["data"]["introVideoUrl"].is_null(),
        "{}",
        removed.body
    );
    assert!(
        removed.body["data"]["introVideoMediaItemId"].is_null(),
        "{}",
        removed.body
    );
}

#[tokio::test]
async fn a_null_description_clears_the_subheading() {
    let (owner, _, id, slug) = owned_org().await;
    let path = format!("/api/organizations/{id}");
    owner
        .patch(
            ORG,
            &path,
            &json!({"name": "Subheaded", "description": "Words."}),
        )
        .await
        .expect_status(StatusCode::OK, "describe");
    let info = format!("/api/organizations/public/{slug}/info");
    let anyone = FrontEnd::anonymous();
    assert_eq!(
        anyone.get(ORG, &info).await.body["data"]["description"],
        "Words."
    );

    let cleared = owner
        .patch(
            ORG,
            &path,
            &json!({"name": "Subheaded", "description": null}),
        )
        .await;
    cleared.expect_status(StatusCode::OK, "clear with null");
    assert!(
        cleared.body["data"]["description"].is_null(),
        "{}",
        cleared.body
    );
    assert_eq!(cleared.body["data"]["name"], "Subheaded");
    let read = owner.get(ORG, &path).await;
    assert!(read.body["data"]["description"].is_null(), "{}", read.body);
    assert!(
        anyone.get(ORG, &info).await.body["data"]["description"].is_null(),
        "public info still shows the old description"
    );
}
