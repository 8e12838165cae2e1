# Ledge's entry points. `make run` and `make test` are the two commands README.md starts with;
# both run the (idempotent) set-up first, so they work on a fresh Debian 12 machine.

CARGO ?= cargo
# The test models scripts/setup.sh installs; `ledge doctor` lists them next to the data folder's.
export LEDGE_MODEL_PATH ?= $(CURDIR)/models

.PHONY: setup build run test lint fmt bench

setup:
	scripts/setup.sh

LEDGE = $(CARGO) run --quiet --release --locked -p ledge-cli --bin ledge --

build: setup
	$(CARGO) build --release --locked -p ledge-cli

# Runs the product: the `ledge` command (the desktop app arrives with the desktop-app work).
run: build
	$(LEDGE) --help
	$(LEDGE) doctor

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# Everything CI runs: formatting, lints, and every test of every crate (scripts/test.sh).
test: setup
	CARGO=$(CARGO) scripts/test.sh

fmt:
	$(CARGO) fmt --all

# Benchmarks print ratios against an anchor measured in the same run; see BENCHMARKS.md.
bench: setup
	scripts/bench-blas.sh
