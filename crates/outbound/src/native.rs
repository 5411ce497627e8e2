//! The native adapter: one reqwest client (one connection pool) for every
//! outbound call of the process.

use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::{DEFAULT_TIMEOUT, HttpClient, OutboundError, OutboundRequest, OutboundResponse, scrub};

/// [`HttpClient`] over reqwest (rustls). Cheap to clone: clones share the
/// connection pool.
#[derive(Debug, Clone)]
pub struct ReqwestClient {
    client: reqwest::Client,
}

impl ReqwestClient {
    /// A client that follows no redirects, with [`DEFAULT_TIMEOUT`] as a
    /// backstop; each request's own timeout replaces it.
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .timeout(DEFAULT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self { client }
    }
}

impl Default for ReqwestClient {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl HttpClient for ReqwestClient {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        request.validate()?;
        let OutboundRequest {
            method,
            url,
            headers,
            body,
            timeout,
        } = request;
        let header_map = header_map(&headers)?;
        let exchange = async {
            let response = self
                .client
                .request(method, url.as_str())
                .headers(header_map)
                .body(body)
                .timeout(timeout)
                .send()
                .await?;
            let status = response.status().as_u16();
            let response_headers = response
                .headers()
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let body = response.bytes().await?.to_vec();
            Ok(OutboundResponse {
                status,
                headers: response_headers,
                body,
            })
        };
        exchange
            .await
            .map_err(|error: reqwest::Error| map_error(error, &url, &headers))
    }
}

fn header_map(headers: &[(String, String)]) -> Result<HeaderMap, OutboundError> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| OutboundError::InvalidRequest("a header name is not valid".to_owned()))?;
        let mut value = HeaderValue::from_str(value).map_err(|_| {
            OutboundError::InvalidRequest(format!("the value of header {name} is not valid"))
        })?;
        // Kept out of reqwest's Debug output and HTTP/2 header compression.
        value.set_sensitive(true);
        map.append(name, value);
    }
    Ok(map)
}

fn map_error(error: reqwest::Error, url: &str, headers: &[(String, String)]) -> OutboundError {
    if error.is_timeout() {
        return OutboundError::Timeout;
    }
    let (is_builder, is_connect) = (error.is_builder(), error.is_connect());
    let message = scrub(&describe(&error.without_url()), url, headers);
    if is_builder {
        OutboundError::InvalidRequest(message)
    } else if is_connect {
        OutboundError::Connect(message)
    } else {
        OutboundError::Transport(message)
    }
}

/// The error and its causes: reqwest's own message alone ("error sending
/// request") does not say what went wrong.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
