//! Every reply the suite receives, checked against the platform's OpenAPI
//! document (`openapi/codex.json`, generated from the handlers).
//!
//! [`Browser::call`](crate::accounts::Browser::call) hands each reply here.
//! A reply fails the test that received it when:
//!
//! - a success comes from a path the document does not describe, or from
//!   a service other than the one the document names for that path;
//! - its status is not among the operation's answers (an exact status, or
//!   the `4XX` / `5XX` ranges);
//! - its JSON body does not match the answer's schema (JSON Schema 2020-12,
//!   formats such as `date-time` and `uuid` checked).
//!
//! The test-only routes (`/api/test/…`, `/__dev__/…`), which exist only in
//! development and test, are not part of the contract and are not checked.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use jsonschema::{Draft, Validator};
use serde_json::{Value, json};

const DOCUMENT_TEXT: &str = include_str!("../../openapi/codex.json");

static DOCUMENT: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(DOCUMENT_TEXT).expect("openapi/codex.json is JSON"));

type Key = (String, String, String);
static VALIDATORS: LazyLock<Mutex<HashMap<Key, Arc<Validator>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

const UNCHECKED_PREFIXES: [&str; 2] = ["/api/test/", "/__dev__/"];

/// The template of the document's path that `path` is an instance of,
/// preferring the one with the most literal segments
/// (`/api/organizations/my-organizations` over `/api/organizations/{id}`).
fn template_of(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let paths = DOCUMENT["paths"].as_object()?;
    paths
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') && part.ends_with('}') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if part == segment {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, template))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, template)| template.clone())
}

/// The service the document says answers `template`, or `None` for the
/// paths every service answers.
fn owner_of(template: &str) -> Option<String> {
    let servers = DOCUMENT["paths"][template]["servers"].as_array()?;
    if servers.len() != 1 {
        return None;
    }
    let description = servers[0]["description"].as_str()?;
    description.split(' ').next().map(str::to_owned)
}

fn validator(key: &Key, schema: &Value) -> Arc<Validator> {
    let mut validators = VALIDATORS.lock().expect("validators");
    if let Some(found) = validators.get(key) {
        return Arc::clone(found);
    }
    // The answer's schema refers to `#/components/schemas/…`: validate
    // against a root that holds the document's components beside it.
    let root = json!({
        "components": DOCUMENT["components"],
        "allOf": [schema],
    });
    let built = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|error| panic!("the schema of {key:?} does not compile: {error}"));
    let built = Arc::new(built);
    validators.insert(key.clone(), Arc::clone(&built));
    built
}

/// Checks a reply to `method url`, for a URL of one of the services under
/// test (others are not checked).
pub fn check_url(method: &str, url: &reqwest::Url, status: u16, body: &Value) {
    let text = url.as_str();
    let Some(target) = crate::targets()
        .into_iter()
        .find(|target| text.starts_with(&format!("{}/", target.base_url)))
    else {
        return;
    };
    check(target.key, method, url.path(), status, body);
}

/// Checks one reply of `service` (its short name) to `method path`.
pub fn check(service: &str, method: &str, path: &str, status: u16, body: &Value) {
    if UNCHECKED_PREFIXES
        .iter()
        .any(|prefix| path.starts_with(prefix))
    {
        return;
    }
    let success = (200..300).contains(&status);
    let Some(template) = template_of(path) else {
        assert!(
            !success,
            "{method} {path} answered {status} but the OpenAPI document does not describe it"
        );
        return;
    };
    if let Some(owner) = owner_of(&template) {
        assert!(
            owner == service || !success,
            "{method} {path} answered {status} from {service}, but the document says {owner} serves {template}"
        );
    }
    let operation = &DOCUMENT["paths"][&template][method.to_lowercase()];
    if operation.is_null() {
        assert!(
            !success,
            "{method} {template} answered {status} but the document has no {method} there"
        );
        return;
    }
    let exact = status.to_string();
    let range = format!("{}XX", status / 100);
    let (answer_key, answer) = [exact.as_str(), range.as_str(), "default"]
        .into_iter()
        .find_map(|key| {
            let answer = &operation["responses"][key];
            (!answer.is_null()).then(|| (key.to_owned(), answer))
        })
        .unwrap_or_else(|| {
            panic!("{method} {template} answered {status}, which the document does not list")
        });
    let schema = &answer["content"]["application/json"]["schema"];
    if schema.is_null() {
        assert!(
            body.is_null() || answer["content"].is_object(),
            "{method} {template} answered {status} with a JSON body the document does not describe: {body}"
        );
        return;
    }
    let key = (template.clone(), method.to_owned(), answer_key);
    let validator = validator(&key, schema);
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} answered {status} with a body that does not match the OpenAPI document: \
         {errors:?}\nbody: {body}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_win_over_parameters() {
        assert_eq!(
            template_of("/api/user/profile").as_deref(),
            Some("/api/user/profile")
        );
        assert_eq!(template_of("/api/nowhere/at/all"), None);
    }

    #[test]
    fn a_body_missing_a_required_field_is_refused() {
        let result = std::panic::catch_unwind(|| {
            check(
                "identity",
                "GET",
                "/api/user/profile",
                200,
                &json!({"data": {"id": "x"}}),
            );
        });
        assert!(result.is_err());
    }

    #[test]
    fn an_error_envelope_matches_the_range_answer() {
        check(
            "identity",
            "GET",
            "/api/user/profile",
            401,
            &json!({"error": {"code": "UNAUTHORIZED", "message": "Sign in"}}),
        );
    }

    #[test]
    fn an_undescribed_success_is_refused() {
        let result = std::panic::catch_unwind(|| {
            check("identity", "GET", "/api/user/nothing-here", 200, &json!({}));
        });
        assert!(result.is_err());
    }
}
