//! Success envelopes: `{"data": …}` for one thing, `{"items", "pagination"}`
//! for a page of things, an empty 204 for nothing.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use codex_validation::{Page, Pagination};
use serde::Serialize;
use serde_json::json;

/// 200 `{"data": T}`.
pub struct Data<T>(pub T);

impl<T: Serialize> IntoResponse for Data<T> {
    fn into_response(self) -> Response {
        Json(json!({ "data": self.0 })).into_response()
    }
}

/// 201 `{"data": T}`.
pub struct Created<T>(pub T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, Json(json!({ "data": self.0 }))).into_response()
    }
}

/// 200 `{"items": […], "pagination": {page, limit, total, totalPages}}`.
pub struct List<T> {
    pub items: Vec<T>,
    pub pagination: Pagination,
}

impl<T> List<T> {
    pub fn new(items: Vec<T>, page: Page, total: u64) -> Self {
        Self {
            items,
            pagination: Pagination::new(page, total),
        }
    }
}

impl<T: Serialize> IntoResponse for List<T> {
    fn into_response(self) -> Response {
        Json(json!({ "items": self.items, "pagination": self.pagination })).into_response()
    }
}

/// 200 with a stored object's bytes and content type
/// (`application/octet-stream` when it has none).
pub fn object(object: codex_storage::StoredObject) -> Response {
    let content_type = object
        .content_type
        .and_then(|value| HeaderValue::from_str(&value).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    ([(header::CONTENT_TYPE, content_type)], object.bytes).into_response()
}

/// 204 with an empty body.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
