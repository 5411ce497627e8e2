//! `resend-stand-in ADDRESS API_KEY`: a local stand-in for Resend's e-mail
//! API, for the black-box suite. It checks each `POST /emails` as Resend
//! does (bearer key, JSON body, `from`, one to fifty `to` addresses,
//! `subject`, a `text` or `html` body) and keeps what it accepted, which
//! `GET /received?to=ADDRESS` lists (oldest first). Binds only the address
//! it is given.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Clone)]
struct StandIn {
    api_key: Arc<str>,
    received: Arc<Mutex<Vec<Value>>>,
}

fn refusal(status: StatusCode, name: &str, message: &str) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(json!({"statusCode": status.as_u16(), "name": name, "message": message})),
    )
}

async fn send(
    State(stand_in): State<StandIn>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, Json<Value>) {
    let bearer = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match bearer {
        None => {
            return refusal(
                StatusCode::UNAUTHORIZED,
                "missing_api_key",
                "Missing API key in the authorization header.",
            );
        }
        Some(key) if key != &*stand_in.api_key => {
            return refusal(
                StatusCode::FORBIDDEN,
                "invalid_api_key",
                "API key is invalid.",
            );
        }
        Some(_) => {}
    }
    let is_json = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    let Ok(message) = serde_json::from_str::<Value>(&body) else {
        return refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            "Invalid JSON body.",
        );
    };
    let recipients_ok = message["to"].as_array().is_some_and(|to| {
        (1..=50).contains(&to.len())
            && to
                .iter()
                .all(|a| a.as_str().is_some_and(|a| a.contains('@')))
    });
    let has_body = message["text"].is_string() || message["html"].is_string();
    if !is_json
        || !message["from"].is_string()
        || !message["subject"].is_string()
        || !recipients_ok
        || !has_body
    {
        return refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            "The message is missing a required field.",
        );
    }
    let id = uuid::Uuid::new_v4();
    stand_in
        .received
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(message);
    (StatusCode::OK, Json(json!({"id": id})))
}

#[derive(Deserialize)]
struct ReceivedQuery {
    to: String,
}

async fn received(
    State(stand_in): State<StandIn>,
    Query(query): Query<ReceivedQuery>,
) -> Json<Vec<Value>> {
    let wanted = query.to.to_lowercase();
    let messages = stand_in
        .received
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    Json(
        messages
            .iter()
            .filter(|m| {
                m["to"].as_array().is_some_and(|to| {
                    to.iter()
                        .any(|a| a.as_str().is_some_and(|a| a.to_lowercase() == wanted))
                })
            })
            .cloned()
            .collect(),
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(address), Some(api_key)) = (
        args.first().and_then(|a| a.parse::<SocketAddr>().ok()),
        args.get(1),
    ) else {
        eprintln!("usage: resend-stand-in ADDRESS API_KEY");
        std::process::exit(2);
    };
    let stand_in = StandIn {
        api_key: api_key.as_str().into(),
        received: Arc::default(),
    };
    let app = Router::new()
        .route("/emails", post(send))
        .route("/received", get(received))
        .with_state(stand_in);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .unwrap_or_else(|error| {
            eprintln!("resend-stand-in: cannot bind {address}: {error}");
            std::process::exit(1);
        });
    eprintln!("resend-stand-in: listening on http://{address}");
    let _ = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
}
