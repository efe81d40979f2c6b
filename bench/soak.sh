#!/usr/bin/env bash
# Memory under steady load (a long run, outside CI): a fresh 4-validator devnet carries signed
# transfers at RATE per second for MINUTES minutes, and every 30 s each node's resident memory
# (VmRSS from /proc) is recorded. It prints one line per sample, writes them to OUT.csv, and ends
# with each node's memory after the first 5 minutes and at the end, and its growth over the second
# half of the run, which should be close to zero if memory levels off.
# Usage: bench/soak.sh BINARY [MINUTES=30] [RATE=half] [ENGINE=ibft] [OUT=soak]
#   RATE half: half the peak that a first saturating run measures.
set -euo pipefail
if [ "$#" -lt 1 ]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
bin="$(realpath "$1")"; minutes="${2:-30}"; rate="${3:-half}"; engine="${4:-ibft}"; out="${5:-soak}"
work="$(mktemp -d /tmp/metanode-soak.XXXXXX)"
port_base=26000
up_pid=""; sampler_pid=""
cleanup() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null || true
  [ -n "$up_pid" ] && kill -INT "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=bench/devnet_lib.sh
source "$(dirname "$0")/devnet_lib.sh"

"$bin" up --validators 4 --consensus "$engine" --dir "$work/net" --port-base "$port_base" --log-level warn \
  --status-interval-ms 60000 > "$work/up.log" 2>&1 &
up_pid=$!
wait_healthy "$port_base" 4 || { echo "soak: the devnet did not start" >&2; tail "$work/up.log" >&2; exit 1; }
bench() {  # TXS RATE
  "$bin" bench --devnet "$work/net" --txs "$1" --senders 400 --batch 250 --concurrency 4 --rate "$2" --timeout 300
}
if [ "$rate" = half ]; then
  peak=$(bench 30000 0 | grep -oE '[0-9]+ TPS' | cut -d' ' -f1)
  rate=$((peak / 2))
  echo "soak: peak ${peak} TPS, so ${rate} TPS for ${minutes} minutes"
fi

rss_kb() {  # node index
  local pid
  pid=$(pgrep -f "metanode node --config $work/net/node$1/" | head -n 1 || true)
  [ -n "$pid" ] && awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0
}
echo "elapsed_s,node0_rss_kb,node1_rss_kb,node2_rss_kb,node3_rss_kb" > "$out.csv"
start=$(date +%s)
(
  while true; do
    line="$(( $(date +%s) - start ))"
    for i in 0 1 2 3; do line="$line,$(rss_kb "$i")"; done
    echo "$line" >> "$out.csv"
    echo "soak: $line"
    sleep 30
  done
) &
sampler_pid=$!

# One minute of load per bench run (each funds its senders and signs in advance), until the time is up.
deadline=$((start + minutes * 60))
runs=0; committed=0
while [ "$(date +%s)" -lt "$deadline" ]; do
  result=$(bench $((rate * 60)) "$rate" 2>&1 || true)
  runs=$((runs + 1))
  tps=$(grep -oE '[0-9]+ TPS' <<< "$result" | cut -d' ' -f1 || true)
  committed=$((committed + rate * 60))
  echo "soak: run $runs: ${tps:-?} TPS committed"
done
kill "$sampler_pid" 2>/dev/null || true; sampler_pid=""

# Memory after 5 minutes, at the end, and growth over the second half, per node.
awk -F, -v half=$((minutes * 30)) 'NR > 1 {
    for (i = 2; i <= 5; i++) { last[i] = $i; if ($1 >= 300 && !(i in at5)) at5[i] = $i; if ($1 >= half && !(i in mid)) mid[i] = $i }
  }
  END {
    for (i = 2; i <= 5; i++) printf "soak: node%d: %d MB after 5 min, %d MB at the end, %+d MB over the second half\n",
      i - 2, at5[i] / 1024, last[i] / 1024, (last[i] - mid[i]) / 1024
  }' "$out.csv"
echo "soak: ${runs} runs, about ${committed} transfers; samples in $out.csv"
