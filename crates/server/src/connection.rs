//! The native host's connections: an accept loop over hyper-util's
//! HTTP/1-and-2 connection builder, in place of `axum::serve`, so that the
//! answers hyper gives by itself also carry the JSON error envelope.
//!
//! hyper answers a request it cannot parse (a malformed request line or
//! header, a bad `Content-Length`, a target that is not a valid URI, such
//! as raw non-ASCII bytes) with a bare `400`, a request target over 65,534
//! bytes with a bare `414`, and a head larger than its buffer with a bare
//! `431`, before any handler runs, and then closes the connection. It has
//! no hook for these answers. So each HTTP/1 connection's output passes
//! through [`Enveloped`], which follows the response framing hyper writes
//! (heads, `Content-Length` and chunked bodies) and knows how many requests
//! were handed to the application. A head written when no request is
//! waiting for its answer can only be one of hyper's own; it is replaced,
//! before anything of it reaches the socket, by the same status with the
//! envelope, the security headers, a request id and `Connection: close`.
//! Everything else passes unchanged. HTTP/2 connections pass through.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::response::IntoResponse;
use codex_errors::ApiError;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// How long a client may take to send a request's head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long connections in flight may take to finish after the stop.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `stop` turns true, then stops accepting
/// and lets the connections in flight finish their requests. `hsts` puts
/// HSTS on the answers given for hyper (as `app()` does in production).
pub async fn serve_app(
    listener: TcpListener,
    app: Router,
    mut stop: watch::Receiver<bool>,
    hsts: bool,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors, or the peer gave up before we
                // accepted: wait a little rather than spin.
                tracing::warn!(%error, "could not accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let waiting = Arc::new(Waiting::default());
        let io = TokioIo::new(Enveloped::new(stream, Arc::clone(&waiting), hsts));
        let app = app.clone();
        let service = tower::service_fn(move |mut request: Request<Incoming>| {
            waiting.push(request.method());
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request)
        });
        let connection = builder
            .serve_connection_with_upgrades(io, TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain timeout");
    }
}

/// What an answer's head says about the body after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    Head,
    Connect,
    Other,
}

/// The requests of one connection handed to the application whose answer's
/// head has not been written yet, oldest first; no longer kept once the
/// output is not followed (HTTP/2, an upgrade).
#[derive(Debug, Default)]
pub struct Waiting {
    requests: Mutex<(VecDeque<Asked>, bool)>,
}

impl Waiting {
    fn push(&self, method: &Method) {
        let asked = match *method {
            Method::HEAD => Asked::Head,
            Method::CONNECT => Asked::Connect,
            _ => Asked::Other,
        };
        let mut requests = self.lock();
        if !requests.1 {
            requests.0.push_back(asked);
        }
    }

    fn pop(&self) -> Option<Asked> {
        self.lock().0.pop_front()
    }

    fn stop_following(&self) {
        let mut requests = self.lock();
        requests.0 = VecDeque::new();
        requests.1 = true;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (VecDeque<Asked>, bool)> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where the output stands in the framing of HTTP/1 responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// At (or inside) a response head, collected in `Enveloped::head`.
    Head,
    /// Inside a body of known length: this many bytes left.
    Fixed(u64),
    /// Inside a chunked body.
    Chunked(Chunked),
    /// Not HTTP/1 responses (HTTP/2, an upgrade, a body that lasts until
    /// the connection closes, or something not understood): unchanged.
    Through,
}

/// A response head longer than this is not inspected.
const MAX_HEAD: usize = 64 * 1024;

/// An HTTP/1 connection's I/O, whose output is watched for the answers
/// hyper gives by itself (see the module's documentation).
pub struct Enveloped<T> {
    inner: T,
    waiting: Arc<Waiting>,
    hsts: bool,
    framing: Framing,
    /// The response head being collected.
    head: Vec<u8>,
    /// Bytes accepted from hyper but not yet written to `inner`.
    out: Vec<u8>,
    written: usize,
}

impl<T> Enveloped<T> {
    pub fn new(inner: T, waiting: Arc<Waiting>, hsts: bool) -> Self {
        Self {
            inner,
            waiting,
            hsts,
            framing: Framing::Head,
            head: Vec::new(),
            out: Vec::new(),
            written: 0,
        }
    }

    /// The head collected, now complete: what to write for it, and the
    /// framing of what follows.
    fn finish_head(&mut self) {
        let head = std::mem::take(&mut self.head);
        let Some((status, headers)) = parse_head(&head) else {
            self.out.extend_from_slice(&head);
            self.pass_through();
            return;
        };
        if status.is_informational() {
            // `100 Continue`, written by hyper while the request's own
            // answer is still to come; `101` hands the connection over.
            self.out.extend_from_slice(&head);
            if status == StatusCode::SWITCHING_PROTOCOLS {
                self.pass_through();
            }
            return;
        }
        let Some(asked) = self.waiting.pop() else {
            // No request is waiting: hyper is answering by itself, and will
            // close the connection after this.
            if status.is_client_error() {
                self.out
                    .extend_from_slice(&envelope_for(status, &head, self.hsts));
            } else {
                self.out.extend_from_slice(&head);
            }
            self.pass_through();
            return;
        };
        self.out.extend_from_slice(&head);
        self.framing = body_framing(asked, status, &headers);
        if self.framing == Framing::Through {
            self.pass_through();
        }
    }

    /// From now on, the output passes unchanged.
    fn pass_through(&mut self) {
        self.framing = Framing::Through;
        self.waiting.stop_following();
    }
}

fn parse_head(head: &[u8]) -> Option<(StatusCode, HeaderMap)> {
    let mut slots = [httparse::EMPTY_HEADER; 128];
    let mut response = httparse::Response::new(&mut slots);
    match response.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return None,
    }
    let status = StatusCode::from_u16(response.code?).ok()?;
    let mut headers = HeaderMap::new();
    for field in response.headers.iter() {
        let name = header::HeaderName::from_bytes(field.name.as_bytes()).ok()?;
        let value = HeaderValue::from_bytes(field.value).ok()?;
        headers.append(name, value);
    }
    Some((status, headers))
}

/// RFC 9112, section 6.3, for a response to `asked`.
fn body_framing(asked: Asked, status: StatusCode, headers: &HeaderMap) -> Framing {
    if asked == Asked::Connect && status.is_success() {
        return Framing::Through;
    }
    if asked == Asked::Head
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return Framing::Head;
    }
    let chunked = headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .next_back()
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
        });
    if chunked {
        return Framing::Chunked(Chunked::Size { digits: 0 });
    }
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return Framing::Through;
    }
    match headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
    {
        Some(0) => Framing::Head,
        Some(length) => Framing::Fixed(length),
        None => Framing::Through,
    }
}

/// The answer hyper's `status` gets instead: the envelope, the security
/// headers, a request id, and the connection closed after it.
fn envelope_for(status: StatusCode, hyper_head: &[u8], hsts: bool) -> Vec<u8> {
    let message = match status {
        StatusCode::URI_TOO_LONG => "The request URI is too long",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "The request headers are too large",
        _ => "The request could not be parsed",
    };
    let error = ApiError::validation(message);
    let body = error.body().to_string();
    let mut headers = error.into_response().headers().clone();
    codex_http_kit::layers::insert_security_headers(&mut headers, hsts);
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert(codex_http_kit::layers::REQUEST_ID, id);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    let version = if hyper_head.starts_with(b"HTTP/1.0") {
        "HTTP/1.0"
    } else {
        "HTTP/1.1"
    };
    let mut bytes = format!(
        "{version} {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    )
    .into_bytes();
    if let Some((_, hyper_headers)) = parse_head(hyper_head)
        && let Some(date) = hyper_headers.get(header::DATE)
    {
        headers.insert(header::DATE, date.clone());
    }
    for (name, value) in &headers {
        bytes.extend_from_slice(name.as_str().as_bytes());
        bytes.extend_from_slice(b": ");
        bytes.extend_from_slice(value.as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// Where the output stands inside a chunked body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunked {
    /// Reading a chunk-size line; `digits` so far.
    Size {
        digits: u64,
    },
    /// In a chunk-size line's extension, up to its CR.
    Extension {
        size: u64,
    },
    /// The LF ending a chunk-size line.
    SizeLf {
        size: u64,
    },
    /// Inside a chunk's data.
    Data(u64),
    /// The CR, then the LF, after a chunk's data.
    DataCr,
    DataLf,
    /// After the last chunk: at the start of a trailer line (or the end).
    TrailerStart,
    /// Inside a trailer line, up to its CR, then its LF.
    Trailer,
    TrailerLf,
    /// The LF of the empty line that ends the body.
    EndLf,
    /// The body is over.
    Done,
}

impl Chunked {
    /// Follows `bytes`; how many it took, up to and including the body's
    /// end if that is among them.
    fn advance(&mut self, bytes: &[u8]) -> usize {
        let mut taken = 0;
        while taken < bytes.len() && *self != Self::Done {
            if let Self::Data(left) = *self {
                let step = usize::try_from(left).unwrap_or(usize::MAX);
                let step = step.min(bytes.len() - taken);
                taken += step;
                let left = left - step as u64;
                *self = if left == 0 {
                    Self::DataCr
                } else {
                    Self::Data(left)
                };
                continue;
            }
            let byte = bytes[taken];
            taken += 1;
            *self = match (*self, byte) {
                (Self::Size { digits }, b'\r') => Self::SizeLf { size: digits },
                (Self::Size { digits }, b';' | b' ' | b'\t') => Self::Extension { size: digits },
                (Self::Size { digits }, byte) => match char::from(byte).to_digit(16) {
                    Some(digit) => Self::Size {
                        digits: digits.saturating_mul(16).saturating_add(u64::from(digit)),
                    },
                    None => Self::Done,
                },
                (Self::Extension { size }, b'\r') => Self::SizeLf { size },
                (state @ Self::Extension { .. }, _) => state,
                (Self::SizeLf { size: 0 }, b'\n') => Self::TrailerStart,
                (Self::SizeLf { size }, b'\n') => Self::Data(size),
                (Self::DataCr, b'\r') => Self::DataLf,
                (Self::DataLf, b'\n') => Self::Size { digits: 0 },
                (Self::TrailerStart, b'\r') => Self::EndLf,
                (Self::Trailer, b'\r') => Self::TrailerLf,
                (Self::TrailerStart | Self::Trailer, _) => Self::Trailer,
                (Self::TrailerLf, b'\n') => Self::TrailerStart,
                (Self::EndLf, b'\n') => Self::Done,
                // Not what hyper writes: stop following.
                _ => Self::Done,
            };
        }
        taken
    }
}

impl<T: AsyncWrite + Unpin> Enveloped<T> {
    /// Writes what was accepted but not yet written.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.out.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.out.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }

    /// Takes bytes of a response head; how many it took.
    fn collect_head(&mut self, buf: &[u8]) -> usize {
        // The head ends at the first blank line; it may straddle writes.
        let from = self.head.len().saturating_sub(3);
        self.head.extend_from_slice(buf);
        let end = self.head[from..]
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .map(|at| from + at + 4);
        let looks_like_http1 = {
            let start = &self.head[..self.head.len().min(5)];
            b"HTTP/".starts_with(start)
        };
        match end {
            Some(end) if looks_like_http1 => {
                let taken = buf.len() - (self.head.len() - end);
                self.head.truncate(end);
                self.finish_head();
                taken
            }
            None if looks_like_http1 && self.head.len() <= MAX_HEAD => buf.len(),
            _ => {
                // HTTP/2, or nothing we understand: pass it all on.
                let head = std::mem::take(&mut self.head);
                self.out.extend_from_slice(&head);
                self.pass_through();
                buf.len()
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Enveloped<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Enveloped<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_drain(cx))?;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        match this.framing {
            Framing::Head => Poll::Ready(Ok(this.collect_head(buf))),
            Framing::Through => Pin::new(&mut this.inner).poll_write(cx, buf),
            Framing::Fixed(left) => {
                let limit = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &buf[..limit]))?;
                let left = left - n as u64;
                this.framing = if left == 0 {
                    Framing::Head
                } else {
                    Framing::Fixed(left)
                };
                Poll::Ready(Ok(n))
            }
            Framing::Chunked(state) => {
                // Write no further than the body's end: a next head may
                // follow in the same buffer.
                let mut probe = state;
                let limit = probe.advance(buf);
                let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &buf[..limit]))?;
                let mut state = state;
                state.advance(&buf[..n]);
                this.framing = if state == Chunked::Done {
                    Framing::Head
                } else {
                    Framing::Chunked(state)
                };
                Poll::Ready(Ok(n))
            }
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_end_where_hyper_ends_them() {
        let body =
            b"5\r\nhello\r\n10;ext=1\r\n0123456789abcdef\r\n0\r\nx-trailer: 1\r\n\r\nHTTP/1.1";
        let mut state = Chunked::Size { digits: 0 };
        let taken = state.advance(body);
        assert_eq!(state, Chunked::Done);
        assert_eq!(&body[taken..], b"HTTP/1.1");

        // The same, a byte at a time.
        let mut state = Chunked::Size { digits: 0 };
        let mut taken = 0;
        for byte in body.iter() {
            if state == Chunked::Done {
                break;
            }
            taken += state.advance(std::slice::from_ref(byte));
        }
        assert_eq!(&body[taken..], b"HTTP/1.1");

        let mut state = Chunked::Size { digits: 0 };
        assert_eq!(state.advance(b"0\r\n\r\n"), 5);
        assert_eq!(state, Chunked::Done);
    }

    #[test]
    fn framing_follows_the_request_and_the_headers() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.append(*name, HeaderValue::from_static(value));
            }
            map
        };
        let ok = StatusCode::OK;
        let sized = headers(&[("content-length", "12")]);
        assert_eq!(body_framing(Asked::Other, ok, &sized), Framing::Fixed(12));
        assert_eq!(body_framing(Asked::Head, ok, &sized), Framing::Head);
        assert_eq!(
            body_framing(Asked::Other, StatusCode::NOT_MODIFIED, &sized),
            Framing::Head
        );
        assert_eq!(
            body_framing(
                Asked::Other,
                ok,
                &headers(&[("transfer-encoding", "chunked")])
            ),
            Framing::Chunked(Chunked::Size { digits: 0 })
        );
        assert_eq!(
            body_framing(Asked::Other, ok, &headers(&[])),
            Framing::Through
        );
        assert_eq!(body_framing(Asked::Connect, ok, &sized), Framing::Through);
    }
}
