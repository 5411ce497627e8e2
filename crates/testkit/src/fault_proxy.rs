//! A TCP proxy that can be told to fail in the ways a link to a dependency
//! (PostgreSQL) fails, for tests that prove how the platform behaves then
//! and that it recovers without a restart.
//!
//! Its [`Mode`]s:
//! - `up`: bytes flow both ways;
//! - `down`: every open connection is closed (FIN); a new one is accepted,
//!   what the client sends first is read, and it is closed (FIN): a server
//!   that hangs up during the handshake, so the client reads an empty
//!   answer (sqlx: "unexpected response from SSLRequest");
//! - `reset`: every open connection is reset (RST), and so is each new one;
//! - `stall`: a black hole. Connections stay open, but no byte is forwarded
//!   either way, and new ones are accepted but not forwarded; what was sent
//!   meanwhile flows once the proxy is `up` again.
//!
//! Control over plain HTTP on a second port: `POST /up`, `POST /down`,
//! `POST /reset`, `POST /stall` set the mode, `GET /` tells it
//! (`{"up": bool, "mode": "…"}`). It binds only the addresses it is given.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How the proxy treats traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Up,
    Down,
    Reset,
    Stall,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::Reset => "reset",
            Self::Stall => "stall",
        }
    }

    fn from_path(path: &str) -> Option<Self> {
        [Self::Up, Self::Down, Self::Reset, Self::Stall]
            .into_iter()
            .find(|mode| path.strip_prefix('/') == Some(mode.as_str()))
    }
}

/// A running proxy; dropping it does not stop the tasks (they end with the
/// runtime), call [`FaultProxy::set_mode`] to steer it in-process.
#[derive(Clone)]
pub struct FaultProxy {
    mode: Arc<watch::Sender<Mode>>,
    pub listen: SocketAddr,
    pub control: SocketAddr,
}

impl FaultProxy {
    /// Starts proxying `listen` → `upstream`, with the control port on `control`.
    pub async fn start(
        listen: SocketAddr,
        upstream: SocketAddr,
        control: SocketAddr,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let control_listener = TcpListener::bind(control).await?;
        let (mode, _) = watch::channel(Mode::Up);
        let proxy = Self {
            mode: Arc::new(mode),
            listen: listener.local_addr()?,
            control: control_listener.local_addr()?,
        };
        tokio::spawn(accept_clients(listener, upstream, Arc::clone(&proxy.mode)));
        tokio::spawn(accept_control(control_listener, Arc::clone(&proxy.mode)));
        Ok(proxy)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    pub fn mode(&self) -> Mode {
        *self.mode.borrow()
    }

    /// `up` (true) or `down` (false).
    pub fn set_up(&self, up: bool) {
        self.set_mode(if up { Mode::Up } else { Mode::Down });
    }

    pub fn is_up(&self) -> bool {
        self.mode() == Mode::Up
    }
}

/// Closes `stream` with a reset rather than an orderly shutdown.
fn reset(stream: &TcpStream) {
    let _ = stream.set_zero_linger();
}

async fn accept_clients(
    listener: TcpListener,
    upstream: SocketAddr,
    mode: Arc<watch::Sender<Mode>>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        match *mode.borrow() {
            Mode::Down => {
                tokio::spawn(hang_up(client));
                continue;
            }
            Mode::Reset => {
                reset(&client);
                continue;
            }
            Mode::Up | Mode::Stall => {}
        }
        tokio::spawn(relay(client, upstream, mode.subscribe()));
    }
}

/// Reads what the client sends first (a closing socket with unread data
/// would reset rather than close), then closes it.
async fn hang_up(mut client: TcpStream) {
    let mut first = [0_u8; 1024];
    let _ = tokio::time::timeout(Duration::from_secs(1), client.read(&mut first)).await;
}

/// Carries one connection while the proxy is up, holds it while stalled,
/// and ends it as the mode says.
async fn relay(mut client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    // A connection accepted while stalled reaches nothing until then.
    let Ok(current) = mode.wait_for(|mode| *mode != Mode::Stall).await.map(|m| *m) else {
        return;
    };
    match current {
        Mode::Down => return,
        Mode::Reset => return reset(&client),
        Mode::Up | Mode::Stall => {}
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    let mut from_client = vec![0_u8; 16 * 1024];
    let mut from_server = vec![0_u8; 16 * 1024];
    loop {
        let current = *mode.borrow_and_update();
        match current {
            Mode::Up => {}
            Mode::Down => return,
            Mode::Reset => {
                reset(&client);
                reset(&server);
                return;
            }
            Mode::Stall => {
                // Read nothing: what either side sends waits in the sockets.
                if mode.changed().await.is_err() {
                    return;
                }
                continue;
            }
        }
        tokio::select! {
            read = client.read(&mut from_client) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if server.write_all(&from_client[..n]).await.is_err() {
                        return;
                    }
                }
            },
            read = server.read(&mut from_server) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if client.write_all(&from_server[..n]).await.is_err() {
                        return;
                    }
                }
            },
            changed = mode.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

async fn accept_control(listener: TcpListener, mode: Arc<watch::Sender<Mode>>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let mode = Arc::clone(&mode);
        tokio::spawn(async move {
            let mut buffer = vec![0_u8; 2048];
            let Ok(read) = stream.read(&mut buffer).await else {
                return;
            };
            let request = String::from_utf8_lossy(&buffer[..read]);
            let line = request.lines().next().unwrap_or_default();
            let mut words = line.split_whitespace();
            let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            let chosen = match (method, Mode::from_path(path)) {
                ("POST", Some(chosen)) => Some(chosen),
                _ => None,
            };
            let (status, body) = if let Some(chosen) = chosen {
                mode.send_replace(chosen);
                ("200 OK", state_json(chosen))
            } else if method == "GET" && path == "/" {
                ("200 OK", state_json(*mode.borrow()))
            } else {
                (
                    "404 Not Found",
                    "{\"error\":\"use POST /up, /down, /reset or /stall, or GET /\"}".to_owned(),
                )
            };
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

fn state_json(mode: Mode) -> String {
    format!(
        "{{\"up\":{},\"mode\":\"{}\"}}",
        mode == Mode::Up,
        mode.as_str()
    )
}
