// Consensus: each validator's round (IBFT) or view (HotStuff), its timeouts, the newest blocks
// with their proposer and the round (view) each was proposed and decided in, and rounds and
// commit latency over time per node.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { chainGet, useGenesisClient, validatorName } from '../../lib/chain.js';
import { Chart } from '../../lib/Chart.jsx';
import { seriesOf, useFleet, useNow } from '../../lib/fleet.js';
import { ago, formatInt, formatMs } from '../../lib/format.js';

const RECENT = 12;
const proposers = new Map();  // height -> proposer key (bounded: RECENT * 2)

export function ConsensusPage() {
  const { fleet, history } = useFleet();
  const lc = useGenesisClient();
  const now = useNow();
  const [recent, setRecent] = useState([]);
  const head = fleet ? fleet.nodes.reduce((max, n) => (n.up ? Math.max(max, n.height) : max), 0) : 0;
  useEffect(() => {
    if (!head) return undefined;
    let cancelled = false;
    const wanted = [];
    for (let h = head; h >= Math.max(1, head - RECENT + 1); h--) if (!proposers.has(h)) wanted.push(h);
    Promise.all(wanted.map((h) => chainGet(`/blocks/${h}`).then((b) => proposers.set(h, {
      key: b.header.proposer, time: b.header.timestamp_unix_ms,
      // The round (view) the block was first proposed in, and the one whose quorum decided it.
      proposed: b.finality?.round, decided: b.finality?.certificate?.round,
    })).catch(() => {})))
      .then(() => {
        if (cancelled) return;
        for (const h of [...proposers.keys()]) if (h <= head - RECENT * 2) proposers.delete(h);
        setRecent([...proposers.entries()].filter(([h]) => h > head - RECENT).sort((a, b) => b[0] - a[0]));
      });
    return () => { cancelled = true; };
  }, [head]);
  const names = useMemo(() => (fleet ? fleet.nodes.map((n) => n.name) : []), [fleet?.nodes.length]);
  const rounds = useMemo(() => seriesOf(history, names, 'round'), [history, names]);
  const latency = useMemo(() => seriesOf(history, names, 'latency'), [history, names]);
  if (!fleet) return <div class="notice">Reading the fleet…</div>;
  const engine = fleet.consensus === 'hotstuff' ? 'HotStuff' : 'IBFT';
  const unit = fleet.consensus === 'hotstuff' ? 'View' : 'Round';
  const f = Math.floor((fleet.validators - 1) / 3);
  return (
    <section aria-labelledby="consensus-title">
      <h1 id="consensus-title">Consensus</h1>
      <div class="cards">
        <div class="card"><span class="label">Engine</span><span class="value">{engine}</span></div>
        <div class="card"><span class="label">Validators</span><span class="value">{fleet.validators} (tolerates {f} faulty)</span></div>
        <div class="card"><span class="label">Quorum</span><span class="value">{Math.floor((2 * fleet.validators) / 3) + 1} signatures</span></div>
        <div class="card"><span class="label">Height</span><span class="value">{formatInt(head)}</span></div>
      </div>
      <div class="two">
        <div class="table-wrap">
          <table class="grid" data-testid="consensus-table">
            <caption>Each node's view of consensus</caption>
            <thead><tr><th scope="col">Node</th><th scope="col" class="num">{unit}</th><th scope="col" class="num">Timed out</th>
              <th scope="col" class="num">Commit latency</th><th scope="col">State</th></tr></thead>
            <tbody>
              {fleet.nodes.map((n) => (
                <tr key={n.name}>
                  <td>{n.name}</td><td class="num">{n.up ? formatInt(n.round) : '–'}</td>
                  <td class="num">{n.up ? formatInt(n.rounds_timed_out) : '–'}</td>
                  <td class="num">{n.up && n.last_commit_unix_ms ? formatMs(n.commit_latency_ms) : '–'}</td>
                  <td>{!n.up ? <span class="badge bad">down</span> : n.consensus_failed ? <span class="badge bad">halted</span>
                    : n.role === 'full' ? <span class="badge wait">following</span> : <span class="badge ok">voting</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div class="table-wrap">
          <table class="grid" data-testid="leaders">
            <caption>The newest blocks: who proposed each, and in which {unit.toLowerCase()} it was proposed and decided</caption>
            <thead><tr><th scope="col" class="num">Height</th><th scope="col">Proposer</th><th scope="col" class="num">Proposed in</th>
              <th scope="col" class="num">Decided in</th><th scope="col">Time</th></tr></thead>
            <tbody>
              {recent.length === 0 && <tr><td colSpan={5} class="empty">Waiting for blocks…</td></tr>}
              {recent.map(([h, p]) => (
                <tr key={h}>
                  <td class="num">{formatInt(h)}</td><td>{validatorName(lc, p.key)}</td>
                  <td class="num">{p.proposed ?? '–'}</td><td class="num">{p.decided ?? '–'}</td><td>{ago(p.time, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      <div class="charts">
        <Chart title={`${unit} per node`} series={names} data={rounds} />
        <Chart title="Commit latency per node" series={names} data={latency} unit=" ms" />
      </div>
    </section>
  );
}
