#!/usr/bin/env bash
# Runs the black-box suite (e2e/) against a running platform:
#   scripts/e2e.sh native    the `codex` binary, all eight services in one process
#   scripts/e2e.sh workers   the eight workers under `wrangler dev` (build them first
#                            with scripts/build-workers.sh)
# Each run gets a fresh database, reached through the fault proxy so that the
# outage test can take PostgreSQL away and give it back.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

runtime=${1:-}
case "$runtime" in native | workers) ;; *) die "usage: scripts/e2e.sh native|workers" ;; esac

ensure_postgres
ensure_ffmpeg
run_dir="$CARGO_TARGET_DIR/e2e-$runtime"
rm -rf "$run_dir"
mkdir -p "$run_dir"
trap stop_background EXIT

database="codex_e2e_$runtime"
log "fresh database $database"
psql_on postgres -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" -c "CREATE DATABASE $database"

log "building the native binaries and the suite"
(cd "$ROOT" && cargo build --quiet --bin codex --bin db-fault-proxy --bin resend-stand-in --bin runpod-stand-in \
  && cargo test --quiet -p codex-e2e --no-run)

DATABASE_URL="$(database_url_for "$database")" "$CARGO_TARGET_DIR/debug/codex" migrate

proxy_port=15432
control_port=15433
start_background "$run_dir/fault-proxy.log" \
  "$CARGO_TARGET_DIR/debug/db-fault-proxy" "127.0.0.1:$proxy_port" "$(database_host_port)" "127.0.0.1:$control_port"
for _ in $(seq 1 50); do tcp_open 127.0.0.1 "$control_port" && break; sleep 0.1; done

# Mail leaves through the Resend delivery (reqwest natively, fetch on
# Workers) to a local stand-in that checks requests as Resend does.
mail_api_port=15434
mail_api_key="re_e2e_$(date +%s)"
start_background "$run_dir/resend-stand-in.log" \
  "$CARGO_TARGET_DIR/debug/resend-stand-in" "127.0.0.1:$mail_api_port" "$mail_api_key"
for _ in $(seq 1 50); do tcp_open 127.0.0.1 "$mail_api_port" && break; sleep 0.1; done
# Transcoding jobs are dispatched (through RunPod's API, as in production)
# to a local stand-in that checks them as RunPod does; the suite reads the
# jobs it took back and plays the transcoder's signed callbacks itself.
runpod_port=15435
runpod_api_key="rp_e2e_$(date +%s)"
runpod_endpoint="e2e-endpoint"
runpod_webhook_secret="e2e-runpod-webhook-$(date +%s)-$$"
start_background "$run_dir/runpod-stand-in.log" \
  "$CARGO_TARGET_DIR/debug/runpod-stand-in" "127.0.0.1:$runpod_port" "$runpod_api_key" "$runpod_endpoint"
for _ in $(seq 1 50); do tcp_open 127.0.0.1 "$runpod_port" && break; sleep 0.1; done
# The web app's server signs the visitor address it forwards with this key,
# and our services sign their calls to each other with the other; the suite
# gets both, to sign as the web app and as a service would.
web_app_proxy_secret="e2e-web-app-proxy-$(date +%s)-$$"
worker_shared_secret="e2e-worker-$(date +%s)-$$"
user=${DATABASE_URL#*://}
case "$user" in *@*) user=${user%%@*} ;; *) user=postgres ;; esac
proxied_url=$(with_password "postgres://$user@127.0.0.1:$proxy_port/$database")

# Each service listens on 18100 (native) or 18200 (workers) plus the last
# two digits of its usual port, so both runs can coexist with a local platform.
if [ "$runtime" = native ]; then prefix=181; else prefix=182; fi
port_of() { printf '%d' $((prefix * 100 + ${SERVICE_PORT[$1]} % 100)); }
# Storage's S3 endpoint: 18100 or 18200 (no service uses a port ending in 00).
storage_port=$((prefix * 100))
# Uploads from 1 MiB on are multipart, so the suite's files exercise both.
multipart_threshold=1048576
# Where each service is, for the signed calls between the workers (AUTH_URL,
# MEDIA_API_URL, ...: `crates/config/src/services.rs`); the native host
# derives them from the ports it listens on.
service_urls=()
for worker in "${WORKERS[@]}"; do
  if [ "$worker" = auth ]; then variable=AUTH_URL; else variable="${worker^^}_API_URL"; fi
  service_urls+=("$variable=http://127.0.0.1:$(port_of "$worker")")
done

if [ "$runtime" = native ]; then
  log "starting codex serve"
  port_settings=()
  for worker in "${WORKERS[@]}"; do port_settings+=("${worker^^}_PORT=$(port_of "$worker")"); done
  start_background "$run_dir/codex.log" env ENVIRONMENT=test LOG_FORMAT=text RUST_LOG=info \
    DATABASE_URL="$proxied_url" DATA_DIR="$run_dir/data" LOCAL_STORAGE_PORT="$storage_port" \
    MEDIA_MULTIPART_THRESHOLD_BYTES="$multipart_threshold" \
    RESEND_API_KEY="$mail_api_key" RESEND_API_URL="http://127.0.0.1:$mail_api_port" \
    RUNPOD_API_KEY="$runpod_api_key" RUNPOD_ENDPOINT_ID="$runpod_endpoint" \
    RUNPOD_API_URL="http://127.0.0.1:$runpod_port" RUNPOD_WEBHOOK_SECRET="$runpod_webhook_secret" \
    WEB_APP_PROXY_SECRET="$web_app_proxy_secret" WORKER_SHARED_SECRET="$worker_shared_secret" \
    "${port_settings[@]}" \
    "$CARGO_TARGET_DIR/debug/codex" serve
  for worker in "${WORKERS[@]}"; do wait_healthy "http://127.0.0.1:$(port_of "$worker")/health" 60 "$run_dir/codex.log"; done
else
  env_file=$("$ROOT/scripts/wasm-toolchain.sh")
  # The toolchain's environment is for wrangler only: the suite itself is
  # built and run with the native toolchain, as compiled above.
  native_path=$PATH
  # shellcheck disable=SC1090
  . "$env_file"
  for worker in "${WORKERS[@]}"; do
    [ -f "$ROOT/workers/$worker/build/index.js" ] || die "workers/$worker is not built: run scripts/build-workers.sh"
  done
  # The bucket's S3 endpoint, as R2 has in production: Miniflare's, over
  # the state the workers' R2 binding keeps, so both see the same objects.
  s3_key="e2e-s3-key"
  s3_secret="e2e-s3-secret-$(date +%s)-$$"
  start_background "$run_dir/s3-endpoint.log" env NODE_PATH="$TOOLS_DIR/node/node_modules" \
    S3_ENDPOINT_STATE="$run_dir/state" S3_TEST_ACCESS_KEY_ID="$s3_key" S3_TEST_SECRET_ACCESS_KEY="$s3_secret" \
    node "$ROOT/scripts/s3-endpoint.cjs" "$storage_port"
  for _ in $(seq 1 100); do grep -q '^ready ' "$run_dir/s3-endpoint.log" 2>/dev/null && break; sleep 0.2; done
  grep -q '^ready ' "$run_dir/s3-endpoint.log" || { cat "$run_dir/s3-endpoint.log" >&2; die "the S3 endpoint did not start"; }
  s3_endpoint=$(sed -n 's/^ready //p' "$run_dir/s3-endpoint.log")
  url_vars=()
  for setting in "${service_urls[@]}"; do url_vars+=(--var "${setting/=/:}"); done
  log "starting the eight workers under wrangler dev"
  for worker in "${WORKERS[@]}"; do
    start_worker "$worker" "$(port_of "$worker")" "$run_dir/state" "$run_dir/wrangler-$worker.log" \
      "$proxied_url" --var ENVIRONMENT:test --var LOG_FORMAT:text \
      --var "RESEND_API_KEY:$mail_api_key" --var "RESEND_API_URL:http://127.0.0.1:$mail_api_port" \
      --var "RUNPOD_API_KEY:$runpod_api_key" --var "RUNPOD_ENDPOINT_ID:$runpod_endpoint" \
      --var "RUNPOD_API_URL:http://127.0.0.1:$runpod_port" --var "RUNPOD_WEBHOOK_SECRET:$runpod_webhook_secret" \
      --var "WEB_APP_PROXY_SECRET:$web_app_proxy_secret" --var "WORKER_SHARED_SECRET:$worker_shared_secret" \
      "${url_vars[@]}" \
      --var "PUBLIC_ASSETS_URL:http://127.0.0.1:$(port_of identity)/assets" \
      --var "S3_ENDPOINT:$s3_endpoint" --var "R2_BUCKET_MEDIA:codex-media" \
      --var "R2_ACCESS_KEY_ID:$s3_key" --var "R2_SECRET_ACCESS_KEY:$s3_secret" \
      --var "MEDIA_MULTIPART_THRESHOLD_BYTES:$multipart_threshold"
  done
  export PATH=$native_path
  unset RUSTC
fi

for worker in "${WORKERS[@]}"; do
  export "E2E_$(echo "$worker" | tr '[:lower:]' '[:upper:]')_URL=http://127.0.0.1:$(port_of "$worker")"
done
export E2E_ORIGIN="http://localhost:5173"
export E2E_DB_FAULT_URL="http://127.0.0.1:$control_port"
export E2E_MAIL_API_URL="http://127.0.0.1:$mail_api_port"
export E2E_WEB_APP_PROXY_SECRET="$web_app_proxy_secret"
export E2E_WORKER_SHARED_SECRET="$worker_shared_secret"
export E2E_RUNPOD_URL="http://127.0.0.1:$runpod_port/v2/$runpod_endpoint"
export E2E_RUNPOD_API_KEY="$runpod_api_key"
export E2E_RUNPOD_WEBHOOK_SECRET="$runpod_webhook_secret"

log "black-box suite against the $runtime runtime"
(cd "$ROOT" && cargo test --quiet --no-fail-fast -p codex-e2e -- --test-threads 4)
