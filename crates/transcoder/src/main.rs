//! `codex-transcoder`: the transcoder as an operator's command.
//!
//! `codex-transcoder run --input FILE --output DIR [--type video|audio]`
//! transcodes a local file into a folder laid out as storage holds it and
//! prints the report as JSON. `codex-transcoder runpod` is a RunPod
//! serverless worker: it takes jobs with RunPod's worker protocol and
//! signs its callbacks with `RUNPOD_WEBHOOK_SECRET`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use codex_transcoder::{EncoderChoice, MediaKind, Options, VideoEncoder, transcode};

#[derive(Parser)]
#[command(name = "codex-transcoder", version, about = "Transcodes media to HLS")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Transcode a local file into a folder.
    Run {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        output: PathBuf,
        /// What the file was declared as; by default, video when it has
        /// a video stream.
        #[arg(long = "type", value_enum)]
        kind: Option<Kind>,
        /// The H.264 encoder; by default NVENC when there is one.
        #[arg(long, value_enum, default_value = "auto")]
        encoder: Encoder,
        /// libx264's preset.
        #[arg(long, default_value = "fast")]
        preset: String,
    },
    /// Take jobs from RunPod, one at a time, until stopped.
    Runpod {
        /// libx264's preset, when there is no NVENC.
        #[arg(long, env = "TRANSCODER_PRESET", default_value = "fast")]
        preset: String,
        /// Allow URLs on private addresses (only beside the storage, never
        /// in production).
        #[arg(long, env = "TRANSCODER_ALLOW_PRIVATE_ADDRESSES")]
        allow_private_addresses: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Video,
    Audio,
}

#[derive(Clone, Copy, ValueEnum)]
enum Encoder {
    Auto,
    Libx264,
    Nvenc,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let (input, output, kind, encoder, preset) = match Cli::parse().command {
        Command::Run {
            input,
            output,
            kind,
            encoder,
            preset,
        } => (input, output, kind, encoder, preset),
        Command::Runpod {
            preset,
            allow_private_addresses,
        } => return runpod(preset, allow_private_addresses).await,
    };
    let kind = match kind {
        Some(Kind::Video) => MediaKind::Video,
        Some(Kind::Audio) => MediaKind::Audio,
        None => match codex_transcoder::probe::probe(&input).await {
            Ok(probe) if probe.video.is_some() => MediaKind::Video,
            Ok(_) => MediaKind::Audio,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        },
    };
    let options = Options {
        encoder: match encoder {
            Encoder::Auto => EncoderChoice::Auto,
            Encoder::Libx264 => EncoderChoice::Only(VideoEncoder::Libx264),
            Encoder::Nvenc => EncoderChoice::Only(VideoEncoder::Nvenc),
        },
        preset,
    };
    let started = std::time::Instant::now();
    let result = transcode(&input, kind, &output, &options, |step| {
        tracing::info!(step = step.as_str(), "step");
    })
    .await;
    match result {
        Ok(report) => {
            tracing::info!(seconds = started.elapsed().as_secs_f64(), "done");
            match serde_json::to_string_pretty(&report) {
                Ok(json) => {
                    #[allow(clippy::print_stdout)]
                    {
                        println!("{json}");
                    }
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn runpod(preset: String, allow_private_addresses: bool) -> ExitCode {
    let endpoints = match codex_transcoder::runpod::WorkerEndpoints::from_env(|name| {
        std::env::var(name).ok()
    }) {
        Ok(endpoints) => endpoints,
        Err(missing) => {
            eprintln!("error: {missing} is not set: this command runs inside RunPod");
            return ExitCode::FAILURE;
        }
    };
    let Some(webhook_secret) = std::env::var("RUNPOD_WEBHOOK_SECRET")
        .ok()
        .filter(|secret| !secret.is_empty())
    else {
        eprintln!("error: RUNPOD_WEBHOOK_SECRET is not set");
        return ExitCode::FAILURE;
    };
    let settings = codex_transcoder::job::JobSettings {
        webhook_secret,
        allow_private_addresses,
        work_dir: std::env::temp_dir(),
        options: Options {
            encoder: EncoderChoice::Auto,
            preset,
        },
    };
    codex_transcoder::runpod::serve(&endpoints, &settings, &reqwest::Client::new(), None).await;
    ExitCode::SUCCESS
}
