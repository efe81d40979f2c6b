#!/usr/bin/env bash
# Committed TPS and commit latency of a local devnet (all validators on this machine), for each
# engine and size: a saturating run finds the peak, then runs offered at 50% and 90% of it give
# latency. Usage: bench/devnet_bench.sh [metanode binary] [txs]   (results: a table on stdout)
set -euo pipefail
bin="${1:-$(cd "$(dirname "$0")/.." && pwd)/build/bin/metanode}"
txs="${2:-40000}"
work="$(mktemp -d /tmp/metanode-devnet-bench.XXXXXX)"
up_pid=""
cleanup() { [ -n "$up_pid" ] && kill -INT "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

run_bench() {  # dir rate -> json line
  "$bin" bench --devnet "$1" --txs "$txs" --senders 400 --batch 250 --concurrency 4 --rate "$2" --timeout 180 --json 2>/dev/null \
    | python3 -c '
import json, sys
text = sys.stdin.read()
d = json.loads(text[text.index("\n{") + 1:] if not text.startswith("{") else text)
print("%.0f %.0f %.0f" % (d["committed_tps"], d["latency_ms"]["p50"], d["latency_ms"]["p99"]))'
}

echo "| engine | validators | load | offered/s | committed TPS | p50 ms | p99 ms |"
echo "|---|---|---|---|---|---|---|"
for engine in ${ENGINES:-ibft hotstuff}; do
  for n in ${SIZES:-4 7}; do
    dir="$work/$engine-$n"
    "$bin" up --validators "$n" --consensus "$engine" --dir "$dir" --port-base 24000 --log-level warn \
      --status-interval-ms 5000 > "$work/up.log" 2>&1 &
    up_pid=$!
    # Ready when every node answers and the chain has moved.
    for _ in $(seq 1 120); do
      ok=1
      for i in $(seq 0 $((n - 1))); do curl -sf "http://127.0.0.1:$((24001 + 100 * i))/health" > /dev/null || ok=0; done
      [ "$ok" = 1 ] && break
      sleep 0.5
    done
    sleep 2
    read -r peak p50 p99 < <(run_bench "$dir" 0)
    echo "| $engine | $n | saturating | as fast as possible | $peak | $p50 | $p99 |"
    for pct in 50 90; do
      rate=$((peak * pct / 100))
      read -r tps p50 p99 < <(run_bench "$dir" "$rate")
      echo "| $engine | $n | ${pct}% of peak | $rate | $tps | $p50 | $p99 |"
    done
    kill -INT "$up_pid"; wait "$up_pid" || true; up_pid=""
    sleep 2
  done
done
