//! `codex-transcoder`: the transcoder as an operator's command.
//!
//! `codex-transcoder run --input FILE --output DIR [--type video|audio]`
//! transcodes a local file into a folder laid out as storage holds it and
//! prints the report as JSON.

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
    let Command::Run {
        input,
        output,
        kind,
        encoder,
        preset,
    } = Cli::parse().command;
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
    let result = transcode(&input, kind, &output, &options, async |step| {
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
