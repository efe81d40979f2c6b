# Shared by bench/devnet_bench.sh and bench/devnet_ab.sh (sourced, not run).

# CPU time (user + system, clock ticks) so far of the node processes of the devnet in DIR.
node_ticks() {  # DIR
  local total=0 pid
  for pid in $(pgrep -f " node --config $1/" || true); do  # any binary name
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# Node CPU in µs per transfer per node between two node_ticks readings.
cpu_us_per_tx_per_node() {  # BEFORE AFTER TXS NODES
  echo $(( ($2 - $1) * 1000000 / $(getconf CLK_TCK) / $3 / $4 ))
}

# Waits (up to a minute) until the N nodes of a devnet on PORT_BASE answer /health.
wait_healthy() {  # PORT_BASE N
  local ok i
  for _ in $(seq 1 120); do
    ok=1
    for i in $(seq 0 $(($2 - 1))); do curl -sf "http://127.0.0.1:$(($1 + 1 + 100 * i))/health" > /dev/null || ok=0; done
    [ "$ok" = 1 ] && return 0
    sleep 0.5
  done
  return 1
}
