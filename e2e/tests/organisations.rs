//! The organisation service: creating, reading, listing, updating and
//! deleting organisations, slugs, the two public routes and their cache.
//! Every test makes its own users and organisations with fresh addresses and
//! slugs, so the tests run in parallel against one platform.

use codex_e2e::accounts::{Browser, Reply};
use codex_e2e::organisations::{
    ORG, accept, assert_field_error, assert_refused, create_org_named, fresh_slug, fresh_word,
    id_of, invite_and_read_token, items_of, join, members, my_membership, my_organizations,
    org_path, owner_with_org, public_branding, public_info, signed_in, slug_available, text_of,
    try_create_org,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `GET /api/organizations/{id}`.
async fn org_by_id(browser: &Browser, id: &str) -> Reply {
    browser.call(browser.get(ORG, &org_path(id, ""))).await
}

/// `GET /api/organizations/slug/{slug}`.
async fn org_by_slug(browser: &Browser, slug: &str) -> Reply {
    browser
        .call(browser.get(ORG, &format!("/api/organizations/slug/{slug}")))
        .await
}

/// `PATCH /api/organizations/{id}` with `body`.
async fn patch_org(browser: &Browser, id: &str, body: &Value) -> Reply {
    browser
        .call(browser.patch(ORG, &org_path(id, "")).json(body))
        .await
}

/// `GET /api/organizations` with `query`.
async fn list_orgs(browser: &Browser, query: &[(&str, &str)]) -> Reply {
    browser
        .call(browser.get(ORG, "/api/organizations").query(query))
        .await
}

/// The `name` of each item, in order.
fn names(items: &[Value]) -> Vec<String> {
    items.iter().map(|item| text_of(item, "name")).collect()
}

/// A number field as `f64`, failing with the object when it is not one.
fn number(value: &Value, field: &str) -> f64 {
    value[field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field}: {value}"))
}

#[tokio::test]
async fn creators_admins_and_platform_owners_create_organisations_they_own() {
    for role in ["creator", "admin", "platform_owner"] {
        let (browser, account) = signed_in(role).await;
        let word = fresh_word();
        let slug = format!("e2e-{word}");
        let name = format!("E2E {role} {word}");
        let reply = try_create_org(
            &browser,
            &json!({
                "name": name,
                "slug": format!("  E2E-{}  ", word.to_uppercase()),
                "description": "Made by the suite.",
                "websiteUrl": "https://example.com/org",
            }),
        )
        .await;
        reply.expect_status(StatusCode::CREATED, role);
        let org = &reply.body["data"];
        assert_eq!(org["slug"], slug.as_str(), "{role}: {org}");
        assert_eq!(org["name"], name.as_str(), "{role}: {org}");
        assert_eq!(org["description"], "Made by the suite.", "{role}: {org}");
        assert_eq!(
            org["websiteUrl"], "https://example.com/org",
            "{role}: {org}"
        );
        assert!(org["logoUrl"].is_null(), "{role}: {org}");
        for field in ["id", "createdAt", "updatedAt"] {
            assert!(
                org[field].as_str().is_some_and(|v| !v.is_empty()),
                "{role}: {field}: {org}"
            );
        }
        let id = id_of(org);

        for (what, read) in [
            ("by id", org_by_id(&browser, &id).await),
            ("by slug", org_by_slug(&browser, &slug).await),
        ] {
            read.expect_status(StatusCode::OK, &format!("{role}: GET {what}"));
            let data = &read.body["data"];
            for field in ["id", "name", "slug", "description", "websiteUrl", "logoUrl"] {
                assert_eq!(data[field], org[field], "{role} {what}: {field}: {data}");
            }
        }

        let mine = my_organizations(&browser).await;
        assert_eq!(mine.len(), 1, "{role}: {mine:?}");
        assert_eq!(mine[0]["id"], id.as_str(), "{role}: {mine:?}");
        assert_eq!(mine[0]["slug"], slug.as_str(), "{role}: {mine:?}");
        assert_eq!(mine[0]["name"], name.as_str(), "{role}: {mine:?}");
        assert_eq!(mine[0]["role"], "owner", "{role}: {mine:?}");

        let membership = my_membership(&browser, &id).await;
        assert_eq!(membership["role"], "owner", "{role}: {membership}");
        assert_eq!(membership["status"], "active", "{role}: {membership}");
        assert!(membership["joinedAt"].is_string(), "{role}: {membership}");

        let listed = items_of(&members(&browser, &id, &[]).await, "members");
        assert_eq!(listed.len(), 1, "{role}: {listed:?}");
        assert_eq!(listed[0]["userId"], account.id.as_str(), "{listed:?}");
        assert_eq!(listed[0]["role"], "owner", "{listed:?}");
        assert_eq!(listed[0]["status"], "active", "{listed:?}");
        assert!(!slug_available(&browser, &slug).await, "{slug} is taken");
    }
}

#[tokio::test]
async fn customers_and_anonymous_visitors_cannot_create_organisations() {
    let (customer, _) = signed_in("customer").await;
    let slug = fresh_slug();
    let body = json!({"name": "E2E Customer Org", "slug": slug});

    let refused = try_create_org(&customer, &body).await;
    assert_refused(&refused, StatusCode::FORBIDDEN, "FORBIDDEN", "customer");

    let anonymous = try_create_org(&Browser::new(), &body).await;
    assert_refused(
        &anonymous,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        "anonymous",
    );

    assert!(slug_available(&customer, &slug).await, "{slug} stays free");
    let mine = my_organizations(&customer).await;
    assert!(mine.is_empty(), "{mine:?}");
}

#[tokio::test]
async fn invalid_and_reserved_slugs_are_refused_on_the_slug_field() {
    let (browser, _) = signed_in("creator").await;
    let long = "a".repeat(256);
    let bad = [
        "bad slug!",
        "-lead",
        "trail-",
        "double--hyphen",
        long.as_str(),
        "admin",
        "api",
        "www",
        "auth",
        "content-api",
    ];
    for slug in bad {
        let reply = try_create_org(&browser, &json!({"name": "E2E Bad Slug", "slug": slug})).await;
        assert_field_error(&reply, "slug", &format!("create with slug {slug:?}"));
    }
    let mine = my_organizations(&browser).await;
    assert!(mine.is_empty(), "nothing created: {mine:?}");

    for slug in bad.map(|slug| slug.replace(' ', "%20")) {
        assert!(
            !slug_available(&browser, &slug).await,
            "check-slug {slug:?} must not be available"
        );
    }
    assert!(slug_available(&browser, &fresh_slug()).await, "fresh slug");
}

#[tokio::test]
async fn a_slug_taken_by_a_live_organisation_is_a_conflict_on_the_slug_field() {
    let (_, _, org) = owner_with_org().await;
    let slug = text_of(&org, "slug");
    let (second, _) = signed_in("creator").await;

    for attempt in [slug.clone(), format!("  {}  ", slug.to_uppercase())] {
        let reply = try_create_org(&second, &json!({"name": "E2E Second", "slug": attempt})).await;
        assert_refused(
            &reply,
            StatusCode::CONFLICT,
            "CONFLICT",
            &format!("slug {attempt:?}"),
        );
        assert_eq!(
            reply.body["error"]["details"]["field"], "slug",
            "{}",
            reply.body
        );
    }
    assert!(!slug_available(&second, &slug).await, "{slug} is taken");
    let mine = my_organizations(&second).await;
    assert!(mine.is_empty(), "nothing created: {mine:?}");
}

#[tokio::test]
async fn bad_organisation_fields_are_refused_and_write_nothing() {
    let (browser, _) = signed_in("creator").await;
    let cases = [
        ("empty name", Some("name"), json!({"name": ""})),
        (
            "256-character name",
            Some("name"),
            json!({"name": "n".repeat(256)}),
        ),
        (
            "script website",
            Some("websiteUrl"),
            json!({"name": "E2E Org", "websiteUrl": "javascript:alert(1)"}),
        ),
        (
            "unknown field",
            None,
            json!({"name": "E2E Org", "ownerId": "someone-else"}),
        ),
    ];
    for (what, field, mut body) in cases {
        let slug = fresh_slug();
        body["slug"] = json!(slug);
        let reply = try_create_org(&browser, &body).await;
        match field {
            Some(field) => assert_field_error(&reply, field, what),
            None => assert_refused(&reply, StatusCode::BAD_REQUEST, "VALIDATION_ERROR", what),
        }
        assert!(
            slug_available(&browser, &slug).await,
            "{what}: {slug} stays free"
        );
    }
    let mine = my_organizations(&browser).await;
    assert!(mine.is_empty(), "nothing created: {mine:?}");
}

#[tokio::test]
async fn organisations_are_read_by_id_and_slug_by_any_signed_in_user() {
    let (_, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let slug = text_of(&org, "slug");
    let (reader, _) = signed_in("customer").await;

    let by_id = org_by_id(&reader, &id).await;
    by_id.expect_status(StatusCode::OK, "GET by id as a stranger");
    assert_eq!(by_id.body["data"]["slug"], slug.as_str(), "{}", by_id.body);
    let by_slug = org_by_slug(&reader, &slug).await;
    by_slug.expect_status(StatusCode::OK, "GET by slug as a stranger");
    assert_eq!(by_slug.body["data"]["id"], id.as_str(), "{}", by_slug.body);

    let malformed = org_by_id(&reader, "not-a-uuid").await;
    assert_refused(
        &malformed,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "malformed id",
    );
    let unknown = org_by_id(&reader, &uuid::Uuid::new_v4().to_string()).await;
    assert_refused(&unknown, StatusCode::NOT_FOUND, "NOT_FOUND", "unknown id");
    let unknown_slug = org_by_slug(&reader, &fresh_slug()).await;
    assert_refused(
        &unknown_slug,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "unknown slug",
    );

    let anonymous = Browser::new();
    for (what, reply) in [
        ("by id", org_by_id(&anonymous, &id).await),
        ("by slug", org_by_slug(&anonymous, &slug).await),
        (
            "check-slug",
            anonymous
                .call(anonymous.get(ORG, &format!("/api/organizations/check-slug/{slug}")))
                .await,
        ),
        (
            "my-organizations",
            anonymous
                .call(anonymous.get(ORG, "/api/organizations/my-organizations"))
                .await,
        ),
    ] {
        assert_refused(
            &reply,
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            &format!("anonymous {what}"),
        );
    }
}

#[tokio::test]
async fn my_organisations_lists_only_mine_sorted_by_name_with_my_role() {
    let (browser, account) = signed_in("creator").await;
    let word = fresh_word();
    let mike = create_org_named(&browser, &format!("Mike {word}")).await;
    let zulu = create_org_named(&browser, &format!("Zulu {word}")).await;
    let alpha = create_org_named(&browser, &format!("Alpha {word}")).await;

    let (other, _) = signed_in("creator").await;
    let kilo = create_org_named(&other, &format!("Kilo {word}")).await;
    let foreign = create_org_named(&other, &format!("Bravo {word}")).await;
    let (_, token) = invite_and_read_token(&other, &id_of(&kilo), &account.email, "admin").await;
    let accepted = accept(&browser, &token).await;
    accepted.expect_status(StatusCode::OK, "accept the invitation to Kilo");

    let mine = my_organizations(&browser).await;
    assert_eq!(
        names(&mine),
        [
            format!("Alpha {word}"),
            format!("Kilo {word}"),
            format!("Mike {word}"),
            format!("Zulu {word}"),
        ],
        "{mine:?}"
    );
    let roles: Vec<&Value> = mine.iter().map(|entry| &entry["role"]).collect();
    assert_eq!(roles, ["owner", "admin", "owner", "owner"], "{mine:?}");
    for (entry, org) in mine.iter().zip([&alpha, &kilo, &mike, &zulu]) {
        assert_eq!(entry["id"], org["id"], "{mine:?}");
        assert_eq!(entry["slug"], org["slug"], "{mine:?}");
        assert!(entry["logoUrl"].is_null(), "{mine:?}");
    }
    assert!(
        !mine.iter().any(|entry| entry["id"] == foreign["id"]),
        "not a member of {foreign}: {mine:?}"
    );
}

#[tokio::test]
async fn managers_update_an_organisation_and_nobody_else_can() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let slug = text_of(&org, "slug");
    let (admin, _) = join(&owner, &id, "admin").await;
    let (member, _) = join(&owner, &id, "member").await;
    let (stranger, _, other) = owner_with_org().await;

    let name = format!("E2E Renamed {}", fresh_word());
    let updated = patch_org(
        &owner,
        &id,
        &json!({
            "name": name,
            "description": "Now described.",
            "websiteUrl": "https://example.com/renamed",
        }),
    )
    .await;
    updated.expect_status(StatusCode::OK, "owner PATCH");
    let data = &updated.body["data"];
    assert_eq!(data["name"], name.as_str(), "{data}");
    assert_eq!(data["description"], "Now described.", "{data}");
    assert_eq!(data["websiteUrl"], "https://example.com/renamed", "{data}");
    assert_eq!(data["slug"], slug.as_str(), "slug untouched: {data}");

    let by_admin = patch_org(&admin, &id, &json!({"description": "Admin words."})).await;
    by_admin.expect_status(StatusCode::OK, "admin PATCH");
    assert_eq!(
        by_admin.body["data"]["description"], "Admin words.",
        "{}",
        by_admin.body
    );
    assert_eq!(
        by_admin.body["data"]["name"],
        name.as_str(),
        "{}",
        by_admin.body
    );

    let refused = json!({"name": "E2E Hijacked"});
    assert_refused(
        &patch_org(&member, &id, &refused).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "member PATCH",
    );
    assert_refused(
        &patch_org(&stranger, &id, &refused).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "another organisation's owner PATCH",
    );
    assert_refused(
        &patch_org(&Browser::new(), &id, &refused).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        "anonymous PATCH",
    );
    let read = org_by_id(&owner, &id).await;
    read.expect_status(StatusCode::OK, "GET after refused updates");
    assert_eq!(read.body["data"]["name"], name.as_str(), "{}", read.body);
    assert_eq!(
        read.body["data"]["description"], "Admin words.",
        "{}",
        read.body
    );

    let taken = patch_org(&owner, &id, &json!({"slug": other["slug"]})).await;
    assert_refused(&taken, StatusCode::CONFLICT, "CONFLICT", "taken slug");
    assert_eq!(
        org_by_slug(&owner, &slug).await.body["data"]["id"],
        id.as_str()
    );

    let new_slug = fresh_slug();
    let moved = patch_org(&owner, &id, &json!({"slug": new_slug})).await;
    moved.expect_status(StatusCode::OK, "slug change");
    assert_eq!(
        moved.body["data"]["slug"],
        new_slug.as_str(),
        "{}",
        moved.body
    );
    let by_new = org_by_slug(&member, &new_slug).await;
    by_new.expect_status(StatusCode::OK, "GET by the new slug");
    assert_eq!(by_new.body["data"]["id"], id.as_str(), "{}", by_new.body);
    assert_refused(
        &org_by_slug(&member, &slug).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "GET by the old slug",
    );
    assert!(slug_available(&member, &slug).await, "old slug freed");
    assert!(!slug_available(&member, &new_slug).await, "new slug taken");
}

#[tokio::test]
async fn the_organisation_list_searches_pages_and_sorts() {
    let (browser, _) = signed_in("creator").await;
    let word = fresh_word();
    let bravo = create_org_named(&browser, &format!("Bravo {word}")).await;
    let alpha = create_org_named(&browser, &format!("Alpha {word}")).await;
    let charlie = create_org_named(&browser, &format!("Charlie {word}")).await;
    let (reader, _) = signed_in("customer").await;
    let upper = word.to_uppercase();

    let first = list_orgs(
        &reader,
        &[
            ("search", upper.as_str()),
            ("sortBy", "name"),
            ("sortOrder", "asc"),
            ("limit", "2"),
            ("page", "1"),
        ],
    )
    .await;
    let items = items_of(&first, "page 1");
    assert_eq!(
        names(&items),
        [format!("Alpha {word}"), format!("Bravo {word}")],
        "{}",
        first.body
    );
    let pagination = &first.body["pagination"];
    assert_eq!(pagination["page"], 1, "{}", first.body);
    assert_eq!(pagination["limit"], 2, "{}", first.body);
    assert_eq!(pagination["total"], 3, "{}", first.body);
    assert_eq!(pagination["totalPages"], 2, "{}", first.body);

    let second = list_orgs(
        &reader,
        &[
            ("search", upper.as_str()),
            ("sortBy", "name"),
            ("sortOrder", "asc"),
            ("limit", "2"),
            ("page", "2"),
        ],
    )
    .await;
    assert_eq!(
        names(&items_of(&second, "page 2")),
        [format!("Charlie {word}")],
        "{}",
        second.body
    );

    let descending = list_orgs(
        &reader,
        &[
            ("search", word.as_str()),
            ("sortBy", "name"),
            ("sortOrder", "desc"),
        ],
    )
    .await;
    assert_eq!(
        names(&items_of(&descending, "name desc")),
        [
            format!("Charlie {word}"),
            format!("Bravo {word}"),
            format!("Alpha {word}"),
        ],
        "{}",
        descending.body
    );

    let by_age = list_orgs(
        &reader,
        &[
            ("search", word.as_str()),
            ("sortBy", "createdAt"),
            ("sortOrder", "asc"),
        ],
    )
    .await;
    let ids: Vec<Value> = items_of(&by_age, "createdAt asc")
        .iter()
        .map(|item| item["id"].clone())
        .collect();
    assert_eq!(
        ids,
        [
            bravo["id"].clone(),
            alpha["id"].clone(),
            charlie["id"].clone()
        ],
        "{}",
        by_age.body
    );

    let slug = text_of(&alpha, "slug");
    let by_slug = list_orgs(&reader, &[("search", slug.to_uppercase().as_str())]).await;
    let found = items_of(&by_slug, "search by slug");
    assert_eq!(found.len(), 1, "{}", by_slug.body);
    assert_eq!(found[0]["id"], alpha["id"], "{}", by_slug.body);
    assert_eq!(found[0]["slug"], slug.as_str(), "{}", by_slug.body);

    let nothing = list_orgs(&reader, &[("search", fresh_word().as_str())]).await;
    assert!(items_of(&nothing, "search for nothing").is_empty());
    assert_eq!(nothing.body["pagination"]["total"], 0, "{}", nothing.body);

    for query in [("limit", "101"), ("page", "0"), ("sortBy", "bogus")] {
        let reply = list_orgs(&reader, &[query]).await;
        assert_refused(
            &reply,
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            &format!("{query:?}"),
        );
    }
    assert_refused(
        &list_orgs(&Browser::new(), &[]).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        "anonymous list",
    );
}

#[tokio::test]
async fn only_the_owner_deletes_an_organisation_and_it_is_gone_everywhere() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let slug = text_of(&org, "slug");
    let (admin, _) = join(&owner, &id, "admin").await;
    let (member, _) = join(&owner, &id, "member").await;
    let delete = |browser: &Browser| browser.delete(ORG, &org_path(&id, ""));

    assert_refused(
        &admin.call(delete(&admin)).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "admin DELETE",
    );
    assert_refused(
        &member.call(delete(&member)).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "member DELETE",
    );
    let anonymous = Browser::new();
    assert_refused(
        &anonymous.call(delete(&anonymous)).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        "anonymous DELETE",
    );
    org_by_id(&owner, &id)
        .await
        .expect_status(StatusCode::OK, "still there after refused deletes");

    let deleted = owner.call(delete(&owner)).await;
    deleted.expect_status(StatusCode::NO_CONTENT, "owner DELETE");

    assert_refused(
        &org_by_id(&owner, &id).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "GET by id after delete",
    );
    assert_refused(
        &org_by_slug(&owner, &slug).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "GET by slug after delete",
    );
    assert_refused(
        &public_info(&slug).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "public info after delete",
    );
    assert!(slug_available(&owner, &slug).await, "{slug} freed");
    for (who, browser) in [("owner", &owner), ("admin", &admin), ("member", &member)] {
        let mine = my_organizations(browser).await;
        assert!(
            !mine.iter().any(|entry| entry["id"] == id.as_str()),
            "{who} still lists it: {mine:?}"
        );
    }
    let listed = list_orgs(&owner, &[("search", slug.as_str())]).await;
    assert!(
        items_of(&listed, "list after delete").is_empty(),
        "{}",
        listed.body
    );

    let (next, _) = signed_in("creator").await;
    let reused = try_create_org(&next, &json!({"name": "E2E Reused", "slug": slug})).await;
    reused.expect_status(StatusCode::CREATED, "the freed slug is used again");
    assert_ne!(reused.body["data"]["id"], id.as_str(), "{}", reused.body);
}

#[tokio::test]
async fn the_public_routes_need_no_session_and_start_with_the_defaults() {
    let (owner, _) = signed_in("creator").await;
    let slug = fresh_slug();
    let name = format!("E2E Public {}", fresh_word());
    let created = try_create_org(
        &owner,
        &json!({"name": name, "slug": slug, "description": "Public words."}),
    )
    .await;
    created.expect_status(StatusCode::CREATED, "create");
    let id = id_of(&created.body["data"]);

    let branding = public_branding(&slug).await;
    branding.expect_status(StatusCode::OK, "public branding");
    let data = &branding.body["data"];
    assert_eq!(data["primaryColorHex"], "#3B82F6", "{data}");
    assert_eq!(number(data, "radiusValue"), 0.5, "{data}");
    assert_eq!(number(data, "densityValue"), 1.0, "{data}");
    assert_eq!(data["heroLayout"], "default", "{data}");
    for field in [
        "logoUrl",
        "secondaryColorHex",
        "accentColorHex",
        "backgroundColorHex",
        "fontBody",
        "fontHeading",
    ] {
        assert!(
            data.get(field).is_some_and(Value::is_null),
            "{field}: {data}"
        );
    }

    let info = public_info(&slug).await;
    info.expect_status(StatusCode::OK, "public info");
    let data = &info.body["data"];
    assert_eq!(data["id"], id.as_str(), "{data}");
    assert_eq!(data["slug"], slug.as_str(), "{data}");
    assert_eq!(data["name"], name.as_str(), "{data}");
    assert_eq!(data["description"], "Public words.", "{data}");
    assert!(data.get("logoUrl").is_some_and(Value::is_null), "{data}");
    assert_eq!(
        data["brandColors"],
        json!({"primary": "#3B82F6", "secondary": null, "accent": null, "background": null}),
        "{data}"
    );
    assert_eq!(
        data["brandFonts"],
        json!({"body": null, "heading": null}),
        "{data}"
    );
    assert_eq!(number(data, "brandRadius"), 0.5, "{data}");
    assert_eq!(number(data, "brandDensity"), 1.0, "{data}");
    assert_eq!(data["heroLayout"], "default", "{data}");
    assert_eq!(data["enableSubscriptions"], false, "{data}");

    let unknown = fresh_slug();
    assert_refused(
        &public_branding(&unknown).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "public branding of an unknown slug",
    );
    assert_refused(
        &public_info(&unknown).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "public info of an unknown slug",
    );
}

#[tokio::test]
async fn public_info_shows_a_new_name_at_once() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let slug = text_of(&org, "slug");
    let before = public_info(&slug).await;
    before.expect_status(StatusCode::OK, "public info before");
    assert_eq!(before.body["data"]["name"], org["name"], "{}", before.body);

    let name = format!("E2E Renamed {}", fresh_word());
    patch_org(&owner, &id, &json!({"name": name, "description": "Fresh."}))
        .await
        .expect_status(StatusCode::OK, "rename");

    let after = public_info(&slug).await;
    after.expect_status(StatusCode::OK, "public info after");
    assert_eq!(after.body["data"]["name"], name.as_str(), "{}", after.body);
    assert_eq!(
        after.body["data"]["description"], "Fresh.",
        "{}",
        after.body
    );
}

#[tokio::test]
async fn public_routes_follow_a_slug_change_at_once() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let old = text_of(&org, "slug");
    public_info(&old)
        .await
        .expect_status(StatusCode::OK, "public info before");
    public_branding(&old)
        .await
        .expect_status(StatusCode::OK, "public branding before");

    let new = fresh_slug();
    patch_org(&owner, &id, &json!({"slug": new}))
        .await
        .expect_status(StatusCode::OK, "slug change");

    assert_refused(
        &public_info(&old).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "public info of the old slug",
    );
    assert_refused(
        &public_branding(&old).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "public branding of the old slug",
    );
    let info = public_info(&new).await;
    info.expect_status(StatusCode::OK, "public info of the new slug");
    assert_eq!(info.body["data"]["id"], id.as_str(), "{}", info.body);
    assert_eq!(info.body["data"]["slug"], new.as_str(), "{}", info.body);
    public_branding(&new)
        .await
        .expect_status(StatusCode::OK, "public branding of the new slug");
}

#[tokio::test]
async fn public_routes_show_a_branding_change_at_once() {
    let (owner, _, org) = owner_with_org().await;
    let id = id_of(&org);
    let slug = text_of(&org, "slug");
    let before = public_info(&slug).await;
    before.expect_status(StatusCode::OK, "public info before");
    assert_eq!(
        before.body["data"]["brandColors"]["primary"], "#3B82F6",
        "{}",
        before.body
    );
    public_branding(&slug)
        .await
        .expect_status(StatusCode::OK, "public branding before");

    owner
        .call(
            owner
                .put(ORG, &org_path(&id, "/settings/branding"))
                .json(&json!({"primaryColorHex": "#112233", "heroLayout": "centered"})),
        )
        .await
        .expect_status(StatusCode::OK, "PUT branding");

    let info = public_info(&slug).await;
    info.expect_status(StatusCode::OK, "public info after");
    assert_eq!(
        info.body["data"]["brandColors"]["primary"], "#112233",
        "{}",
        info.body
    );
    assert_eq!(info.body["data"]["heroLayout"], "centered", "{}", info.body);
    let branding = public_branding(&slug).await;
    branding.expect_status(StatusCode::OK, "public branding after");
    assert_eq!(
        branding.body["data"]["primaryColorHex"], "#112233",
        "{}",
        branding.body
    );
    assert_eq!(
        branding.body["data"]["heroLayout"], "centered",
        "{}",
        branding.body
    );
}
