#!/usr/bin/env bash
# Compares two builds of metanode on this machine, alternating them so that drift in the
# machine's speed falls on both alike: for each round and each binary, a fresh 4-validator devnet
# (metanode up), one warm-up run, then RUNS runs of `metanode bench --devnet`. One line per run:
# committed TPS, p50/p99 latency, and node CPU per transfer per node (utime + stime from /proc).
# Usage: bench/devnet_ab.sh OLD_BINARY NEW_BINARY ENGINE RATE ROUNDS RUNS [TXS]
#   (RATE 0 = as fast as possible; build the old one with `git worktree add` and scripts/build.sh)
set -euo pipefail
if [ "$#" -lt 6 ]; then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
old="$1"; new="$2"; engine="$3"; rate="$4"; rounds="$5"; runs="$6"; txs="${7:-30000}"
work="$(mktemp -d /tmp/metanode-devnet-ab.XXXXXX)"
up_pid=""
cleanup() { [ -n "$up_pid" ] && kill -INT "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# shellcheck source=bench/devnet_lib.sh
source "$(dirname "$0")/devnet_lib.sh"

for round in $(seq 1 "$rounds"); do
  for which in old new; do
    bin="$old"; [ "$which" = new ] && bin="$new"
    rm -rf "$work/net"
    # Without the console where the binary has one: its polling is not part of what is compared.
    console=(); "$bin" up --help 2>/dev/null | grep -q -- --no-console && console=(--no-console)
    "$bin" up "${console[@]}" --validators 4 --consensus "$engine" --dir "$work/net" --port-base 25000 --log-level warn \
      --status-interval-ms 5000 > "$work/up.log" 2>&1 &
    up_pid=$!
    wait_healthy 25000 4
    sleep 2
    bench=("$bin" bench --devnet "$work/net" --txs "$txs" --senders 400 --batch 250 --concurrency 4 --rate "$rate" --timeout 180)
    "${bench[@]}" > /dev/null 2>&1  # warm-up: every recipient account is new
    for _ in $(seq 1 "$runs"); do
      before=$(node_ticks "$work")
      out=$("${bench[@]}" 2>&1)
      after=$(node_ticks "$work")
      tps=$(grep -oE '[0-9]+ TPS' <<< "$out" | cut -d' ' -f1)
      p50=$(grep -oE 'p50 [0-9]+' <<< "$out" | cut -d' ' -f2)
      p99=$(grep -oE 'p99 [0-9]+' <<< "$out" | cut -d' ' -f2)
      cpu=$(cpu_us_per_tx_per_node "$before" "$after" "$txs" 4)
      echo "$engine rate=$rate $which round=$round tps=$tps p50_ms=$p50 p99_ms=$p99 node_cpu_us_per_tx_per_node=$cpu"
    done
    kill -INT "$up_pid"; wait "$up_pid" || true; up_pid=""
    sleep 2
  done
done
