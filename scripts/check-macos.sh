#!/usr/bin/env bash
# The macOS check that runs on Linux: clippy over the whole workspace, all targets, for
# aarch64-apple-darwin (Apple Silicon), warnings as errors. It type-checks every
# `cfg(target_os = "macos")` path, which the Linux build never compiles, without a Mac, an SDK
# or a linker:
#   * crates/mlx-sys builds nothing native and only generates its bindings
#     (LEDGE_MLX_SYS_CHECK_ONLY=1, see its build.rs);
#   * the other C dependencies get a stand-in compiler and archiver that write empty files
#     (scripts/check-macos/cc and ar): clippy links nothing, so nothing reads them.
# What it cannot tell: whether anything links or runs on a Mac (README.md, "macOS").
#
# Idempotent; installs the rustup target when missing. Skips (exit 0, saying why) only when
# that target cannot be installed; otherwise any warning fails it. Artifacts go under
# $CARGO_TARGET_DIR/aarch64-apple-darwin, beside the host build, which stays warm.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CARGO="${CARGO:-cargo}"
TARGET="aarch64-apple-darwin"

say() { printf '\033[1;34m==>\033[0m check-macos: %s\n' "$*"; }

target_installed() { rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; }

host="$(rustc -vV | sed -n 's/^host: //p')"
if [ "$host" = "$TARGET" ]; then
  say "this machine is $TARGET: the plain clippy run (scripts/test.sh) already checks it"
  exit 0
fi
if ! command -v rustup >/dev/null; then
  say "SKIPPED: rustup is not installed, so the Rust standard library for $TARGET cannot be added"
  exit 0
fi
if ! target_installed; then
  say "installing the Rust standard library for $TARGET (rustup target add)"
  if ! rustup target add "$TARGET" || ! target_installed; then
    say "SKIPPED: 'rustup target add $TARGET' failed, so the macOS type-check cannot run here"
    exit 0
  fi
fi

stand_in="$PWD/scripts/check-macos"
export CC_aarch64_apple_darwin="$stand_in/cc"
export CXX_aarch64_apple_darwin="$stand_in/cc"
export AR_aarch64_apple_darwin="$stand_in/ar"
export LEDGE_MLX_SYS_CHECK_ONLY=1
# MLX's minimum (tauri.conf.json's bundle.macOS.minimumSystemVersion); also keeps cc-rs from
# asking xcrun for one.
export MACOSX_DEPLOYMENT_TARGET=14.0

cmd=("$CARGO" clippy --workspace --all-targets --locked --target "$TARGET" -- -D warnings)
say "stand-in C compiler $CC_aarch64_apple_darwin, mlx-sys bindings only"
say "running: ${cmd[*]}"
start=$SECONDS
"${cmd[@]}"
say "passed in $((SECONDS - start)) s"
