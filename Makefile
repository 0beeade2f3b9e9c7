# payreq: `make demo` and `make test` work on a fresh machine; each installs
# what it needs (scripts/install-tools.sh) and skips what is already there.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
export PATH := $(CURDIR)/tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: all tools tools-test build package sandbox demo test lint test-rust test-wasm test-js test-runtimes test-browsers check-size size-report bench fuzz clean

all: build

tools:
	@bash scripts/install-tools.sh

# Also wasm-pack, Debian's chromium, chromium-driver, firefox-esr and geckodriver
# (cargo), for the test tiers only (`make demo` does not need them).
tools-test:
	@PAYREQ_TEST_TOOLS=1 bash scripts/install-tools.sh

# The npm package: target/pkg (directory) and target/npm/payreq-<version>.tgz.
build package: tools
	@bash scripts/build-package.sh

sandbox:
	$(CARGO) build -p payreq-sandbox

demo: build sandbox
	@bash scripts/demo.sh

test: lint test-rust test-wasm test-js check-size test-runtimes

lint: tools
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p payreq --target wasm32-unknown-unknown --all-targets -- -D warnings
	# The npm package's configuration: no_std in wasm (scripts/build-package.sh).
	$(CARGO) clippy -p payreq --target wasm32-unknown-unknown --no-default-features -- -D warnings
	# rustdoc: broken intra-doc links and missing docs fail (lib.rs denies missing_docs).
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -p payreq --no-deps --quiet

test-rust:
	$(CARGO) test --workspace

# wasm-bindgen tests: wasm-pack test --node, --headless --chrome, --headless --firefox.
test-wasm: tools-test
	@bash scripts/test-wasm.sh

# The JS suites run the packed tarball, installed into tests/js, against the sandbox,
# under Node 22, 24 and 26 at once (PAYREQ_JS_NODES picks; docs/runtimes.md "Which Node").
test-js: build sandbox
	@bash scripts/test-js.sh

# The shared conformance scenario from the packed tarball in Node 22/24/26 and the machine's (ESM, CJS),
# Bun, Deno, workerd (miniflare; wrangler bundles in workerd), headless Chromium and
# Firefox (a page, a Vite build, the checkout click, examples/browser): tests/runtimes/.
test-runtimes: tools-test build sandbox
	@bash scripts/test-runtimes.sh

# Only the browser part of test-runtimes.
test-browsers: tools-test build sandbox
	@node tests/runtimes/browsers.mjs

# The byte budget of the shipped entries (deterministic, so a check): scripts/check-size.sh.
# Then where the wasm's bytes go, per Rust module and function (scripts/size-report.mjs).
check-size: build
	@bash scripts/check-size.sh
	@node scripts/size-report.mjs --top 10

# Where the wasm's bytes go, per Rust module (raw and gzip) and the largest functions.
size-report: build
	@node scripts/size-report.mjs --top 30

# Speed, size and memory against stripe-node, openai-node, raw fetch and pure JS,
# as ratios within one run: writes bench/results.md and bench/results.json.
bench: build
	@$(CARGO) build --release -p payreq-sandbox
	@bash bench/run.sh

# Short, bounded fuzz runs (nightly + cargo-fuzz); new finds land in fuzz/corpus,
# which `make test` replays (tests/fuzz_corpora.rs).
FUZZ_SECONDS ?= 30
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	for t in decoders validators retry_after; do \
	  $(CARGO) +nightly fuzz run $$t fuzz/corpus/$$t -- -max_total_time=$(FUZZ_SECONDS) -max_len=4096 || exit 1; \
	done

clean:
	rm -rf target tests/js/node_modules
