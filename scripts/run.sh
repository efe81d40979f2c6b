#!/usr/bin/env bash
# The README's run command: builds metanode and runs a local devnet of 4 validators (IBFT), one
# process each, until Ctrl-C. Keys, genesis and configs are created under ./devnet on the first
# run and reused afterwards (the chain resumes from disk). Node i listens on 9000+100*i: ledger
# API on +1 (node 0: http://127.0.0.1:9001), XTMP on +4.
#   METANODE_VALIDATORS=7 METANODE_CONSENSUS=hotstuff METANODE_DEVNET_DIR=/tmp/dn ./scripts/run.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh" release metanode
bin="$root/build/bin/metanode"
dir="${METANODE_DEVNET_DIR:-$root/devnet}"
args=(--validators "${METANODE_VALIDATORS:-4}" --dir "$dir")
if [ -n "${METANODE_CONSENSUS:-}" ]; then args+=(--consensus "$METANODE_CONSENSUS"); fi
# A single-validator home from an older version of this script: keep it, out of the way.
if [ -d "$dir/node0" ] && [ ! -f "$dir/genesis.json" ]; then
  kept="$dir.single-validator.$(date +%Y%m%d%H%M%S)"
  mv "$dir" "$kept"
  echo "moved the old single-validator home to $kept"
fi
echo "try: $bin tx transfer --home $dir/node0 --to <mn1… address> --amount 10 --bid 1 --wait"
echo "     $bin bench --devnet $dir --txs 20000"
exec "$bin" up "${args[@]}"
