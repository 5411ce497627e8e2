//! The policies driven in-process against real PostgreSQL, with a manual
//! clock: sessions (cache, sliding renewal, expiry, revocation, deleted
//! users), roles, organisation membership and management (including cache
//! invalidation and the organisation taken from the path before `id`),
//! signed worker calls, and the auth rate limit.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::routing::{get, post};
use chrono::{Duration, TimeZone, Utc};
use codex_accounts::worker_signature;
use codex_clock::{Clock, ManualClock};
use codex_config::{Config, Environment};
use codex_database::Database;
use codex_http_kit::rate_limit::{self, AUTH};
use codex_http_kit::{AppState, Service};
use codex_policy::{
    Creators, MaybeViewer, OrgManager, OrgMember, PlatformOwner, RoleIn, Viewer, WorkerCall,
};
use codex_testkit::TestDatabase;
use codex_users::session::{self, ClientInfo};
use codex_users::{Deps, profile};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

const SECRET: &str = "worker-secret";

struct Harness {
    _database: TestDatabase,
    state: AppState,
    clock: Arc<ManualClock>,
    app: Router,
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

async fn harness() -> Harness {
    let test_database = TestDatabase::new().await;
    let database: Arc<dyn Database> = test_database.database();
    let source: HashMap<String, String> =
        [("ENVIRONMENT", "test"), ("WORKER_SHARED_SECRET", SECRET)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
    let config = Config::from_source(&source, Environment::Development).expect("config");
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
            .single()
            .expect("time"),
    ));
    let platform = codex_testkit::platform::platform(config, database, clock.clone());
    let state = AppState::new(
        Service {
            name: "policy-test",
            version: "0",
        },
        platform,
    );
    let app = codex_http_kit::app(routes(), state.clone());
    Harness {
        _database: test_database,
        state,
        clock,
        app,
    }
}

impl Harness {
    fn deps(&self) -> Deps<'_> {
        codex_policy::deps(&self.state)
    }

    fn database(&self) -> &dyn Database {
        self.state.database()
    }

    /// A verified user with `role`, and a session token for them.
    async fn user(&self, role: &str) -> (String, String) {
        let id = Uuid::new_v4().simple().to_string();
        self.database()
            .execute(
                "INSERT INTO users (id, name, email, email_verified, role) VALUES ($1, 'Test', $2, true, $3)",
                &[id.as_str().into(), format!("{id}@example.com").into(), role.into()],
            )
            .await
            .expect("user");
        let (token, _) = session::create(self.deps(), &id, &ClientInfo::default())
            .await
            .expect("session");
        (id, token.plaintext)
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
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::COOKIE, format!("theme=dark; codex-session={token}"));
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
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
        .clock
        .advance(std::time::Duration::from_secs(2 * 3600));
    let (status, body) = harness.call("GET", "/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    let renewed_until = harness.clock.now() + Duration::hours(24);
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
        .clock
        .advance(std::time::Duration::from_secs(24 * 3600 + 1));
    let (status, _) = harness.call("GET", "/me", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A fresh session, cached by its first use, is refused once revoked.
    let (second, _) = session::create(harness.deps(), &id, &ClientInfo::default())
        .await
        .expect("session");
    assert_eq!(
        harness.call("GET", "/me", Some(&second.plaintext)).await.0,
        StatusCode::OK
    );
    session::revoke(harness.deps(), &second.plaintext)
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
    profile::delete_account(harness.deps(), &id)
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
    let refused = profile::delete_account(harness.deps(), &id)
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
    profile::delete_account(harness.deps(), &id)
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

    // Removal takes effect on the next request once the cache entry is dropped.
    harness
        .database()
        .execute(
            "UPDATE organization_memberships SET status = 'inactive' WHERE organization_id = $1 AND user_id = $2",
            &[a.into(), member_id.as_str().into()],
        )
        .await
        .expect("remove");
    codex_orgs::members::forget_membership(harness.deps(), a, &member_id).await;
    assert_eq!(
        harness
            .call("GET", &format!("/orgs/{a}"), Some(&member))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

async fn signed_call(harness: &Harness, headers: HeaderMap, body: &str) -> (StatusCode, Vec<u8>) {
    let mut request = Request::builder().method("POST").uri("/internal");
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    let response = harness
        .app
        .clone()
        .oneshot(request.body(Body::from(body.to_owned())).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, bytes.to_vec())
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
    let now = harness.clock.now().timestamp();
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

#[tokio::test]
async fn the_auth_limit_allows_five_per_window_per_client() {
    let harness = harness().await;
    let post_from = |ip: &'static str| {
        Request::builder()
            .method("POST")
            .uri("/limited")
            .header("x-forwarded-for", ip)
            .body(Body::empty())
            .expect("request")
    };
    for attempt in 1..=5 {
        let response = harness
            .app
            .clone()
            .oneshot(post_from("10.0.0.1"))
            .await
            .expect("response");
        assert_eq!(
            response.status(),
            StatusCode::NO_CONTENT,
            "attempt {attempt}"
        );
        assert_eq!(
            response.headers()["x-ratelimit-remaining"],
            (5 - attempt).to_string().as_str()
        );
    }
    let refused = harness
        .app
        .clone()
        .oneshot(post_from("10.0.0.1"))
        .await
        .expect("response");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()[header::RETRY_AFTER], "900");
    let other = harness
        .app
        .clone()
        .oneshot(post_from("10.0.0.2"))
        .await
        .expect("response");
    assert_eq!(
        other.status(),
        StatusCode::NO_CONTENT,
        "another client has its own count"
    );

    harness
        .clock
        .advance(std::time::Duration::from_secs(15 * 60));
    let later = harness
        .app
        .clone()
        .oneshot(post_from("10.0.0.1"))
        .await
        .expect("response");
    assert_eq!(later.status(), StatusCode::NO_CONTENT, "a new window");
}
