#!/usr/bin/env bash
# The README's run command: builds metanode and shows what it can do.
# (Later work makes this start a local multi-validator devnet.)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh" release metanode
"$root/build/bin/metanode" --help
"$root/build/bin/metanode" version
