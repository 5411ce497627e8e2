//! Running ffmpeg and ffprobe: a deadline for each run, and the end of
//! what the tool said when it fails.

use std::ffi::OsStr;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use crate::TranscodeError;

/// How much of a failing tool's stderr is kept: its last lines say why.
const STDERR_TAIL: usize = 1_500;

/// What a tool run printed.
#[derive(Debug)]
pub struct ToolOutput {
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs `program` with `args` and waits at most `deadline`; the process is
/// killed when the deadline passes. A non-zero exit is an error that
/// carries the end of stderr.
pub async fn run<I, S>(
    program: &str,
    args: I,
    deadline: Duration,
) -> Result<ToolOutput, TranscodeError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command.spawn().map_err(|error| TranscodeError::Tool {
        program: program.to_owned(),
        reason: format!("could not start: {error}"),
    })?;
    let output = tokio::time::timeout(deadline, child.wait_with_output())
        .await
        .map_err(|_| TranscodeError::Tool {
            program: program.to_owned(),
            reason: format!("still running after {} s", deadline.as_secs()),
        })?
        .map_err(|error| TranscodeError::Tool {
            program: program.to_owned(),
            reason: error.to_string(),
        })?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        return Err(TranscodeError::Tool {
            program: program.to_owned(),
            reason: format!("{}: {}", output.status, tail(&stderr)),
        });
    }
    Ok(ToolOutput {
        stdout: output.stdout,
        stderr,
    })
}

/// The last [`STDERR_TAIL`] bytes of `text`, cut on a character boundary.
fn tail(text: &str) -> &str {
    let text = text.trim_end();
    let mut start = text.len().saturating_sub(STDERR_TAIL);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_end_on_a_character_boundary() {
        let text = format!("{}{}", "é".repeat(1_000), "the reason");
        let kept = tail(&text);
        assert!(kept.ends_with("the reason"));
        assert!(kept.len() <= STDERR_TAIL);
        assert_eq!(tail("short\n"), "short");
    }

    #[tokio::test]
    async fn a_failing_tool_says_why_and_a_slow_one_is_stopped() {
        let failed = run(
            "sh",
            ["-c", "echo broken input >&2; exit 3"],
            Duration::from_secs(5),
        )
        .await
        .expect_err("refused");
        assert!(failed.to_string().contains("broken input"), "{failed}");
        let slow = run("sleep", ["5"], Duration::from_millis(200))
            .await
            .expect_err("refused");
        assert!(slow.to_string().contains("still running"), "{slow}");
    }
}
