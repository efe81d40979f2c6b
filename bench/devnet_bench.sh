#!/usr/bin/env bash
# Committed TPS and commit latency of a local devnet (all validators on this machine), for each
# engine and size: after a warm-up run, the median of three saturating runs is the peak, then runs
# offered at 50% and 90% of it give latency. Usage: bench/devnet_bench.sh [metanode binary] [txs]   (results: a table on stdout)
set -euo pipefail
bin="${1:-$(cd "$(dirname "$0")/.." && pwd)/build/bin/metanode}"
txs="${2:-40000}"
work="$(mktemp -d /tmp/metanode-devnet-bench.XXXXXX)"
up_pid=""
cleanup() { [ -n "$up_pid" ] && kill -INT "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# shellcheck source=bench/devnet_lib.sh
source "$(dirname "$0")/devnet_lib.sh"

run_bench() {  # dir rate nodes -> "tps p50 p99 cpu_us_per_tx_per_node"
  local before after
  before=$(node_ticks "$1")
  local result
  result=$("$bin" bench --devnet "$1" --txs "$txs" --senders 400 --batch 250 --concurrency 4 --rate "$2" --timeout 180 --json 2>/dev/null \
    | python3 -c '
import json, sys
text = sys.stdin.read()
d = json.loads(text[text.index("\n{") + 1:] if not text.startswith("{") else text)
print("%.0f %.0f %.0f" % (d["committed_tps"], d["latency_ms"]["p50"], d["latency_ms"]["p99"]))')
  after=$(node_ticks "$1")
  # Node CPU per committed transfer per node: the figure that sets the peak on a given machine
  # (less noisy than the rate itself when the machine is shared).
  echo "$result $(cpu_us_per_tx_per_node "$before" "$after" "$txs" "$3")"
}

echo "| engine | validators | load | offered/s | committed TPS | p50 ms | p99 ms | node CPU µs per tx per node |"
echo "|---|---|---|---|---|---|---|---|"
for engine in ${ENGINES:-ibft hotstuff}; do
  for n in ${SIZES:-4 7}; do
    dir="$work/$engine-$n"
    "$bin" up --validators "$n" --consensus "$engine" --dir "$dir" --port-base 24000 --log-level warn \
      --status-interval-ms 5000 > "$work/up.log" 2>&1 &
    up_pid=$!
    wait_healthy 24000 "$n"
    sleep 2
    # A first saturating run warms the devnet (every recipient account is new), then the peak
    # is the median of three.
    run_bench "$dir" 0 "$n" > /dev/null
    peaks=()
    for _ in 1 2 3; do
      read -r tps p50 p99 cpu < <(run_bench "$dir" 0 "$n")
      peaks+=("$tps $p50 $p99 $cpu")
    done
    read -r peak p50 p99 cpu < <(printf '%s\n' "${peaks[@]}" | sort -n | sed -n 2p)
    echo "| $engine | $n | saturating (median of 3: $(printf '%s\n' "${peaks[@]}" | cut -d' ' -f1 | sort -n | paste -sd/)) | as fast as possible | $peak | $p50 | $p99 | $cpu |"
    for pct in 50 90; do
      rate=$((peak * pct / 100))
      read -r tps p50 p99 cpu < <(run_bench "$dir" "$rate" "$n")
      echo "| $engine | $n | ${pct}% of peak | $rate | $tps | $p50 | $p99 | $cpu |"
    done
    kill -INT "$up_pid"; wait "$up_pid" || true; up_pid=""
    sleep 2
  done
done
