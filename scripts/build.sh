#!/usr/bin/env bash
# Configures and builds one flavour of the tree. Usage:
#   scripts/build.sh [release|asan|fuzz] [ninja targets...]
#   release: build/        RelWithDebInfo, warnings as errors (the default)
#   asan:    build-asan/   ASan + UBSan, for the unit tests
#   fuzz:    build-fuzz/   clang + libFuzzer targets
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
flavour="${1:-release}"
shift || true
"$root/scripts/setup.sh"

case "$flavour" in
  release) dir="$root/build"; args=(-DMETANODE_WERROR=ON) ;;
  asan) dir="$root/build-asan"; args=(-DMETANODE_WERROR=ON -DMETANODE_SANITIZE=ON -DMETANODE_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug) ;;
  fuzz) dir="$root/build-fuzz"
        args=(-DMETANODE_FUZZ=ON -DMETANODE_BENCH=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) ;;
  *) echo "usage: scripts/build.sh [release|asan|fuzz] [targets...]" >&2; exit 2 ;;
esac

# One compiler cache per user, outside the checkout: every clone and worktree (and a CI machine
# that keeps its home between runs) reuses what any of them compiled. CCACHE_DIR overrides it.
export CCACHE_DIR="${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/metanode-ccache}"
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S "$root" -B "$dir" -G Ninja "${args[@]}"
fi
echo "build: $flavour in ${dir#$root/}"
ninja -C "$dir" "$@"
