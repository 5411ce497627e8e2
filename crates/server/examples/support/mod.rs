//! What the host benchmarks share: the real native host (the platform and
//! the host's own connection handling) started in a child process on
//! 127.0.0.1 over a throwaway database, and a small raw HTTP/1.1 client.
//!
//! The example re-runs itself with `host` as its first argument to become
//! the host, so the figures measured (its memory, its latency) are the
//! host's alone, not the load generator's.

#![allow(dead_code, clippy::print_stdout)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use codex_config::{Config, Environment, ProcessEnvironment};
use codex_server::NativePlatform;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Runs the host when the process was started as one; returns otherwise.
pub fn run_host_if_asked() {
    if std::env::args().nth(1).as_deref() != Some("host") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(host());
    std::process::exit(0);
}

/// The host: every service on its own free port of 127.0.0.1, announced on
/// stdout, until stdin closes.
async fn host() {
    let config = Config::from_source(&ProcessEnvironment, Environment::Test).expect("config");
    let platform = NativePlatform::build(&ProcessEnvironment, config)
        .await
        .expect("platform");
    let (_stop, stopped) = watch::channel(false);
    for entry in codex_config::services::all() {
        let app = codex_server::service_app(entry.name, &platform).expect("a service");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        println!("PORT {} {port}", entry.name);
        tokio::spawn(codex_server::connection::serve_app(
            listener,
            app,
            stopped.clone(),
            false,
        ));
    }
    println!("READY {}", std::process::id());
    // Until the parent goes away.
    let _ = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {
            line.clear();
        }
    })
    .await;
}

/// The host in its child process, and the database it runs on.
pub struct Host {
    child: Child,
    pub pid: u32,
    ports: HashMap<String, u16>,
    _database: codex_testkit::TestDatabase,
    data_dir: std::path::PathBuf,
}

impl Host {
    /// Starts this executable as the host over a fresh database.
    pub async fn start() -> Self {
        let database = codex_testkit::TestDatabase::new().await;
        let data_dir = std::env::temp_dir().join(format!("codex-bench-{}", uuid::Uuid::new_v4()));
        let mut child = Command::new(std::env::current_exe().expect("this executable"))
            .arg("host")
            .env("ENVIRONMENT", "test")
            .env("DATABASE_URL", database.url())
            .env("DATA_DIR", &data_dir)
            .env("RUST_LOG", "error")
            .env("LOG_FORMAT", "text")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the host starts");
        let stdout = child.stdout.take().expect("stdout");
        let (ports, pid) = tokio::task::spawn_blocking(move || {
            let mut ports = HashMap::new();
            for line in BufReader::new(stdout).lines() {
                let line = line.expect("a line");
                let words: Vec<&str> = line.split_whitespace().collect();
                match words.as_slice() {
                    ["PORT", name, port] => {
                        ports.insert((*name).to_owned(), port.parse().expect("a port"));
                    }
                    ["READY", pid] => return (ports, pid.parse().expect("a pid")),
                    _ => {}
                }
            }
            panic!("the host stopped before it was ready");
        })
        .await
        .expect("the host's announcements");
        Self {
            child,
            pid,
            ports,
            _database: database,
            data_dir,
        }
    }

    pub fn address(&self, service: &str) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.ports[service]))
    }

    /// `VmRSS` and `VmHWM` of the host, in KiB.
    pub fn memory(&self) -> (u64, u64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // Closing stdin ends the host; make sure of it.
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// What came back for one request.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Writes `head` and `body` on a fresh connection (the request should say
/// `Connection: close`) and reads the answer until the server closes it,
/// within `timeout`. A server that answers before reading a whole body and
/// closes may cut the writing short: what it answered still counts.
pub async fn send(
    address: SocketAddr,
    head: &[u8],
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<Reply> {
    let exchange = async {
        let mut stream = TcpStream::connect(address).await?;
        let (mut reader, mut writer) = stream.split();
        let write = async {
            writer.write_all(head).await?;
            for chunk in body.chunks(256 * 1024) {
                writer.write_all(chunk).await?;
            }
            writer.flush().await
        };
        let mut received = Vec::new();
        let read = reader.read_to_end(&mut received);
        let (written, read) = tokio::join!(write, read);
        if let Err(error) = read
            && received.is_empty()
        {
            return Err(error);
        }
        if received.is_empty() {
            written?;
        }
        Ok(received)
    };
    let received = tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    let end = received
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no response head"))?;
    let head = String::from_utf8_lossy(&received[..end]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    Ok(Reply {
        status,
        head,
        body: received[end + 4..].to_vec(),
    })
}

/// A request head with `Connection: close` and the body's length.
pub fn head(method: &str, path: &str, headers: &[(&str, &str)], body_length: usize) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if body_length > 0 || method == "POST" || method == "PUT" {
        head.push_str(&format!("Content-Length: {body_length}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// A client address of its own for the rate limit (honoured in test).
pub fn client_ip(n: usize) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}

/// Percentiles of `samples` (sorted here), in milliseconds.
pub fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort();
    let rank = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[rank].as_secs_f64() * 1000.0
}
