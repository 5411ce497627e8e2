//! `/health` latency of the native host during a burst of sign-ins.
//!
//! ```sh
//! cargo run --release -p codex-server --example signin_burst [-- SIGN_INS CONCURRENCY]
//! ```
//!
//! Starts the host (in a child process, over a throwaway database from
//! `DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432`), registers
//! one account, then measures `GET /health` on the auth service every
//! 10 ms: first alone, then while SIGN_INS (default 200) sign-ins, each
//! hashing a password, run CONCURRENCY (default 50) at a time. Everything
//! goes to 127.0.0.1.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::{Host, client_ip, head, percentile, send};
use tokio::sync::Semaphore;

const PASSWORD: &str = "correct horse battery staple";

fn main() {
    support::run_host_if_asked();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let mut args = std::env::args().skip(1);
    let sign_ins: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
    let concurrency: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(50);

    let host = Host::start().await;
    let auth = host.address("auth");
    let email = format!("burst-{}@example.com", uuid::Uuid::new_v4().simple());
    let body = format!(r#"{{"email":"{email}","password":"{PASSWORD}","role":"customer"}}"#);
    let registered = send(
        auth,
        &head(
            "POST",
            "/api/test/fast-register",
            &[
                ("Content-Type", "application/json"),
                ("X-Forwarded-For", "10.250.0.1"),
            ],
            body.len(),
        ),
        body.as_bytes(),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(registered.status, 200, "fast-register: {registered:?}");

    // Warm up the pool and the code paths.
    for _ in 0..20 {
        let _ = health(&host).await;
    }

    let idle = probe(&host, Arc::new(AtomicBool::new(false)), Some(200)).await;
    report("idle", idle);

    let done = Arc::new(AtomicBool::new(false));
    let prober = tokio::spawn(probe_owned(host.address("auth"), Arc::clone(&done)));
    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut burst = tokio::task::JoinSet::new();
    for n in 0..sign_ins {
        let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
        let body = format!(r#"{{"email":"{email}","password":"{PASSWORD}"}}"#);
        burst.spawn(async move {
            let ip = client_ip(n + 1);
            let reply = send(
                auth,
                &head(
                    "POST",
                    "/api/auth/sign-in/email",
                    &[
                        ("Content-Type", "application/json"),
                        ("X-Forwarded-For", &ip),
                    ],
                    body.len(),
                ),
                body.as_bytes(),
                Duration::from_secs(120),
            )
            .await;
            drop(permit);
            reply.map(|reply| reply.status).unwrap_or(0)
        });
    }
    let mut ok = 0;
    while let Some(status) = burst.join_next().await {
        if status.unwrap() == 200 {
            ok += 1;
        }
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let during = prober.await.unwrap();
    println!(
        "sign-ins: {ok}/{sign_ins} succeeded in {:.2} s ({:.1}/s), {concurrency} at a time",
        elapsed.as_secs_f64(),
        sign_ins as f64 / elapsed.as_secs_f64()
    );
    report("during the sign-in burst", during);
}

async fn health(host: &Host) -> Option<Duration> {
    probe_once(host.address("auth")).await
}

async fn probe_once(address: std::net::SocketAddr) -> Option<Duration> {
    let started = Instant::now();
    let reply = send(
        address,
        &head("GET", "/health", &[], 0),
        &[],
        Duration::from_secs(30),
    )
    .await
    .ok()?;
    (reply.status == 200).then(|| started.elapsed())
}

/// `/health` every 10 ms until `done` (or `count` samples).
async fn probe(host: &Host, done: Arc<AtomicBool>, count: Option<usize>) -> Vec<Duration> {
    probe_until(host.address("auth"), done, count).await
}

async fn probe_owned(address: std::net::SocketAddr, done: Arc<AtomicBool>) -> Vec<Duration> {
    probe_until(address, done, None).await
}

async fn probe_until(
    address: std::net::SocketAddr,
    done: Arc<AtomicBool>,
    count: Option<usize>,
) -> Vec<Duration> {
    let mut samples = Vec::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(10));
    while !done.load(Ordering::SeqCst) && count.is_none_or(|count| samples.len() < count) {
        ticker.tick().await;
        if let Some(latency) = probe_once(address).await {
            samples.push(latency);
        }
    }
    samples
}

fn report(label: &str, mut samples: Vec<Duration>) {
    println!(
        "/health {label}: n={} p50={:.1} ms p95={:.1} ms max={:.1} ms",
        samples.len(),
        percentile(&mut samples, 0.50),
        percentile(&mut samples, 0.95),
        percentile(&mut samples, 1.0),
    );
}
