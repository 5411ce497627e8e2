//! `codex`: the whole platform in one process.
//!
//! - `codex serve` (the default): runs the eight services on their ports;
//! - `codex migrate`: applies the database migrations and exits;
//! - `codex openapi`: prints the platform's OpenAPI 3.1 document.
//!
//! Settings come from the environment and an optional `.env` file; see
//! `.env.example`. With nothing set, it runs on embedded defaults.

use clap::{Parser, Subcommand};
use codex_config::{Config, Environment, ProcessEnvironment};
use codex_server::settings::HostSettings;
use codex_server::{NativePlatform, StartError};
use tokio::sync::watch;

#[derive(Debug, Parser)]
#[command(
    name = "codex",
    version,
    about = "Codex: creator content-commerce and streaming platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run all eight services (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Print the platform's OpenAPI 3.1 document (all eight services).
    Openapi,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        print_openapi();
    }
    let _ = dotenvy::dotenv();
    let config = match Config::from_source(&ProcessEnvironment, Environment::Development) {
        Ok(config) => config,
        Err(error) => fail(&StartError::Config(error)),
    };
    codex_http_kit::telemetry::init(&config);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => migrate(config).await,
        Command::Openapi => print_openapi(),
    };
    if let Err(error) = result {
        fail(&error);
    }
}

/// Prints the document and exits: needs no settings, database or network.
fn print_openapi() -> ! {
    use std::io::Write;
    let document = match codex_server::openapi::platform_document() {
        Ok(document) => document,
        Err(error) => {
            eprintln!("codex: {error}");
            std::process::exit(2);
        }
    };
    let text = serde_json::to_string_pretty(&document).unwrap_or_default();
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{text}").is_err() {
        std::process::exit(1);
    }
    std::process::exit(0);
}

fn fail(error: &StartError) -> ! {
    tracing::error!(%error, "codex could not start");
    eprintln!("codex: {error}");
    std::process::exit(2);
}

async fn migrate(config: Config) -> Result<(), StartError> {
    let host = HostSettings::from_source(&ProcessEnvironment)?;
    let (database, local_postgres) = codex_server::open_database(&host, &config).await?;
    let result = database.migrate().await;
    database.close().await;
    if let Some(local) = &local_postgres {
        local.stop();
    }
    result?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn serve(config: Config) -> Result<(), StartError> {
    let environment = config.environment;
    let platform = NativePlatform::build(&ProcessEnvironment, config).await?;
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        let _ = stop.send(true);
    });
    tracing::info!(environment = environment.as_str(), "codex is starting");
    let result = codex_server::serve(&platform, stopped).await;
    platform.database.close().await;
    if let Some(local) = &platform.local_postgres {
        local.stop();
    }
    result
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut terminate) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = interrupt.await;
            return;
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
