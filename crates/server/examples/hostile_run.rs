//! The native host's resident memory after a bounded run of hostile
//! requests.
//!
//! ```sh
//! cargo run --release -p codex-server --example hostile_run [-- CONCURRENCY]
//! ```
//!
//! Starts the host (in a child process, over a throwaway database from
//! `DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432`), then sends
//! it about 11,250 requests, CONCURRENCY (default 32) at a time, to
//! 127.0.0.1 only: malformed heads, oversized and near-limit JSON bodies,
//! deeply nested JSON, oversized and junk multipart uploads, unsigned local
//! storage uploads, sign-ups and sign-ins (each an argon2 hash), unknown
//! paths and half-sent requests. It prints the host's resident memory
//! (`VmRSS`) and peak (`VmHWM`) from `/proc/<pid>/status` before, right
//! after, and 10 s after the run (with a health check every 100 ms, as a
//! load balancer would send).

#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{Host, client_ip, head, send};
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

fn main() {
    support::run_host_if_asked();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

/// The `n`th request of a kind: its head, and its (shared) body.
type MakeRequest = Arc<dyn Fn(usize) -> (Vec<u8>, Arc<Vec<u8>>) + Send + Sync>;

/// One kind of hostile request, sent `count` times.
struct Attack {
    name: &'static str,
    count: usize,
    service: &'static str,
    request: MakeRequest,
}

fn attack(
    name: &'static str,
    count: usize,
    service: &'static str,
    request: impl Fn(usize) -> (Vec<u8>, Arc<Vec<u8>>) + Send + Sync + 'static,
) -> Attack {
    Attack {
        name,
        count,
        service,
        request: Arc::new(request),
    }
}

const MIB: usize = 1024 * 1024;

async fn run() {
    let concurrency: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(32);
    let host = Host::start().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (rss, hwm) = host.memory();
    println!(
        "host started: VmRSS {} MiB, VmHWM {} MiB",
        rss / 1024,
        hwm / 1024
    );

    let cookie = session_cookie(&host).await;
    let empty = Arc::new(Vec::new());
    let json = [("Content-Type", "application/json")];
    // Bodies are made once and shared.
    let oversized_json = Arc::new({
        let mut body = br#"{"message":""#.to_vec();
        body.resize(3 * MIB, b'x');
        body.extend_from_slice(br#""}"#);
        body
    });
    let near_limit_json = Arc::new({
        let mut body = br#"{"message":""#.to_vec();
        body.resize(2 * MIB - 64, b'y');
        body.extend_from_slice(br#"","unknown":1}"#);
        body
    });
    let nested_json = Arc::new({
        let mut body = vec![b'['; MIB - 1];
        body.extend(std::iter::repeat_n(b']', MIB - 1));
        body
    });
    let multipart = |size: usize| {
        let mut body = b"--BOUNDARY\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n".to_vec();
        body.resize(body.len() + size, 0x5a);
        body.extend_from_slice(b"\r\n--BOUNDARY--\r\n");
        Arc::new(body)
    };
    let oversized_upload = multipart(6 * MIB);
    let junk_upload = multipart(5 * MIB - 1024);
    let echo = "/__dev__/echo/3f1c2b7e-0000-4000-8000-000000000000";

    let attacks = vec![
        attack("malformed request lines", 1500, "content", {
            let empty = empty.clone();
            move |n| {
                let line: &[u8] = match n % 5 {
                    0 => b"GARBAGE\r\n\r\n",
                    1 => b"GET /health HTTP/9.9\r\n\r\n",
                    2 => b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
                    3 => b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
                    _ => b"POST /health HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                };
                (line.to_vec(), empty.clone())
            }
        }),
        attack("request targets over 64 KiB", 300, "org", {
            let empty = empty.clone();
            move |_| {
                let path = format!("/{}", "a".repeat(70_000));
                (head("GET", &path, &[], 0), empty.clone())
            }
        }),
        attack("500 KB headers", 200, "ecom", {
            let empty = empty.clone();
            move |_| {
                let big = "b".repeat(500_000);
                (head("GET", "/health", &[("X-Big", &big)], 0), empty.clone())
            }
        }),
        attack("JSON bodies over the 2 MB limit", 600, "auth", {
            let body = oversized_json.clone();
            move |_| (head("POST", echo, &json, body.len()), body.clone())
        }),
        attack("JSON bodies just under the limit", 600, "content", {
            let body = near_limit_json.clone();
            move |_| (head("POST", echo, &json, body.len()), body.clone())
        }),
        attack("deeply nested JSON", 400, "admin", {
            let body = nested_json.clone();
            move |_| (head("POST", echo, &json, body.len()), body.clone())
        }),
        attack("avatar uploads over 5 MB", 250, "identity", {
            let body = oversized_upload.clone();
            let cookie = cookie.clone();
            move |_| {
                let headers = [
                    ("Content-Type", "multipart/form-data; boundary=BOUNDARY"),
                    ("Cookie", cookie.as_str()),
                ];
                (
                    head("POST", "/api/user/avatar", &headers, body.len()),
                    body.clone(),
                )
            }
        }),
        attack("avatar uploads that are not images", 250, "identity", {
            let body = junk_upload.clone();
            let cookie = cookie.clone();
            move |_| {
                let headers = [
                    ("Content-Type", "multipart/form-data; boundary=BOUNDARY"),
                    ("Cookie", cookie.as_str()),
                ];
                (
                    head("POST", "/api/user/avatar", &headers, body.len()),
                    body.clone(),
                )
            }
        }),
        attack("sign-ups", 250, "auth", {
            let empty = empty.clone();
            move |n| {
                let body = format!(
                    r#"{{"name":"H","email":"hostile-{n}-{}@example.com","password":"a password of some length"}}"#,
                    uuid::Uuid::new_v4().simple()
                );
                let ip = client_ip(100_000 + n);
                let mut bytes = head(
                    "POST",
                    "/api/auth/sign-up/email",
                    &[
                        ("Content-Type", "application/json"),
                        ("X-Forwarded-For", &ip),
                    ],
                    body.len(),
                );
                bytes.extend_from_slice(body.as_bytes());
                (bytes, empty.clone())
            }
        }),
        attack("sign-ins to unknown addresses", 250, "auth", {
            let empty = empty.clone();
            move |n| {
                let body = format!(
                    r#"{{"email":"nobody-{n}@example.com","password":"a password of some length"}}"#
                );
                let ip = client_ip(200_000 + n);
                let mut bytes = head(
                    "POST",
                    "/api/auth/sign-in/email",
                    &[
                        ("Content-Type", "application/json"),
                        ("X-Forwarded-For", &ip),
                    ],
                    body.len(),
                );
                bytes.extend_from_slice(body.as_bytes());
                (bytes, empty.clone())
            }
        }),
        attack("unknown and odd paths", 3000, "notifications", {
            let empty = empty.clone();
            move |n| {
                let path = match n % 4 {
                    0 => format!("/nowhere/{n}"),
                    1 => "/%FF%FE%00".to_owned(),
                    2 => format!("/api/{}", "..%2F".repeat(200)),
                    _ => format!("/__dev__/echo/{n}?times=999"),
                };
                (head("GET", &path, &[], 0), empty.clone())
            }
        }),
        attack("health", 3000, "auth", {
            let empty = empty.clone();
            move |_| (head("GET", "/health", &[], 0), empty.clone())
        }),
    ];

    let started = Instant::now();
    let mut sent = 0;
    let mut outcomes: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    // Everything at once, mixed, CONCURRENCY in flight.
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    let mut queue: Vec<(usize, usize)> = attacks
        .iter()
        .enumerate()
        .flat_map(|(kind, attack)| (0..attack.count).map(move |n| (kind, n)))
        .collect();
    // A fixed interleaving, so that every kind runs alongside the others.
    queue.sort_by_key(|(kind, n)| (n * 7919 + kind * 104_729) % 10_007);
    for (kind, n) in queue {
        let attack = &attacks[kind];
        let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
        let address = host.address(attack.service);
        let request = Arc::clone(&attack.request);
        let name = attack.name;
        tasks.spawn(async move {
            let (head, body) = request(n);
            let outcome = send(address, &head, &body, Duration::from_secs(60))
                .await
                .map_or_else(
                    |error| format!("{:?}", error.kind()),
                    |reply| reply.status.to_string(),
                );
            drop(permit);
            (name, outcome)
        });
        sent += 1;
        while let Some(done) = tasks.try_join_next() {
            let (name, outcome) = done.unwrap();
            *outcomes
                .entry(name.to_owned())
                .or_default()
                .entry(outcome)
                .or_default() += 1;
        }
    }
    // Half-sent requests: connections that start a head and go away.
    let half_sent = 500;
    for chunk in 0..(half_sent / 50) {
        let mut open = Vec::new();
        for n in 0..50 {
            if let Ok(mut stream) = tokio::net::TcpStream::connect(host.address("auth")).await {
                let partial = format!(
                    "POST /api/auth/sign-in/email HTTP/1.1\r\nHost: x\r\nX-Id: {chunk}-{n}\r\nContent-Length: 100000\r\n\r\n{{\"email\":"
                );
                let _ = stream.write_all(partial.as_bytes()).await;
                open.push(stream);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(open);
    }
    sent += half_sent;
    while let Some(done) = tasks.join_next().await {
        let (name, outcome) = done.unwrap();
        *outcomes
            .entry(name.to_owned())
            .or_default()
            .entry(outcome)
            .or_default() += 1;
    }
    let elapsed = started.elapsed();

    println!(
        "{sent} requests in {:.1} s, {concurrency} at a time:",
        elapsed.as_secs_f64()
    );
    for (name, counts) in &outcomes {
        let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{k}×{v}")).collect();
        println!("  {name}: {}", counts.join(", "));
    }
    let (rss, hwm) = host.memory();
    println!(
        "right after the run: VmRSS {} MiB, VmHWM {} MiB",
        rss / 1024,
        hwm / 1024
    );
    // Then quiet but for a health check every 100 ms, as a load balancer
    // would send.
    let mut healthy = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let health = send(
            host.address("auth"),
            &head("GET", "/health", &[], 0),
            &[],
            Duration::from_secs(10),
        )
        .await;
        if health.is_ok_and(|reply| reply.status == 200) {
            healthy += 1;
        }
    }
    let (rss, hwm) = host.memory();
    println!(
        "10 s later ({healthy}/100 health checks answered 200): VmRSS {} MiB, VmHWM {} MiB",
        rss / 1024,
        hwm / 1024
    );
}

/// A verified account's session cookie, for the upload routes.
async fn session_cookie(host: &Host) -> String {
    let email = format!("hostile-{}@example.com", uuid::Uuid::new_v4().simple());
    let body = format!(
        r#"{{"email":"{email}","password":"correct horse battery staple","role":"customer"}}"#
    );
    let reply = send(
        host.address("auth"),
        &head(
            "POST",
            "/api/test/fast-register",
            &[
                ("Content-Type", "application/json"),
                ("X-Forwarded-For", "10.251.0.1"),
            ],
            body.len(),
        ),
        body.as_bytes(),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 200, "fast-register: {reply:?}");
    let cookie = reply.header("set-cookie").expect("a session cookie");
    cookie.split(';').next().unwrap().to_owned()
}
