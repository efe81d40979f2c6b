#!/usr/bin/env bash
# The registry service (port base + 3) under load (bench/README.md, "The registry"): one node
# (`metanode init` + `metanode node`) holding LEASES leases of kind http, then wrk GETting as fast
# as CONNECTIONS clients can for DURATION seconds: one lease by name (the lease, its health and
# both state proofs) and the list of a kind (every lease with its proofs, and the index's proof).
# Prints answers/s, p50/p99 and the answer's size.
# Usage: bench/registry_load.sh [BUILD_DIR]   env: PORT_BASE (29200), DURATION (10), CONNECTIONS (8), LEASES (32)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
bin="$build/bin/metanode"
port_base="${PORT_BASE:-29200}"
duration="${DURATION:-10}"
connections="${CONNECTIONS:-8}"
leases="${LEASES:-32}"
command -v wrk >/dev/null || { echo "registry_load: needs wrk (apt-get install wrk)" >&2; exit 2; }
work="$(mktemp -d /tmp/metanode-registry-load.XXXXXX)"
node_pid=""
cleanup() { [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

printf 'registry-bench-passphrase\n' > "$work/passphrase"
"$bin" init --dir "$work/home" --port-base "$port_base" --passphrase-file "$work/passphrase" > "$work/init.log"
export METANODE_PASSPHRASE="registry-bench-passphrase"
"$bin" node --config "$work/home/config.toml" --log-level warn > "$work/node.log" 2>&1 &
node_pid=$!
url="http://127.0.0.1:$((port_base + 3))"
for _ in $(seq 100); do curl -sf "$url/health" >/dev/null 2>&1 && break; sleep 0.1; done
echo "registry_load: registering $leases leases" >&2
for i in $(seq "$leases"); do
  wait_flag=()
  [ "$i" = "$leases" ] && wait_flag=(--wait)
  "$bin" registry register --home "$work/home" --name "svc-$i.bench" --kind http --endpoint "https://svc-$i.example.com" \
    --metadata '{"version": 2, "team": "bench"}' --health-check "https://svc-$i.example.com/health" --ttl-seconds 86400 \
    "${wait_flag[@]}" > "$work/register-$i.log"
done
for path in "/v1/registry/services/svc-1.bench" "/v1/registry/services?kind=http"; do
  bytes="$(curl -sf "$url$path" | wc -c)"
  wrk -t 2 -c "$connections" -d "${duration}s" --latency "$url$path" > "$work/wrk.txt"
  printf '%-40s answers/s %s  p50 %s  p99 %s  %s bytes\n' "$path" "$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")" \
    "$(awk '/ 50%/ {print $2}' "$work/wrk.txt")" "$(awk '/ 99%/ {print $2}' "$work/wrk.txt")" "$bytes"
done
