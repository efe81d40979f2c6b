#!/usr/bin/env bash
# Builds and runs the micro benchmarks (medians of 5 repetitions).
# Extra arguments go to Google Benchmark, e.g. --benchmark_filter=Ed25519.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh" release core_bench
"$root/build/bin/core_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_display_aggregates_only=true "$@"
