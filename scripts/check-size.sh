#!/usr/bin/env bash
# Placeholder until the size budget lands (issue 6): prints the shipped sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
wasm=target/pkg/payreq_bg.wasm
raw=$(wc -c < "$wasm"); gz=$(gzip -9 -c "$wasm" | wc -c)
echo "check-size: payreq_bg.wasm $raw bytes raw, $gz bytes gzip (budget not enforced yet)"
