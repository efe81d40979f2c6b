#!/usr/bin/env bash
# Configures and builds one flavour of the tree. Usage:
#   scripts/build.sh [release|asan|fuzz] [ninja targets...]
#   release: build/        RelWithDebInfo, warnings as errors (the default)
#   asan:    build-asan/   ASan + UBSan (Debug), for the unit tests; with clang (when installed)
#                          the same tree builds the libFuzzer targets, so the sanitizer stage and
#                          the fuzz run share one compilation of the sources (scripts/fuzz.sh)
#   fuzz:    the asan flavour (kept as a name for scripts/fuzz.sh)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
flavour="${1:-release}"
shift || true
"$root/scripts/setup.sh"

case "$flavour" in
  release) dir="$root/build"; args=(-DMETANODE_WERROR=ON) ;;
  asan|fuzz)
    dir="$root/build-asan"
    args=(-DMETANODE_WERROR=ON -DMETANODE_SANITIZE=ON -DMETANODE_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug)
    if command -v clang++ >/dev/null 2>&1; then
      args+=(-DMETANODE_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
    elif [ "$flavour" = fuzz ]; then
      echo "build: the fuzz targets need clang++" >&2; exit 2
    fi ;;
  *) echo "usage: scripts/build.sh [release|asan|fuzz] [targets...]" >&2; exit 2 ;;
esac

# One compiler cache per user, outside the checkout: every clone and worktree (and a CI machine
# that keeps its home between runs) reuses what any of them compiled. CCACHE_DIR overrides it.
export CCACHE_DIR="${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/metanode-ccache}"
# A tree configured by an older version of this script (gcc, no fuzz targets) is configured
# afresh: CMake cannot switch the compiler of an existing tree.
if [ -f "$dir/CMakeCache.txt" ] && [ "$flavour" != release ] && command -v clang++ >/dev/null 2>&1 &&
   ! grep -q '^METANODE_FUZZ:BOOL=ON' "$dir/CMakeCache.txt"; then
  echo "build: reconfiguring ${dir#$root/} with clang (sanitizers and fuzz targets in one tree)"
  rm -rf "$dir"
fi
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S "$root" -B "$dir" -G Ninja "${args[@]}"
fi
echo "build: $flavour in ${dir#$root/}"
ninja -C "$dir" "$@"
