#!/usr/bin/env bash
# The whole test suite, set-up included, from a fresh clone on a fresh machine:
# formatting, clippy for native and wasm32, the native unit and integration
# tests (the committed OpenAPI document among them), the TypeScript client
# generated from it and type-checked, the eight workers built to wasm with their sizes, and the black-box
# suite against the native host and against the workers under wrangler dev.
# Idempotent: tools are cached outside the repo (~/.cache/codex-tools).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
started=$SECONDS

command -v cargo >/dev/null 2>&1 || die "Rust is not installed: see https://rustup.rs"
command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates
ensure_postgres
ensure_redis
ensure_ffmpeg

# A CI run builds everything once, from a fresh clone: incremental state
# would only take disk space (gigabytes of it) and time.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

log "format"
cargo fmt --all --check

log "clippy (native)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

log "wasm toolchain (also brings the S3 endpoint the storage tests use)"
env_file=$("$ROOT/scripts/wasm-toolchain.sh")

log "tests (native: unit and integration, against PostgreSQL, Redis and an S3 endpoint)"
cargo test --workspace --exclude codex-e2e

log "TypeScript client (types from openapi/codex.json, type-checked)"
bash "$ROOT/scripts/typescript-client.sh"

log "clippy (wasm32)"
# Every crate that runs on Workers: all but the native host, the transcoder
# and the test support.
(
  # shellcheck disable=SC1090
  . "$env_file"
  cargo clippy --quiet --target wasm32-unknown-unknown --workspace \
    --exclude codex-server --exclude codex-testkit --exclude codex-e2e \
    --exclude codex-transcoder -- -D warnings
)

log "workers (wasm32 release builds and size budget)"
bash "$ROOT/scripts/build-workers.sh"

log "black-box suite: native host"
bash "$ROOT/scripts/e2e.sh" native

log "black-box suite: eight workers under wrangler dev"
bash "$ROOT/scripts/e2e.sh" workers

log "all checks passed in $((SECONDS - started)) s"
