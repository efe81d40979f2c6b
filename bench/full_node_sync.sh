#!/usr/bin/env bash
# How fast a new full node catches up (bench/README.md, "Full nodes"): a 4-validator devnet
# takes TXS transfers (`metanode bench`), then `metanode install --devnet` adds a full node and
# follows it from height 0 to the validators' height. Prints the chain it replayed (blocks,
# transfers) and the time from start to caught up, as blocks/s and transfers/s; then a second
# load with the full node linked, to show the validators' throughput with it.
# Usage: bench/full_node_sync.sh [BUILD_DIR]   env: PORT_BASE (28600), TXS (60000), ENGINE (hotstuff)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
bin="$build/bin/metanode"
port_base="${PORT_BASE:-28600}"
txs="${TXS:-60000}"
engine="${ENGINE:-hotstuff}"
work="$(mktemp -d /tmp/metanode-full-sync.XXXXXX)"
up_pid=""
cleanup() {
  [ -n "$up_pid" ] && kill -INT "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null
  [ -f "$work/net/full-1/node.pid" ] && kill "$(cat "$work/net/full-1/node.pid")" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" up --validators 4 --consensus "$engine" --no-console --dir "$work/net" --port-base "$port_base" --log-level warn \
  --status-interval-ms 5000 > "$work/up.log" 2>&1 &
up_pid=$!
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$((port_base + 301))/health" >/dev/null 2>&1 && break; sleep 0.2; done
sleep 2
echo "load: $txs transfers ($engine)"
"$bin" bench --devnet "$work/net" --txs "$txs" --senders 400 --rate 0 --timeout 300 | grep -E "committed|latency"
height=$(curl -s "http://127.0.0.1:$((port_base + 1))/health" | sed 's/.*"height":\([0-9]*\).*/\1/')
echo "chain: height $height"
start=$(date +%s.%N)
"$bin" install --devnet "$work/net" --host 127.0.0.1 --follow-timeout-s 600 > "$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; exit 1; }
end=$(date +%s.%N)
grep -E "^caught up" "$work/install.log"
awk -v s="$start" -v e="$end" -v h="$height" -v t="$txs" \
  'BEGIN {d = e - s; printf "install to caught up: %.1f s (admission included): %.0f blocks/s, %.0f transfers/s replayed\n", d, h / d, t / d}'
echo "load again, with the full node linked:"
"$bin" bench --devnet "$work/net" --txs "$txs" --senders 400 --rate 0 --timeout 300 | grep -E "committed"
full=$(curl -s "http://127.0.0.1:$((port_base + 401))/health" | sed 's/.*"height":\([0-9]*\).*/\1/')
validators=$(curl -s "http://127.0.0.1:$((port_base + 1))/health" | sed 's/.*"height":\([0-9]*\).*/\1/')
echo "after it: full node at $full, validators at $validators"
