#!/usr/bin/env bash
# `make test-wasm`: the wasm-bindgen tests (tests/wasm_bindings.rs) with
# `wasm-pack test --node`, `--headless --chrome` and `--headless --firefox`.
# wasm-pack uses the wasm-bindgen-test-runner on PATH (installed at the version
# in Cargo.lock) and the drivers named below: Debian's chromedriver and the
# geckodriver cargo installed, never a download. The runner starts and stops
# the driver and the browser itself.
set -euo pipefail
cd "$(dirname "$0")/.."
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
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/$caps"
chromedriver="${CHROMEDRIVER:-/usr/bin/chromedriver}"
geckodriver="${GECKODRIVER:-$(command -v geckodriver || echo "$HOME/.cargo/bin/geckodriver")}"
for mode in --node "--headless --chrome" "--headless --firefox"; do
  echo "# wasm-pack test $mode"
  # The test file is not pinned to a runtime (no `run_in_browser`), so that one
  # file runs in all three; WASM_BINDGEN_USE_BROWSER=1 sends it to the browser.
  # Only the one driver of this mode is named: the runner takes the first it finds.
  unset WASM_BINDGEN_USE_BROWSER CHROMEDRIVER GECKODRIVER
  case "$mode" in
    *chrome) export WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER="$chromedriver" ;;
    *firefox) export WASM_BINDGEN_USE_BROWSER=1 GECKODRIVER="$geckodriver" ;;
  esac
  log=target/tmp/wasm-pack-test.log
  # shellcheck disable=SC2086
  wasm-pack test $mode -- --test wasm_bindings 2>&1 | tee "$log"
  # The browser branch of each test only runs in a page: make sure it was one.
  case "$mode" in
    *chrome) want="Running headless tests in Chrome" ;;
    *firefox) want="Running headless tests in Firefox" ;;
    *) want="test result: ok" ;;
  esac
  grep -q "$want" "$log" || { echo "FAIL: wasm-pack test $mode did not run where it should ($want)" >&2; exit 1; }
done
