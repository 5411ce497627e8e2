//! Fixed-window rate limits per client IP and path, counted in the
//! key-value store (`rl:{name}:{ip}:{path}` → `{count, resetAt}`), so the
//! native host (in-process or Redis) and Workers (KV) behave alike.
//!
//! Every answer on a limited route carries `X-RateLimit-Limit`,
//! `X-RateLimit-Remaining` and `X-RateLimit-Reset` (unix seconds); once the
//! limit is reached the answer is 429 `RATE_LIMITED` with `Retry-After`.
//! When the store fails the request is let through and the failure logged:
//! an outage of the counter must not lock every user out.

use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use codex_errors::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::AppState;
use crate::client::client_ip;

/// A limit: at most `max` requests per `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub name: &'static str,
    pub max: u32,
    pub window_seconds: i64,
}

/// Sign-up, sign-in and password reset: 5 per 15 minutes.
pub const AUTH: Limit = Limit {
    name: "auth",
    max: 5,
    window_seconds: 15 * 60,
};

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Window {
    count: u32,
    reset_at: i64,
}

const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

fn set(response: &mut Response, name: HeaderName, value: i64) {
    if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
        response.headers_mut().insert(name, value);
    }
}

/// Middleware for the routes it wraps:
/// `route_layer(from_fn(|request, next| rate_limit::enforce(AUTH, request, next)))`.
pub async fn enforce(limit: Limit, request: Request, next: Next) -> Response {
    let Some(state) = request.extensions().get::<AppState>().cloned() else {
        return ApiError::internal("rate limit applied outside codex_http_kit::app")
            .into_response();
    };
    let (parts, body) = request.into_parts();
    let key = format!(
        "rl:{}:{}:{}",
        limit.name,
        client_ip(&parts, state.config()),
        parts.uri.path()
    );
    let request = Request::from_parts(parts, body);
    let now = state.clock().now().timestamp();

    let current = match state.kv().get(&key).await {
        Ok(value) => value.and_then(|value| serde_json::from_str::<Window>(&value).ok()),
        Err(error) => {
            tracing::error!(%error, "rate-limit store unavailable; letting the request through");
            return next.run(request).await;
        }
    };
    let window = current
        .filter(|window| window.reset_at > now)
        .unwrap_or(Window {
            count: 0,
            reset_at: now + limit.window_seconds,
        });

    if window.count >= limit.max {
        let retry_after = (window.reset_at - now).max(1);
        let mut response = ApiError::new(
            ErrorCode::RateLimited,
            format!("Too many requests. Try again in {retry_after} seconds."),
        )
        .with_details(json!({ "retryAfter": retry_after }))
        .into_response();
        set(&mut response, LIMIT, i64::from(limit.max));
        set(&mut response, REMAINING, 0);
        set(&mut response, RESET, window.reset_at);
        set(&mut response, axum::http::header::RETRY_AFTER, retry_after);
        return response;
    }

    let counted = Window {
        count: window.count + 1,
        reset_at: window.reset_at,
    };
    let ttl = Duration::from_secs(u64::try_from(counted.reset_at - now).unwrap_or(1));
    match serde_json::to_string(&counted) {
        Ok(value) => {
            if let Err(error) = state.kv().put(&key, &value, Some(ttl)).await {
                tracing::error!(%error, "could not count a rate-limited request");
            }
        }
        Err(error) => tracing::error!(%error, "could not encode a rate-limit window"),
    }
    let mut response = next.run(request).await;
    set(&mut response, LIMIT, i64::from(limit.max));
    set(
        &mut response,
        REMAINING,
        i64::from(limit.max - counted.count),
    );
    set(&mut response, RESET, counted.reset_at);
    response
}
