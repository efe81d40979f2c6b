#!/usr/bin/env bash
# The README's run command: builds metanode, creates a single-validator home under ./devnet on
# first run (reused afterwards) and runs the node until Ctrl-C. The ledger API listens on
# http://127.0.0.1:9001. (The multi-validator devnet replaces this in a later step.)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh" release metanode
bin="$root/build/bin/metanode"
home="${METANODE_DEVNET_DIR:-$root/devnet/node0}"
if [ ! -f "$home/config.toml" ]; then
  "$bin" init --dir "$home"
fi
echo "try: $bin tx transfer --home $home --to <mn1… address> --amount 10 --bid 1 --wait"
exec "$bin" node --config "$home/config.toml"
