//! Platform-wide settings. This binary holds one test only: it switches
//! sign-ups off for the whole platform, so nothing may run beside it, and it
//! puts the settings back as it found them before it ends, even when a check
//! fails.

use codex_e2e::accounts::{
    Browser, PASSWORD, Reply, assert_auth_error, fresh_email, mailed_verification_token, outbox,
};
use codex_e2e::organisations::{ORG, assert_refused, signed_in};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PATH: &str = "/api/platform/settings";

/// The settings anyone can read (`data`), asserting 200.
async fn public_settings() -> Value {
    let browser = Browser::new();
    let reply = browser.call(browser.get(ORG, PATH)).await;
    reply.expect_status(StatusCode::OK, "GET platform settings");
    reply.body["data"].clone()
}

/// `PUT /api/platform/settings` with `body`.
async fn put_settings(browser: &Browser, body: &Value) -> Reply {
    browser.call(browser.put(ORG, PATH).json(body)).await
}

/// The settings without `updatedAt`, for comparing before and after.
fn without_timestamp(settings: &Value) -> Value {
    let mut copy = settings.clone();
    if let Some(object) = copy.as_object_mut() {
        object.remove("updatedAt");
    }
    copy
}

/// Everything that runs while the platform settings are changed.
async fn check_platform_settings(owner: Browser, creator: Browser) {
    let initial = public_settings().await;
    assert_eq!(initial["platformName"], "Codex", "{initial}");
    assert!(
        initial.get("logoUrl").is_some_and(Value::is_null),
        "{initial}"
    );
    assert_eq!(initial["primaryColorHex"], "#000000", "{initial}");
    assert_eq!(initial["supportEmail"], "support@codex.local", "{initial}");
    assert_eq!(initial["enableSignups"], true, "{initial}");
    assert_eq!(initial["enablePurchases"], true, "{initial}");
    assert!(
        initial["updatedAt"].as_str().is_some_and(|v| !v.is_empty()),
        "{initial}"
    );

    let change = json!({"platformName": "E2E Platform", "enablePurchases": false});
    assert_refused(
        &put_settings(&creator, &change).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "a creator changes the platform settings",
    );
    assert_refused(
        &put_settings(&Browser::new(), &change).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        "an anonymous visitor changes the platform settings",
    );
    assert_refused(
        &put_settings(
            &owner,
            &json!({"primaryColorHex": "red", "platformName": "E2E Bad"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "an invalid colour",
    );
    assert_eq!(
        without_timestamp(&public_settings().await),
        without_timestamp(&initial),
        "refused changes change nothing"
    );

    let updated = put_settings(
        &owner,
        &json!({
            "platformName": "E2E Platform",
            "primaryColorHex": "#112233",
            "supportEmail": "help@example.com",
            "enablePurchases": false,
        }),
    )
    .await;
    updated.expect_status(StatusCode::OK, "the platform owner changes the settings");
    let data = &updated.body["data"];
    assert_eq!(data["platformName"], "E2E Platform", "{data}");
    assert_eq!(data["primaryColorHex"], "#112233", "{data}");
    assert_eq!(data["supportEmail"], "help@example.com", "{data}");
    assert_eq!(data["enablePurchases"], false, "{data}");
    assert_eq!(data["enableSignups"], true, "untouched: {data}");
    assert_eq!(
        without_timestamp(&public_settings().await),
        without_timestamp(data),
        "read back"
    );

    let closed = put_settings(&owner, &json!({"enableSignups": false})).await;
    closed.expect_status(StatusCode::OK, "switch sign-ups off");
    assert_eq!(
        closed.body["data"]["enableSignups"], false,
        "{}",
        closed.body
    );
    assert_eq!(
        closed.body["data"]["platformName"], "E2E Platform",
        "kept: {}",
        closed.body
    );
    assert_eq!(public_settings().await["enableSignups"], false);

    let email = fresh_email();
    let refused = Browser::new().sign_up(&email, PASSWORD).await;
    refused.expect_status(StatusCode::FORBIDDEN, "sign-up while closed");
    assert_auth_error(&refused.body, "SIGNUPS_DISABLED");
    assert_eq!(
        refused.body["error"]["code"], "FORBIDDEN",
        "{}",
        refused.body
    );
    assert!(outbox(&email).await.is_empty(), "no mail to {email}");
}

/// Puts back every setting the test changes.
async fn restore(owner: &Browser, initial: &Value) -> Reply {
    put_settings(
        owner,
        &json!({
            "platformName": initial["platformName"],
            "primaryColorHex": initial["primaryColorHex"],
            "supportEmail": initial["supportEmail"],
            "enableSignups": initial["enableSignups"],
            "enablePurchases": initial["enablePurchases"],
        }),
    )
    .await
}

#[tokio::test]
async fn platform_settings_are_public_owned_by_the_platform_owner_and_close_sign_ups() {
    let (owner, _) = signed_in("platform_owner").await;
    let (creator, _) = signed_in("creator").await;
    let initial = public_settings().await;

    let outcome = tokio::spawn(check_platform_settings(owner.clone(), creator)).await;
    let restored = restore(&owner, &initial).await;
    if let Err(error) = outcome {
        if error.is_panic() {
            std::panic::resume_unwind(error.into_panic());
        }
        panic!("the checks did not finish: {error}");
    }
    restored.expect_status(StatusCode::OK, "restore the platform settings");
    assert_eq!(
        without_timestamp(&public_settings().await),
        without_timestamp(&initial),
        "restored"
    );

    let email = fresh_email();
    let reopened = Browser::new().sign_up(&email, PASSWORD).await;
    reopened.expect_status(StatusCode::OK, "sign-up after switching sign-ups back on");
    mailed_verification_token(&email).await;
}
