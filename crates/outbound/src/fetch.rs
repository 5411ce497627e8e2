//! The Workers adapter: the runtime's fetch API through `worker::Fetch`.
//!
//! Fetch futures and JS values are not `Send`, while [`HttpClient`]'s
//! futures are. Workers run a request on one thread, so the whole exchange
//! is wrapped in `SendFuture` once, here.

use async_trait::async_trait;
use codex_clock::{SystemClock, TimedOut, with_timeout};
use worker::send::SendFuture;
use worker::{AbortController, Fetch, Headers, RequestInit, RequestRedirect};

use crate::{HttpClient, Method, OutboundError, OutboundRequest, OutboundResponse, scrub};

/// [`HttpClient`] over the Workers fetch API. It holds nothing: every
/// request is handed to the runtime.
#[derive(Debug, Default, Clone, Copy)]
pub struct FetchClient;

impl FetchClient {
    pub fn new() -> Self {
        Self
    }
}

#[async_trait]
impl HttpClient for FetchClient {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        request.validate()?;
        SendFuture::new(exchange(request)).await
    }
}

async fn exchange(request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
    let transport = |error: worker::Error| {
        OutboundError::Transport(scrub(&error.to_string(), &request.url, &request.headers))
    };
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.append(name, value).map_err(|_| {
            OutboundError::InvalidRequest(format!("the value of header {name} was refused"))
        })?;
    }
    let mut init = RequestInit::new();
    init.with_method(method(&request.method)?)
        .with_headers(headers)
        // As natively: a redirect comes back as the 3xx response.
        .with_redirect(RequestRedirect::Manual);
    if !request.body.is_empty() {
        let body = worker::js_sys::Uint8Array::from(request.body.as_slice());
        init.with_body(Some(body.into()));
    }
    let outgoing = worker::Request::new_with_init(&request.url, &init).map_err(|error| {
        OutboundError::InvalidRequest(scrub(&error.to_string(), &request.url, &request.headers))
    })?;
    let fetch = Fetch::Request(outgoing);
    let controller = AbortController::default();
    let signal = controller.signal();
    let whole_response = async {
        let mut response = fetch.send_with_signal(&signal).await?;
        let status = response.status_code();
        let headers = response.headers().entries().collect();
        let body = response.bytes().await?;
        Ok(OutboundResponse {
            status,
            headers,
            body,
        })
    };
    match with_timeout(&SystemClock, request.timeout, whole_response).await {
        Ok(result) => result.map_err(transport),
        Err(TimedOut) => {
            // Stops the fetch itself, not only our wait for it.
            controller.abort();
            Err(OutboundError::Timeout)
        }
    }
}

/// `worker::Method::from` turns an unknown method into GET; refuse instead.
fn method(method: &Method) -> Result<worker::Method, OutboundError> {
    Ok(match method.as_str() {
        "GET" => worker::Method::Get,
        "HEAD" => worker::Method::Head,
        "POST" => worker::Method::Post,
        "PUT" => worker::Method::Put,
        "PATCH" => worker::Method::Patch,
        "DELETE" => worker::Method::Delete,
        "OPTIONS" => worker::Method::Options,
        other => {
            return Err(OutboundError::InvalidRequest(format!(
                "method {other} is not supported on Workers"
            )));
        }
    })
}
