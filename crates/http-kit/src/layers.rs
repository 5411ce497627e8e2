//! The middleware every service shares, outermost first: request id,
//! request span, security headers, CORS, and the envelope for bare errors.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use codex_errors::{ApiError, ErrorCode};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tracing::Instrument;

use crate::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being handled, as echoed in `X-Request-ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// A client-supplied id is kept if it is short and plain; otherwise a new
/// UUID is generated.
fn acceptable_request_id(value: &HeaderValue) -> Option<String> {
    let value = value.to_str().ok()?;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
    (!value.is_empty() && value.len() <= 128 && value.chars().all(plain)).then(|| value.to_owned())
}

/// Reads `X-Request-ID` or makes one, and echoes it on every response.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(acceptable_request_id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if let Ok(value) = HeaderValue::from_str(&id) {
        request.headers_mut().insert(REQUEST_ID, value.clone());
        request.extensions_mut().insert(RequestId(id));
        let mut response = next.run(request).await;
        response.headers_mut().insert(REQUEST_ID, value);
        response
    } else {
        next.run(request).await
    }
}

/// One span per request, named by the route template (`/api/content/{id}`,
/// never the raw path), with the outcome logged when it ends. Health checks
/// log at debug so they do not drown the log.
pub async fn request_span(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let method = request.method().clone();
    let span = tracing::info_span!(
        "http.request",
        service = state.service().name,
        http.method = %method,
        http.route = %route,
        request_id = %id,
    );
    let started = state.clock().now();
    let response = next.run(request).instrument(span.clone()).await;
    let elapsed_ms = (state.clock().now() - started).num_milliseconds();
    let status = response.status().as_u16();
    span.in_scope(|| {
        if route == "/health" {
            tracing::debug!(status, elapsed_ms, "request finished");
        } else if status >= 500 {
            tracing::error!(status, elapsed_ms, "request failed");
        } else {
            tracing::info!(status, elapsed_ms, "request finished");
        }
    });
    response
}

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self'; connect-src 'self'; frame-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains; preload";

/// The security headers of the contract; HSTS in production only.
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    insert_security_headers(
        response.headers_mut(),
        state.config().environment.is_production(),
    );
    response
}

/// Puts the contract's security headers on `headers`, with HSTS when `hsts`.
/// A `Content-Security-Policy` the handler set is kept: a route that serves
/// uploaded files sends a stricter one.
pub fn insert_security_headers(headers: &mut axum::http::HeaderMap, hsts: bool) {
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    for (name, value) in [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (
            HeaderName::from_static("permissions-policy"),
            "geolocation=(), microphone=(), camera=(), payment=()",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
}

/// CORS for the configured origins, with credentials. A request from any
/// other origin gets no `Access-Control-Allow-Origin`, so browsers refuse it.
pub fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::COOKIE,
            REQUEST_ID,
        ])
        .expose_headers([header::CONTENT_LENGTH, REQUEST_ID])
        .max_age(Duration::from_secs(86_400))
}

/// The answer for a handler that panicked (native host; on Workers a panic
/// ends the isolate). The panic message is logged, never sent.
#[cfg(not(target_arch = "wasm32"))]
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %message, "a handler panicked");
    ApiError::new(ErrorCode::Internal, codex_errors::INTERNAL_MESSAGE).into_response()
}

/// The answer for a path no route matches.
pub async fn route_not_found() -> ApiError {
    ApiError::route_not_found()
}

/// axum itself answers some failures (405, 413, …) with an empty or
/// plain-text body. Such responses are given the error envelope here, keeping
/// their status and headers (such as `Allow`).
pub async fn envelope_for_bare_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !status.is_client_error() && !status.is_server_error() || is_json {
        return response;
    }
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::route_not_found(),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            ErrorCode::MethodNotAllowed,
            "This method is not allowed on this resource",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(ErrorCode::PayloadTooLarge, "Request body is too large")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::new(ErrorCode::UnsupportedMediaType, "Unsupported content type")
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            ApiError::service_unavailable("The service is temporarily unavailable")
        }
        other if other.is_server_error() => {
            ApiError::new(ErrorCode::Internal, codex_errors::INTERNAL_MESSAGE)
        }
        _ => ApiError::validation("The request could not be processed"),
    };
    let (mut parts, _) = response.into_parts();
    let enveloped = error.into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in enveloped.headers() {
        parts.headers.insert(name, value.clone());
    }
    let body = enveloped.into_body();
    Response::from_parts(parts, Body::new(body))
}
