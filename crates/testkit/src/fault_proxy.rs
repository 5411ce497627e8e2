//! A TCP proxy that can be told to cut its upstream off, for tests that
//! prove how the platform behaves while a dependency (PostgreSQL) is down
//! and that it recovers without a restart.
//!
//! Control over plain HTTP on a second port: `POST /down` drops every open
//! connection and refuses new ones; `POST /up` lets traffic through again;
//! `GET /` tells the state. It binds only the addresses it is given.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running proxy; dropping it does not stop the tasks (they end with the
/// runtime), call [`FaultProxy::set_up`] to steer it in-process.
#[derive(Clone)]
pub struct FaultProxy {
    up: Arc<watch::Sender<bool>>,
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
        let (up, _) = watch::channel(true);
        let proxy = Self {
            up: Arc::new(up),
            listen: listener.local_addr()?,
            control: control_listener.local_addr()?,
        };
        tokio::spawn(accept_clients(listener, upstream, Arc::clone(&proxy.up)));
        tokio::spawn(accept_control(control_listener, Arc::clone(&proxy.up)));
        Ok(proxy)
    }

    pub fn set_up(&self, up: bool) {
        self.up.send_replace(up);
    }

    pub fn is_up(&self) -> bool {
        *self.up.borrow()
    }
}

async fn accept_clients(listener: TcpListener, upstream: SocketAddr, up: Arc<watch::Sender<bool>>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        if !*up.borrow() {
            drop(client);
            continue;
        }
        let mut state = up.subscribe();
        tokio::spawn(async move {
            let Ok(mut server) = TcpStream::connect(upstream).await else {
                return;
            };
            let mut client = client;
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                _ = state.wait_for(|up| !*up) => {}
            }
        });
    }
}

async fn accept_control(listener: TcpListener, up: Arc<watch::Sender<bool>>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let up = Arc::clone(&up);
        tokio::spawn(async move {
            let mut buffer = vec![0_u8; 2048];
            let Ok(read) = stream.read(&mut buffer).await else {
                return;
            };
            let request = String::from_utf8_lossy(&buffer[..read]);
            let line = request.lines().next().unwrap_or_default();
            let (status, body) = if line.starts_with("POST /down") {
                up.send_replace(false);
                ("200 OK", "{\"up\":false}")
            } else if line.starts_with("POST /up") {
                up.send_replace(true);
                ("200 OK", "{\"up\":true}")
            } else if line.starts_with("GET / ") {
                if *up.borrow() {
                    ("200 OK", "{\"up\":true}")
                } else {
                    ("200 OK", "{\"up\":false}")
                }
            } else {
                (
                    "404 Not Found",
                    "{\"error\":\"use POST /down, POST /up or GET /\"}",
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
