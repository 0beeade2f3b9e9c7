#!/usr/bin/env bash
# `make bench` (after `make build` and `cargo build --release -p payreq-sandbox`):
# installs the baselines pinned in bench/package-lock.json (stripe, openai, and
# the esbuild that wrangler uses) from the npm registry when they are missing
# or stale, unpacks the freshly packed payreq tarball beside them, and runs
# bench/bench.mjs, which writes bench/results.md and bench/results.json.
# bench.mjs kills every process it starts by pid (sandboxes, children) on
# exit; this script stops bench.mjs itself if it is interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=bench/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ bench/package-lock.json -nt "$stamp" ]; then
  echo "bench: installing the baselines into bench/node_modules"
  (cd bench && npm ci --no-audit --no-fund --loglevel=error)
fi
tarball=$(ls "$PWD"/target/npm/payreq-*.tgz)
rm -rf bench/node_modules/payreq
mkdir -p bench/node_modules/payreq
tar -xzf "$tarball" -C bench/node_modules/payreq --strip-components=1

export PAYREQ_SANDBOX_BIN="$PWD/target/release/payreq-sandbox"
[ -x "$PAYREQ_SANDBOX_BIN" ] || { echo "bench: $PAYREQ_SANDBOX_BIN is missing (make bench builds it)" >&2; exit 1; }
node bench/bench.mjs &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
wait "$pid"
