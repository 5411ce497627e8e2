//! What the native host answers to requests hyper refuses before any
//! handler runs, written byte for byte to a real listener on 127.0.0.1:
//! every answer is the JSON error envelope with the right status, and the
//! answers before it on the same connection are untouched.

use std::collections::HashMap;
use std::time::Duration;

use codex_config::{Config, Environment};
use codex_server::NativePlatform;
use codex_testkit::TestDatabase;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

struct Host {
    address: std::net::SocketAddr,
    _stop: watch::Sender<bool>,
    _test: TestDatabase,
    data_dir: std::path::PathBuf,
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// The auth service on the host's own connection handling, on a free port.
async fn host() -> Host {
    let test = TestDatabase::new().await;
    let data_dir = std::env::temp_dir().join(format!("codex-raw-{}", uuid::Uuid::new_v4()));
    let storage_port = codex_testkit::free_local_port().to_string();
    let source: HashMap<String, String> = [
        ("ENVIRONMENT", "test"),
        ("DATABASE_URL", test.url()),
        ("DATA_DIR", data_dir.to_str().expect("utf-8 path")),
        ("LOCAL_STORAGE_PORT", storage_port.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = Config::from_source(&source, Environment::Development).expect("config");
    let platform = NativePlatform::build(&source, config)
        .await
        .expect("platform");
    let app = codex_server::service_app("auth", &platform).expect("auth");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(codex_server::connection::serve_app(
        listener, app, stopped, false,
    ));
    Host {
        address,
        _stop: stop,
        _test: test,
        data_dir,
    }
}

/// One response read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "not JSON ({error}): {:?} {:?}",
                self,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The envelope with `status`, as the application's own errors have it.
    fn assert_envelope(&self, status: u16) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(
            self.headers.get("content-type").map(String::as_str),
            Some("application/json"),
            "{self:?}"
        );
        let body = self.json();
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR", "{body}");
        assert!(body["error"]["message"].is_string(), "{body}");
        assert_eq!(
            self.headers
                .get("x-content-type-options")
                .map(String::as_str),
            Some("nosniff"),
            "security headers: {self:?}"
        );
        assert!(self.headers.contains_key("x-request-id"), "{self:?}");
        assert_eq!(
            self.headers.get("cache-control").map(String::as_str),
            Some("no-store")
        );
    }
}

/// Sends `bytes` on a fresh connection and reads every response until the
/// server closes it (`HEAD` responses, whose length has no body, are
/// marked with `heads`).
async fn exchange(host: &Host, bytes: &[u8], heads: &[usize]) -> Vec<Answer> {
    let mut stream = TcpStream::connect(host.address).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    let mut received = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut received))
        .await
        .expect("the server closes the connection")
        .expect("read");
    split(&received, heads)
}

fn split(mut bytes: &[u8], heads: &[usize]) -> Vec<Answer> {
    let mut answers = Vec::new();
    while !bytes.is_empty() {
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut slots);
        let httparse::Status::Complete(head_length) = response
            .parse(bytes)
            .unwrap_or_else(|error| panic!("{error}: {:?}", String::from_utf8_lossy(bytes)))
        else {
            panic!("a partial head: {:?}", String::from_utf8_lossy(bytes));
        };
        let headers: HashMap<String, String> = response
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_ascii_lowercase(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        let status = response.code.expect("a status");
        let length = if heads.contains(&answers.len()) {
            0
        } else {
            headers
                .get("content-length")
                .map_or(bytes.len() - head_length, |value| {
                    value.parse().expect("a length")
                })
        };
        let body = bytes[head_length..head_length + length].to_vec();
        bytes = &bytes[head_length + length..];
        answers.push(Answer {
            status,
            headers,
            body,
        });
    }
    answers
}

async fn one(host: &Host, bytes: &[u8]) -> Answer {
    let mut answers = exchange(host, bytes, &[]).await;
    assert_eq!(answers.len(), 1, "{answers:?}");
    answers.remove(0)
}

#[tokio::test]
async fn hypers_own_refusals_carry_the_envelope() {
    let host = host().await;

    // A request target over hyper's 65,534 bytes.
    let long = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000));
    one(&host, long.as_bytes()).await.assert_envelope(414);

    // Headers larger than hyper's buffer.
    let large = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "b".repeat(600_000)
    );
    one(&host, large.as_bytes()).await.assert_envelope(431);

    // Malformed request lines, and a TLS hello on a plain port.
    for garbage in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET  /health\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        b"GET /health HTTP/1.1\r\nBad Header\r\n\r\n",
    ] {
        one(&host, garbage).await.assert_envelope(400);
    }

    // Bad Content-Length: not a number, negative, too large, or two that
    // disagree.
    for length in [
        "Content-Length: abc",
        "Content-Length: -1",
        "Content-Length: 99999999999999999999999",
        "Content-Length: 2\r\nContent-Length: 3",
    ] {
        let request = format!(
            "POST /__dev__/echo/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{length}\r\n\r\n{{}}"
        );
        one(&host, request.as_bytes()).await.assert_envelope(400);
    }

    // Raw bytes that are not UTF-8 (nor ASCII) in the path.
    one(&host, b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .assert_envelope(400);
}

#[tokio::test]
async fn percent_encoded_non_utf8_paths_reach_the_application() {
    let host = host().await;
    // No route: the application's 404 envelope.
    let answer = one(
        &host,
        b"GET /%FF%FE HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(answer.status, 404, "{answer:?}");
    assert_eq!(answer.json()["error"]["code"], "NOT_FOUND");

    // A path parameter that does not decode: the extractor's 400 envelope.
    let answer = one(
        &host,
        b"POST /__dev__/echo/%FF HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 16\r\nConnection: close\r\n\r\n{\"message\":\"hi\"}",
    )
    .await;
    answer.assert_envelope(400);
}

#[tokio::test]
async fn answers_before_a_refusal_on_the_same_connection_are_untouched() {
    let host = host().await;
    // Two good requests (one HEAD, whose answer has a length but no body,
    // one with a body), then a malformed one, written at once.
    let pipelined = b"HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n\
        POST /__dev__/echo/3f1c2b7e-0000-4000-8000-000000000000?times=2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"message\":\"hi\"}\
        GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n";
    let answers = exchange(&host, pipelined, &[0]).await;
    assert_eq!(answers.len(), 3, "{answers:?}");
    assert_eq!(answers[0].status, 200, "{answers:?}");
    assert!(answers[0].body.is_empty());
    assert_eq!(answers[1].status, 200, "{:?}", answers[1]);
    assert_eq!(
        answers[1].headers.get("content-type").map(String::as_str),
        Some("application/json")
    );
    assert_eq!(
        answers[1].json()["data"]["echo"],
        "hihi",
        "{:?}",
        answers[1]
    );
    answers[2].assert_envelope(400);

    // A refused request of the application's own keeps the connection.
    let kept = b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let answers = exchange(&host, kept, &[]).await;
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(answers[0].status, 404);
    assert_eq!(answers[0].json()["error"]["code"], "NOT_FOUND");
    assert_eq!(answers[1].status, 200);
    assert_eq!(answers[1].json()["status"], "healthy");
}
