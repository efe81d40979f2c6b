#!/usr/bin/env bash
# The audit trail under load and how fast it is re-checked (bench/README.md, "The audit trail"):
# one node (`metanode init` + `metanode node`), wrk asking GET /health?probe as fast as it can
# for DURATION seconds (every answer waits for its event to be synced: group commit), then
# `metanode audit verify` over HTTP (as the init's dev key, which holds every role) and, with the
# node stopped, offline. Prints events/s appended and events/s verified.
# Usage: bench/audit_verify.sh [BUILD_DIR]   env: PORT_BASE (28900), DURATION (20), CONNECTIONS (64)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
bin="$build/bin/metanode"
port_base="${PORT_BASE:-28900}"
duration="${DURATION:-20}"
connections="${CONNECTIONS:-64}"
command -v wrk >/dev/null || { echo "audit_verify: needs wrk (apt-get install wrk)" >&2; exit 2; }
work="$(mktemp -d /tmp/metanode-audit-verify.XXXXXX)"
node_pid=""
cleanup() { [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

printf 'audit-bench-passphrase\n' > "$work/passphrase"
"$bin" init --dir "$work/home" --port-base "$port_base" --passphrase-file "$work/passphrase" > "$work/init.log"
export METANODE_PASSPHRASE="audit-bench-passphrase"
"$bin" node --config "$work/home/config.toml" --log-level warn > "$work/node.log" 2>&1 &
node_pid=$!
url="http://127.0.0.1:$((port_base + 1))"
for _ in $(seq 100); do curl -sf "$url/health" >/dev/null 2>&1 && break; sleep 0.1; done
cat > "$work/probe.lua" <<'LUA'
local n = 0
request = function() n = n + 1; return wrk.format("GET", "/health?probe=" .. n) end
LUA
wrk -t 2 -c "$connections" -d "${duration}s" --latency -s "$work/probe.lua" "$url" > "$work/wrk.txt"
rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
p50=$(awk '/ 50%/ {print $2}' "$work/wrk.txt"); p99=$(awk '/ 99%/ {print $2}' "$work/wrk.txt")
echo "append: $rps requests/s answered, each after its audit event was synced (p50 $p50, p99 $p99, $connections connections)"
sleep 11  # the next timed checkpoint covers the last of them
start=$(date +%s.%N)
"$bin" audit verify --as dev --home "$work/home" --node "$url" > "$work/verify-http.txt"
end=$(date +%s.%N)
events=$(sed -n 's/.* checks: \([0-9]*\) event(s).*/\1/p' "$work/verify-http.txt")
awk -v e="$events" -v s="$start" -v t="$end" 'BEGIN { printf "verify over HTTP: %d events in %.1f s, %.0f events/s\n", e, t - s, e / (t - s) }'
kill -INT "$node_pid"; wait "$node_pid" || true; node_pid=""
start=$(date +%s.%N)
"$bin" audit verify --config "$work/home/config.toml" > "$work/verify-offline.txt"
end=$(date +%s.%N)
events=$(sed -n 's/.* checks: \([0-9]*\) event(s).*/\1/p' "$work/verify-offline.txt")
awk -v e="$events" -v s="$start" -v t="$end" 'BEGIN { printf "verify offline: %d events in %.1f s, %.0f events/s\n", e, t - s, e / (t - s) }'
