//! The behaviour every service shares: health, envelopes, the 404 and
//! bad-input paths, security headers, CORS and request ids. Each test runs
//! against all eight services.

use codex_e2e::{allowed_origin, assert_error_envelope, client, json_of, targets};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

/// `/health` of `base_url`, asked up to three times a second apart: the
/// local Workers runtime shares one SQLite file among the eight workers and
/// now and then answers a KV read with "database is locked".
async fn settled_health(http: &reqwest::Client, base_url: &str) -> reqwest::Response {
    let mut attempt = 1;
    loop {
        let response = http
            .get(format!("{base_url}/health"))
            .send()
            .await
            .expect("health");
        if response.status() == StatusCode::OK || attempt == 3 {
            return response;
        }
        attempt += 1;
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

#[tokio::test]
async fn every_service_reports_healthy_with_its_dependencies() {
    let http = client();
    for target in targets() {
        let response = settled_health(&http, &target.base_url).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", target.key);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body = json_of(response).await;
        assert_eq!(body["status"], "healthy", "{}: {body}", target.key);
        assert_eq!(body["service"], target.service);
        assert!(
            body["version"].as_str().is_some_and(|v| !v.is_empty()),
            "{body}"
        );
        assert!(
            body["timestamp"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z') && t.len() >= 20),
            "{body}"
        );
        assert_eq!(body["checks"]["database"], "healthy", "{body}");
        assert_eq!(body["checks"]["kv"], "healthy", "{body}");
    }
}

/// Each service serves its own OpenAPI document, and it agrees with the
/// platform's committed one: every path it describes is there, named as
/// this service's.
#[tokio::test]
async fn every_service_serves_its_openapi_document() {
    let http = client();
    let platform: serde_json::Value =
        serde_json::from_str(include_str!("../../openapi/codex.json")).expect("JSON");
    for target in targets() {
        let response = http
            .get(format!("{}/openapi.json", target.base_url))
            .send()
            .await
            .expect("openapi.json");
        assert_eq!(response.status(), StatusCode::OK, "{}", target.key);
        assert!(
            response.headers()[CONTENT_TYPE]
                .to_str()
                .is_ok_and(|value| value.starts_with("application/json")),
            "{}",
            target.key
        );
        let document = json_of(response).await;
        assert_eq!(document["openapi"], "3.1.0", "{}", target.key);
        assert_eq!(document["info"]["title"], target.service);
        let paths = document["paths"].as_object().expect("paths");
        assert!(paths.contains_key("/health"), "{}", target.key);
        for path in paths.keys() {
            let servers = platform["paths"][path]["servers"]
                .as_array()
                .unwrap_or_else(|| panic!("{path} of {} is not in openapi/codex.json", target.key));
            assert!(
                servers.iter().any(|server| server["description"]
                    .as_str()
                    .is_some_and(|d| d.starts_with(&format!("{} ", target.key)))),
                "{path} is not {}'s in openapi/codex.json",
                target.key
            );
        }
    }
}

#[tokio::test]
async fn unknown_routes_get_the_not_found_envelope() {
    let http = client();
    for target in targets() {
        for path in ["/no/such/route", "/api/definitely-missing", "/health/extra"] {
            let response = http
                .get(format!("{}{path}", target.base_url))
                .send()
                .await
                .expect("request");
            assert_eq!(
                response.status(),
                StatusCode::NOT_FOUND,
                "{} {path}",
                target.key
            );
            assert!(
                response.headers()[CONTENT_TYPE]
                    .to_str()
                    .unwrap_or_default()
                    .starts_with("application/json")
            );
            let body = json_of(response).await;
            assert_error_envelope(&body, "NOT_FOUND");
            assert_eq!(
                body["error"]["message"],
                "The requested resource was not found"
            );
        }
    }
}

#[tokio::test]
async fn a_wrong_method_gets_405_in_the_envelope() {
    let http = client();
    for target in targets() {
        let response = http
            .delete(format!("{}/health", target.base_url))
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{}",
            target.key
        );
        assert!(
            response.headers().contains_key("allow"),
            "{}: Allow header kept",
            target.key
        );
        assert_error_envelope(&json_of(response).await, "METHOD_NOT_ALLOWED");
    }
}

#[tokio::test]
async fn bad_input_gets_a_400_envelope_and_good_input_passes() {
    let http = client();
    let id = uuid::Uuid::new_v4();
    for target in targets() {
        let echo = format!("{}/__dev__/echo/{id}", target.base_url);

        let ok = http
            .post(&echo)
            .json(&serde_json::json!({"message": "hi"}))
            .query(&[("times", "2")])
            .send()
            .await
            .expect("echo");
        assert_eq!(ok.status(), StatusCode::OK, "{}", target.key);
        let body = json_of(ok).await;
        assert_eq!(body["data"]["echo"], "hihi", "{body}");
        assert_eq!(body["data"]["service"], target.service);

        let malformed = http
            .post(&echo)
            .header(CONTENT_TYPE, "application/json")
            .body("{\"message\": ")
            .send()
            .await
            .expect("malformed");
        assert_eq!(
            malformed.status(),
            StatusCode::BAD_REQUEST,
            "{}",
            target.key
        );
        let body = json_of(malformed).await;
        assert_error_envelope(&body, "VALIDATION_ERROR");
        assert_eq!(body["error"]["message"], "Request body must be valid JSON");
        assert_eq!(body["error"]["details"]["code"], "INVALID_JSON");

        let wrong_type = http
            .post(&echo)
            .json(&serde_json::json!({"message": 5}))
            .send()
            .await
            .expect("wrong type");
        assert_eq!(
            wrong_type.status(),
            StatusCode::BAD_REQUEST,
            "{}",
            target.key
        );
        let body = json_of(wrong_type).await;
        assert_error_envelope(&body, "VALIDATION_ERROR");
        assert!(
            body["error"]["details"]["details"][0]["message"].is_string(),
            "{body}"
        );

        let unknown_field = http
            .post(&echo)
            .json(&serde_json::json!({"message": "x", "admin": true}))
            .send()
            .await
            .expect("unknown");
        assert_eq!(
            unknown_field.status(),
            StatusCode::BAD_REQUEST,
            "{}",
            target.key
        );

        let too_long = http
            .post(&echo)
            .json(&serde_json::json!({"message": "x".repeat(201)}))
            .send()
            .await
            .expect("long");
        assert_eq!(too_long.status(), StatusCode::BAD_REQUEST, "{}", target.key);
        assert_error_envelope(&json_of(too_long).await, "VALIDATION_ERROR");

        let bad_path = http
            .post(format!("{}/__dev__/echo/not-a-uuid", target.base_url))
            .json(&serde_json::json!({"message": "hi"}))
            .send()
            .await
            .expect("bad path");
        assert_eq!(bad_path.status(), StatusCode::BAD_REQUEST, "{}", target.key);
        assert_error_envelope(&json_of(bad_path).await, "VALIDATION_ERROR");

        let bad_query = http
            .post(&echo)
            .query(&[("times", "lots")])
            .json(&serde_json::json!({"message": "hi"}))
            .send()
            .await
            .expect("bad query");
        assert_eq!(
            bad_query.status(),
            StatusCode::BAD_REQUEST,
            "{}",
            target.key
        );
        assert_error_envelope(&json_of(bad_query).await, "VALIDATION_ERROR");

        let not_json = http
            .post(&echo)
            .header(CONTENT_TYPE, "text/plain")
            .body("message=hi")
            .send()
            .await
            .expect("text");
        assert_eq!(
            not_json.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{}",
            target.key
        );
        assert_error_envelope(&json_of(not_json).await, "UNSUPPORTED_MEDIA_TYPE");
    }
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let http = client();
    for target in targets() {
        for path in ["/health", "/missing"] {
            let response = http
                .get(format!("{}{path}", target.base_url))
                .send()
                .await
                .expect("request");
            let headers = response.headers();
            assert_eq!(headers["x-frame-options"], "DENY", "{} {path}", target.key);
            assert_eq!(headers["x-content-type-options"], "nosniff");
            assert_eq!(
                headers["referrer-policy"],
                "strict-origin-when-cross-origin"
            );
            assert_eq!(
                headers["permissions-policy"],
                "geolocation=(), microphone=(), camera=(), payment=()"
            );
            assert_eq!(
                headers["content-security-policy"],
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self'; connect-src 'self'; frame-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
            );
            assert!(
                !headers.contains_key("strict-transport-security"),
                "HSTS is for production only"
            );
        }
    }
}

#[tokio::test]
async fn cors_preflight_allows_configured_origins_with_credentials_only() {
    let http = client();
    let origin = allowed_origin();
    for target in targets() {
        let preflight = http
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/health", target.base_url),
            )
            .header("origin", &origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .expect("preflight");
        assert!(
            preflight.status().is_success(),
            "{}: {}",
            target.key,
            preflight.status()
        );
        let headers = preflight.headers();
        assert_eq!(
            headers["access-control-allow-origin"],
            origin.as_str(),
            "{}",
            target.key
        );
        assert_eq!(headers["access-control-allow-credentials"], "true");
        let methods = headers["access-control-allow-methods"]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            methods.contains("POST") && methods.contains("PATCH"),
            "{methods}"
        );
        assert_eq!(headers["access-control-max-age"], "86400");
        assert!(
            headers.contains_key("x-request-id"),
            "preflights carry a request id too"
        );

        let simple = http
            .get(format!("{}/health", target.base_url))
            .header("origin", &origin)
            .send()
            .await
            .expect("simple");
        assert_eq!(
            simple.headers()["access-control-allow-origin"],
            origin.as_str()
        );
        let exposed = simple.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap_or_default()
            .to_lowercase();
        assert!(exposed.contains("x-request-id"), "{exposed}");

        let stranger = http
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/health", target.base_url),
            )
            .header("origin", "https://evil.example")
            .header("access-control-request-method", "POST")
            .send()
            .await
            .expect("stranger");
        assert!(
            !stranger
                .headers()
                .contains_key("access-control-allow-origin"),
            "{}",
            target.key
        );
    }
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let http = client();
    for target in targets() {
        let url = format!("{}/health", target.base_url);
        let given = http
            .get(&url)
            .header("x-request-id", "trace-42.a_b:c")
            .send()
            .await
            .expect("given");
        assert_eq!(
            given.headers()["x-request-id"],
            "trace-42.a_b:c",
            "{}",
            target.key
        );

        let generated = http.get(&url).send().await.expect("generated");
        let id = generated.headers()["x-request-id"]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{}: {id}", target.key);

        let second = http.get(&url).send().await.expect("second");
        assert_ne!(
            second.headers()["x-request-id"]
                .to_str()
                .unwrap_or_default(),
            id,
            "ids are unique"
        );

        let hostile = http
            .get(&url)
            .header("x-request-id", "x".repeat(500))
            .send()
            .await
            .expect("hostile");
        let replaced = hostile.headers()["x-request-id"]
            .to_str()
            .unwrap_or_default();
        assert!(
            uuid::Uuid::parse_str(replaced).is_ok(),
            "an over-long id is replaced: {replaced}"
        );

        let missing = http
            .get(format!("{}/missing", target.base_url))
            .send()
            .await
            .expect("404");
        assert!(
            missing.headers().contains_key("x-request-id"),
            "errors carry the id too"
        );
    }
}
