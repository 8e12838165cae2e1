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

# The chat model `make run` installs into the data folder on first use (from models/).
DEMO_GGUF = $(CURDIR)/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf
DEMO_MODEL = smollm2-135m-instruct

# Runs the product: the `ledge` command (the desktop app arrives with the desktop-app work):
# help, the health report, then a first answer from the small chat model, imported into the
# data folder once.
run: build
	$(LEDGE) --help
	$(LEDGE) doctor
	$(LEDGE) models list | grep -q '^$(DEMO_MODEL) ' || $(LEDGE) models import $(DEMO_GGUF) --name $(DEMO_MODEL)
	$(LEDGE) generate --model $(DEMO_MODEL) --chat --max-tokens 64 "In one sentence: why run an AI assistant on your own computer?"

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
