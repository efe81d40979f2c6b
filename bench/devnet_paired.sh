#!/usr/bin/env bash
# Compares two builds of metanode side by side: each round starts a fresh 4-validator devnet of
# each build at the same time (port bases 25000 and 26000) and drives both with the same offered
# load at the same time, so the machine's drift (a third within an hour here) falls on both
# within the same seconds. Prints, per round, node CPU per transfer per node (utime + stime from
# /proc over the load) and committed TPS of each. Use a rate both keep up with: the figure is
# the work per transfer, not the throughput. Paired rounds of 1,000 transfers/s spread by about
# 1-2 % where devnet_ab.sh's alternating saturating runs spread by 10-15 %.
# Usage: bench/devnet_paired.sh OLD_BINARY NEW_BINARY [RATE=1000] [TXS=30000] [ENGINE=hotstuff] [ROUNDS=3]
set -euo pipefail
if [ "$#" -lt 2 ]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
old="$1"; new="$2"; rate="${3:-1000}"; txs="${4:-30000}"; engine="${5:-hotstuff}"; rounds="${6:-3}"
work="$(mktemp -d /tmp/metanode-devnet-paired.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=bench/devnet_lib.sh
source "$(dirname "$0")/devnet_lib.sh"
node_cpu_ticks() {  # utime + stime of every node process of devnet DIR, in clock ticks
  local sum=0 p
  for p in $(pgrep -f " node --config $1/"); do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$sum"
}
hz=$(getconf CLK_TCK)
for round in $(seq 1 "$rounds"); do
  pids=()
  for which in old new; do
    bin="$old"; base=25000
    [ "$which" = new ] && bin="$new" && base=26000
    rm -rf "$work/$which"
    console=(); "$bin" up --help 2>/dev/null | grep -q -- --no-console && console=(--no-console)
    "$bin" up "${console[@]}" --validators 4 --consensus "$engine" --dir "$work/$which" --port-base "$base" \
      --log-level warn --status-interval-ms 5000 > "$work/$which.up.log" 2>&1 &
    pids+=($!)
  done
  wait_healthy 25000 4
  wait_healthy 26000 4
  sleep 2
  before_old=$(node_cpu_ticks "$work/old"); before_new=$(node_cpu_ticks "$work/new")
  "$old" bench --devnet "$work/old" --txs "$txs" --senders 400 --rate "$rate" --timeout 300 > "$work/old.bench" 2>&1 &
  load_old=$!
  "$new" bench --devnet "$work/new" --txs "$txs" --senders 400 --rate "$rate" --timeout 300 > "$work/new.bench" 2>&1 &
  load_new=$!
  wait "$load_old" "$load_new"
  after_old=$(node_cpu_ticks "$work/old"); after_new=$(node_cpu_ticks "$work/new")
  for p in "${pids[@]}"; do kill -INT "$p"; done
  wait "${pids[@]}" 2>/dev/null || true
  awk -v hz="$hz" -v t="$txs" -v a="$before_old" -v b="$after_old" -v c="$before_new" -v d="$after_new" \
    -v to="$(grep -o '[0-9]* TPS' "$work/old.bench")" -v tn="$(grep -o '[0-9]* TPS' "$work/new.bench")" \
    'BEGIN { o = (b - a) / hz * 1e6 / t / 4; n = (d - c) / hz * 1e6 / t / 4;
             printf "round %d: old %.1f us per transfer per node (%s), new %.1f (%s): %+.1f %%\n", '"$round"', o, to, n, tn, (n / o - 1) * 100 }'
done
