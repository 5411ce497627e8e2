#!/usr/bin/env bash
# Builds the eight workers to wasm32 (worker-build --release) and reports
# each one's size against the budget: at most 1 MiB gzipped, or it fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

env_file=$("$ROOT/scripts/wasm-toolchain.sh")
# shellcheck disable=SC1090
. "$env_file"

mapfile -t packages < <(worker_packages)
log "compiling the eight workers for wasm32"
(cd "$ROOT" && cargo build --release --lib --target wasm32-unknown-unknown "${packages[@]}")

budget=$((1024 * 1024))
failed=0
for worker in "${WORKERS[@]}"; do
  # worker-build (wasm-bindgen, wasm-opt, esbuild) is skipped when its output
  # is newer than the wasm cargo just produced (cargo leaves that untouched
  # when nothing changed).
  package=${SERVICE_PACKAGE[$worker]}
  compiled="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/${package//-/_}.wasm"
  built="$ROOT/workers/$worker/build/index_bg.wasm"
  if [ -f "$built" ] && [ -f "$ROOT/workers/$worker/build/index.js" ] && [ "$built" -nt "$compiled" ]; then
    log "worker-build: $worker is up to date"
    continue
  fi
  log "worker-build: $worker"
  (cd "$ROOT/workers/$worker" && worker-build --release >"$CARGO_TARGET_DIR/worker-build-$worker.log" 2>&1) \
    || { tail -n 30 "$CARGO_TARGET_DIR/worker-build-$worker.log" >&2; die "worker-build failed for $worker"; }
done
printf '%-15s %12s %12s  %s\n' worker "raw bytes" "gzip bytes" "budget 1 MiB gzipped"
for worker in "${WORKERS[@]}"; do
  wasm="$ROOT/workers/$worker/build/index_bg.wasm"
  [ -f "$wasm" ] || die "no $wasm after the build"
  raw=$(wc -c <"$wasm")
  gzipped=$(gzip -9 -c "$wasm" | wc -c)
  verdict=ok
  if [ "$gzipped" -gt "$budget" ]; then verdict="OVER BUDGET"; failed=1; fi
  printf '%-15s %12d %12d  %s\n' "$worker" "$raw" "$gzipped" "$verdict"
done
[ "$failed" -eq 0 ] || die "a worker is over the 1 MiB gzipped budget"
