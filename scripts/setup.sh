#!/usr/bin/env bash
# Installs everything the build needs on Debian 12 and fetches the pinned PQClean sources.
# Idempotent: apt-get runs only when a package is missing; the PQClean tarball is fetched once
# and its sha512 integrity is checked against the pin every time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  build-essential cmake ninja-build ccache mold pkg-config git ca-certificates openssl
  clang libclang-rt-14-dev
  libboost-dev libssl-dev libsodium-dev librust-blake3-dev b3sum librocksdb-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev librapidcheck-dev
  iproute2 procps python3 curl wrk
  chromium
)
# chromium: the console's browser tests (playwright-core drives Debian's chromium headless).
# Node.js and npm fetch PQClean's sources, run the independent ML-DSA/ML-KEM implementation and
# build the web console.
# Some machines carry a newer Node.js (with its own npm) than Debian's; only add what is absent.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -q
  "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# PQClean as shipped by the npm package `pqclean`, pinned by version and integrity.
pq_version=0.8.1
pq_integrity="sha512-+5FtknAJdiNtVBiyLiKW3OnanhcqSWy44KCaZz1tELhalp5HfuIcxNsX9uS0t7ne2tEWc7NBd4GpiQBTGTIJBA=="
deps="$root/.deps"
pq_dir="$deps/pqclean-$pq_version"
pq_tgz="$deps/pqclean-$pq_version.tgz"
mkdir -p "$deps"
integrity_of() { echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }
if [ ! -f "$pq_dir/.complete" ]; then
  if [ ! -f "$pq_tgz" ] || [ "$(integrity_of "$pq_tgz")" != "$pq_integrity" ]; then
    echo "setup: fetching pqclean@$pq_version from the npm registry"
    rm -f "$pq_tgz"
    (cd "$deps" && npm pack --silent "pqclean@$pq_version" >/dev/null)
  fi
  got="$(integrity_of "$pq_tgz")"
  if [ "$got" != "$pq_integrity" ]; then
    echo "setup: pqclean-$pq_version.tgz integrity mismatch: got $got, pinned $pq_integrity" >&2
    exit 1
  fi
  rm -rf "$pq_dir" && mkdir -p "$pq_dir"
  tar -xzf "$pq_tgz" -C "$pq_dir" --strip-components=1 package/deps/PQClean package/LICENSE
  touch "$pq_dir/.complete"
fi

# The independent implementations for the interop tests (ML-DSA / ML-KEM; the light client's
# BLAKE3 and Ed25519), pinned by the lock file; installed again when the lock file changes.
interop="$root/tests/interop"
if [ -f "$interop/package-lock.json" ] && { [ ! -f "$interop/node_modules/.package-lock.json" ] ||
    [ "$interop/package-lock.json" -nt "$interop/node_modules/.package-lock.json" ]; }; then
  echo "setup: installing the interop test's npm packages (package-lock.json)"
  (cd "$interop" && npm ci --silent --no-audit --no-fund)
fi

# The web console (web/): its packages pinned by the lock file, installed again when it changes;
# built into web/dist (served by `metanode bpci`) when a source is newer than the build.
web="$root/web"
if [ -f "$web/package-lock.json" ]; then
  if [ ! -f "$web/node_modules/.package-lock.json" ] || [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
    echo "setup: installing the console's npm packages (web/package-lock.json)"
    (cd "$web" && npm ci --silent --no-audit --no-fund)
  fi
  if [ ! -f "$web/dist/index.html" ] ||
     [ -n "$(find "$web/src" "$web/build.mjs" "$web/package-lock.json" -newer "$web/dist/index.html" -print -quit)" ]; then
    echo "setup: building the web console (web/dist)"
    (cd "$web" && npm run --silent build)
  fi
fi
