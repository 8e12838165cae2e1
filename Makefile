# Ledge's entry points. `make run` and `make test` are the two commands README.md starts with;
# both run the (idempotent) set-up first, so they work on a fresh Debian 12 machine.

CARGO ?= cargo
# The test models scripts/setup.sh installs; `ledge doctor` lists them next to the data folder's.
export LEDGE_MODEL_PATH ?= $(CURDIR)/models

.PHONY: setup build run app test lint fmt bench

setup:
	scripts/setup.sh

# The binaries `make build` makes, run directly: `cargo run -p ledge-cli` alone would resolve
# the workspace's features without the app's and compile much of it a second time.
TARGET_DIR = $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
LEDGE = $(TARGET_DIR)/release/ledge
LEDGE_APP = $(TARGET_DIR)/release/ledge-app

build: setup
	$(CARGO) build --release --locked -p ledge-cli -p ledge-app

# The models `make run` installs into the data folder on first use (from models/): a small chat
# model and the embedding model for search by meaning.
# The default chat model, chosen by the answer benchmark (BENCHMARKS.md, "Answers").
DEMO_GGUF = $(CURDIR)/models/qwen2.5-coder-0.5b-instruct/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
DEMO_MODEL = qwen2.5-coder-0.5b-instruct
DEMO_EMBEDDER = $(CURDIR)/models/all-MiniLM-L6-v2
# Documents to ask about: the licence texts every Debian system has; on macOS, which has no
# such folder, the tests' copy of them.
ifeq ($(shell uname -s),Darwin)
DEMO_DOCS = $(CURDIR)/tests/data/common-licenses
else
DEMO_DOCS = /usr/share/common-licenses
endif

# Runs the product: the `ledge` command's help, the health report, the models imported into
# the data folder once, a folder indexed (only what changed is read again on later runs), a
# question answered from it with its sources; then the desktop app, on macOS or wherever Linux
# has a display (quit it from its tray menu, or Ctrl+C here).
run: build
	$(LEDGE) --help
	$(LEDGE) doctor
	LEDGE_MODEL_PATH= $(LEDGE) models list | grep -q '^$(DEMO_MODEL) ' || $(LEDGE) models import $(DEMO_GGUF) --name $(DEMO_MODEL)
	LEDGE_MODEL_PATH= $(LEDGE) models default | grep -q '$(DEMO_MODEL)' || LEDGE_MODEL_PATH= $(LEDGE) models default $(DEMO_MODEL)
	LEDGE_MODEL_PATH= $(LEDGE) models list | grep -q '^all-MiniLM-L6-v2 ' || $(LEDGE) models import $(DEMO_EMBEDDER)
	LEDGE_MODEL_PATH= $(LEDGE) index add $(DEMO_DOCS)
	LEDGE_MODEL_PATH= $(LEDGE) ask --model $(DEMO_MODEL) --max-tokens 96 "Under the Apache License, when do the patent licenses granted to me terminate?"
	@if [ "$$(uname -s)" = Darwin ] || [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then $(MAKE) --no-print-directory app; \
	  else echo "No display here: the desktop app starts with 'make app' on a desktop."; fi

# The desktop app (tray/menu bar, Ctrl+Alt+Space or Option+Space for the popup).
app: build
	LEDGE_MODEL_PATH= $(LEDGE_APP)

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# Everything CI runs: formatting, lints, and every test of every crate (scripts/test.sh).
test: setup
	CARGO=$(CARGO) scripts/test.sh

fmt:
	$(CARGO) fmt --all

# Benchmarks print ratios against an anchor measured in the same run; see BENCHMARKS.md.
bench: build
	scripts/bench-blas.sh
	scripts/bench-index.sh
	scripts/setup.sh bench
	LEDGE_HOME=$(CURDIR)/.deps/bench-home LEDGE_MODEL_PATH= PATH="$(CURDIR)/.deps/llama.cpp/bin:$$PATH" \
	  $(LEDGE) bench --model smollm2 --gguf $(CURDIR)/.deps/bench-home/gguf/smollm2-f32.gguf --embedder $(DEMO_EMBEDDER)
	scripts/bench-desktop.py
