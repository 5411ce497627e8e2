//! Tracing set-up. `LOG_FORMAT=json` switches to one JSON object a line;
//! `RUST_LOG` (or `LOG_LEVEL`) filters. On Workers, lines go to the console
//! without a timer (the fmt timer would panic there).
//!
//! What is never logged: tokens, passwords, cookies and full e-mail
//! addresses. Request spans carry the route template, not the raw path.

use codex_config::{Config, LogFormat};

/// Installs the global subscriber once; later calls do nothing.
#[cfg(not(target_arch = "wasm32"))]
pub fn init(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Installs the global subscriber once; later calls do nothing. Workers get
/// a level filter only (the first level named in the filter, e.g. `debug`
/// in `codex=debug,info`): per-target filtering would add a regex engine to
/// every worker's wasm.
#[cfg(target_arch = "wasm32")]
pub fn init(config: &Config) {
    use tracing_subscriber::filter::LevelFilter;
    let level = config
        .log_filter
        .split([',', '='])
        .find_map(|part| part.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .with_writer(console::ConsoleWriter::default);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

#[cfg(target_arch = "wasm32")]
mod console {
    use std::io;

    /// Buffers one formatted line and writes it to the Workers console.
    #[derive(Default)]
    pub struct ConsoleWriter {
        line: Vec<u8>,
    }

    impl io::Write for ConsoleWriter {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.line.extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Drop for ConsoleWriter {
        fn drop(&mut self) {
            let line = String::from_utf8_lossy(&self.line);
            worker::console_log!("{}", line.trim_end());
        }
    }
}
