#!/usr/bin/env bash
# BPCI's API under load (bench/README.md, "The console"): a 4-validator devnet with its console
# (`metanode up`), then wrk on GET /v1/fleet (answered from BPCI's own view), GET
# /v1/chain/blocks/1 (forwarded to a node) and GET /fleet (the app's page), each for DURATION
# seconds with 8 connections. Prints requests/s and p50/p99 per route.
# Usage: bench/bpci_load.sh [BUILD_DIR]   env: PORT_BASE (28400), DURATION (10)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
bin="$build/bin/metanode"
port_base="${PORT_BASE:-28400}"
duration="${DURATION:-10}"
command -v wrk >/dev/null || { echo "bpci_load: needs wrk (apt-get install wrk)" >&2; exit 2; }
work="$(mktemp -d /tmp/metanode-bpci-load.XXXXXX)"
up_pid=""
cleanup() { [ -n "$up_pid" ] && kill -INT "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$bin" up --validators 4 --dir "$work/net" --port-base "$port_base" --log-level warn --status-interval-ms 5000 \
  > "$work/up.log" 2>&1 &
up_pid=$!
console="http://127.0.0.1:$((port_base + 80))"
for _ in $(seq 150); do
  curl -sf "$console/health" 2>/dev/null | grep -q '"nodes_up":4' && break
  sleep 0.2
done
curl -sf "$console/health" | grep -q '"nodes_up":4' || { cat "$work/up.log" "$work/net/bpci.log" >&2; exit 1; }
sleep 3
for route in /v1/fleet /v1/chain/blocks/1 /fleet; do
  printf '%-22s ' "$route"
  wrk -t2 -c8 -d"${duration}s" --latency "$console$route" |
    awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {printf "%8.0f req/s  p50 %s  p99 %s\n", rps, p50, p99}'
done
