// One node: its figures and its recent history (height, commit latency, CPU) from BPCI's polls.
import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../../lib/api.js';
import { signedJson, useSession } from '../../lib/session.js';
import { Chart } from '../../lib/Chart.jsx';
import { useFleet, useNow } from '../../lib/fleet.js';
import { ago, formatBytes, formatInt, formatMs, formatPercent, since } from '../../lib/format.js';

// The node's log tail, for a wallet holding operator or admin (the API checks the role; the page
// only asks when the wallet holds one).
function LogTail({ name, tick }) {
  const { wallet, roles } = useSession();
  const allowed = wallet && roles.some((r) => r === 'operator' || r === 'admin');
  const [lines, setLines] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!allowed) return undefined;
    let cancelled = false;
    signedJson(wallet, 'GET', `/v1/fleet/nodes/${encodeURIComponent(name)}/logs?lines=200`)
      .then((body) => { if (!cancelled) { setLines(body.lines); setError(null); } })
      .catch((e) => !cancelled && setError(e.message));
    return () => { cancelled = true; };
  }, [name, tick, allowed]);
  return (
    <section class="panel" aria-labelledby="log-title">
      <h2 id="log-title">Log</h2>
      {!allowed ? <p class="hint" data-testid="log-locked">Connect a wallet that holds operator or admin to read this node's log.</p>
        : error ? <div class="field-error" role="alert">{error}</div>
        : <pre class="proof log" data-testid="log-lines">{lines ? lines.join('\n') : 'Reading…'}</pre>}
    </section>
  );
}

export function NodePage({ name, navigate }) {
  const { fleet } = useFleet();
  const now = useNow();
  const [node, setNode] = useState(null);
  const [error, setError] = useState(null);
  const tick = fleet?.updated_unix_ms;
  useEffect(() => {
    let cancelled = false;
    getJson(`/v1/fleet/nodes/${encodeURIComponent(name)}`)
      .then((n) => { if (!cancelled) { setNode(n); setError(null); } })
      .catch((e) => { if (!cancelled) setError(e.message); });
    return () => { cancelled = true; };
  }, [name, tick]);
  const back = <a href="/fleet">← Fleet</a>;
  if (error && !node) return <section>{back}<div class="notice error" role="alert">{error}</div></section>;
  if (!node) return <section>{back}<div class="notice">Reading {name}…</div></section>;
  const xs = node.history.map((s) => s.unix_ms / 1000);
  const rows = [
    ['Status', node.up ? 'up' : `down: ${node.error} ${since(node.down_since_unix_ms, now)}`],
    ['API', node.api], ['Version', node.version || '–'], ['Height', formatInt(node.height)],
    ['Certified height', formatInt(node.certified_height)], ['Round', formatInt(node.round)],
    ['Last block proposed by', node.leader || '–'], ['Peers', node.peers],
    ['Last commit', node.last_commit_unix_ms ? ago(node.last_commit_unix_ms, now) : '–'],
    ['Commit latency', formatMs(node.commit_latency_ms)], ['Mempool', formatInt(node.mempool_pending)],
    ['CPU', formatPercent(node.cpu_percent)], ['Memory', formatBytes(node.rss_bytes)],
    ['Last seen', ago(node.last_seen_unix_ms, now)],
  ];
  return (
    <section aria-labelledby="node-title">
      {back}
      <h1 id="node-title">{node.name} <span class={`status ${node.up ? 'up' : 'down'}`}>{node.up ? 'up' : 'down'}</span></h1>
      <dl class="facts">{rows.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}</dl>
      <LogTail name={name} tick={tick} />
      <div class="charts">
        <Chart title="Height" series={['height']} data={[xs, node.history.map((s) => Number(s.height))]} />
        <Chart title="Commit latency" series={['latency']} data={[xs, node.history.map((s) => s.commit_latency_ms)]} unit=" ms" />
        <Chart title="CPU (of one core)" series={['cpu']} data={[xs, node.history.map((s) => s.cpu_percent)]} unit=" %" />
      </div>
    </section>
  );
}
