#!/usr/bin/env bash
# Runs the eight workers together under `wrangler dev`, on the front end's
# ports, sharing one local state folder (.wrangler/state) so that R2 and KV are
# shared between them. PostgreSQL: DATABASE_URL's server (database `codex`,
# created and migrated if needed), else 127.0.0.1:5432. Ctrl-C stops them all.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_postgres
bash "$ROOT/scripts/build-workers.sh"
cargo build --quiet --bin codex
if ! psql_on postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'codex'" | grep -q 1; then
  psql_on postgres -c "CREATE DATABASE codex"
fi
database_url=$(database_url_for codex)
DATABASE_URL="$database_url" "$CARGO_TARGET_DIR/debug/codex" migrate

env_file=$("$ROOT/scripts/wasm-toolchain.sh")
# shellcheck disable=SC1090
. "$env_file"
trap stop_background EXIT INT TERM
mkdir -p .wrangler/logs
# The key of the signed calls between the workers (content and org hand
# their pictures to identity), fresh for each run.
worker_shared_secret="local-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
for worker in "${WORKERS[@]}"; do
  port=${SERVICE_PORT[$worker]}
  start_worker "$worker" "$port" .wrangler/state ".wrangler/logs/$worker.log" "$database_url" \
    --var "WORKER_SHARED_SECRET:$worker_shared_secret"
  log "$worker worker: http://127.0.0.1:$port (log: .wrangler/logs/$worker.log)"
done
log "all eight workers are up; Ctrl-C stops them"
wait
