#!/usr/bin/env bash
# The proof service (port base + 6) under load (bench/README.md, "The audit trail and the proof
# service"): one node (`metanode init` + `metanode node`), then wrk POSTing one claim as fast as
# CONNECTIONS clients can for DURATION seconds, per kind: an Ed25519 signature and a multisig
# (2 of 3), both made with web/'s @noble packages. Prints verdicts/s and p50/p99.
# Usage: bench/proofs_load.sh [BUILD_DIR]   env: PORT_BASE (29100), DURATION (10), CONNECTIONS (8)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
bin="$build/bin/metanode"
port_base="${PORT_BASE:-29100}"
duration="${DURATION:-10}"
connections="${CONNECTIONS:-8}"
command -v wrk >/dev/null || { echo "proofs_load: needs wrk (apt-get install wrk)" >&2; exit 2; }
command -v node >/dev/null || { echo "proofs_load: needs node (the claims are signed with web/'s @noble)" >&2; exit 2; }
work="$(mktemp -d /tmp/metanode-proofs-load.XXXXXX)"
node_pid=""
cleanup() { [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

printf 'proofs-bench-passphrase\n' > "$work/passphrase"
"$bin" init --dir "$work/home" --port-base "$port_base" --passphrase-file "$work/passphrase" > "$work/init.log"
export METANODE_PASSPHRASE="proofs-bench-passphrase"
"$bin" node --config "$work/home/config.toml" --log-level warn > "$work/node.log" 2>&1 &
node_pid=$!
url="http://127.0.0.1:$((port_base + 6))"
for _ in $(seq 100); do curl -sf "$url/health" >/dev/null 2>&1 && break; sleep 0.1; done
# Claims: made by a small Node script with web/'s @noble packages (independent of the node's code).
(cd "$root/web" && node --input-type=module -e "
import { ed25519 } from '@noble/curves/ed25519';
import { blake3 } from '@noble/hashes/blake3';
import { writeFileSync } from 'fs';
const hex = (b) => Buffer.from(b).toString('hex');
const msg = new TextEncoder().encode('pay 10');
const digest = blake3(msg, { context: new TextEncoder().encode('metanode/v1/message') });
const keys = [0, 1, 2].map(() => ed25519.utils.randomPrivateKey());
const pub = (k) => hex(ed25519.getPublicKey(k));
writeFileSync('$work/signature.json', JSON.stringify({ kind: 'signature', public_key: pub(keys[0]), message: hex(msg), domain: 'message', signature: hex(ed25519.sign(digest, keys[0])) }));
writeFileSync('$work/multisig.json', JSON.stringify({ kind: 'multisig', policy: { threshold: 2, signers: keys.map(pub) }, message: hex(msg), domain: 'message',
  signatures: [0, 2].map((i) => ({ signer: pub(keys[i]), signature: hex(ed25519.sign(digest, keys[i])) })) }));
")
for kind in signature multisig; do
  cat > "$work/$kind.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$work/$kind.json", "r"); wrk.body = f:read("*a"); f:close()
LUA
  curl -sf -X POST -H 'content-type: application/json' --data @"$work/$kind.json" "$url/v1/verify" | grep -q '"valid":true' \
    || { echo "proofs_load: the $kind claim does not verify" >&2; exit 1; }
  wrk -t 2 -c "$connections" -d "${duration}s" --latency -s "$work/$kind.lua" "$url/v1/verify" > "$work/wrk-$kind.txt"
  printf '%-10s verdicts/s %s  p50 %s  p99 %s\n' "$kind" "$(awk '/Requests\/sec/ {print $2}' "$work/wrk-$kind.txt")" \
    "$(awk '/ 50%/ {print $2}' "$work/wrk-$kind.txt")" "$(awk '/ 99%/ {print $2}' "$work/wrk-$kind.txt")"
done
