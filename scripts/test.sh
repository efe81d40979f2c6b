#!/usr/bin/env bash
# The README's test command (CI runs it through .ci/run): installs what is missing, builds,
# runs every test with ctest, then the unit tests again under ASan + UBSan, then a short
# libFuzzer run of every decoder (built in the same clang tree as the sanitizer stage, so the
# sources compile twice, not three times). Exits non-zero on any failure.
#   scripts/test.sh            everything
#   scripts/test.sh --quick    the release build's tests only
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs="$(nproc)"

section() { printf '\n==== %s ====\n' "$*"; }

section "release build"
"$root/scripts/build.sh" release
section "tests (release)"
(cd "$root/build" && ctest --output-on-failure -j "$jobs")

if [ "$quick" -eq 1 ]; then exit 0; fi

section "unit tests under ASan + UBSan"
# Only what the unit tests and the fuzz run need: the sanitizer stage runs nothing else.
fuzz_targets=()
command -v clang++ >/dev/null 2>&1 && fuzz_targets=(codec_fuzz consensus_fuzz http_fuzz)
"$root/scripts/build.sh" asan unit_tests "${fuzz_targets[@]}"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
(cd "$root/build-asan" && ctest --output-on-failure -j "$jobs" -L unit)

section "fuzzing the codec (short run)"
# 30 s per target: the fuzz targets share the sanitizer tree (-O0), which runs fewer inputs a
# second than an optimised build would.
"$root/scripts/fuzz.sh" "${METANODE_FUZZ_SECONDS:-30}"
