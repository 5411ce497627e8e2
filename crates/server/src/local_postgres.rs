//! The embedded default database: a project-local PostgreSQL cluster under
//! `DATA_DIR/postgres`, made with the system's `initdb` and run with
//! `pg_ctl` on 127.0.0.1 only, when `DATABASE_URL` is not set.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum LocalPostgresError {
    #[error(
        "PostgreSQL's server programs (initdb, pg_ctl) were not found: install PostgreSQL or set DATABASE_URL"
    )]
    NotInstalled,
    #[error("{step} failed: {detail}")]
    Failed { step: &'static str, detail: String },
}

/// A cluster this process started (and stops on shutdown) or found running.
pub struct LocalPostgres {
    bin: PathBuf,
    data: PathBuf,
    started_here: bool,
    run_as: Option<&'static str>,
    pub url: String,
}

/// Finds the directory holding `initdb` and `pg_ctl`: on PATH, or in
/// Debian's versioned directories (newest first).
fn find_bin_dir() -> Option<PathBuf> {
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                return Some(dir);
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    // PostgreSQL refuses to run as root; as root we run it as `postgres`.
    std::env::var("USER").is_ok_and(|user| user == "root")
        || std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

impl LocalPostgres {
    pub fn start(data_dir: &Path, port: u16) -> Result<Self, LocalPostgresError> {
        let bin = find_bin_dir().ok_or(LocalPostgresError::NotInstalled)?;
        std::fs::create_dir_all(data_dir).map_err(|e| LocalPostgresError::Failed {
            step: "creating the data directory",
            detail: e.to_string(),
        })?;
        let data_dir = data_dir
            .canonicalize()
            .map_err(|e| LocalPostgresError::Failed {
                step: "resolving the data directory",
                detail: e.to_string(),
            })?;
        let data = data_dir.join("postgres");
        let run_as = is_root().then_some("postgres");
        let mut local = Self {
            bin,
            data,
            started_here: false,
            run_as,
            url: format!("postgres://postgres:local@127.0.0.1:{port}/codex"),
        };
        if !local.data.join("PG_VERSION").is_file() {
            local.init()?;
        }
        if local.pg_ctl(&["status"]).is_ok() {
            tracing::info!(port, "using the local PostgreSQL already running");
        } else {
            let log = local.data.join("server.log");
            let options = format!(
                "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='{}'",
                local.data.display()
            );
            local.pg_ctl(&[
                "start",
                "-w",
                "-t",
                "60",
                "-l",
                &log.display().to_string(),
                "-o",
                &options,
            ])?;
            local.started_here = true;
            tracing::info!(port, "started the local PostgreSQL");
        }
        Ok(local)
    }

    fn init(&self) -> Result<(), LocalPostgresError> {
        std::fs::create_dir_all(&self.data).map_err(|e| LocalPostgresError::Failed {
            step: "creating the cluster directory",
            detail: e.to_string(),
        })?;
        if let Some(user) = self.run_as {
            run(
                Command::new("chown")
                    .args(["-R", &format!("{user}:{user}")])
                    .arg(&self.data),
                "chown",
            )?;
        }
        tracing::info!("initialising a local PostgreSQL cluster (first start only)");
        let initdb = self.bin.join("initdb");
        let data = self.data.display().to_string();
        let args = [
            "-D",
            &data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-instructions",
        ];
        run(&mut self.command(&initdb, &args), "initdb")
    }

    fn command(&self, program: &Path, args: &[&str]) -> Command {
        match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program).args(args);
                command
            }
            None => {
                let mut command = Command::new(program);
                command.args(args);
                command
            }
        }
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), LocalPostgresError> {
        let data = self.data.display().to_string();
        let mut all = vec!["-D", data.as_str()];
        all.extend_from_slice(args);
        run(&mut self.command(&self.bin.join("pg_ctl"), &all), "pg_ctl")
    }

    /// URL of the maintenance database, to create `codex` if needed.
    pub fn admin_url(&self) -> String {
        self.url.trim_end_matches("/codex").to_owned() + "/postgres"
    }

    /// Stops the cluster if this process started it.
    pub fn stop(&self) {
        if self.started_here {
            match self.pg_ctl(&["stop", "-m", "fast", "-w"]) {
                Ok(()) => tracing::info!("stopped the local PostgreSQL"),
                Err(error) => tracing::warn!(%error, "could not stop the local PostgreSQL"),
            }
        }
    }
}

fn run(command: &mut Command, step: &'static str) -> Result<(), LocalPostgresError> {
    // A process group of its own: a Ctrl-C in the terminal reaches `codex`,
    // which then stops the server cleanly, and not the server directly.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(command, 0);
    let output = command.output().map_err(|e| LocalPostgresError::Failed {
        step,
        detail: e.to_string(),
    })?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        Err(LocalPostgresError::Failed {
            step,
            detail: format!("{} {}", stderr.trim(), stdout.trim())
                .trim()
                .to_owned(),
        })
    }
}
