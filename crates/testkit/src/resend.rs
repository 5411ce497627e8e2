//! A local stand-in for Resend's e-mail API, for tests. It checks each
//! `POST /emails` as Resend does (bearer key, JSON body, `from`, one to
//! fifty `to` addresses, `subject`, a `text` or `html` body) and keeps what
//! it accepted, which `GET /received?to=ADDRESS` lists (oldest first) and
//! [`StandIn::received_by`] returns in-process. Binds only the address it
//! is given.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

/// A running stand-in; cheap to clone.
#[derive(Clone)]
pub struct StandIn {
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
    Json(stand_in.received_by(&query.to))
}

impl StandIn {
    /// Serves the stand-in on `address` (port 0 picks one) in the
    /// background; returns it and the address it listens on.
    pub async fn start(address: SocketAddr, api_key: &str) -> std::io::Result<(Self, SocketAddr)> {
        let stand_in = Self {
            api_key: api_key.into(),
            received: Arc::default(),
        };
        let app = Router::new()
            .route("/emails", post(send))
            .route("/received", get(received))
            .with_state(stand_in.clone());
        let listener = tokio::net::TcpListener::bind(address).await?;
        let bound = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok((stand_in, bound))
    }

    /// The accepted messages addressed to `address` (any case), oldest first.
    pub fn received_by(&self, address: &str) -> Vec<Value> {
        let wanted = address.to_lowercase();
        let messages = self.received.lock().unwrap_or_else(PoisonError::into_inner);
        messages
            .iter()
            .filter(|m| {
                m["to"].as_array().is_some_and(|to| {
                    to.iter()
                        .any(|a| a.as_str().is_some_and(|a| a.to_lowercase() == wanted))
                })
            })
            .cloned()
            .collect()
    }
}
