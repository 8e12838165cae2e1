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

"$CARGO" build --quiet --release --locked -p ledge-index --example bench_index
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/bench_index"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "# Index benchmark, $(date -u +%Y-%m-%d), $(uname -srm), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $(rg --version | sed -n 1p)"
echo
for name in "${names[@]}"; do
  copy="$WORK/$name"
  "$ROOT/scripts/corpus.sh" "$name" "$copy"
  sync
  "$BIN" --name "$name" --dir "$copy" --queries "${QUERIES:-1000}" \
    --rg-queries "${RG_QUERIES:-50}" --seed "${SEED:-42}"
  rm -rf "$copy"
done
