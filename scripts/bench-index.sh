#!/usr/bin/env bash
# The index benchmark over real corpora from Debian documentation packages (see BENCHMARKS.md,
# "File index"): Ledge against plain tantivy and ripgrep, measured in the same run.
#
#   scripts/bench-index.sh              the three corpora python, postgresql and pdf
#   scripts/bench-index.sh python pdf   some of them
#   scripts/bench-index.sh mixed        issue 4's "1 GB of mixed documents" (about 1.4 GB on
#                                       disk; takes a quarter of an hour with its anchors)
#
# The packages come from `scripts/setup.sh corpora` (opt-in: apt-get, root or sudo; `mixed`
# also needs `scripts/setup.sh corpora-mixed`). Each corpus is copied to a temporary folder
# first, so the benchmark can edit a file in it.
# QUERIES, RG_QUERIES and SEED override the defaults (1000, 50, 42).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO="${CARGO:-cargo}"

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(python postgresql pdf)
case " ${names[*]} " in
  *" mixed "*) "$ROOT/scripts/setup.sh" corpora-mixed ;;
  *) "$ROOT/scripts/setup.sh" corpora ;;
esac

# name, then the folders (under /usr/share/doc) that make up the corpus. The PDF corpus takes
# four of texlive-latex-base-doc's package folders (about 17 MB, 60 PDFs plus their .tex and
# README files), not all 115 MB of its PDFs: PDF extraction runs near 0.5 MB/s here.
corpus_dirs() {
  case "$1" in
    python) echo /usr/share/doc/python3.11/html ;;
    postgresql) echo /usr/share/doc/postgresql-doc-15/html ;;
    pdf) for d in amsmath graphics hyperref tools; do echo "/usr/share/doc/texlive-doc/latex/$d"; done ;;
    # A developer's mixed folder: both HTML manuals, every TeX Live manual installed (PDFs with
    # their .tex sources; texlive-latex-base-doc and texlive-pictures-doc), plus the sources of
    # every crate Ledge builds from (added below: Rust, C, Markdown, JSON, and the binary
    # archives some -sys crates carry, which the index must pass over).
    # (Whole package folders, so the two manuals' index.html and glossary.html stay apart.)
    mixed) echo /usr/share/doc/python3.11; echo /usr/share/doc/postgresql-doc-15
           echo /usr/share/doc/texlive-doc ;;
    *) echo "unknown corpus '$1' (python, postgresql, pdf, mixed)" >&2; return 1 ;;
  esac
}

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
  if [ "$name" = mixed ]; then
    # The exact crate sources of Cargo.lock (from cargo's cache, or crates.io when missing).
    (cd "$ROOT" && "$CARGO" vendor --quiet --locked "$copy/crates" >/dev/null)
  fi
  sync
  "$BIN" --name "$name" --dir "$copy" --queries "${QUERIES:-1000}" \
    --rg-queries "${RG_QUERIES:-50}" --seed "${SEED:-42}"
  rm -rf "$copy"
done
