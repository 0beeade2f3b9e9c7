#!/usr/bin/env bash
# `make test-wasm`: the wasm-bindgen tests (tests/wasm_bindings.rs) with
# wasm-bindgen-test-runner (the runner `wasm-pack test` drives; set in
# .cargo/config.toml) under Node, then in headless Chromium and headless Firefox
# (WASM_BINDGEN_USE_BROWSER=1, the drivers from Debian / cargo, never a download).
# The runner starts and stops the driver and the browser itself.
set -euo pipefail
cd "$(dirname "$0")/.."
test_wasm() { cargo test -p payreq --target wasm32-unknown-unknown --test wasm_bindings; }

echo "# wasm-bindgen tests: node"
test_wasm

caps=target/tmp/webdriver.json
mkdir -p target/tmp
# Flags from shared/TOOLCHAIN.md: this machine's network is closed, so Chromium's
# background connections are switched off.
cat > "$caps" <<'JSON'
{
  "goog:chromeOptions": {
    "binary": "/usr/bin/chromium",
    "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"]
  },
  "moz:firefoxOptions": { "binary": "/usr/bin/firefox-esr", "args": ["-headless"] }
}
JSON
export WASM_BINDGEN_USE_BROWSER=1 WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/$caps"
echo "# wasm-bindgen tests: headless chromium"
CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}" test_wasm
echo "# wasm-bindgen tests: headless firefox"
GECKODRIVER="${GECKODRIVER:-$(command -v geckodriver || echo "$HOME/.cargo/bin/geckodriver")}" test_wasm
