#!/usr/bin/env bash
# `make demo`: starts payreq-sandbox on a free port, runs examples/node/demo.mjs
# against it with the packed package, and stops the sandbox (also on failure).
set -euo pipefail
cd "$(dirname "$0")/.."
tarball=$(ls "$PWD"/target/npm/payreq-*.tgz)
(cd examples/node && npm install --no-audit --no-fund --no-save --no-package-lock --silent "$tarball")

out=$(mktemp)
target/debug/payreq-sandbox --port 0 >"$out" 2>/dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do
  url=$(sed -n '1s/^listening on \(http:[^ ]*\).*/\1/p' "$out")
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "payreq-sandbox did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "payreq-sandbox did not print its address" >&2; exit 1; }
echo "sandbox   $url (pid $pid)"
PAYREQ_BASE_URL="$url" PAYREQ_CLIENT_ID=sandbox_client PAYREQ_CLIENT_SECRET=sandbox_secret \
  node examples/node/demo.mjs
