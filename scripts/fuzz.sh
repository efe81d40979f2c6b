#!/usr/bin/env bash
# Runs every libFuzzer target for a while: scripts/fuzz.sh [seconds per target, default 60].
# With METANODE_FUZZ_RUNS=N, each target runs N inputs instead (the long run: 10000000).
# Targets: codec_fuzz (every decoder), consensus_fuzz (consensus messages), http_fuzz (HTTP
# framing and the JSON body of POST /v1/txs). All under ASan + UBSan.
# They build in the sanitizer tree (scripts/build.sh asan, clang): the corpus lives in
# build-asan/corpus/<target>; crashes are written to build-asan/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ not found; skipping the fuzz run" >&2
  exit 0
fi
"$root/scripts/build.sh" fuzz codec_fuzz consensus_fuzz http_fuzz
out="$root/build-asan"
for target in codec_fuzz consensus_fuzz http_fuzz; do
  corpus="$out/corpus/$target"
  mkdir -p "$corpus"
  echo "fuzz: $target for ${seconds}s"
  log="$out/$target.log"
  seeds=()  # hand-written starting points, when the target has some (fuzz/seeds/<target>)
  [ -d "$root/fuzz/seeds/$target" ] && seeds=("$root/fuzz/seeds/$target")
  limit=(-max_total_time="$seconds")
  [ -n "${METANODE_FUZZ_RUNS:-}" ] && limit=(-runs="$METANODE_FUZZ_RUNS")
  if ! (cd "$out" && "./bin/$target" "${limit[@]}" -max_len=8192 -print_final_stats=1 \
        "$corpus" "${seeds[@]}" >"$log" 2>&1); then
    tail -n 60 "$log" >&2
    echo "fuzz: $target FAILED (reproducer: build-asan/crash-*; log: $log)" >&2
    exit 1
  fi
  grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$log" || tail -n 3 "$log"
done
