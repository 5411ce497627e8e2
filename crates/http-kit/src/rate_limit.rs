//! Fixed-window rate limits per client IP and path, counted in PostgreSQL
//! (`rate_limit_windows`, keyed `{name}:{ip}:{path}`) by one atomic
//! statement, so the native host and Workers behave alike and concurrent
//! attempts can never share a count. Workers KV could not do this: it has no
//! atomic increment, and another location may read a count a minute old.
//! (The Workers Rate Limiting binding only knows 10 s and 60 s periods;
//! the auth limit's window is 15 minutes.)
//!
//! Every answer on a limited route carries `X-RateLimit-Limit`,
//! `X-RateLimit-Remaining` and `X-RateLimit-Reset` (unix seconds); once the
//! limit is reached the answer is 429 `RATE_LIMITED` with `Retry-After`.
//! When the store fails the request is let through and the failure logged:
//! an outage of the counter must not lock every user out.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use codex_context::Context;
use codex_errors::{ApiError, ErrorCode};
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

/// The window a request was counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// Requests in the window, this one included.
    pub count: i64,
    pub reset_at: DateTime<Utc>,
}

/// Counts one request against `key` and returns its window, atomically:
/// a window that has ended starts again at one.
pub async fn count(ctx: &Context, limit: Limit, key: &str) -> Result<Counted, ApiError> {
    let now = ctx.clock().now();
    let row = ctx
        .database()
        .query_opt(
            "INSERT INTO rate_limit_windows AS w (key, count, reset_at) VALUES ($1, 1, $3) \
             ON CONFLICT (key) DO UPDATE SET \
               count = CASE WHEN w.reset_at <= $2 THEN 1 ELSE w.count + 1 END, \
               reset_at = CASE WHEN w.reset_at <= $2 THEN $3 ELSE w.reset_at END \
             RETURNING count, reset_at",
            &[
                format!("{}:{key}", limit.name).into(),
                now.into(),
                (now + Duration::seconds(limit.window_seconds)).into(),
            ],
        )
        .await?
        .ok_or_else(|| ApiError::internal("the rate-limit count returned no row"))?;
    let counted = Counted {
        count: row.get("count")?,
        reset_at: row.get("reset_at")?,
    };
    if counted.count == 1 {
        // A new window: clear a few long-finished ones while we are here.
        ctx.database()
            .execute(
                "DELETE FROM rate_limit_windows WHERE key IN \
                 (SELECT key FROM rate_limit_windows WHERE reset_at < $1 LIMIT 100)",
                &[(now - Duration::days(1)).into()],
            )
            .await?;
    }
    Ok(counted)
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
    let now = state.clock().now();
    let (parts, body) = request.into_parts();
    let key = format!(
        "{}:{}",
        client_ip(&parts, state.config(), now.timestamp()),
        parts.uri.path()
    );
    let request = Request::from_parts(parts, body);
    let counted = match count(state.ctx(), limit, &key).await {
        Ok(counted) => counted,
        Err(error) => {
            tracing::error!(%error, "rate-limit count unavailable; letting the request through");
            return next.run(request).await;
        }
    };
    let reset_at = counted.reset_at.timestamp();
    if counted.count > i64::from(limit.max) {
        let retry_after = (counted.reset_at - now).num_seconds().max(1);
        let mut response = ApiError::new(
            ErrorCode::RateLimited,
            format!("Too many requests. Try again in {retry_after} seconds."),
        )
        .with_details(json!({ "retryAfter": retry_after }))
        .into_response();
        set(&mut response, LIMIT, i64::from(limit.max));
        set(&mut response, REMAINING, 0);
        set(&mut response, RESET, reset_at);
        set(&mut response, axum::http::header::RETRY_AFTER, retry_after);
        return response;
    }
    let mut response = next.run(request).await;
    set(&mut response, LIMIT, i64::from(limit.max));
    set(
        &mut response,
        REMAINING,
        i64::from(limit.max) - counted.count,
    );
    set(&mut response, RESET, reset_at);
    response
}
