// Fleet: every node with up/down (and why), height, round, the last block's proposer, peers,
// version, last commit age, commit latency, CPU and memory, live; and commit latency per node.
import { useMemo } from 'preact/hooks';
import { Chart } from '../../lib/Chart.jsx';
import { seriesOf, useFleet, useNow } from '../../lib/fleet.js';
import { ago, formatBytes, formatInt, formatMs, formatPercent, since } from '../../lib/format.js';

function Status({ node }) {
  if (node.up && node.consensus_failed) return <span class="status warn" title="stopped voting: its state differs from a quorum's, or storage failed">halted</span>;
  return <span class={`status ${node.up ? 'up' : 'down'}`}>{node.up ? 'up' : 'down'}</span>;
}

export function FleetPage({ navigate }) {
  const { fleet, history, error } = useFleet();
  const now = useNow();
  const names = useMemo(() => (fleet ? fleet.nodes.map((n) => n.name) : []), [fleet?.nodes.length]);
  const data = useMemo(() => seriesOf(history, names, 'latency'), [history, names]);
  if (error && !fleet) return <div class="notice error" role="alert">Cannot read the fleet: {error}</div>;
  if (!fleet) return <div class="notice">Reading the fleet…</div>;
  const up = fleet.nodes.filter((n) => n.up).length;
  const top = fleet.nodes.reduce((max, n) => (n.up ? Math.max(max, n.height) : max), 0);
  const committed = fleet.nodes.reduce((max, n) => Math.max(max, n.txs_committed), 0);
  return (
    <section aria-labelledby="fleet-title">
      <h1 id="fleet-title">Fleet</h1>
      <div class="cards">
        <div class="card"><span class="label">Nodes up</span><span class="value" data-testid="nodes-up">{up} / {fleet.nodes.length}</span></div>
        <div class="card"><span class="label">Height</span><span class="value">{formatInt(top)}</span></div>
        <div class="card"><span class="label">Transactions committed</span><span class="value">{formatInt(committed)}</span></div>
        <div class="card"><span class="label">Consensus</span><span class="value">{fleet.consensus === 'hotstuff' ? 'HotStuff' : 'IBFT'} · {fleet.validators} validators</span></div>
      </div>
      <div class="table-wrap">
        <table class="grid" data-testid="fleet-table">
          <thead>
            <tr>
              <th scope="col">Node</th><th scope="col">Status</th><th scope="col" class="num">Height</th>
              <th scope="col" class="num">Certified</th><th scope="col" class="num">Round</th><th scope="col">Leader</th>
              <th scope="col" class="num">Peers</th><th scope="col">Last commit</th><th scope="col" class="num">Commit latency</th>
              <th scope="col" class="num">CPU</th><th scope="col" class="num">Memory</th><th scope="col">Version</th>
            </tr>
          </thead>
          <tbody>
            {fleet.nodes.map((node) => (
              <tr key={node.name} data-node={node.name} data-up={String(node.up)}>
                <th scope="row">
                  <a href={`/fleet/${encodeURIComponent(node.name)}`}>{node.name}</a>
                  <div class="sub">{node.api.replace('http://', '')}{node.role === 'full' && ' · full node'}</div>
                </th>
                <td><Status node={node} />{!node.up && <div class="sub" title={node.error}>{node.error} {since(node.down_since_unix_ms, now)}</div>}</td>
                <td class="num">{node.up ? formatInt(node.height) : '–'}</td>
                <td class="num">{node.up ? formatInt(node.certified_height) : '–'}</td>
                <td class="num">{node.up ? formatInt(node.round) : '–'}</td>
                <td>{node.up ? node.leader || '–' : '–'}</td>
                <td class="num">{node.up ? node.peers : '–'}</td>
                <td>{node.last_commit_unix_ms ? ago(node.last_commit_unix_ms, now) : '–'}</td>
                <td class="num">{node.up && node.last_commit_unix_ms ? formatMs(node.commit_latency_ms) : '–'}</td>
                <td class="num">{node.up ? formatPercent(node.cpu_percent) : '–'}</td>
                <td class="num">{node.up ? formatBytes(node.rss_bytes) : '–'}</td>
                <td>{node.version || '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Chart title="Commit latency per node (proposal to applied)" series={names} data={data} unit=" ms" />
    </section>
  );
}
