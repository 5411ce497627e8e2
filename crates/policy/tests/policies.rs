//! The policies driven in-process (`TestApp`) against real PostgreSQL, with
//! a manual clock: sessions (sliding renewal, expiry, revocation, deleted
//! users), roles, organisation membership, management and ownership (the
//! organisation taken from the path before `id`), signed worker calls, and
//! the auth rate limit; and all of it again over a key-value store that
//! serves stale reads, as Workers KV may at another location.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use chrono::{Duration, Utc};
use codex_accounts::Role;
use codex_accounts::auth::{self, SignUp};
use codex_accounts::session::{self, ClientInfo};
use codex_clock::Clock;
use codex_context::signature as worker_signature;
use codex_database::Database;
use codex_http_kit::rate_limit::{self, AUTH};
use codex_http_kit::{AppState, Service};
use codex_policy::{
    Creators, MaybeViewer, OrgManager, OrgMember, OrgOwner, PlatformOwner, RoleIn, Viewer,
    WorkerCall,
};
use codex_testkit::stale_kv::StaleKv;
use codex_testkit::world::World;
use codex_testkit::{TestApp, test_config};
use serde_json::{Value, json};
use uuid::Uuid;

const SECRET: &str = "worker-secret";

struct Harness {
    app: TestApp,
}

async fn me(Viewer(viewer): Viewer) -> axum::Json<Value> {
    axum::Json(json!({ "id": viewer.user.id, "expiresAt": viewer.session.expires_at }))
}

async fn maybe(MaybeViewer(found): MaybeViewer) -> axum::Json<Value> {
    axum::Json(json!({ "signedIn": found.is_some() }))
}

async fn creators_only(_: RoleIn<Creators>) -> StatusCode {
    StatusCode::NO_CONTENT
}

async fn owner_only(_: PlatformOwner) -> StatusCode {
    StatusCode::NO_CONTENT
}

async fn member(found: OrgMember) -> axum::Json<Value> {
    axum::Json(json!({ "organizationId": found.organization_id }))
}

async fn manager(found: OrgManager) -> axum::Json<Value> {
    axum::Json(json!({ "organizationId": found.organization_id }))
}

async fn owner(found: OrgOwner) -> axum::Json<Value> {
    axum::Json(json!({ "organizationId": found.organization_id }))
}

async fn signed(WorkerCall(body): WorkerCall) -> Vec<u8> {
    body.to_vec()
}

async fn limited() -> StatusCode {
    StatusCode::NO_CONTENT
}

fn routes() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/maybe", get(maybe))
        .route("/creators", get(creators_only))
        .route("/owner", get(owner_only))
        .route("/orgs/{orgId}", get(member))
        .route("/orgs/{orgId}/manage", post(manager))
        .route("/orgs/{orgId}/own", post(owner))
        .route("/orgs/{orgId}/things/{id}", get(member))
        .route("/scoped", get(member))
        .route("/internal", post(signed))
        .route(
            "/limited",
            post(limited).route_layer(axum::middleware::from_fn(|request, next| {
                rate_limit::enforce(AUTH, request, next)
            })),
        )
}

const SERVICE: Service = Service {
    name: "policy-test",
    version: "0",
    envelope: codex_http_kit::Envelope::Procedure,
};

async fn harness() -> Harness {
    let config = test_config(&[("WORKER_SHARED_SECRET", SECRET)]);
    Harness {
        app: TestApp::with_config(config, SERVICE, routes()).await,
    }
}

/// The same, over a key-value store that never sees a change after the
/// first write (another Workers location, a minute behind).
async fn stale_harness() -> Harness {
    let config = test_config(&[("WORKER_SHARED_SECRET", SECRET)]);
    let world = World::with_kv(config, Arc::new(StaleKv::new())).await;
    Harness {
        app: TestApp::in_world(world, SERVICE, routes()),
    }
}

impl Harness {
    fn ctx(&self) -> &codex_context::Context {
        self.app.ctx()
    }

    fn clock(&self) -> &codex_clock::ManualClock {
        self.app.clock()
    }

    fn database(&self) -> &dyn Database {
        self.ctx().database()
    }

    /// A verified user with `role`, made through the account rules, and a
    /// session token for them.
    async fn user(&self, role: &str) -> (String, String) {
        let email = format!("{}@example.com", Uuid::new_v4().simple());
        let user = auth::sign_up(
            self.ctx(),
            SignUp {
                name: "Test".to_owned(),
                email: email.clone(),
                password: "correct horse battery".to_owned(),
                callback_url: None,
            },
        )
        .await
        .expect("sign-up");
        let role: Role = role.parse().expect("a role");
        auth::mark_verified(self.ctx(), &email, Some(role))
            .await
            .expect("verified");
        let (token, _) = session::create(self.ctx(), &user.id, &ClientInfo::default())
            .await
            .expect("session");
        (user.id, token.plaintext)
    }

    async fn organisation(&self) -> Uuid {
        let id = Uuid::new_v4();
        self.database()
            .execute(
                "INSERT INTO organizations (id, name, slug) VALUES ($1, 'Org', $2)",
                &[id.into(), format!("org-{}", id.simple()).into()],
            )
            .await
            .expect("organisation");
        id
    }

    async fn join(&self, organisation: Uuid, user: &str, role: &str, status: &str) {
        self.database()
            .execute(
                "INSERT INTO organization_memberships (organization_id, user_id, role, status) VALUES ($1, $2, $3, $4)",
                &[organisation.into(), user.into(), role.into(), status.into()],
            )
            .await
            .expect("membership");
    }

    async fn call(&self, method: &str, uri: &str, token: Option<&str>) -> (StatusCode, Value) {
        let method = method.parse().expect("a method");
        let mut request = self.app.request(method, uri);
        if let Some(token) = token {
            request = request.cookie(&format!("theme=dark; codex-session={token}"));
        }
        let response = request.send().await;
        (response.status, response.json())
    }
}

#[tokio::test]
async fn sessions_slide_expire_and_are_revoked() {
    let harness = harness().await;
    let (id, token) = harness.user("customer").await;

    let (status, body) = harness.call("GET", "/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], id.as_str());
    let (status, body) = harness.call("GET", "/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");
    let (_, body) = harness.call("GET", "/maybe", Some("not-a-token")).await;
    assert_eq!(body["signedIn"], false);

    // Used after two hours, the session is renewed for another 24.
    harness
        .clock()
        .advance(std::time::Duration::from_secs(2 * 3600));
    let (status, body) = harness.call("GET", "/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    let renewed_until = harness.clock().now() + Duration::hours(24);
    assert_eq!(body["expiresAt"], json!(renewed_until), "{body}");
    let stored = harness
        .database()
        .query_opt(
            "SELECT expires_at FROM sessions WHERE user_id = $1",
            &[id.as_str().into()],
        )
        .await
        .expect("query")
        .expect("row");
    assert_eq!(
        stored
            .get::<chrono::DateTime<Utc>>("expires_at")
            .expect("column"),
        renewed_until
    );

    // Idle for a day, it has expired, cached or not.
    harness
        .clock()
        .advance(std::time::Duration::from_secs(24 * 3600 + 1));
    let (status, _) = harness.call("GET", "/me", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A fresh session, cached by its first use, is refused once revoked.
    let (second, _) = session::create(harness.ctx(), &id, &ClientInfo::default())
        .await
        .expect("session");
    assert_eq!(
        harness.call("GET", "/me", Some(&second.plaintext)).await.0,
        StatusCode::OK
    );
    session::revoke(harness.ctx(), &second.plaintext)
        .await
        .expect("revoke");
    assert_eq!(
        harness.call("GET", "/me", Some(&second.plaintext)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_deleted_user_is_refused_at_once() {
    let harness = harness().await;
    let (id, token) = harness.user("customer").await;
    assert_eq!(
        harness.call("GET", "/me", Some(&token)).await.0,
        StatusCode::OK
    );
    codex_flows::account::delete(harness.ctx(), &id)
        .await
        .expect("delete");
    assert_eq!(
        harness.call("GET", "/me", Some(&token)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let row = harness
        .database()
        .query_opt(
            "SELECT email, name, username, deleted_at IS NOT NULL AS deleted FROM users WHERE id = $1",
            &[id.as_str().into()],
        )
        .await
        .expect("query")
        .expect("row");
    assert_eq!(
        row.get::<String>("email").expect("email"),
        format!("deleted-{id}@deleted.invalid")
    );
    assert_eq!(row.get::<String>("name").expect("name"), "Deleted User");
    assert!(row.get::<bool>("deleted").expect("deleted"));
}

#[tokio::test]
async fn an_organisation_owner_cannot_delete_their_account() {
    let harness = harness().await;
    let (id, token) = harness.user("creator").await;
    let organisation = harness.organisation().await;
    harness.join(organisation, &id, "owner", "active").await;
    let refused = codex_flows::account::delete(harness.ctx(), &id)
        .await
        .expect_err("refused");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.details().and_then(|d| d.get("code")),
        Some(&json!("ACCOUNT_OWNS_ORGANIZATION"))
    );
    assert_eq!(
        harness.call("GET", "/me", Some(&token)).await.0,
        StatusCode::OK,
        "nothing changed"
    );

    harness
        .database()
        .execute(
            "UPDATE organizations SET deleted_at = now() WHERE id = $1",
            &[organisation.into()],
        )
        .await
        .expect("soft delete");
    codex_flows::account::delete(harness.ctx(), &id)
        .await
        .expect("allowed once the organisation is gone");
}

#[tokio::test]
async fn roles_gate_routes() {
    let harness = harness().await;
    let (_, customer) = harness.user("customer").await;
    let (_, creator) = harness.user("creator").await;
    let (_, owner) = harness.user("platform_owner").await;
    assert_eq!(
        harness.call("GET", "/creators", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = harness.call("GET", "/creators", Some(&customer)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "FORBIDDEN");
    assert_eq!(
        harness.call("GET", "/creators", Some(&creator)).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        harness.call("GET", "/creators", Some(&owner)).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        harness.call("GET", "/owner", Some(&creator)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        harness.call("GET", "/owner", Some(&owner)).await.0,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn membership_and_management_are_per_organisation() {
    let harness = harness().await;
    let a = harness.organisation().await;
    let b = harness.organisation().await;
    let (member_id, member) = harness.user("customer").await;
    let (admin_id, admin) = harness.user("creator").await;
    let (gone_id, gone) = harness.user("customer").await;
    let (_, owner) = harness.user("platform_owner").await;
    harness.join(a, &member_id, "member", "active").await;
    harness.join(a, &admin_id, "admin", "active").await;
    harness.join(a, &gone_id, "member", "inactive").await;

    assert_eq!(
        harness
            .call("GET", &format!("/orgs/{a}"), Some(&member))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        harness
            .call("GET", &format!("/orgs/{b}"), Some(&member))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        harness
            .call("GET", &format!("/orgs/{a}"), Some(&gone))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        harness.call("GET", &format!("/orgs/{a}"), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        harness
            .call("POST", &format!("/orgs/{a}/manage"), Some(&member))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        harness
            .call("POST", &format!("/orgs/{a}/manage"), Some(&admin))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        harness
            .call("POST", &format!("/orgs/{b}/manage"), Some(&admin))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        harness
            .call("POST", &format!("/orgs/{b}/manage"), Some(&owner))
            .await
            .0,
        StatusCode::OK
    );
    // Only owners own: an admin is refused, an owner and the platform owner pass.
    let (owner_id, org_owner) = harness.user("creator").await;
    harness.join(a, &owner_id, "owner", "active").await;
    for (who, expected) in [
        (&member, StatusCode::FORBIDDEN),
        (&admin, StatusCode::FORBIDDEN),
        (&org_owner, StatusCode::OK),
        (&owner, StatusCode::OK),
    ] {
        assert_eq!(
            harness
                .call("POST", &format!("/orgs/{a}/own"), Some(who))
                .await
                .0,
            expected
        );
    }

    // The organisation comes from `orgId`, not from the `id` beside it.
    let (status, body) = harness
        .call("GET", &format!("/orgs/{a}/things/{b}"), Some(&member))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["organizationId"], a.to_string());
    // Or from the query; never missing or malformed.
    assert_eq!(
        harness
            .call("GET", &format!("/scoped?organizationId={a}"), Some(&member))
            .await
            .0,
        StatusCode::OK
    );
    let (status, body) = harness.call("GET", "/scoped", Some(&member)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["details"]["code"], "ORG_CONTEXT_REQUIRED");
    assert_eq!(
        harness
            .call("GET", "/orgs/not-a-uuid", Some(&member))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );

    // Removal takes effect on the very next request.
    harness
        .database()
        .execute(
            "UPDATE organization_memberships SET status = 'inactive' WHERE organization_id = $1 AND user_id = $2",
            &[a.into(), member_id.as_str().into()],
        )
        .await
        .expect("remove");
    assert_eq!(
        harness
            .call("GET", &format!("/orgs/{a}"), Some(&member))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

async fn signed_call(harness: &Harness, headers: HeaderMap, body: &str) -> (StatusCode, Vec<u8>) {
    let mut request = harness
        .app
        .post("/internal")
        .body(body.to_owned(), "application/json");
    for (name, value) in &headers {
        request = request.header(name.as_str(), value.to_str().expect("ascii"));
    }
    let response = request.send().await;
    (response.status, response.body)
}

fn signature_headers(secret: &str, timestamp: i64, body: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-worker-timestamp",
        timestamp.to_string().parse().expect("header"),
    );
    headers.insert(
        "x-worker-signature",
        worker_signature::sign(secret.as_bytes(), timestamp, body.as_bytes())
            .parse()
            .expect("header"),
    );
    headers
}

#[tokio::test]
async fn worker_calls_must_be_signed_recently_with_the_shared_secret() {
    let harness = harness().await;
    let now = harness.clock().now().timestamp();
    let body = r#"{"mediaId":"m1"}"#;
    let (status, echoed) = signed_call(&harness, signature_headers(SECRET, now, body), body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(echoed, body.as_bytes());

    for (headers, sent, why) in [
        (signature_headers("wrong", now, body), body, "wrong secret"),
        (
            signature_headers(SECRET, now, body),
            r#"{"mediaId":"m2"}"#,
            "body changed",
        ),
        (signature_headers(SECRET, now - 301, body), body, "too old"),
        (
            signature_headers(SECRET, now + 61, body),
            body,
            "from the future",
        ),
        (HeaderMap::new(), body, "unsigned"),
    ] {
        let (status, _) = signed_call(&harness, headers, sent).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}");
    }
}

async fn limited_from(harness: &Harness, ip: &str) -> codex_testkit::TestResponse {
    harness
        .app
        .post("/limited")
        .header("x-forwarded-for", ip)
        .send()
        .await
}

async fn the_auth_limit_holds(harness: &Harness) {
    for attempt in 1..=5 {
        let response = limited_from(harness, "10.0.0.1").await;
        assert_eq!(response.status, StatusCode::NO_CONTENT, "attempt {attempt}");
        assert_eq!(
            response.header("x-ratelimit-remaining"),
            Some((5 - attempt).to_string().as_str())
        );
    }
    let refused = limited_from(harness, "10.0.0.1").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.header("retry-after"), Some("900"));
    assert_eq!(refused.error_code().as_deref(), Some("RATE_LIMITED"));
    let other = limited_from(harness, "10.0.0.2").await;
    assert_eq!(
        other.status,
        StatusCode::NO_CONTENT,
        "another client has its own count"
    );

    harness
        .clock()
        .advance(std::time::Duration::from_secs(15 * 60));
    let later = limited_from(harness, "10.0.0.1").await;
    assert_eq!(later.status, StatusCode::NO_CONTENT, "a new window");
}

#[tokio::test]
async fn the_auth_limit_allows_five_per_window_per_client() {
    the_auth_limit_holds(&harness().await).await;
}

#[tokio::test]
async fn the_auth_limit_holds_under_concurrent_attempts() {
    let harness = harness().await;
    let attempts = (0..20).map(|_| limited_from(&harness, "10.0.0.9"));
    let answers = futures::future::join_all(attempts).await;
    let allowed = answers
        .iter()
        .filter(|answer| answer.status == StatusCode::NO_CONTENT)
        .count();
    assert_eq!(
        allowed, 5,
        "exactly the limit gets through, however the attempts race"
    );
}

#[tokio::test]
async fn with_a_stale_key_value_store_revocations_and_limits_still_hold() {
    let harness = stale_harness().await;
    // Sessions: a revoked session is refused on the next request.
    let (id, token) = harness.user("customer").await;
    assert_eq!(
        harness.call("GET", "/me", Some(&token)).await.0,
        StatusCode::OK
    );
    session::revoke(harness.ctx(), &token)
        .await
        .expect("revoke");
    assert_eq!(
        harness.call("GET", "/me", Some(&token)).await.0,
        StatusCode::UNAUTHORIZED
    );
    // A deleted user likewise.
    let (_, second) = {
        let (token, _) = session::create(harness.ctx(), &id, &ClientInfo::default())
            .await
            .expect("session");
        (id.clone(), token.plaintext)
    };
    assert_eq!(
        harness.call("GET", "/me", Some(&second)).await.0,
        StatusCode::OK
    );
    codex_flows::account::delete(harness.ctx(), &id)
        .await
        .expect("delete");
    assert_eq!(
        harness.call("GET", "/me", Some(&second)).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Memberships: a removed member is refused on the next request, and a
    // demoted admin can no longer manage.
    let organisation = harness.organisation().await;
    let (member_id, member) = harness.user("customer").await;
    let (admin_id, admin) = harness.user("creator").await;
    harness
        .join(organisation, &member_id, "member", "active")
        .await;
    harness
        .join(organisation, &admin_id, "admin", "active")
        .await;
    let path = format!("/orgs/{organisation}");
    let manage = format!("/orgs/{organisation}/manage");
    assert_eq!(
        harness.call("GET", &path, Some(&member)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        harness.call("POST", &manage, Some(&admin)).await.0,
        StatusCode::OK
    );
    for (user, status, role) in [
        (&member_id, "inactive", "member"),
        (&admin_id, "active", "member"),
    ] {
        harness
            .database()
            .execute(
                "UPDATE organization_memberships SET status = $3, role = $4 WHERE organization_id = $1 AND user_id = $2",
                &[organisation.into(), user.as_str().into(), status.into(), role.into()],
            )
            .await
            .expect("change");
    }
    assert_eq!(
        harness.call("GET", &path, Some(&member)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        harness.call("POST", &manage, Some(&admin)).await.0,
        StatusCode::FORBIDDEN
    );

    // Rate limits count atomically, whatever the key-value store serves.
    the_auth_limit_holds(&harness).await;
}
