# Shared helpers for the scripts in this folder. Source it; do not run it.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TOOLS_DIR="${CODEX_TOOLS_DIR:-$HOME/.cache/codex-tools}"

# The eight services, from the one list at the repository's root:
# WORKERS (short names, in order), SERVICE_PACKAGE[name], SERVICE_PORT[name].
WORKERS=()
declare -A SERVICE_PACKAGE=() SERVICE_PORT=()
while IFS=$'\t' read -r name package port _; do
  case "$name" in '' | '#'*) continue ;; esac
  WORKERS+=("$name")
  SERVICE_PACKAGE[$name]=$package
  SERVICE_PORT[$name]=$port
done <"$ROOT/services.tsv"
unset name package port

# `-p PACKAGE` for each worker, for cargo.
worker_packages() {
  local worker
  for worker in "${WORKERS[@]}"; do printf -- '-p\n%s\n' "${SERVICE_PACKAGE[$worker]}"; done
}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs as root, or through sudo when there is one.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $*"
  fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "please install: $*"
  log "installing $* (apt)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2 \
    || { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 \
         && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2; }
}

tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# ffmpeg, with which the tests make real media files to upload.
ensure_ffmpeg() {
  command -v ffmpeg >/dev/null 2>&1 || apt_install ffmpeg
}

# The PostgreSQL server the tests use: DATABASE_URL, else 127.0.0.1:5432,
# else a throwaway cluster in the tools cache (installing PostgreSQL if needed).
ensure_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then return; fi
  if tcp_open 127.0.0.1 5432; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432"
    return
  fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$bin" ] && ! command -v initdb >/dev/null 2>&1; then
    apt_install postgresql
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  [ -n "$bin" ] || bin=$(dirname "$(command -v initdb)")
  local data="$TOOLS_DIR/test-postgres" port=54330 run=()
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root: run it as `postgres`, in a folder
    # that user can reach (root's home usually is not).
    run=(runuser -u postgres --)
    data=/var/tmp/codex-test-postgres
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    log "creating a throwaway PostgreSQL cluster for the tests"
    mkdir -p "$data"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
    "${run[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if ! tcp_open 127.0.0.1 "$port"; then
    "${run[@]}" "$bin/pg_ctl" -D "$data" -w -l "$data/server.log" \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$data'" start >/dev/null
  fi
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port"
}

# Redis for the Redis adapter's tests: REDIS_URL, else 127.0.0.1:6379,
# started (and installed) if it is not running.
ensure_redis() {
  if [ -n "${REDIS_URL:-}" ]; then return; fi
  if ! tcp_open 127.0.0.1 6379; then
    command -v redis-server >/dev/null 2>&1 || apt_install redis-server
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    for _ in $(seq 1 50); do tcp_open 127.0.0.1 6379 && break; sleep 0.1; done
  fi
  export REDIS_URL="redis://127.0.0.1:6379"
}

# DATABASE_URL with its database replaced by $1 (query string dropped).
database_url_for() {
  local scheme=${DATABASE_URL%%://*} rest=${DATABASE_URL#*://}
  rest=${rest%%\?*}
  rest=${rest%%/*}
  printf '%s://%s/%s' "$scheme" "$rest" "$1"
}

# psql against the server in DATABASE_URL (with the database named by $1).
psql_on() {
  local database=$1; shift
  command -v psql >/dev/null 2>&1 || apt_install postgresql-client
  psql "$(database_url_for "$database")" -v ON_ERROR_STOP=1 -q "$@"
}

# Host and port of DATABASE_URL, for the fault proxy's upstream.
database_host_port() {
  local rest=${DATABASE_URL#*://}
  rest=${rest#*@}
  rest=${rest%%/*}
  case "$rest" in *:*) echo "$rest" ;; *) echo "$rest:5432" ;; esac
}

# Background processes started by start_background, stopped by stop_background.
BACKGROUND_GROUPS=()

start_background() {
  local logfile=$1; shift
  setsid "$@" >"$logfile" 2>&1 &
  BACKGROUND_GROUPS+=("$!")
}

stop_background() {
  local group
  for group in "${BACKGROUND_GROUPS[@]+"${BACKGROUND_GROUPS[@]}"}"; do
    kill -TERM -- "-$group" 2>/dev/null || true
  done
  for group in "${BACKGROUND_GROUPS[@]+"${BACKGROUND_GROUPS[@]}"}"; do
    for _ in $(seq 1 50); do kill -0 -- "-$group" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$group" 2>/dev/null || true
  done
  BACKGROUND_GROUPS=()
}

# URL with the password `local` added when it has none: wrangler refuses a
# Hyperdrive connection string without one, even where the server trusts.
with_password() {
  case "$1" in *://*:*@*) printf '%s' "$1" ;; *) printf '%s' "${1/@/:local@}" ;; esac
}

# Starts one worker under `wrangler dev` ($WRANGLER, from the toolchain's
# env file) and waits for its /health: start_worker WORKER PORT STATE_DIR
# LOGFILE DATABASE_URL [more wrangler arguments]. Start workers one at a
# time: workers sharing a state folder that start together can find its
# SQLite files locked.
start_worker() {
  local worker=$1 port=$2 state=$3 logfile=$4 database_url=$5
  shift 5
  start_background "$logfile" \
    env CI=true CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE="$(with_password "$database_url")" \
    "$WRANGLER" dev --config "$ROOT/wrangler/$worker.toml" --ip 127.0.0.1 --port "$port" \
    --inspector-port $((port + 1000)) --show-interactive-dev-session=false --persist-to "$state" "$@"
  wait_healthy "http://127.0.0.1:$port/health" 120 "$logfile"
}

# Waits until URL answers 200, or fails after $2 seconds showing the log $3.
wait_healthy() {
  local url=$1 timeout=$2 logfile=${3:-}
  local deadline=$((SECONDS + timeout))
  until curl -fsS -o /dev/null --max-time 5 "$url" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      [ -n "$logfile" ] && tail -n 40 "$logfile" >&2
      die "$url did not become healthy within ${timeout}s"
    fi
    sleep 0.5
  done
}
