//! Calls made the way the web app's server makes them (its typed API
//! client): `Content-Type: application/json` on every request, GET and
//! DELETE and body-less POST included; no `Origin` (the calls are made
//! server-side); and, when signed in, one `Cookie` header carrying the
//! session token under the three names the web app forwards:
//! `codex-session=T; __Secure-better-auth.session_token=T;
//! better-auth.session_token=T`.

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, COOKIE};
use serde_json::Value;

use crate::accounts::{Browser, Reply};
use crate::{client, url};

/// The web app's server calling the services for one visitor.
#[derive(Debug, Clone)]
pub struct FrontEnd {
    http: reqwest::Client,
    token: Option<String>,
}

impl FrontEnd {
    /// For a visitor who is not signed in.
    pub fn anonymous() -> Self {
        Self {
            http: client(),
            token: None,
        }
    }

    /// For the visitor signed in as `browser` (its session token).
    pub fn of(browser: &Browser) -> Self {
        Self {
            http: client(),
            token: browser.cookie().map(str::to_owned),
        }
    }

    /// Sends `method path` to `service`, with `body` as JSON if given.
    pub async fn call(
        &self,
        method: Method,
        service: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self
            .http
            .request(method, url(service, path))
            .header(CONTENT_TYPE, "application/json");
        if let Some(token) = &self.token {
            request = request.header(
                COOKIE,
                format!(
                    "codex-session={token}; __Secure-better-auth.session_token={token}; \
                     better-auth.session_token={token}"
                ),
            );
        }
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        Reply::exchange(request).await
    }

    pub async fn get(&self, service: &str, path: &str) -> Reply {
        self.call(Method::GET, service, path, None).await
    }

    /// A POST without a body (still declared as JSON), as the web app
    /// sends follow.
    pub async fn post_empty(&self, service: &str, path: &str) -> Reply {
        self.call(Method::POST, service, path, None).await
    }

    pub async fn post(&self, service: &str, path: &str, body: &Value) -> Reply {
        self.call(Method::POST, service, path, Some(body)).await
    }

    pub async fn patch(&self, service: &str, path: &str, body: &Value) -> Reply {
        self.call(Method::PATCH, service, path, Some(body)).await
    }

    pub async fn delete(&self, service: &str, path: &str) -> Reply {
        self.call(Method::DELETE, service, path, None).await
    }
}
