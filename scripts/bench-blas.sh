#!/usr/bin/env bash
# Which BLAS serves MLX matters ~30x on the CPU. Runs `ledge doctor`'s 1024x1024 f32 matmul
# probe with the OpenBLAS every Ledge binary links, then with the MLX wheel's bundled reference
# BLAS forced in front of it (LD_PRELOAD), in one run on this machine, and prints the ratio.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --quiet --release --locked -p ledge-cli -p ledge-app
ledge="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/ledge"
reference="$(find .deps/mlx-cpu/mlx_cpu.libs -name 'libblas-*.so*' | head -n1)"
home="$(mktemp -d)"; trap 'rm -rf "$home"' EXIT

probe() { # prints "blas gflops ms", best of 3 runs
  for _ in 1 2 3; do
    env LEDGE_HOME="$home" "$@" "$ledge" doctor --json |
      python3 -c 'import json,sys; m=json.load(sys.stdin)["mlx"]; print(m["blas"], round(m["matmul_gflops"],1), round(m["matmul_ms"],2))'
  done | sort -t' ' -k2 -n -r | head -n1
}

fast="$(probe)"
slow="$(probe LD_PRELOAD="$reference")"
printf '%-28s %10s %10s\n' "BLAS serving MLX" "GFLOP/s" "ms"
row() { # "name with spaces gflops ms" -> three columns
  printf '%-28s %10s %10s\n' "${1% * *}" "$(echo "$1" | awk '{print $(NF-1)}')" "$(echo "$1" | awk '{print $NF}')"
}
row "$fast"
row "$slow"
python3 -c "import sys; f=float('$fast'.split()[-2]); s=float('$slow'.split()[-2]); print(f'ratio OpenBLAS / reference: {f/s:.1f}x')"
