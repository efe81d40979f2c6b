#!/usr/bin/env bash
# Failover figures (bench/README.md, "Failover"): for each case, a fresh devnet (metanode up) of N
# validators with ENGINE, then `metanode bench --devnet` at RATE transfers/s for TXS transfers that
# SIGKILLs validators KILL (indices, e.g. 1 or 1,2) AT seconds into the load and leaves them down. Prints
# the bench's before/after block for each case.
# Usage: bench/devnet_failover.sh BINARY [ENGINE:N:KILL ...]
#   default cases: hotstuff:4:1 hotstuff:7:1 hotstuff:7:1,2 ibft:4:1 ibft:7:1 ibft:7:1,2
#   env: RATE (500), TXS (15000), AT (10), PORT_BASE (27000)
set -euo pipefail
if [ "$#" -lt 1 ]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
bin="$1"; shift
cases=("$@")
[ "${#cases[@]}" -eq 0 ] && cases=(hotstuff:4:1 hotstuff:7:1 hotstuff:7:1,2 ibft:4:1 ibft:7:1 ibft:7:1,2)
rate="${RATE:-500}"; txs="${TXS:-15000}"; at="${AT:-10}"; port_base="${PORT_BASE:-27000}"
work="$(mktemp -d /tmp/metanode-devnet-failover.XXXXXX)"
up_pid=""
cleanup() { [ -n "$up_pid" ] && kill -INT "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# shellcheck source=bench/devnet_lib.sh
source "$(dirname "$0")/devnet_lib.sh"

for c in "${cases[@]}"; do
  IFS=: read -r engine n kill <<< "$c"
  rm -rf "$work/net"
  "$bin" up --validators "$n" --consensus "$engine" --dir "$work/net" --port-base "$port_base" --log-level warn \
    --status-interval-ms 5000 > "$work/up.log" 2>&1 &
  up_pid=$!
  wait_healthy "$port_base" "$n"
  sleep 2
  echo "== $engine, $n validators, kill $kill at ${at}s, $rate transfers/s"
  "$bin" bench --devnet "$work/net" --rate "$rate" --txs "$txs" --batch 50 --kill-validator "$kill" --at "$at" \
    --timeout 120 2>&1 | grep -iE "before|after|gap|kept|p50|killed" || true
  kill -INT "$up_pid"; wait "$up_pid" || true; up_pid=""
  sleep 2
done
