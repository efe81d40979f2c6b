// Blocks: the live chain (newest first, certified or not yet) and search by height, transaction
// hash or address.
import { useEffect, useState } from 'preact/hooks';
import { chainGet, shortHash, useGenesisClient, validatorName } from '../../lib/chain.js';
import { useFleet, useNow } from '../../lib/fleet.js';
import { ago, formatInt } from '../../lib/format.js';

const SHOWN = 20;
const cache = new Map();  // height -> block summary (bounded: the newest SHOWN * 2)

function summary(block) {
  return {
    height: block.header.height, hash: block.hash, txCount: block.header.tx_count, proposer: block.header.proposer,
    time: block.header.timestamp_unix_ms, baseFee: block.header.base_fee, certified: Boolean(block.certificate),
  };
}

export function Search({ navigate }) {
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const go = async (event) => {
    event.preventDefault();
    const q = text.trim();
    setError('');
    if (/^\d+$/.test(q)) return navigate(`/blocks/${q}`);
    if (/^[0-9a-fA-F]{64}$/.test(q)) return navigate(`/txs/${q.toLowerCase()}`);
    if (/^mn1[0-9a-z]+$/.test(q)) return navigate(`/accounts/${q}`);
    setError('Enter a block height, a transaction hash (64 hex digits) or an address (mn1…).');
  };
  return (
    <form class="search" role="search" onSubmit={go}>
      <input type="search" aria-label="Search by height, transaction hash or address" placeholder="Block height, transaction hash or address"
        value={text} onInput={(e) => setText(e.currentTarget.value)} data-testid="search" />
      <button type="submit">Search</button>
      {error && <div class="field-error" role="alert">{error}</div>}
    </form>
  );
}

export function BlocksPage({ navigate }) {
  const { fleet } = useFleet();
  const lc = useGenesisClient();
  const now = useNow();
  const [rows, setRows] = useState([]);
  const [error, setError] = useState(null);
  const head = fleet ? fleet.nodes.reduce((max, n) => (n.up ? Math.max(max, n.height) : max), 0) : 0;

  useEffect(() => {
    if (!head) return undefined;
    let cancelled = false;
    const wanted = [];
    for (let h = head; h >= Math.max(1, head - SHOWN + 1); h--) {
      // Fetch what is new, and again what was not certified yet.
      if (!cache.has(h) || !cache.get(h).certified) wanted.push(h);
    }
    Promise.all(wanted.map((h) => chainGet(`/blocks/${h}`).then((b) => cache.set(h, summary(b))).catch(() => {})))
      .then(() => {
        if (cancelled) return;
        for (const h of [...cache.keys()]) if (h <= head - SHOWN * 2) cache.delete(h);
        setRows([...cache.values()].filter((b) => b.height > head - SHOWN).sort((a, b) => b.height - a.height));
        setError(null);
      })
      .catch((e) => !cancelled && setError(e.message));
    return () => { cancelled = true; };
  }, [head]);

  const link = (to, text) => <a href={to}>{text}</a>;
  return (
    <section aria-labelledby="blocks-title">
      <h1 id="blocks-title">Blocks</h1>
      <Search navigate={navigate} />
      {error && <div class="notice error" role="alert">{error}</div>}
      <div class="table-wrap">
        <table class="grid" data-testid="blocks-table">
          <thead>
            <tr><th scope="col" class="num">Height</th><th scope="col">Hash</th><th scope="col" class="num">Transactions</th>
              <th scope="col">Proposer</th><th scope="col">Time</th><th scope="col" class="num">Base fee</th><th scope="col">Certificate</th></tr>
          </thead>
          <tbody>
            {rows.length === 0 && <tr><td colSpan={7} class="empty">{head ? 'Reading blocks…' : 'Waiting for the first block…'}</td></tr>}
            {rows.map((b) => (
              <tr key={b.height} data-height={b.height}>
                <td class="num">{link(`/blocks/${b.height}`, formatInt(b.height))}</td>
                <td class="mono">{shortHash(b.hash)}</td>
                <td class="num">{formatInt(b.txCount)}</td>
                <td>{validatorName(lc, b.proposer)}</td>
                <td title={new Date(b.time).toISOString()}>{ago(b.time, now)}</td>
                <td class="num">{formatInt(b.baseFee)}</td>
                <td>{b.certified ? <span class="badge ok">signed</span> : <span class="badge wait">gathering</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
