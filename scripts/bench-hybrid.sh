#!/usr/bin/env bash
# Query latency of BM25 and hybrid search on the 1.3 GB mixed corpus (BENCHMARKS.md, "File
# index"; the retrieval issue's latency targets), the `bench_hybrid` example:
#
#   scripts/bench-hybrid.sh [--sample N] [--rounds N]
#
# Installs the embedder and, the first time, the corpus's packages (scripts/setup.sh
# corpora-mixed); copies the corpus once into .deps/mixed-corpus and keeps its index in
# .deps/bench-hybrid-home (about 1.5 GB with the stand-in vectors), so a rerun only measures.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO="${CARGO:-cargo}"
"$ROOT/scripts/setup.sh" models
CORPUS="$ROOT/.deps/mixed-corpus"
if [ ! -f "$CORPUS/.complete" ]; then
  "$ROOT/scripts/setup.sh" corpora-mixed
  rm -rf "$CORPUS"
  "$ROOT/scripts/corpus.sh" mixed "$CORPUS"
  touch "$CORPUS/.complete"
  echo "mixed corpus copied to $CORPUS; texlive-pictures-doc can be removed now" \
    "(scripts/bench-answers.sh refuses to run while it is installed)" >&2
fi
"$CARGO" build --quiet --release --locked -p ledge-cli --bin ledge -p ledge-core --example bench_hybrid
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
MODELS_HOME="$ROOT/.deps/bench-answers-models-home"
mkdir -p "$MODELS_HOME"
[ -d "$MODELS_HOME/models/all-MiniLM-L6-v2" ] || \
  LEDGE_HOME="$MODELS_HOME" LEDGE_MODEL_PATH="" "$TARGET/ledge" models import "$ROOT/models/all-MiniLM-L6-v2"
exec "$TARGET/examples/bench_hybrid" --models "$MODELS_HOME/models" --dir "$CORPUS" \
  --home "$ROOT/.deps/bench-hybrid-home" "$@"
