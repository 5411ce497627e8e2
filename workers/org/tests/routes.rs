//! The organisation service's routes in-process (`TestApp`, with the auth
//! routes merged in to sign users up): organisations, the team, who may
//! make or unmake owners, settings and the platform's settings.

use axum::http::StatusCode;
use codex_org_api::{SERVICE, routes};
use codex_testkit::{TestApp, TestResponse};
use serde_json::{Value, json};

async fn app() -> TestApp {
    TestApp::new(SERVICE, routes().merge(codex_auth_worker::routes())).await
}

async fn create(app: &TestApp, cookie: &str, slug: &str) -> String {
    let created = app
        .post("/api/organizations")
        .cookie(cookie)
        .json(&json!({"name": "Night Studio", "slug": slug}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    created.json()["data"]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// Invites `email` as `role` and accepts the mailed link as `cookie`.
async fn join(app: &TestApp, org: &str, owner: &str, email: &str, cookie: &str, role: &str) {
    app.post(&format!("/api/organizations/{org}/invitations"))
        .cookie(owner)
        .json(&json!({"email": email, "role": role}))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
    let mail = codex_mail::read_outbox(app.ctx().database(), email, 1)
        .await
        .expect("outbox");
    let text = &mail.first().expect("an invitation").text;
    let start = text.find("accept-invite?token=").expect("a link") + "accept-invite?token=".len();
    let token: String = text[start..].chars().take(43).collect();
    app.post("/api/organizations/invitations/accept")
        .cookie(cookie)
        .json(&json!({"token": token}))
        .send()
        .await
        .assert_status(StatusCode::OK);
}

async fn change_role(
    app: &TestApp,
    org: &str,
    cookie: &str,
    user: &str,
    role: &str,
) -> TestResponse {
    app.patch(&format!("/api/organizations/{org}/members/{user}"))
        .cookie(cookie)
        .json(&json!({"role": role}))
        .send()
        .await
}

fn user_id(session: &TestResponse) -> String {
    session.json()["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn organisations_are_created_read_and_deleted_by_their_owner() {
    let app = app().await;
    let owner = app.sign_up("owner@example.com", "creator").await;
    let customer = app.sign_up("customer@example.com", "customer").await;
    app.post("/api/organizations")
        .cookie(&customer)
        .json(&json!({"name": "Nope", "slug": "nope"}))
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let org = create(&app, &owner, "night-studio").await;
    let check = app
        .get("/api/organizations/check-slug/night-studio")
        .cookie(&owner)
        .send()
        .await;
    assert_eq!(check.json()["data"]["available"], false);
    let public = app
        .get("/api/organizations/public/night-studio/info")
        .send()
        .await;
    public.assert_status(StatusCode::OK);
    assert_eq!(public.json()["data"]["name"], "Night Studio");
    let mine = app
        .get("/api/organizations/my-organizations")
        .cookie(&owner)
        .send()
        .await;
    assert_eq!(mine.json()["data"][0]["role"], "owner");

    app.delete(&format!("/api/organizations/{org}"))
        .cookie(&customer)
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.delete(&format!("/api/organizations/{org}"))
        .cookie(&owner)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.get("/api/organizations/public/night-studio/info")
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_admin_can_neither_take_the_organisation_nor_remove_its_owner() {
    let app = app().await;
    let owner = app.sign_up("owner@example.com", "creator").await;
    let admin = app.sign_up("admin@example.com", "creator").await;
    let org = create(&app, &owner, "guarded-studio").await;
    join(&app, &org, &owner, "admin@example.com", &admin, "admin").await;
    let owner_id = user_id(&app.get("/api/auth/get-session").cookie(&owner).send().await);
    let admin_id = user_id(&app.get("/api/auth/get-session").cookie(&admin).send().await);

    change_role(&app, &org, &admin, &admin_id, "owner")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    change_role(&app, &org, &admin, &owner_id, "member")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.delete(&format!("/api/organizations/{org}/members/{owner_id}"))
        .cookie(&admin)
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.delete(&format!("/api/organizations/{org}"))
        .cookie(&admin)
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);

    // The team still has its owner, and the admin is still an admin.
    let team = app
        .get(&format!("/api/organizations/{org}/members"))
        .cookie(&owner)
        .send()
        .await;
    team.assert_status(StatusCode::OK);
    let roles: Vec<(Value, Value)> = team.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|member| (member["name"].clone(), member["role"].clone()))
        .collect();
    assert!(
        roles.contains(&(json!("owner"), json!("owner"))),
        "{roles:?}"
    );
    assert!(
        roles.contains(&(json!("admin"), json!("admin"))),
        "{roles:?}"
    );

    // The owner may hand ownership over.
    change_role(&app, &org, &owner, &admin_id, "owner")
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_removed_member_loses_access_on_the_next_request() {
    let app = app().await;
    let owner = app.sign_up("owner@example.com", "creator").await;
    let member = app.sign_up("member@example.com", "customer").await;
    let org = create(&app, &owner, "team-studio").await;
    join(&app, &org, &owner, "member@example.com", &member, "member").await;
    let member_id = user_id(
        &app.get("/api/auth/get-session")
            .cookie(&member)
            .send()
            .await,
    );
    let members = format!("/api/organizations/{org}/members");
    app.get(&members)
        .cookie(&member)
        .send()
        .await
        .assert_status(StatusCode::OK);
    app.delete(&format!("{members}/{member_id}"))
        .cookie(&owner)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.get(&members)
        .cookie(&member)
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn settings_are_checked_and_follow_in_the_public_view() {
    let app = app().await;
    let owner = app.sign_up("owner@example.com", "creator").await;
    let org = create(&app, &owner, "brand-studio").await;
    let path = format!("/api/organizations/{org}/settings/branding");
    app.put(&path)
        .cookie(&owner)
        .json(&json!({"primaryColorHex": "red"}))
        .send()
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    let changed = app
        .put(&path)
        .cookie(&owner)
        .json(&json!({"primaryColorHex": "#abcdef"}))
        .send()
        .await;
    changed.assert_status(StatusCode::OK);
    let public = app
        .get("/api/organizations/public/brand-studio/info")
        .send()
        .await;
    assert_eq!(public.json()["data"]["brandColors"]["primary"], "#ABCDEF");
}

#[tokio::test]
async fn only_the_platform_owner_changes_the_platform_settings() {
    let app = app().await;
    let owner = app.sign_up("root@example.com", "platform_owner").await;
    let creator = app.sign_up("creator@example.com", "creator").await;
    let read = app.get("/api/platform/settings").send().await;
    read.assert_status(StatusCode::OK);
    assert_eq!(read.json()["data"]["enableSignups"], true);
    app.put("/api/platform/settings")
        .cookie(&creator)
        .json(&json!({"enableSignups": false}))
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.put("/api/platform/settings")
        .cookie(&owner)
        .json(&json!({"enableSignups": false}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    let closed = app
        .post("/api/auth/sign-up/email")
        .json(&json!({"name": "Late", "email": "late@example.com", "password": "correct horse battery"}))
        .send()
        .await;
    closed.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(closed.json()["code"], "SIGNUPS_DISABLED");
}

/// The web app's server calling for one visitor, as it does: `Content-Type:
/// application/json` on every request (GET and DELETE included), no
/// `Origin`, and when signed in the session token under the three cookie
/// names it forwards.
struct Web<'a> {
    app: &'a TestApp,
    cookie: Option<String>,
}

impl<'a> Web<'a> {
    fn anonymous(app: &'a TestApp) -> Self {
        Self { app, cookie: None }
    }

    /// For the visitor holding `cookie` (`codex-session=T`, as
    /// `TestApp::sign_up` gives it).
    fn of(app: &'a TestApp, cookie: &str) -> Self {
        let token = cookie
            .strip_prefix("codex-session=")
            .expect("a codex-session cookie");
        Self {
            app,
            cookie: Some(format!(
                "codex-session={token}; __Secure-better-auth.session_token={token}; \
                 better-auth.session_token={token}"
            )),
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> TestResponse {
        let request = match method {
            "GET" => self.app.get(path),
            "POST" => self.app.post(path),
            "PATCH" => self.app.patch(path),
            "DELETE" => self.app.delete(path),
            other => panic!("no {other} here"),
        };
        let request = match &self.cookie {
            Some(cookie) => request.cookie(cookie),
            None => request,
        };
        match body {
            Some(body) => request.json(&body),
            None => request.body(Vec::new(), "application/json"),
        }
        .send()
        .await
    }

    async fn get(&self, path: &str) -> TestResponse {
        self.call("GET", path, None).await
    }

    /// A POST without a body (still declared as JSON), as follow is sent.
    async fn post_empty(&self, path: &str) -> TestResponse {
        self.call("POST", path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> TestResponse {
        self.call("POST", path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: Value) -> TestResponse {
        self.call("PATCH", path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> TestResponse {
        self.call("DELETE", path, None).await
    }

    /// The `data` of a GET, asserting 200.
    async fn data(&self, path: &str) -> Value {
        let response = self.get(path).await;
        response.assert_status(StatusCode::OK);
        response.json()["data"].clone()
    }
}

/// The id of the user holding `cookie`.
async fn id_of(app: &TestApp, cookie: &str) -> String {
    user_id(&app.get("/api/auth/get-session").cookie(cookie).send().await)
}

/// The token of the newest invitation mailed to `email`.
async fn mailed_invitation(app: &TestApp, email: &str) -> (String, String) {
    let mail = codex_mail::read_outbox(app.ctx().database(), email, 1)
        .await
        .expect("outbox");
    let text = mail.first().expect("an invitation").text.clone();
    let marker = "/accept-invite?token=";
    let start = text.find(marker).expect("a link") + marker.len();
    let token = text[start..].chars().take(43).collect();
    (text, token)
}

#[tokio::test]
async fn the_front_ends_invite_route_invites_and_the_team_shows_addresses_to_managers_only() {
    let app = app().await;
    let owner_cookie = app.sign_up("owner@example.com", "creator").await;
    let member_cookie = app.sign_up("member@example.com", "customer").await;
    let org = create(&app, &owner_cookie, "invite-studio").await;
    let (owner, member) = (Web::of(&app, &owner_cookie), Web::of(&app, &member_cookie));
    let invite = format!("/api/organizations/{org}/members/invite");

    // Refused before anything is written: bad role, bad address, no manager.
    for (web, body, status) in [
        (
            &owner,
            json!({"email": "member@example.com", "role": "owner"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            &owner,
            json!({"email": "not an address", "role": "member"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            &member,
            json!({"email": "member@example.com", "role": "member"}),
            StatusCode::FORBIDDEN,
        ),
    ] {
        web.post(&invite, body).await.assert_status(status);
    }

    // Our invitation semantics: an invitation, its mail, the accept step.
    let invited = owner
        .post(
            &invite,
            json!({"email": "member@example.com", "role": "creator"}),
        )
        .await;
    invited.assert_status(StatusCode::CREATED);
    assert_eq!(invited.json()["data"]["status"], "pending");
    assert_eq!(invited.json()["data"]["role"], "creator");
    let pending = owner
        .get(&format!("/api/organizations/{org}/invitations"))
        .await;
    assert_eq!(pending.json()["pagination"]["total"], 1);
    let mine = format!("/api/organizations/{org}/members/my-membership");
    assert!(member.data(&mine).await["role"].is_null());
    let (text, token) = mailed_invitation(&app, "member@example.com").await;
    assert!(
        text.contains("http://localhost:5173/accept-invite?token="),
        "{text}"
    );
    member
        .post(
            "/api/organizations/invitations/accept",
            json!({"token": token}),
        )
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(member.data(&mine).await["role"], "creator");

    let members = format!("/api/organizations/{org}/members?page=1&limit=50");
    let seen_by_owner = owner.get(&members).await;
    seen_by_owner.assert_status(StatusCode::OK);
    let items = seen_by_owner.json()["items"].clone();
    let items = items.as_array().expect("items");
    assert_eq!(items.len(), 2, "{items:?}");
    for item in items {
        let email = item["email"].as_str().unwrap_or_default();
        assert!(email.ends_with("@example.com"), "{item}");
        assert!(item.get("avatarUrl").is_some(), "{item}");
        assert_eq!(item["avatarUrl"], item["image"], "{item}");
    }
    let seen_by_member = member.get(&members).await;
    seen_by_member.assert_status(StatusCode::OK);
    assert!(
        !seen_by_member.text().contains("@example.com"),
        "{}",
        seen_by_member.text()
    );
    assert_eq!(
        seen_by_member.json()["items"].as_array().map(Vec::len),
        Some(2)
    );

    // Inviting an active member again is refused.
    owner
        .post(
            &invite,
            json!({"email": "member@example.com", "role": "member"}),
        )
        .await
        .assert_status(StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_removed_member_has_no_role_in_my_membership() {
    let app = app().await;
    let owner_cookie = app.sign_up("owner@example.com", "creator").await;
    let admin_cookie = app.sign_up("admin@example.com", "customer").await;
    let org = create(&app, &owner_cookie, "removal-studio").await;
    join(
        &app,
        &org,
        &owner_cookie,
        "admin@example.com",
        &admin_cookie,
        "admin",
    )
    .await;
    let admin_id = id_of(&app, &admin_cookie).await;
    let (owner, admin) = (Web::of(&app, &owner_cookie), Web::of(&app, &admin_cookie));
    let mine = format!("/api/organizations/{org}/members/my-membership");
    let before = admin.data(&mine).await;
    assert_eq!(
        (&before["role"], &before["status"]),
        (&json!("admin"), &json!("active"))
    );
    assert!(before["joinedAt"].is_string(), "{before}");

    owner
        .delete(&format!("/api/organizations/{org}/members/{admin_id}"))
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(
        admin.data(&mine).await,
        json!({"role": null, "status": null, "joinedAt": null})
    );
    // Nor does the removed admin manage, or list, anything any more.
    admin
        .get(&format!("/api/organizations/{org}/settings"))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(
        admin.data("/api/organizations/my-organizations").await,
        json!([])
    );
}

#[tokio::test]
async fn the_storefront_lists_creators_without_addresses_and_counts_them() {
    let app = app().await;
    let owner_cookie = app.sign_up("owner@example.com", "creator").await;
    let creator = app.sign_up("creator@example.com", "creator").await;
    let member = app.sign_up("member@example.com", "customer").await;
    let org = create(&app, &owner_cookie, "shop-front").await;
    join(
        &app,
        &org,
        &owner_cookie,
        "creator@example.com",
        &creator,
        "creator",
    )
    .await;
    join(
        &app,
        &org,
        &owner_cookie,
        "member@example.com",
        &member,
        "member",
    )
    .await;
    // The creator also makes things for an organisation of their own.
    create(&app, &creator, "creator-own").await;
    let (owner, anyone) = (Web::of(&app, &owner_cookie), Web::anonymous(&app));
    let creators = "/api/organizations/public/shop-front/creators";
    let stats = "/api/organizations/public/shop-front/stats";

    let listed = anyone.get(&format!("{creators}?page=1&limit=20")).await;
    listed.assert_status(StatusCode::OK);
    assert!(!listed.text().contains("@example.com"), "{}", listed.text());
    let body = listed.json();
    assert_eq!(
        body["pagination"],
        json!({"page": 1, "limit": 20, "total": 2, "totalPages": 1})
    );
    let items = body["items"].as_array().expect("items").clone();
    let roles: Vec<&Value> = items.iter().map(|item| &item["role"]).collect();
    assert_eq!(roles, [&json!("owner"), &json!("creator")], "{items:?}");
    for item in &items {
        for field in [
            "id",
            "name",
            "username",
            "avatarUrl",
            "bio",
            "socialLinks",
            "joinedAt",
        ] {
            assert!(item.get(field).is_some(), "{field}: {item}");
        }
        assert_eq!(
            (&item["contentCount"], &item["recentContent"]),
            (&json!(0), &json!([]))
        );
    }
    assert_eq!(items[0]["organizations"], json!([]));
    assert_eq!(
        items[1]["organizations"],
        json!([{"slug": "creator-own", "name": "Night Studio", "logoUrl": null}])
    );

    let second = anyone.get(&format!("{creators}?page=2&limit=1")).await;
    assert_eq!(second.json()["items"][0]["role"], "creator");
    assert_eq!(second.json()["pagination"]["totalPages"], 2);
    for bad in ["limit=0", "limit=101", "page=0", "page=x"] {
        let refused = anyone.get(&format!("{creators}?{bad}")).await;
        refused.assert_status(StatusCode::BAD_REQUEST);
    }
    anyone
        .get("/api/organizations/public/no-such-shop/creators")
        .await
        .assert_status(StatusCode::NOT_FOUND);

    assert_eq!(
        anyone.data(stats).await,
        json!({
            "content": {"total": 0, "video": 0, "audio": 0, "written": 0},
            "totalDurationSeconds": 0,
            "creators": 2,
            "totalViews": 0,
            "categories": [],
        })
    );

    // A removed creator leaves the storefront at once.
    let creator_id = id_of(&app, &creator).await;
    owner
        .delete(&format!("/api/organizations/{org}/members/{creator_id}"))
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(anyone.data(stats).await["creators"], 1);

    // A deleted organisation has no storefront.
    owner
        .delete(&format!("/api/organizations/{org}"))
        .await
        .assert_status(StatusCode::NO_CONTENT);
    for path in [creators, stats] {
        anyone.get(path).await.assert_status(StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn following_is_idempotent_and_counted_for_anyone() {
    let app = app().await;
    let owner_cookie = app.sign_up("owner@example.com", "creator").await;
    let fan_cookie = app.sign_up("fan@example.com", "customer").await;
    let org = create(&app, &owner_cookie, "followed-studio").await;
    let (owner, fan) = (Web::of(&app, &owner_cookie), Web::of(&app, &fan_cookie));
    let anyone = Web::anonymous(&app);
    let followers = format!("/api/organizations/{org}/followers");
    let count = format!("{followers}/count");
    let me = format!("{followers}/me");

    anyone
        .post_empty(&followers)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    anyone
        .get(&me)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(anyone.data(&count).await, json!({"count": 0}));
    assert_eq!(fan.data(&me).await, json!({"following": false}));

    for _ in 0..2 {
        let followed = fan.post_empty(&followers).await;
        followed.assert_status(StatusCode::CREATED);
        assert_eq!(followed.json(), json!({"data": null}));
    }
    owner
        .post_empty(&followers)
        .await
        .assert_status(StatusCode::CREATED);
    assert_eq!(anyone.data(&count).await["count"], 2);
    assert_eq!(fan.data(&me).await["following"], true);

    for _ in 0..2 {
        let left = fan.delete(&followers).await;
        left.assert_status(StatusCode::OK);
        assert_eq!(left.json(), json!({"data": null}));
    }
    assert_eq!(anyone.data(&count).await["count"], 1);
    assert_eq!(fan.data(&me).await["following"], false);

    // Following gives no membership.
    fan.post_empty(&followers)
        .await
        .assert_status(StatusCode::CREATED);
    fan.get(&format!("/api/organizations/{org}/members"))
        .await
        .assert_status(StatusCode::FORBIDDEN);

    // Unknown, malformed and deleted organisations.
    let unknown = "/api/organizations/00000000-0000-4000-8000-000000000000/followers";
    fan.post_empty(unknown)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    anyone
        .get(&format!("{unknown}/count"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    anyone
        .get("/api/organizations/not-a-uuid/followers/count")
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    owner
        .delete(&format!("/api/organizations/{org}"))
        .await
        .assert_status(StatusCode::NO_CONTENT);
    fan.post_empty(&followers)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    fan.delete(&followers)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    fan.get(&me).await.assert_status(StatusCode::NOT_FOUND);
    anyone
        .get(&count)
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_deleted_account_stops_following() {
    let app = app().await;
    let owner = app.sign_up("owner@example.com", "creator").await;
    let fan_cookie = app.sign_up("fan@example.com", "customer").await;
    let org = create(&app, &owner, "fan-studio").await;
    let followers = format!("/api/organizations/{org}/followers");
    Web::of(&app, &fan_cookie)
        .post_empty(&followers)
        .await
        .assert_status(StatusCode::CREATED);
    let count = format!("{followers}/count");
    assert_eq!(Web::anonymous(&app).data(&count).await["count"], 1);
    let fan_id = id_of(&app, &fan_cookie).await;
    codex_flows::account::delete(app.ctx(), &fan_id)
        .await
        .expect("account deleted");
    assert_eq!(Web::anonymous(&app).data(&count).await["count"], 0);
}

#[tokio::test]
async fn the_intro_video_fields_and_routes_answer_when_none_is_linked() {
    let app = app().await;
    let owner_cookie = app.sign_up("owner@example.com", "creator").await;
    let member_cookie = app.sign_up("member@example.com", "customer").await;
    let outsider_cookie = app.sign_up("outsider@example.com", "customer").await;
    let org = create(&app, &owner_cookie, "video-studio").await;
    join(
        &app,
        &org,
        &owner_cookie,
        "member@example.com",
        &member_cookie,
        "member",
    )
    .await;
    let (owner, member) = (Web::of(&app, &owner_cookie), Web::of(&app, &member_cookie));
    let anyone = Web::anonymous(&app);
    let intro = format!("/api/organizations/{org}/settings/branding/intro-video");

    let settings = owner
        .data(&format!("/api/organizations/{org}/settings"))
        .await;
    let info = anyone
        .data("/api/organizations/public/video-studio/info")
        .await;
    let public = anyone.data("/api/organizations/public/video-studio").await;
    for (shown, field) in [
        (&settings["branding"], "introVideoUrl"),
        (&settings["branding"], "introVideoMediaItemId"),
        (&info, "introVideoUrl"),
        (&public, "introVideoUrl"),
    ] {
        assert!(
            shown.get(field).is_some_and(Value::is_null),
            "{field}: {shown}"
        );
    }

    assert_eq!(
        member.data(&format!("{intro}/status")).await,
        json!({"status": "none", "introVideoUrl": null, "progress": null, "error": null})
    );
    Web::of(&app, &outsider_cookie)
        .get(&format!("{intro}/status"))
        .await
        .assert_status(StatusCode::FORBIDDEN);

    let some_id = json!({"mediaItemId": "00000000-0000-4000-8000-000000000000"});
    let bad = owner.post(&intro, json!({"mediaItemId": "nope"})).await;
    bad.assert_status(StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("mediaItemId"), "{}", bad.text());
    owner
        .post(&intro, json!({}))
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    member
        .post(&intro, some_id.clone())
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let missing = owner.post(&intro, some_id).await;
    missing.assert_status(StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error"]["message"], "Media item not found");

    member
        .delete(&intro)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let removed = owner.delete(&intro).await;
    removed.assert_status(StatusCode::OK);
    let branding = removed.json()["data"].clone();
    assert!(branding["introVideoUrl"].is_null(), "{branding}");
    assert!(branding["introVideoMediaItemId"].is_null(), "{branding}");
    assert_eq!(branding["primaryColorHex"], "#3B82F6");
}

/// A media item of `creator_id`'s, as the media library records it.
async fn media_item(app: &TestApp, creator_id: &str, media_type: &str, status: &str) -> String {
    let id = uuid::Uuid::new_v4();
    let (mime, uploaded) = match media_type {
        "video" => ("video/mp4", status != "uploading"),
        _ => ("audio/mpeg", status != "uploading"),
    };
    app.ctx()
        .database()
        .execute(
            "INSERT INTO media_items (id, creator_id, title, media_type, status, r2_key, \
             file_size_bytes, mime_type, upload_mode, transcoding_progress, transcoding_error, uploaded_at) \
             VALUES ($1, $2, 'Intro', $3, $4, $2 || '/originals/' || $1 || '/media', 4096, $5, 'single', \
             CASE WHEN $4 = 'transcoding' THEN 40 END, CASE WHEN $4 = 'failed' THEN 'No video stream' END, \
             CASE WHEN $6 THEN now() END)",
            &[
                id.into(),
                creator_id.into(),
                media_type.into(),
                status.into(),
                mime.into(),
                uploaded.into(),
            ],
        )
        .await
        .expect("a media item");
    id.to_string()
}

#[tokio::test]
async fn the_intro_video_is_one_of_the_managers_own_videos_and_follows_its_state() {
    let app = app().await;
    let owner_cookie = app.sign_up("owner@example.com", "creator").await;
    let other_cookie = app.sign_up("other@example.com", "creator").await;
    let owner_id = user_id(
        &app.get("/api/auth/get-session")
            .cookie(&owner_cookie)
            .send()
            .await,
    );
    let other_id = user_id(
        &app.get("/api/auth/get-session")
            .cookie(&other_cookie)
            .send()
            .await,
    );
    let org = create(&app, &owner_cookie, "intro-studio").await;
    let owner = Web::of(&app, &owner_cookie);
    let intro = format!("/api/organizations/{org}/settings/branding/intro-video");

    // Someone else's video, and an audio file, cannot be the intro video.
    let theirs = media_item(&app, &other_id, "video", "uploaded").await;
    owner
        .post(&intro, json!({"mediaItemId": theirs}))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let audio = media_item(&app, &owner_id, "audio", "uploaded").await;
    owner
        .post(&intro, json!({"mediaItemId": audio}))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);

    // The status follows the linked item.
    for (state, expected) in [
        (
            "uploading",
            json!({"status": "uploading", "introVideoUrl": null, "progress": null, "error": null}),
        ),
        (
            "transcoding",
            json!({"status": "processing", "introVideoUrl": null, "progress": 40, "error": null}),
        ),
        (
            "failed",
            json!({"status": "failed", "introVideoUrl": null, "progress": null, "error": "No video stream"}),
        ),
    ] {
        let video = media_item(&app, &owner_id, "video", state).await;
        let linked = owner.post(&intro, json!({"mediaItemId": video})).await;
        linked.assert_status(StatusCode::OK);
        assert_eq!(
            linked.json()["data"]["introVideoMediaItemId"],
            video.as_str()
        );
        assert!(linked.json()["data"]["introVideoUrl"].is_null());
        assert_eq!(
            owner.data(&format!("{intro}/status")).await,
            expected,
            "{state}"
        );
    }

    // A deleted media item is no intro video.
    app.ctx()
        .database()
        .execute(
            "UPDATE media_items SET deleted_at = now() WHERE creator_id = $1",
            &[owner_id.as_str().into()],
        )
        .await
        .expect("delete");
    assert_eq!(
        owner.data(&format!("{intro}/status")).await["status"],
        "none"
    );
}

#[tokio::test]
async fn a_null_description_clears_it_everywhere() {
    let app = app().await;
    let owner_cookie = app.sign_up("owner@example.com", "creator").await;
    let org = create(&app, &owner_cookie, "described-studio").await;
    let (owner, anyone) = (Web::of(&app, &owner_cookie), Web::anonymous(&app));
    let path = format!("/api/organizations/{org}");
    let info = "/api/organizations/public/described-studio/info";
    let described = owner
        .patch(
            &path,
            json!({"name": "Night Studio", "description": "A subheading."}),
        )
        .await;
    assert_eq!(described.json()["data"]["description"], "A subheading.");
    // Read once, so the public view is cached with the description.
    assert_eq!(anyone.data(info).await["description"], "A subheading.");

    let cleared = owner
        .patch(&path, json!({"name": "Night Studio", "description": null}))
        .await;
    cleared.assert_status(StatusCode::OK);
    assert!(
        cleared.json()["data"]["description"].is_null(),
        "{}",
        cleared.text()
    );
    assert!(owner.data(&path).await["description"].is_null());
    assert!(anyone.data(info).await["description"].is_null());

    // Left out, it is kept.
    owner.patch(&path, json!({"description": "Back."})).await;
    let renamed = owner.patch(&path, json!({"name": "Renamed"})).await;
    assert_eq!(renamed.json()["data"]["description"], "Back.");
}
