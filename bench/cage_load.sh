#!/usr/bin/env bash
# API latency through the Cage (bench/README.md, "The Cage"): one node (`metanode init`, then
# `metanode node`), then wrk replaying GET /v1/blocks/0 unsigned, signed (RFC 9421, each request
# its own nonce), and signed asking for the node's signature on the answer (Accept-Signature),
# at about 1,000 and 5,000 requests per second. Prints requests/s and p50/p95/p99 per case.
# Usage: bench/cage_load.sh [BUILD_DIR]   env: PORT_BASE (28000), DURATION (10, seconds),
#        RATES ("1000 5000")
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
bin="$build/bin/metanode"
gen="$build/bin/cage_requests"
port_base="${PORT_BASE:-28000}"
duration="${DURATION:-10}"
rates="${RATES:-1000 5000}"
command -v wrk >/dev/null || { echo "cage_load: needs wrk (apt-get install wrk)" >&2; exit 2; }
[ -x "$gen" ] || { echo "cage_load: build $gen first (ninja -C $build cage_requests)" >&2; exit 2; }
work="$(mktemp -d /tmp/metanode-cage-load.XXXXXX)"
node_pid=""
cleanup() { [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

printf 'cage-load-passphrase\n' > "$work/passphrase"
"$bin" init --dir "$work/home" --port-base "$port_base" --passphrase-file "$work/passphrase" > "$work/init.log"
METANODE_PASSPHRASE="$(cat "$work/passphrase")" "$bin" node --config "$work/home/config.toml" --log-level warn > "$work/node.log" 2>&1 &
node_pid=$!
port=$((port_base + 1))
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/health" >/dev/null || { cat "$work/node.log" >&2; exit 1; }
sleep 1
digest="$(curl -sf "http://127.0.0.1:$port/health" | sed -n 's/.*"genesis_digest":"\([0-9a-f]*\)".*/\1/p')"

for rate in $rates; do
  # Connections x (1000 / pause) = the rate; the pause is what each connection waits per request.
  pause=10
  conns=$((rate * pause / 1000))
  for kind in unsigned signed signed+answer; do
    count=$((rate * (duration + 2) * 3 / 2))
    flag=""
    [ "$kind" = unsigned ] && flag="--unsigned"
    [ "$kind" = signed ] && flag="--no-accept-signature"
    "$gen" --host "127.0.0.1:$port" --path /v1/blocks/0 --count "$count" --genesis-digest "$digest" $flag > "$work/requests"
    printf '%-5s rps  %-13s  ' "$rate" "$kind"
    wrk -t2 -c"$conns" -d"${duration}s" --latency -s "$root/bench/cage_wrk.lua" "http://127.0.0.1:$port" \
      -- "$work/requests" "$pause" 2 | grep '^requests/s'
  done
done
