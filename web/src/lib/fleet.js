// The fleet as BPCI sees it: fetched once, then kept current by the live stream (/v1/live).
import { useEffect, useState } from 'preact/hooks';
import { getJson, live } from './api.js';

// A bounded history of what the live stream said (for charts): at most `limit` snapshots.
const HISTORY = 300;
const listeners = new Set();
let state = { fleet: null, error: null, connected: false, history: [] };
let stop = null;

function publish(next) {
  state = { ...state, ...next };
  for (const listener of listeners) listener(state);
}

function remember(fleet) {
  const history = state.history.length >= HISTORY ? state.history.slice(1) : state.history.slice();
  history.push({ t: fleet.updated_unix_ms, nodes: fleet.nodes.map((n) => ({
    name: n.name, up: n.up, latency: n.commit_latency_ms, height: n.height, round: n.round, timeouts: n.rounds_timed_out,
    pending: n.mempool_pending, baseFee: Number(n.base_fee),
  })) });
  return history;
}

function ensureStarted() {
  if (stop) return;
  getJson('/v1/fleet')
    .then((fleet) => publish({ fleet, error: null, history: remember(fleet) }))
    .catch((error) => publish({ error: error.message }));
  stop = live('/v1/live', (fleet) => {
    if (fleet.type === 'fleet') publish({ fleet, error: null, history: remember(fleet) });
  }, (connected) => publish({ connected }));
}

// [times, series per node] of one field of the history, null where the node was down.
export function seriesOf(history, names, field) {
  const xs = history.map((h) => h.t / 1000);
  const ys = names.map((name) => history.map((h) => {
    const n = h.nodes.find((x) => x.name === name);
    return n && n.up ? n[field] : null;
  }));
  return [xs, ...ys];
}

export function useFleet() {
  const [current, setCurrent] = useState(state);
  useEffect(() => {
    ensureStarted();
    listeners.add(setCurrent);
    setCurrent(state);
    return () => listeners.delete(setCurrent);
  }, []);
  return current;
}

// Re-renders every `ms` so relative times ("3 s ago") stay true between updates.
export function useNow(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
