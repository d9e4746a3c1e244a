#!/usr/bin/env bash
# Installs everything lowbit needs on a fresh Debian machine. Idempotent: a second run only
# verifies (about a second). Network: the npm registry (and, for later packages, Debian apt).
set -euo pipefail
cd "$(dirname "$0")/.."

DENO=tools/node_modules/.bin/deno
want=$(node -p 'require("./tools/package.json").dependencies.deno')
want_nx=$(node -p 'require("./tools/package.json").dependencies.nx')
have_nx=$(node -p 'try { require("./tools/node_modules/nx/package.json").version } catch { "" }')

# 1. Deno and Nx, pinned in tools/package.json (npm package "deno" ships the binary; "nx" is
#    the task orchestrator of nx.json and packages/*/project.json).
if [ ! -x "$DENO" ] || ! "$DENO" --version 2>/dev/null | grep -q "^deno $want " ||
  [ "$have_nx" != "$want_nx" ]; then
  echo "setup: installing deno $want and nx $want_nx from npm" >&2
  npm ci --prefix tools --no-audit --no-fund --loglevel=error
fi
# Nx looks for its own modules under the workspace root (or .nx/installation); ours live in
# tools/, so .nx/installation points there (.nx/ is git-ignored and also holds Nx's cache).
if [ "$(readlink .nx/installation 2>/dev/null)" != "../tools" ]; then
  mkdir -p .nx && rm -rf .nx/installation && ln -s ../tools .nx/installation
fi

# 2. npm dependencies of the workspace, exactly as locked in deno.lock.
"$DENO" install --frozen --quiet

# 3. Debian data sets (DESIGN.md §6), installed only when missing: Fashion-MNIST for @lowbit/nn.
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  echo "setup: installing dataset-fashion-mnist from Debian apt" >&2
  apt-get install -y --no-install-recommends dataset-fashion-mnist >/dev/null ||
    { apt-get update -qq && apt-get install -y --no-install-recommends dataset-fashion-mnist >/dev/null; }
fi

# 4. ONNX operator test vectors for @lowbit/runtime's tests, installed only when missing.
if [ ! -d /usr/share/libonnx-testdata/data/node/test_qlinearmatmul_2D ]; then
  echo "setup: installing libonnx-testdata from Debian apt" >&2
  apt-get install -y --no-install-recommends libonnx-testdata >/dev/null ||
    { apt-get update -qq && apt-get install -y --no-install-recommends libonnx-testdata >/dev/null; }
fi

# 5. Real photos and glyph images (Debian darknet) for calibration and the real-model checks.
if [ ! -f /usr/share/darknet/data/dog.jpg ]; then
  echo "setup: installing darknet (photos and glyph images) from Debian apt" >&2
  apt-get install -y --no-install-recommends darknet >/dev/null ||
    { apt-get update -qq && apt-get install -y --no-install-recommends darknet >/dev/null; }
fi

echo "setup: ready ($("$DENO" --version | head -n 1), nx $want_nx)" >&2
