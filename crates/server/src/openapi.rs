//! The platform's OpenAPI 3.1 document: the eight services' documents
//! merged into one, for the front end's typed client and for review.
//!
//! Each service's own document (served at its `/openapi.json`) is made
//! from its handlers by `codex_http_kit::ServiceRoutes`. Here they are
//! merged in the order of `services.tsv`:
//!
//! - every path keeps the service that answers it as a path-level
//!   `servers` entry (`http://localhost:{port}`, its development port), and
//!   its operations are tagged with the service's name; the paths every
//!   service shares (`/health`, `/openapi.json`) list all eight;
//! - operation ids are prefixed with the service (`org_create`), so that
//!   they stay unique;
//! - a path answered by two services, or two different schemas under one
//!   name, is an error: the merge refuses it rather than hide one.
//!
//! `openapi/codex.json` at the repository's root is this document;
//! `tests/openapi.rs` fails when the code and that file differ.

use serde_json::{Map, Value, json};

/// Why the documents could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{0} has no routes")]
    UnknownService(String),
    #[error("{service}'s document is not JSON: {source}")]
    NotJson {
        service: String,
        source: serde_json::Error,
    },
    #[error("{path} is answered by both {first} and {second}")]
    PathTwice {
        path: String,
        first: String,
        second: String,
    },
    #[error("the schema {name} of {service} differs from another service's schema of that name")]
    SchemaClash { name: String, service: String },
}

/// The paths every service answers.
const SHARED_PATHS: [&str; 2] = ["/health", "/openapi.json"];

/// One service's document, as served at its `/openapi.json`.
pub fn service_document(name: &str) -> Result<Value, MergeError> {
    let (service, routes) =
        crate::service(name).ok_or_else(|| MergeError::UnknownService(name.to_owned()))?;
    let routes = codex_http_kit::ServiceRoutes::new(service, routes);
    serde_json::from_str(routes.document().as_str()).map_err(|source| MergeError::NotJson {
        service: name.to_owned(),
        source,
    })
}

/// The platform's document.
pub fn platform_document() -> Result<Value, MergeError> {
    let services = codex_config::services::all();
    let mut paths = Map::new();
    let mut owners: Map<String, Value> = Map::new();
    let mut schemas = Map::new();
    let mut security_schemes = Map::new();
    let mut tags = Vec::new();
    let every_server: Vec<Value> = services.iter().map(server).collect();
    for entry in services {
        let document = service_document(entry.name)?;
        tags.push(json!({"name": entry.name, "description": entry.summary}));
        merge_components(&document, entry.name, &mut schemas, &mut security_schemes)?;
        let Some(service_paths) = document.get("paths").and_then(Value::as_object) else {
            continue;
        };
        for (path, item) in service_paths {
            let shared = SHARED_PATHS.contains(&path.as_str());
            if shared && paths.contains_key(path) {
                continue;
            }
            if let Some(first) = owners.get(path).and_then(Value::as_str) {
                return Err(MergeError::PathTwice {
                    path: path.clone(),
                    first: first.to_owned(),
                    second: entry.name.to_owned(),
                });
            }
            let mut item = item.clone();
            let tag = if shared { "shared" } else { entry.name };
            retag(&mut item, tag, entry.name, shared);
            item["servers"] = if shared {
                Value::Array(every_server.clone())
            } else {
                json!([server(entry)])
            };
            owners.insert(path.clone(), json!(entry.name));
            paths.insert(path.clone(), item);
        }
    }
    tags.push(json!({"name": "shared", "description": "what every service answers"}));
    Ok(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Codex",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The Codex platform's eight services in one document. Each path names the \
                service that answers it in `servers` (its development address; the front end's \
                service URL settings replace the host). Generated from the handlers: \
                `codex openapi` prints it.",
        },
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": security_schemes,
        },
    }))
}

fn server(entry: &codex_config::services::ServiceEntry) -> Value {
    json!({
        "url": format!("http://localhost:{}", entry.default_port),
        "description": format!("{} ({})", entry.name, entry.health_name),
    })
}

/// Tags each operation of `item` with `tag` and makes its id unique.
fn retag(item: &mut Value, tag: &str, service: &str, shared: bool) {
    let Some(operations) = item.as_object_mut() else {
        return;
    };
    for (method, operation) in operations.iter_mut() {
        let Some(operation) = operation.as_object_mut() else {
            continue;
        };
        operation.insert("tags".to_owned(), json!([tag]));
        let id = operation
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or(method)
            .to_owned();
        let prefix = if shared { "shared" } else { service };
        operation.insert("operationId".to_owned(), json!(format!("{prefix}_{id}")));
    }
}

fn merge_components(
    document: &Value,
    service: &str,
    schemas: &mut Map<String, Value>,
    security_schemes: &mut Map<String, Value>,
) -> Result<(), MergeError> {
    let components = document.get("components");
    for (target, key) in [(schemas, "schemas"), (security_schemes, "securitySchemes")] {
        let Some(found) = components
            .and_then(|components| components.get(key))
            .and_then(Value::as_object)
        else {
            continue;
        };
        for (name, schema) in found {
            match target.get(name) {
                Some(existing) if existing != schema => {
                    return Err(MergeError::SchemaClash {
                        name: name.clone(),
                        service: service.to_owned(),
                    });
                }
                Some(_) => {}
                None => {
                    target.insert(name.clone(), schema.clone());
                }
            }
        }
    }
    Ok(())
}
