#!/usr/bin/env bash
# Runs every libFuzzer target for a while: scripts/fuzz.sh [seconds per target, default 60].
# The corpus lives in build-fuzz/corpus/<target>; crashes are written to build-fuzz/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ not found; skipping the fuzz run" >&2
  exit 0
fi
"$root/scripts/build.sh" fuzz codec_fuzz consensus_fuzz
for target in codec_fuzz consensus_fuzz; do
  corpus="$root/build-fuzz/corpus/$target"
  mkdir -p "$corpus"
  echo "fuzz: $target for ${seconds}s"
  log="$root/build-fuzz/$target.log"
  if ! (cd "$root/build-fuzz" && "./bin/$target" -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 \
        "$corpus" >"$log" 2>&1); then
    tail -n 60 "$log" >&2
    echo "fuzz: $target FAILED (reproducer: build-fuzz/crash-*; log: $log)" >&2
    exit 1
  fi
  grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$log" || tail -n 3 "$log"
done
