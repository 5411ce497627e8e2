//! One error type for every service, and the JSON envelope it renders as.
//!
//! Every failure a client can see leaves a handler as an [`ApiError`] and is
//! rendered as `{"error": {"code", "message", "details"?}}` with the HTTP
//! status that belongs to its [`ErrorCode`]. Server-side failures (5xx) never
//! carry their cause to the client: the cause is logged, the body is generic.

use std::borrow::Cow;
use std::fmt;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

/// The machine-readable error codes of the HTTP contract, with their status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    ValidationError,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    #[serde(rename = "BUSINESS_LOGIC_ERROR")]
    BusinessLogic,
    RateLimited,
    #[serde(rename = "INTERNAL_ERROR")]
    Internal,
    ServiceUnavailable,
    ConfigurationError,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            Self::ValidationError => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::BusinessLogic => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal | Self::ConfigurationError => StatusCode::INTERNAL_SERVER_ERROR,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The code as it appears in the envelope, e.g. `VALIDATION_ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidationError => "VALIDATION_ERROR",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::Conflict => "CONFLICT",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::BusinessLogic => "BUSINESS_LOGIC_ERROR",
            Self::RateLimited => "RATE_LIMITED",
            Self::Internal => "INTERNAL_ERROR",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::ConfigurationError => "CONFIGURATION_ERROR",
        }
    }
}

/// The generic message every 500 carries; the real cause goes to the log.
pub const INTERNAL_MESSAGE: &str = "An unexpected error occurred";

/// An error a client can see. Build it with the constructors below.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    code: ErrorCode,
    message: Cow<'static, str>,
    details: Option<Value>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
        }
    }

    /// Attaches a `details` object to the envelope.
    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn validation(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::ValidationError, message)
    }

    /// 400 for a request whose fields failed validation; `issues` are
    /// `(path, message)` pairs, rendered as `details.details[{path, message}]`
    /// like the existing contract.
    pub fn invalid_fields<P, M>(issues: impl IntoIterator<Item = (P, M)>) -> Self
    where
        P: Into<String>,
        M: Into<String>,
    {
        let list: Vec<Value> = issues
            .into_iter()
            .map(|(path, message)| json!({"path": path.into(), "message": message.into()}))
            .collect();
        Self::validation("Invalid request data").with_details(json!({ "details": list }))
    }

    pub fn unauthorized() -> Self {
        Self::new(ErrorCode::Unauthorized, "Authentication required")
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// The answer for a path no route matches.
    pub fn route_not_found() -> Self {
        Self::not_found("The requested resource was not found")
    }

    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn business_rule(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::BusinessLogic, message)
    }

    pub fn service_unavailable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::ServiceUnavailable, message)
    }

    /// A server-side failure. The cause is logged here and never sent.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::Internal, INTERNAL_MESSAGE)
    }

    /// A setting the service needs is missing or malformed. The setting's
    /// name is safe to show; its value never is.
    pub fn configuration(setting: &str) -> Self {
        tracing::error!(setting, "configuration error");
        Self::new(
            ErrorCode::ConfigurationError,
            "The service is not configured correctly",
        )
    }

    /// The error another of our services answered a signed call with, when
    /// it is about what the caller's own client sent (a 400, 413, 415 or
    /// 422 in our envelope), so that it reaches that client as it was
    /// written. `None` for anything else (a refused signature, a failure of
    /// that service): the caller's own failure, not its client's.
    pub fn relayed(status: u16, body: &Value) -> Option<Self> {
        let error = body.get("error")?;
        let code = match error.get("code")?.as_str()? {
            "VALIDATION_ERROR" => ErrorCode::ValidationError,
            "PAYLOAD_TOO_LARGE" => ErrorCode::PayloadTooLarge,
            "UNSUPPORTED_MEDIA_TYPE" => ErrorCode::UnsupportedMediaType,
            "BUSINESS_LOGIC_ERROR" => ErrorCode::BusinessLogic,
            _ => return None,
        };
        if code.status().as_u16() != status {
            return None;
        }
        let message = error.get("message")?.as_str()?.to_owned();
        let relayed = Self::new(code, message);
        Some(match error.get("details") {
            Some(details) => relayed.with_details(details.clone()),
            None => relayed,
        })
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn details(&self) -> Option<&Value> {
        self.details.as_ref()
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// The JSON body of the envelope.
    pub fn body(&self) -> Value {
        let mut error = json!({"code": self.code.as_str(), "message": self.message});
        if let Some(details) = &self.details {
            error["details"] = details.clone();
        }
        json!({ "error": error })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_carries_code_message_and_details() {
        let error = ApiError::conflict("Slug taken").with_details(json!({"field": "slug"}));
        assert_eq!(error.status(), StatusCode::CONFLICT);
        assert_eq!(
            error.body(),
            json!({"error": {"code": "CONFLICT", "message": "Slug taken", "details": {"field": "slug"}}})
        );
    }

    #[test]
    fn envelope_omits_absent_details() {
        let body = ApiError::route_not_found().body();
        assert!(body["error"].get("details").is_none());
        assert_eq!(body["error"]["code"], "NOT_FOUND");
    }

    #[test]
    fn internal_errors_never_show_their_cause() {
        let error = ApiError::internal("connection refused to 10.0.0.5 password=hunter2");
        assert_eq!(error.message(), INTERNAL_MESSAGE);
        assert!(!error.body().to_string().contains("hunter2"));
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn field_issues_use_the_nested_details_shape() {
        let body = ApiError::invalid_fields([("email", "Invalid email")]).body();
        assert_eq!(body["error"]["message"], "Invalid request data");
        assert_eq!(body["error"]["details"]["details"][0]["path"], "email");
    }

    #[test]
    fn a_client_error_of_another_service_is_relayed_as_it_was_written() {
        let sent = ApiError::invalid_fields([("cover", "is not a picture")]);
        let relayed = ApiError::relayed(400, &sent.body()).expect("relayed");
        assert_eq!(relayed, sent);

        // What is not the client's doing stays the caller's own failure.
        let refused = ApiError::unauthorized();
        assert_eq!(ApiError::relayed(401, &refused.body()), None);
        let failed = ApiError::new(ErrorCode::Internal, INTERNAL_MESSAGE);
        assert_eq!(ApiError::relayed(500, &failed.body()), None);
        // A status that disagrees with the code, or a body that is not ours.
        assert_eq!(ApiError::relayed(500, &sent.body()), None);
        assert_eq!(ApiError::relayed(400, &json!({"message": "no"})), None);
    }

    #[test]
    fn every_code_maps_to_a_client_or_server_status() {
        for code in [
            ErrorCode::ValidationError,
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::Conflict,
            ErrorCode::BusinessLogic,
            ErrorCode::RateLimited,
        ] {
            assert!(code.status().is_client_error(), "{code:?}");
        }
        assert!(ErrorCode::ServiceUnavailable.status().is_server_error());
    }
}
