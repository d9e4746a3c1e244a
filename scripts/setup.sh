#!/usr/bin/env bash
# Installs everything lowbit needs on a fresh Debian machine. Idempotent: a second run only
# verifies (about a second). Network: the npm registry (and, for later packages, Debian apt).
set -euo pipefail
cd "$(dirname "$0")/.."

DENO=tools/node_modules/.bin/deno
want=$(node -p 'require("./tools/package.json").dependencies.deno')

# 1. Deno, pinned in tools/package.json (npm package "deno" ships the binary).
if [ ! -x "$DENO" ] || ! "$DENO" --version 2>/dev/null | grep -q "^deno $want "; then
  echo "setup: installing deno $want from npm" >&2
  npm ci --prefix tools --no-audit --no-fund --loglevel=error
fi

# 2. npm dependencies of the workspace, exactly as locked in deno.lock.
"$DENO" install --frozen --quiet

echo "setup: ready ($("$DENO" --version | head -n 1))" >&2
