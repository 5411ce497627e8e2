//! The platform's OpenAPI document: the committed `openapi/codex.json` is
//! what the handlers generate (so every contract change shows in review),
//! and the document is whole: every operation says what it answers, every
//! path parameter is declared, every reference resolves.
//!
//! After a deliberate change: `UPDATE_OPENAPI=1 cargo test -p codex-server
//! --test openapi` rewrites the file (and `clients/typescript` is
//! regenerated from it by `scripts/typescript-client.sh`).

use std::path::PathBuf;

use serde_json::Value;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi/codex.json")
}

fn services_folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi/services")
}

fn generated() -> Value {
    codex_server::openapi::platform_document().expect("the services' documents merge")
}

/// The workers serve these files as their `/openapi.json` (they do not
/// build the document themselves), so each must be exactly what the
/// native host generates and serves.
#[test]
fn the_committed_service_documents_are_what_each_service_generates() {
    let update = std::env::var_os("UPDATE_OPENAPI").is_some();
    for entry in codex_config::services::all() {
        let (service, routes) = codex_server::service(entry.name).expect("a service");
        let routes = codex_http_kit::ServiceRoutes::new(service, routes);
        let text = routes.document().as_str();
        let path = services_folder().join(format!("{}.json", entry.name));
        if update {
            std::fs::create_dir_all(services_folder()).expect("openapi/services/");
            std::fs::write(&path, text).expect("a service document written");
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "openapi/services/{}.json differs from the routes: run \
             `UPDATE_OPENAPI=1 cargo test -p codex-server --test openapi`",
            entry.name
        );
    }
}

#[test]
fn the_committed_document_is_what_the_code_generates() {
    let generated = generated();
    let text = serde_json::to_string_pretty(&generated).expect("JSON") + "\n";
    let path = committed_path();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("openapi/");
        std::fs::write(&path, &text).expect("openapi/codex.json written");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "openapi/codex.json differs from the routes: run \
         `UPDATE_OPENAPI=1 cargo test -p codex-server --test openapi` and review the change"
    );
}

fn operations(document: &Value) -> Vec<(String, String, &Value)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            if method != "servers" && method != "parameters" {
                found.push((method.to_uppercase(), path.clone(), operation));
            }
        }
    }
    found
}

#[test]
fn every_service_is_described_with_its_shared_routes() {
    let document = generated();
    assert_eq!(document["openapi"], "3.1.0");
    for path in ["/health", "/openapi.json"] {
        let servers = document["paths"][path]["servers"]
            .as_array()
            .expect("servers");
        assert_eq!(servers.len(), codex_config::services::all().len(), "{path}");
    }
    for entry in codex_config::services::all() {
        let own = codex_server::openapi::service_document(entry.name).expect("a document");
        assert_eq!(own["info"]["title"], entry.health_name);
        assert!(own["paths"]["/health"]["get"].is_object(), "{}", entry.name);
    }
}

#[test]
fn every_operation_says_what_it_answers_and_who_may_call() {
    let document = generated();
    let operations = operations(&document);
    assert!(
        operations.len() > 30,
        "only {} operations",
        operations.len()
    );
    for (method, path, operation) in operations {
        let responses = operation["responses"].as_object().expect("responses");
        assert!(
            responses.keys().any(|status| status.starts_with('2')),
            "{method} {path} has no success answer"
        );
        assert!(
            responses.contains_key("4XX") || responses.keys().any(|s| s.starts_with('4')),
            "{method} {path} has no client error answer"
        );
        // Every error answer has a body: the envelope. (A status listed
        // without one would tell a client to expect no body.)
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                assert!(
                    response.get("content").is_some() || response.get("$ref").is_some(),
                    "{method} {path} answers {status} without saying its body"
                );
            }
        }
        let id = operation["operationId"].as_str().expect("an operation id");
        assert!(!id.is_empty());
        let declared: Vec<&str> = operation["parameters"]
            .as_array()
            .map(|parameters| {
                parameters
                    .iter()
                    .filter(|parameter| parameter["in"] == "path")
                    .filter_map(|parameter| parameter["name"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        for segment in path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                assert!(
                    declared.contains(&name),
                    "{method} {path} does not declare the path parameter {name}"
                );
            }
        }
    }
}

fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "$ref" {
                    if let Some(reference) = inner.as_str() {
                        found.push(reference.to_owned());
                    }
                } else {
                    references(inner, found);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let document = generated();
    let mut found = Vec::new();
    references(&document, &mut found);
    assert!(!found.is_empty());
    for reference in found {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{reference} points outside the document"));
        assert!(
            document.pointer(pointer).is_some(),
            "{reference} does not resolve"
        );
    }
}

#[test]
fn operation_ids_are_unique() {
    let document = generated();
    let mut ids: Vec<&str> = operations(&document)
        .iter()
        .filter_map(|(_, _, operation)| operation["operationId"].as_str())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate operation ids");
}

fn texts<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("description" | "summary", Value::String(text)) => found.push(text),
                    _ => texts(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| texts(item, found)),
        _ => {}
    }
}

/// Descriptions come from doc comments, and the front end's developers read
/// them: no crate paths, no rustdoc links, no SQL.
#[test]
fn descriptions_speak_of_the_api_not_the_code() {
    let document = generated();
    let mut found = Vec::new();
    texts(&document, &mut found);
    assert!(found.len() > 50);
    for text in found {
        for internal in ["codex_", "[`", "SELECT ", "::<"] {
            assert!(
                !text.contains(internal),
                "a description speaks of the code ({internal}): {text}"
            );
        }
    }
}
