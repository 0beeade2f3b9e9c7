#!/usr/bin/env bash
# Installs the packed tarball into tests/js and runs the node:test suites
# against payreq-sandbox, and the hostile-server suites. Fails if the tripwire secret shows up in any output.
set -euo pipefail
cd "$(dirname "$0")/.."
tarball=$(ls target/npm/payreq-*.tgz)
rm -rf tests/js/node_modules/payreq
for dir in tests/js examples/node examples/deno; do
  (cd "$dir" && npm install --no-audit --no-fund --no-save --no-package-lock --loglevel=error "$OLDPWD/$tarball")
done
# The declarations as a TypeScript consumer sees them (strict; @ts-expect-error marks must fail).
tools/node_modules/.bin/tsc -p tests/js/types/tsconfig.json
echo "# tsc --strict: tests/js/types/consumer.ts type-checks against the packed declarations"
export PAYREQ_SANDBOX_BIN="$PWD/target/debug/payreq-sandbox"
log=target/js-test.log
status=0
# tests/js/hostile: each file runs its own hostile node:http server (issue 16).
node --test --test-concurrency=2 tests/js/node/*.test.mjs tests/js/hostile/*.test.mjs 2>&1 | tee "$log" || status=$?
if grep -q -e 'tripwire-' "$log"; then
  echo "FAIL: the tripwire secret appeared in the test output ($log)" >&2
  exit 1
fi
exit "$status"
