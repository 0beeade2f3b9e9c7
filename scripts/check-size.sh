#!/usr/bin/env bash
# `make check-size`: the byte budget of the Cloudflare Worker entry (issue 6).
#
# Builds a minimal Worker (imports payreq, creates one client) from the packed
# tarball the way wrangler would: esbuild, bundled, minified, with the
# `workerd` condition, and the .wasm left as a separate module file (wrangler
# uploads it as a CompiledWasm module). Prints raw and `gzip -9` bytes of the
# wasm, the JS bundle and their sum, and fails above the limits below. Bytes
# are deterministic for a given toolchain, so this is a check, not a benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/tools/node_modules/.bin:$PATH"

# The issue's budget for wasm + glue + entry, minified (bytes).
BUDGET_RAW=100000
BUDGET_GZIP=30000
# What is enforced. Raw: the budget, which is met. Gzip: the budget is not
# reached yet (docs/size.md), so this is a ratchet: the size achieved
# when it was last lowered, plus about 1%. Lower it whenever the bundle
# shrinks; replace it by the budget once met. Raised twice: from 44,150 to
# 45,200 for validation results built in one JS call each (+297 B, 2x faster)
# and the limiter counting real send times (+741 B; late timers drew 429s);
# then to 45,900 for the input crossing into the wasm in one call (+283 B,
# validation 1.7x faster) and one text per request, a random pool and a
# shared executor (+287 B, per-request overhead 1.38x -> 1.29x of raw fetch).
# Lowered to 42,450 when every call became a flow driven from js/core.js
# (42,011), then to 41,950 (41,558 with val2 and the limiter's JS helper),
# then to 41,500 (41,092 with wasm-opt -ocimfs 25 and the hooks' JS helper),
# then to 41,400 (40,976 with the imports of two shared signatures).
# Raw: the issue 6 budget of 100,000 held until issue 16's security fixes
# took the bundle to 101,147 (+10,669 raw over 2e37890); the limit is 101,500
# until issue 17's swap of src/json.rs for the host's JSON.parse (~4.5 KB raw)
# brings it back under the budget.
# Raised to 46,200 by issue 16's fixes (41,153 -> 45,758): scrubbing secrets,
# checking answers, the redirect error and the response size cap (+2,867);
# typed errors for traps and oversized, ill-formed or inherited inputs
# (+742); deadlines at every wait and the Workers waits (+207); one limiter
# per key with tickets, slots moving up and call order (+572); a shared
# rateLimiter's reserve bounded by the call's deadline and signal (+258).
# Lowered to 101,000 raw / 46,100 gzip (100,272 / 45,661) when the imports
# lost their padding (issue 17, item 4: -709 raw, -92 gzip after the errors'
# one table).
# Raised to 101,800 raw / 46,400 gzip (100,749 / 45,855 with getrandom, +477 /
# +194; 101,415 / 46,110 with the typed internal error for an unknown or
# out-of-place event, +666 / +255: an error variant touches every match on
# the error, and its texts).
LIMIT_RAW=101800
LIMIT_GZIP=46400

tarball=$(ls "$PWD"/target/npm/payreq-*.tgz)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/node_modules/payreq" "$work/out"
tar -xzf "$tarball" -C "$work/node_modules/payreq" --strip-components=1
cat > "$work/worker.mjs" <<'JS'
import { PaymentClient } from "payreq";

export default {
  async fetch(request, env) {
    const client = new PaymentClient({ clientId: env.CLIENT_ID, clientSecret: env.CLIENT_SECRET, baseUrl: env.BASE_URL });
    return new Response(typeof client.createPaymentRequest);
  },
};
JS
# wrangler's settings: ESM, the workerd/worker/browser conditions, .wasm external.
esbuild "$work/worker.mjs" --bundle --minify --format=esm --platform=neutral --target=es2022 \
  --conditions=workerd,worker,browser --main-fields=module,main --external:'*.wasm' \
  --metafile="$work/meta.json" --outfile="$work/out/worker.js" --log-level=warning
# The bundle must be built from the workerd entry of the package.
node -e '
  const meta = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (!Object.keys(meta.inputs).some((f) => f.endsWith("node_modules/payreq/workerd.js"))) {
    console.error("check-size: the bundle did not resolve payreq to workerd.js"); process.exit(1);
  }' "$work/meta.json"
wasm="$work/node_modules/payreq/payreq_bg.wasm"
js="$work/out/worker.js"

size() { wc -c < "$1" | tr -d ' '; }
gz() { gzip -9 -n -c "$1" | wc -c | tr -d ' '; }
wasm_raw=$(size "$wasm"); wasm_gz=$(gz "$wasm")
js_raw=$(size "$js"); js_gz=$(gz "$js")
total_raw=$((wasm_raw + js_raw)); total_gz=$((wasm_gz + js_gz))

printf 'check-size: Worker bundle (esbuild %s --minify, workerd entry), bytes:\n' "$(esbuild --version)"
printf '  %-26s %8s raw %8s gzip -9\n' "payreq_bg.wasm" "$wasm_raw" "$wasm_gz"
printf '  %-26s %8s raw %8s gzip -9\n' "worker.js (glue + entry)" "$js_raw" "$js_gz"
printf '  %-26s %8s raw %8s gzip -9\n' "total" "$total_raw" "$total_gz"
printf '  issue 6 budget             %8s raw %8s gzip    gap: %+d raw, %+d gzip\n' \
  "$BUDGET_RAW" "$BUDGET_GZIP" "$((total_raw - BUDGET_RAW))" "$((total_gz - BUDGET_GZIP))"
if [ "$LIMIT_RAW" != "$BUDGET_RAW" ] || [ "$LIMIT_GZIP" != "$BUDGET_GZIP" ]; then
  printf '  enforced                   %8s raw %8s gzip    (gzip: a ratchet, not yet the issue budget)\n' "$LIMIT_RAW" "$LIMIT_GZIP"
fi
status=0
if [ "$total_raw" -gt "$LIMIT_RAW" ]; then
  echo "FAIL: the Worker bundle is $total_raw bytes raw, over the limit of $LIMIT_RAW" >&2
  status=1
fi
if [ "$total_gz" -gt "$LIMIT_GZIP" ]; then
  echo "FAIL: the Worker bundle is $total_gz bytes gzip, over the limit of $LIMIT_GZIP" >&2
  status=1
fi
exit "$status"
