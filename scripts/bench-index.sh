#!/usr/bin/env bash
# The index benchmark over real corpora from Debian documentation packages (see BENCHMARKS.md,
# "File index"): Ledge against plain tantivy and ripgrep, measured in the same run.
#
#   scripts/bench-index.sh              all three corpora
#   scripts/bench-index.sh python pdf   some of them (python, postgresql, pdf)
#
# The packages come from `scripts/setup.sh corpora` (opt-in: apt-get, root or sudo). Each
# corpus is copied to a temporary folder first, so the benchmark can edit a file in it.
# QUERIES, RG_QUERIES and SEED override the defaults (1000, 50, 42).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO="${CARGO:-cargo}"

"$ROOT/scripts/setup.sh" corpora

# name, then the folders (under /usr/share/doc) that make up the corpus. The PDF corpus takes
# four of texlive-latex-base-doc's package folders (about 17 MB, 60 PDFs plus their .tex and
# README files), not all 115 MB of its PDFs: PDF extraction runs near 0.5 MB/s here.
corpus_dirs() {
  case "$1" in
    python) echo /usr/share/doc/python3.11/html ;;
    postgresql) echo /usr/share/doc/postgresql-doc-15/html ;;
    pdf) for d in amsmath graphics hyperref tools; do echo "/usr/share/doc/texlive-doc/latex/$d"; done ;;
    *) echo "unknown corpus '$1' (python, postgresql, pdf)" >&2; return 1 ;;
  esac
}

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(python postgresql pdf)

"$CARGO" build --quiet --release --locked -p ledge-index --example bench_index
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/bench_index"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "# Index benchmark, $(date -u +%Y-%m-%d), $(uname -srm), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $(rg --version | sed -n 1p)"
echo
for name in "${names[@]}"; do
  copy="$WORK/$name"
  mkdir -p "$copy"
  # -L: the Debian doc folders link some files (JavaScript, CSS) from elsewhere; copy contents.
  while read -r dir; do
    [ -d "$dir" ] || { echo "missing $dir: run scripts/setup.sh corpora" >&2; exit 1; }
    cp -rL "$dir" "$copy/"
  done < <(corpus_dirs "$name")
  sync
  "$BIN" --name "$name" --dir "$copy" --queries "${QUERIES:-1000}" \
    --rg-queries "${RG_QUERIES:-50}" --seed "${SEED:-42}"
  rm -rf "$copy"
done
