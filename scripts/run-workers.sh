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
case "$database_url" in *://*:*@*) ;; *) database_url=${database_url/@/:local@} ;; esac

env_file=$("$ROOT/scripts/wasm-toolchain.sh")
# shellcheck disable=SC1090
. "$env_file"
trap stop_background EXIT INT TERM
mkdir -p .wrangler/logs
declare -A ports=([auth]=42069 [content]=4001 [media]=4002 [org]=42071 [ecom]=42072 [admin]=42073 [identity]=42074 [notifications]=42075)
# One at a time: workers sharing a persistence folder that start together
# can find its SQLite files locked.
for worker in "${WORKERS[@]}"; do
  port=${ports[$worker]}
  start_background ".wrangler/logs/$worker.log" \
    env CI=true CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE="$database_url" \
    "$WRANGLER" dev --config "wrangler/$worker.toml" --ip 127.0.0.1 --port "$port" \
    --inspector-port $((port + 1000)) --show-interactive-dev-session=false --persist-to .wrangler/state
  wait_healthy "http://127.0.0.1:$port/health" 120 ".wrangler/logs/$worker.log"
  log "$worker worker: http://127.0.0.1:$port (log: .wrangler/logs/$worker.log)"
done
log "all eight workers are up; Ctrl-C stops them"
wait
