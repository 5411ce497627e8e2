#!/usr/bin/env bash
# The TypeScript client (clients/typescript): regenerates its types from
# openapi/codex.json, fails if the committed types differ (or rewrites them
# with UPDATE_OPENAPI=1), then type-checks the client and its contract
# checks. Its npm packages are installed from the lock file when missing or
# stale (npm keeps its download cache in ~/.npm, outside the repository).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

client="$ROOT/clients/typescript"
command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js 20 or later"

# npm writes node_modules/.package-lock.json on every install: when it
# matches the lock file, the installed packages are the locked ones.
if ! cmp -s "$client/package-lock.json" "$client/node_modules/.package-lock.json" 2>/dev/null \
  && ! (cd "$client" && npm ls --depth=0 >/dev/null 2>&1); then
  log "TypeScript client: installing its packages"
  (cd "$client" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

generated=$(mktemp -d)
trap 'rm -rf "$generated"' EXIT
(cd "$client" && npx --no-install openapi-typescript ../../openapi/codex.json \
  --output "$generated/schema.d.ts" >/dev/null)
if ! cmp -s "$generated/schema.d.ts" "$client/src/schema.d.ts"; then
  if [ -n "${UPDATE_OPENAPI:-}" ]; then
    cp "$generated/schema.d.ts" "$client/src/schema.d.ts"
    log "TypeScript client: types regenerated"
  else
    diff -u "$client/src/schema.d.ts" "$generated/schema.d.ts" | head -40 >&2 || true
    die "clients/typescript/src/schema.d.ts is not what openapi/codex.json generates: run UPDATE_OPENAPI=1 scripts/typescript-client.sh"
  fi
fi

log "TypeScript client: type check"
(cd "$client" && npx --no-install tsc --noEmit)
