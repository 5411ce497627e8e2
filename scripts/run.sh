#!/usr/bin/env bash
# Runs the whole platform locally: the `codex` binary with all eight services
# on the front end's ports. With nothing configured it starts a project-local
# PostgreSQL under .data/ and uses embedded defaults for everything else;
# settings in the environment or in .env (see .env.example) switch each one
# to the real service. Ctrl-C stops it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

command -v cargo >/dev/null 2>&1 || die "Rust is not installed: see https://rustup.rs"
if [ -z "${DATABASE_URL:-}" ] && ! grep -qs '^DATABASE_URL=' .env; then
  if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt_install postgresql
  fi
fi
# Without a RunPod account the platform transcodes uploads itself, with
# ffmpeg.
if [ -z "${RUNPOD_API_KEY:-}" ] && ! grep -qs '^RUNPOD_API_KEY=' .env; then
  ensure_ffmpeg
fi
cargo build --bin codex
exec "$CARGO_TARGET_DIR/debug/codex" serve "$@"
