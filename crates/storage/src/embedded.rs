//! An S3 endpoint over a local folder, served in-process (s3s-fs): what
//! the native host stores objects in when no S3 or R2 endpoint is
//! configured, and what the tests use. It speaks the S3 API with real
//! SigV4 checks (headers and presigned URLs), multipart uploads, `ListParts`
//! and byte ranges, so the same aws-sdk-s3 code, the same presigned single
//! and multipart uploads and the same browser code work locally and
//! against R2. Bodies are streamed to files, never held in memory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use codex_config::{S3Settings, Secret};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnectionBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The bucket the embedded endpoint serves.
pub const BUCKET: &str = "codex-media";

/// A running endpoint; dropping it stops it.
pub struct EmbeddedS3 {
    settings: S3Settings,
    root: PathBuf,
    address: SocketAddr,
    task: JoinHandle<()>,
}

impl EmbeddedS3 {
    /// Serves the folder `root` (the bucket is its sub-folder
    /// [`BUCKET`]) on `address` (port 0 picks a free one), accepting only
    /// requests signed with `access_key_id` and `secret`. Call within a
    /// tokio runtime: the endpoint runs on it, and ends with it.
    pub fn start(
        root: &Path,
        address: SocketAddr,
        access_key_id: &str,
        secret: &Secret,
    ) -> std::io::Result<Self> {
        let root: PathBuf = root.to_path_buf();
        std::fs::create_dir_all(root.join(BUCKET))?;
        let served = root.clone();
        let folder = s3s_fs::FileSystem::new(&root)
            .map_err(|error| std::io::Error::other(format!("{error:?}")))?;
        let mut builder = S3ServiceBuilder::new(folder);
        builder.set_auth(SimpleAuth::from_single(
            access_key_id.to_owned(),
            secret.expose().to_owned(),
        ));
        let service = builder.build();

        let listener = std::net::TcpListener::bind(address)?;
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        let address = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let connections = ConnectionBuilder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let connection = connections
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%error, "embedded S3 connection ended");
                    }
                });
            }
        });
        let settings = S3Settings {
            endpoint: format!("http://{address}"),
            region: "auto".to_owned(),
            bucket: BUCKET.to_owned(),
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret.clone(),
        };
        Ok(Self {
            settings,
            root: served,
            address,
            task,
        })
    }

    /// The settings that reach this endpoint, for `S3Store::new`.
    pub fn settings(&self) -> &S3Settings {
        &self.settings
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The folder it serves (the bucket is its sub-folder [`BUCKET`]).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// An endpoint on a free port over a new folder under the system's
    /// temporary folder, with a random secret: for tests. Call within a
    /// tokio runtime.
    pub fn in_temporary_folder() -> std::io::Result<Self> {
        let mut random = [0_u8; 16];
        getrandom::fill(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
        let folder = std::env::temp_dir().join(format!("codex-objects-{}", hex::encode(random)));
        Self::start(
            &folder,
            SocketAddr::from(([127, 0, 0, 1], 0)),
            "codex-test",
            &Secret::new(hex::encode(random)),
        )
    }
}

impl Drop for EmbeddedS3 {
    fn drop(&mut self) {
        self.task.abort();
    }
}
