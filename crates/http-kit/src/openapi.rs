//! Each service's OpenAPI 3.1 document, generated from its handlers.
//!
//! A service lists its routes as a [`Routes`] (utoipa-axum's router): every
//! handler is registered from its own `#[utoipa::path]` annotation, so the
//! method and path axum serves are the ones the document states, and a
//! route cannot exist without its description. [`ServiceRoutes::new`] adds
//! the routes every service shares (`/health`, `/openapi.json`), splits the
//! axum router from the document and finishes the document:
//!
//! - `info` names the service and its version;
//! - the security schemes: the session cookie and the worker signature;
//! - every operation gets `4XX` and `5XX` answers in the service's error
//!   envelope ([`Envelope`]), beside any errors it describes itself
//!   (`422` …), so that every answer a client can receive is described.
//!
//! On Workers the document is not built: the code that builds it would add
//! a tenth of a megabyte to every worker. [`routes!`](crate::routes) there
//! registers each handler at its annotated method and path only, and the
//! worker serves the service's committed document
//! (`openapi/services/{name}.json`, which the native tests hold equal to
//! the generated one).
//!
//! The schemas of the success envelopes are [`DataEnvelope`] and
//! [`ListEnvelope`]; handlers name them in their annotations
//! (`body = DataEnvelope<Profile>`).

use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use codex_errors::ErrorCode;
use codex_validation::Pagination;
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use crate::routes;

use crate::{AppState, health};

/// A service's routes with their descriptions.
pub type Routes = OpenApiRouter<AppState>;

/// The security scheme of the session cookie (`codex-session`).
pub const SESSION: &str = "session";
/// The security scheme of worker-to-worker calls (`X-Worker-Signature`
/// with `X-Worker-Timestamp`).
pub const WORKER_SIGNATURE: &str = "workerSignature";

/// How a service shapes its answers: what the front end relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// `{data}` for one thing, `{items, pagination}` for a page, errors
    /// nested as `{error: {code, message, details?}}`.
    Procedure,
    /// BetterAuth's bare JSON; errors carry a flat `code` and `message`
    /// beside the nested `error`.
    BetterAuth,
    /// Bare JSON with no envelope (the notifications service).
    Bare,
}

/// `{"data": T}`: the answer of a procedure service for one thing.
#[derive(ToSchema)]
pub struct DataEnvelope<T> {
    pub data: T,
}

/// `{"items": [T], "pagination": {…}}`: a page of things.
#[derive(ToSchema)]
pub struct ListEnvelope<T> {
    pub items: Vec<T>,
    pub pagination: Pagination,
}

/// `{"data": null}`: done, with nothing to show.
#[derive(ToSchema)]
pub struct NullEnvelope {
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
}

/// The error envelope every service answers with.
#[derive(ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// The auth service's errors: the envelope, plus BetterAuth's flat `code`
/// and `message`, which the front end's sign-up, sign-in and reset pages
/// read.
#[derive(ToSchema)]
pub struct AuthErrorEnvelope {
    pub error: ErrorBody,
    /// BetterAuth's code, e.g. `INVALID_EMAIL_OR_PASSWORD`.
    pub code: String,
    pub message: String,
}

#[derive(ToSchema)]
pub struct ErrorBody {
    pub code: ErrorCode,
    /// For people; never carries a server-side cause.
    pub message: String,
    /// Machine-readable context, e.g. the fields that were refused.
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

/// The document, served at `/openapi.json`.
#[derive(Clone)]
pub struct Document(Arc<str>);

impl Document {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A service's axum router and its document, made once per process (or
/// per isolate on Workers).
#[derive(Clone)]
pub struct ServiceRoutes {
    router: Router<AppState>,
    document: Document,
}

impl ServiceRoutes {
    /// The routes and the document generated from them.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new(service: crate::Service, routes: Routes) -> Self {
        let (router, api) = with_shared_routes(routes).split_for_parts();
        let api = finishing::finish(service, api);
        let json = api.to_pretty_json().unwrap_or_else(|error| {
            // Serialising a document of strings and maps cannot fail; if
            // it ever did, the service still starts and says so.
            tracing::error!(%error, "the OpenAPI document could not be written");
            "{}".to_owned()
        });
        Self {
            router,
            document: Document(Arc::from(json)),
        }
    }

    /// The routes, with the service's committed document (on Workers).
    pub fn with_document(routes: Routes, document: &'static str) -> Self {
        let (router, _) = with_shared_routes(routes).split_for_parts();
        Self {
            router,
            document: Document(Arc::from(document)),
        }
    }

    pub fn router(&self) -> Router<AppState> {
        self.router.clone()
    }

    pub fn document(&self) -> &Document {
        &self.document
    }
}

fn with_shared_routes(routes: Routes) -> Routes {
    routes
        .add(routes!(health::health))
        .add(routes!(openapi_json))
}

/// How a service adds the handlers [`routes!`](crate::routes) collected.
pub trait AddRoutes {
    /// Adds `handlers`, refusing (natively, where schemas are collected) a
    /// schema named like another schema of the service but different:
    /// utoipa would keep only one of them, and the document would describe
    /// the other answer wrongly. Rename one with `#[schema(as = …)]`.
    #[must_use]
    fn add(self, handlers: UtoipaMethodRouter<AppState>) -> Self;
}

impl AddRoutes for Routes {
    fn add(self, handlers: UtoipaMethodRouter<AppState>) -> Self {
        let known = self.get_openapi().components.as_ref();
        for (index, (name, schema)) in handlers.0.iter().enumerate() {
            let earlier = handlers.0[..index]
                .iter()
                .find(|(other, _)| other == name)
                .map(|(_, schema)| schema);
            let registered = known.and_then(|components| components.schemas.get(name));
            for other in earlier.into_iter().chain(registered) {
                assert!(
                    other == schema,
                    "two different schemas are named {name}: rename one with #[schema(as = …)]"
                );
            }
        }
        self.routes(handlers)
    }
}

/// Registers handlers by their `#[utoipa::path]` annotations, as
/// utoipa-axum's `routes!` does (one path per call). Natively it is that
/// macro, which also collects their descriptions. On Workers it registers
/// each handler at its annotated method and path and collects nothing, so
/// the code that builds descriptions is never called and is left out of
/// the worker.
#[macro_export]
macro_rules! routes {
    ( $( $first:ident $( :: $rest:ident )* ),+ $(,)? ) => {{
        #[cfg(not(target_arch = "wasm32"))]
        let collected = $crate::utoipa_axum::routes!( $( $first $( :: $rest )* ),+ );
        #[cfg(target_arch = "wasm32")]
        let collected = {
            use $crate::utoipa_axum::PathItemExt as _;
            let mut paths = $crate::utoipa::openapi::path::Paths::new();
            let mut method_router = $crate::axum::routing::MethodRouter::new();
            $(
                let path = $crate::utoipa_axum::routes!( @path [path()] of $first $( :: $rest )* );
                let methods =
                    $crate::utoipa_axum::routes!( @path [methods()] of $first $( :: $rest )* );
                for method in methods.iter() {
                    method_router = method_router.on(method.to_method_filter(), $first $( :: $rest )*);
                }
                paths.add_path_operation(
                    &path,
                    methods,
                    $crate::utoipa::openapi::path::Operation::new(),
                );
            )+
            (::std::vec::Vec::new(), paths, method_router)
        };
        collected
    }};
}

/// Registers `handlers` with a request body limit of `max` bytes (for the
/// routes that take uploads).
pub fn with_body_limit(
    (schemas, paths, method_router): UtoipaMethodRouter<AppState>,
    max: usize,
) -> UtoipaMethodRouter<AppState> {
    (
        schemas,
        paths,
        method_router.layer(axum::extract::DefaultBodyLimit::max(max)),
    )
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "shared",
    responses((status = 200, description = "The service's OpenAPI 3.1 document", content_type = "application/json", body = Object))
)]
pub async fn openapi_json(Extension(document): Extension<Document>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        document.0.to_string(),
    )
        .into_response()
}

/// Finishing a generated document (natively only: see the module's notes).
#[cfg(not(target_arch = "wasm32"))]
mod finishing {
    use codex_errors::ErrorCode;
    use codex_validation::Pagination;
    use utoipa::PartialSchema;
    use utoipa::openapi::path::Operation;
    use utoipa::openapi::response::ResponseBuilder;
    use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
    use utoipa::openapi::{
        ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, Ref, RefOr,
        Response as ApiResponse,
    };

    use super::{AuthErrorEnvelope, Envelope, ErrorBody, ErrorEnvelope, SESSION, WORKER_SIGNATURE};
    use crate::Service;

    fn error_response(envelope: Envelope, description: &str) -> ApiResponse {
        let schema = match envelope {
            Envelope::BetterAuth => "AuthErrorEnvelope",
            Envelope::Procedure | Envelope::Bare => "ErrorEnvelope",
        };
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(schema)))
                    .build(),
            )
            .build()
    }

    fn add_error_answers(operation: &mut Operation, envelope: Envelope) {
        let answers = &mut operation.responses.responses;
        // An operation that lists some of its errors (to describe them)
        // can still answer the others: the ranges stay.
        let client = !answers.contains_key("4XX");
        let server = !answers.contains_key("5XX");
        if client {
            answers.insert(
                "4XX".to_owned(),
                RefOr::T(error_response(envelope, "Refused: the error envelope")),
            );
        }
        if server {
            answers.insert(
                "5XX".to_owned(),
                RefOr::T(error_response(
                    envelope,
                    "Failed or unavailable: the error envelope",
                )),
            );
        }
    }

    pub(super) fn finish(service: Service, mut api: OpenApi) -> OpenApi {
        api.info = InfoBuilder::new()
            .title(service.name)
            .version(service.version)
            .description(Some(format!(
                "The Codex `{}` service. Generated from its handlers.",
                service.name
            )))
            .build();
        let components = api
            .components
            .get_or_insert_with(|| ComponentsBuilder::new().build());
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "codex-session",
                "The session token set by sign-in; `better-auth.session_token` and its `__Secure-` forms are read too",
            ))),
        );
        components.add_security_scheme(
            WORKER_SIGNATURE,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Worker-Signature",
                "Hex HMAC-SHA256 over `{X-Worker-Timestamp}.{body}` with the shared worker secret; at most 300 s old",
            ))),
        );
        for (name, schema) in [
            ("ErrorEnvelope", ErrorEnvelope::schema()),
            ("AuthErrorEnvelope", AuthErrorEnvelope::schema()),
            ("ErrorBody", ErrorBody::schema()),
            ("ErrorCode", ErrorCode::schema()),
            ("Pagination", Pagination::schema()),
        ] {
            components.schemas.entry(name.to_owned()).or_insert(schema);
        }
        for item in api.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_error_answers(operation, service.envelope);
            }
        }
        api
    }
}

/// Adds the description of a handler that is routed by hand (a path
/// OpenAPI cannot write, such as axum's catch-all) to the document.
pub fn describe<P: utoipa::Path>(routes: &mut Routes) {
    routes
        .get_openapi_mut()
        .paths
        .add_path_operation(P::path(), P::methods(), P::operation());
}
