//! The media port's signed object URLs (`/local-storage/{key}` on the
//! native host; the path does not exist on Workers, where R2 serves them):
//! a PUT without a valid signature is refused before its body is read, so
//! nobody can fill the host's memory or disk with unsigned uploads.

use std::time::Duration;

use codex_e2e::{client, url};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Refusals: no or a wrong signature (native) or no such path (Workers).
const REFUSED: [StatusCode; 3] = [
    StatusCode::BAD_REQUEST,
    StatusCode::FORBIDDEN,
    StatusCode::NOT_FOUND,
];

#[tokio::test]
async fn unsigned_and_forged_puts_are_refused() {
    let http = client();
    let key = format!("e2e/{}/upload.bin", uuid::Uuid::new_v4().simple());
    for query in [
        String::new(),
        "?expires=4102444800&signature=00".to_owned(),
        format!("?expires=4102444800&signature={}", "ab".repeat(32)),
    ] {
        let path = format!("/local-storage/{key}{query}");
        let response = http
            .put(url("media", &path))
            .header("content-type", "application/octet-stream")
            .body(vec![7_u8; 1024])
            .send()
            .await
            .expect("PUT sent");
        assert!(
            REFUSED.contains(&response.status()),
            "PUT {path}: {}",
            response.status()
        );
        let read = http
            .get(url("media", &path))
            .send()
            .await
            .expect("GET sent");
        assert!(
            REFUSED.contains(&read.status()),
            "GET {path}: {}",
            read.status()
        );
    }
}

/// `host:port` of a base URL such as `http://127.0.0.1:18102`.
fn authority_of(base_url: &str) -> String {
    let rest = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

#[tokio::test]
async fn a_huge_unsigned_put_is_answered_before_its_body_is_sent() {
    let base = url("media", "");
    let authority = authority_of(&base);
    let mut socket = TcpStream::connect(&authority).await.expect("connect");
    // Only the head is sent: 150 MB are announced and never come.
    let head = format!(
        "PUT /local-storage/e2e/huge.bin?expires=4102444800&signature=00 HTTP/1.1\r\n\
         Host: {authority}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: 150000000\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.expect("head sent");
    let mut answer = Vec::new();
    let status_line = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0_u8; 1024];
        loop {
            let read = socket.read(&mut buffer).await.expect("read");
            answer.extend_from_slice(&buffer[..read]);
            if read == 0 || answer.windows(2).any(|pair| pair == b"\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .expect("an answer without waiting for the body");
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or_else(|| panic!("a status line: {status_line:?}"));
    assert!(REFUSED.contains(&status), "{status_line}");
}
