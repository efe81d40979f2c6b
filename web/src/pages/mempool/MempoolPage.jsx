// Mempool auction: what waits and at which bids (the ladder of one node, live), the base fee the
// next block charges, and how both moved.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { chainGet } from '../../lib/chain.js';
import { Chart } from '../../lib/Chart.jsx';
import { seriesOf, useFleet } from '../../lib/fleet.js';
import { formatBytes, formatInt } from '../../lib/format.js';

const LEVELS = 20;

export function MempoolPage() {
  const { fleet, history } = useFleet();
  const [pool, setPool] = useState(null);
  const [error, setError] = useState(null);
  const tick = fleet?.updated_unix_ms;
  useEffect(() => {
    let cancelled = false;
    chainGet(`/mempool?levels=${LEVELS}`).then((p) => { if (!cancelled) { setPool(p); setError(null); } })
      .catch((e) => !cancelled && setError(e.message));
    return () => { cancelled = true; };
  }, [tick]);
  const names = useMemo(() => (fleet ? fleet.nodes.map((n) => n.name) : []), [fleet?.nodes.length]);
  const pending = useMemo(() => seriesOf(history, names, 'pending'), [history, names]);
  const baseFee = useMemo(() => seriesOf(history, names.slice(0, 1), 'baseFee'), [history, names]);
  if (!fleet) return <div class="notice">Reading the fleet…</div>;
  const up = fleet.nodes.filter((n) => n.up);
  const ladder = pool?.bid_ladder ?? [];
  const most = ladder.reduce((m, l) => Math.max(m, l.count), 1);
  return (
    <section aria-labelledby="mempool-title">
      <h1 id="mempool-title">Mempool auction</h1>
      {error && <div class="notice error" role="alert">{error}</div>}
      <div class="cards">
        <div class="card"><span class="label">Pending (this node)</span><span class="value" data-testid="pending">{pool ? formatInt(pool.pending) : '–'}</span></div>
        <div class="card"><span class="label">Base fee, next block</span><span class="value" data-testid="base-fee">{pool ? formatInt(pool.base_fee) : '–'}</span></div>
        <div class="card"><span class="label">Lowest bid accepted</span><span class="value">{pool ? formatInt(pool.bid_min) : '–'}</span></div>
        <div class="card"><span class="label">Bytes waiting</span><span class="value">{pool ? formatBytes(pool.bytes) || '0 B' : '–'}</span></div>
      </div>
      <div class="two">
        <div class="table-wrap">
          <table class="grid" data-testid="bid-ladder">
            <caption>Bid ladder: the highest bids first (a block takes from the top; the tip paid orders a proposal)</caption>
            <thead><tr><th scope="col" class="num">Bid</th><th scope="col" class="num">Transactions</th><th scope="col">Share</th></tr></thead>
            <tbody>
              {ladder.length === 0 && <tr><td colSpan={3} class="empty">Nothing waits: every admitted transaction is in a block.</td></tr>}
              {ladder.map((l) => (
                <tr key={l.bid}>
                  <td class="num">{formatInt(l.bid)}</td>
                  <td class="num">{formatInt(l.count)}</td>
                  <td><div class="bar" role="img" aria-label={`${l.count} transactions`}><span ref={(el) => { if (el) el.style.width = `${(100 * l.count) / most}%`; }} /></div></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div class="table-wrap">
          <table class="grid">
            <caption>Pending per node (each node's own pool; gossip evens them out)</caption>
            <thead><tr><th scope="col">Node</th><th scope="col" class="num">Pending</th><th scope="col" class="num">Base fee</th></tr></thead>
            <tbody>
              {fleet.nodes.map((n) => (
                <tr key={n.name}><td>{n.name}</td><td class="num">{n.up ? formatInt(n.mempool_pending) : 'down'}</td><td class="num">{n.up ? formatInt(n.base_fee) : '–'}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      <div class="charts">
        <Chart title="Base fee of the next block" series={names.slice(0, 1).map((n) => `${n} base fee`)} data={baseFee} />
        <Chart title="Pending transactions per node" series={names} data={pending} />
      </div>
      {up.length === 0 && <div class="notice error">No node is up.</div>}
    </section>
  );
}
