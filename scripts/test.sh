#!/usr/bin/env bash
# Everything `make test` (and so CI) checks, after the set-up: formatting, lints with warnings
# as errors (for this machine, and for macOS through scripts/check-macos.sh), every test of
# every crate, and the web UI's type check, unit tests and browser tests. Ends with one total
# line over all test binaries.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CARGO="${CARGO:-cargo}"

# The UI first: it is quick, and the desktop app embeds its build.
npm --prefix ui run --silent check

# The shell scripts: setup.sh as the POSIX sh it is written in (dash on Debian, bash 3.2 on
# macOS), the rest as the bash their first line names.
command -v shellcheck >/dev/null || { echo "shellcheck is missing: run scripts/setup.sh system" >&2; exit 1; }
shellcheck -s sh scripts/setup.sh
shellcheck scripts/test.sh scripts/check-macos.sh scripts/bench-*.sh scripts/corpus.sh scripts/check-macos/* .ci/run

"$CARGO" fmt --all -- --check
"$CARGO" clippy --workspace --all-targets --locked -- -D warnings
# The same lints for Apple Silicon: the macOS-only code, type-checked here (16-26 minutes
# cold on 2 cores, under a minute warm).
CARGO="$CARGO" scripts/check-macos.sh

log="$(mktemp)"; trap 'rm -f "$log"' EXIT
status=0
"$CARGO" test --workspace --locked 2>&1 | tee "$log" || status=$?
# cargo prints one "test result:" line per test binary; the last one is often a crate's empty
# doc-test run, so sum them up for a closing line that says what ran.
awk '/^test result:/ { passed += $4; failed += $6; ignored += $8 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, ignored }' "$log"
exit "$status"
