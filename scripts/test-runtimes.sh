#!/usr/bin/env bash
# `make test-runtimes`: the shared conformance scenario (tests/runtimes/scenario.mjs)
# from the packed tarball in Node 22, 24, 26 and the machine's (ESM, CommonJS), Bun, Deno and workerd
# (miniflare, and wrangler-bundled Workers run in workerd), headless Chromium and
# Firefox (page, Vite build, hosted checkout click, examples/browser), against
# payreq-sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
export PAYREQ_SANDBOX_BIN="$PWD/target/debug/payreq-sandbox"
status=0
for harness in node workerd browsers; do
  [ -f "tests/runtimes/$harness.mjs" ] || continue
  start=$SECONDS
  node "tests/runtimes/$harness.mjs" || status=1
  echo "# tests/runtimes/$harness.mjs took $((SECONDS - start)) s"
done
exit "$status"
