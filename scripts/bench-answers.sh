#!/usr/bin/env bash
# The answer benchmark (BENCHMARKS.md, "Answers"): the question set in tests/questions over the
# Python and PostgreSQL HTML manuals and TeX Live's PDF manuals.
#
#   scripts/bench-answers.sh [--split test|dev|all] [--model NAME]... [--vectors]
#
# Installs the corpora (scripts/setup.sh corpora), imports SmolLM2 (and any GGUF named in
# LEDGE_BENCH_GGUF, NAME=PATH, space-separated) into .deps/bench-answers-models, then runs the
# release `bench_answers` example; `--model none` (the default) measures the extractive answer
# alone. The index of the manuals is kept in .deps/bench-answers-home between runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO="${CARGO:-cargo}"
"$ROOT/scripts/setup.sh" corpora models
# texlive-pictures-doc (the mixed corpus's PDFs, scripts/setup.sh corpora-mixed) installs into
# the same folder as texlive-latex-base-doc: indexed here it would add ~3,000 files to this
# benchmark's corpus and hours of embedding. Its copy for bench-hybrid.sh is kept in .deps.
if dpkg-query -W -f='${Status}' texlive-pictures-doc 2>/dev/null | grep -q 'ok installed'; then
  echo "texlive-pictures-doc is installed: it changes this benchmark's TeX Live corpus;" \
    "remove it first (apt-get remove texlive-pictures-doc)" >&2
  exit 1
fi
"$CARGO" build --quiet --release --locked -p ledge-cli --bin ledge -p ledge-core --example bench_answers
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
MODELS_HOME="$ROOT/.deps/bench-answers-models-home"
mkdir -p "$MODELS_HOME"
import() {
  local name="$1" file="$2"
  [ -d "$MODELS_HOME/models/$name" ] && return
  LEDGE_HOME="$MODELS_HOME" LEDGE_MODEL_PATH="" "$TARGET/ledge" models import "$file" --name "$name"
}
import smollm2 "$ROOT/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"
[ -d "$MODELS_HOME/models/all-MiniLM-L6-v2" ] || \
  LEDGE_HOME="$MODELS_HOME" LEDGE_MODEL_PATH="" "$TARGET/ledge" models import "$ROOT/models/all-MiniLM-L6-v2"
for pair in ${LEDGE_BENCH_GGUF:-}; do import "${pair%%=*}" "${pair#*=}"; done
exec "$TARGET/examples/bench_answers" --models "$MODELS_HOME/models" "$@"
