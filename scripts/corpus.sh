#!/usr/bin/env bash
# Copies one of the benchmark corpora (Debian documentation packages, installed by
# `scripts/setup.sh corpora` / `corpora-mixed`) into a new folder:
#
#   scripts/corpus.sh python|postgresql|pdf|mixed DEST
#
# Used by scripts/bench-index.sh (which edits a file in its copy) and scripts/bench-hybrid.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO="${CARGO:-cargo}"
[ $# -eq 2 ] || { echo "usage: $0 python|postgresql|pdf|mixed DEST" >&2; exit 2; }
name="$1" dest="$2"

# The folders (under /usr/share/doc) that make up each corpus. The PDF corpus takes four of
# texlive-latex-base-doc's package folders (about 17 MB, 60 PDFs plus their .tex and README
# files), not all 115 MB of its PDFs: PDF extraction runs near 0.5 MB/s here.
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

mkdir -p "$dest"
dirs="$(corpus_dirs "$name")"
# -L: the Debian doc folders link some files (JavaScript, CSS) from elsewhere; copy contents.
while read -r dir; do
  [ -d "$dir" ] || { echo "missing $dir: run scripts/setup.sh corpora" >&2; exit 1; }
  cp -rL "$dir" "$dest/"
done <<< "$dirs"
if [ "$name" = mixed ]; then
  # The exact crate sources of Cargo.lock (from cargo's cache, or crates.io when missing).
  (cd "$ROOT" && "$CARGO" vendor --quiet --locked "$dest/crates" >/dev/null)
fi
