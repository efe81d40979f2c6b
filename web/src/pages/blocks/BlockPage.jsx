// One block: its header, its certificate checked in this page against the genesis validators, and
// its transactions with their outcomes.
import { useEffect, useState } from 'preact/hooks';
import { chainGet, shortHash, useGenesisClient, validatorName } from '../../lib/chain.js';
import { useNow } from '../../lib/fleet.js';
import { ago, formatInt } from '../../lib/format.js';
import { Search } from './BlocksPage.jsx';

export function Verdict({ result }) {
  if (!result) return <div class="verdict wait" data-testid="verdict">Checking…</div>;
  return (
    <div class={`verdict ${result.ok ? 'ok' : 'bad'}`} data-testid="verdict" role="status">
      <strong>{result.ok ? 'Verified in this page' : 'Does not verify'}</strong>: {result.text}
    </div>
  );
}

export function BlockPage({ height, navigate }) {
  const lc = useGenesisClient();
  const now = useNow(5000);
  const [block, setBlock] = useState(null);
  const [error, setError] = useState(null);
  const [result, setResult] = useState(null);
  useEffect(() => {
    let cancelled = false;
    let timer = null;
    const load = () => chainGet(`/blocks/${height}?full=true&receipts=true`)
      .then((b) => {
        if (cancelled) return;
        setBlock(b);
        setError(null);
        if (!b.certificate) timer = setTimeout(load, 1000);  // its certificate follows in a moment
      })
      .catch((e) => !cancelled && setError(e.message));
    load();
    return () => { cancelled = true; clearTimeout(timer); };
  }, [height]);
  useEffect(() => {
    if (!block || !lc) return;
    if (!block.certificate) { setResult(null); return; }
    try {
      const v = lc.verifyHeader(block);
      setResult({ ok: true, text: `header signed by ${v.signers} ${v.set === 0 ? `of ${lc.validators.length} genesis validators (quorum ${lc.quorum})` : `validators of set ${v.set}, whose changes from the genesis set were each proven`}; genesis digest ${lc.genesisDigest.slice(0, 16)}…` });
    } catch (e) {
      setResult({ ok: false, text: e.message });
    }
  }, [block, lc]);

  const link = (to, text) => <a href={to}>{text}</a>;
  const back = link('/blocks', '← Blocks');
  if (error && !block) return <section>{back}<Search navigate={navigate} /><div class="notice error" role="alert">{error}</div></section>;
  if (!block) return <section>{back}<div class="notice">Reading block {height}…</div></section>;
  const h = block.header;
  const facts = [
    ['Hash', <span class="mono">{block.hash}</span>], ['Parent', h.height > 0 ? link(`/blocks/${h.height - 1}`, shortHash(h.parent_hash)) : 'genesis'],
    ['Time', `${new Date(h.timestamp_unix_ms).toISOString().replace('T', ' ').slice(0, 19)} UTC (${ago(h.timestamp_unix_ms, now)})`],
    ['Proposer', validatorName(lc, h.proposer)], ['Transactions', formatInt(h.tx_count)], ['Base fee', formatInt(h.base_fee)],
    ['State root', <span class="mono">{shortHash(h.state_root)}</span>], ['Transaction root', <span class="mono">{shortHash(h.tx_root)}</span>],
    ['Receipts root', <span class="mono">{shortHash(h.receipts_root)}</span>],
  ];
  const txs = block.txs ?? [];
  return (
    <section aria-labelledby="block-title">
      {back}
      <h1 id="block-title">Block {formatInt(h.height)}</h1>
      {block.certificate ? <Verdict result={result} /> : <div class="verdict wait" data-testid="verdict">The validators' signatures over this header are still being gathered…</div>}
      <dl class="facts">{facts.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}</dl>
      <h2>Transactions</h2>
      <div class="table-wrap">
        <table class="grid">
          <thead><tr><th scope="col">Hash</th><th scope="col">From</th><th scope="col">Payload</th><th scope="col" class="num">Fee paid</th><th scope="col">Outcome</th></tr></thead>
          <tbody>
            {txs.length === 0 && <tr><td colSpan={5} class="empty">No transactions in this block.</td></tr>}
            {txs.map((tx, i) => {
              const receipt = block.receipts?.[i];
              const p = tx.payload ?? {};
              return (
                <tr key={tx.hash}>
                  <td class="mono">{link(`/txs/${tx.hash}`, shortHash(tx.hash))}</td>
                  <td class="mono">{shortHash(tx.sender)}</td>
                  <td>{p.module}/{p.kind}{p.amount !== undefined ? ` ${formatInt(p.amount)}` : ''}{p.to ? ` → ${shortHash(p.to)}` : ''}</td>
                  <td class="num">{receipt ? formatInt(receipt.fee_paid) : '–'}</td>
                  <td>{receipt ? <span class={`badge ${receipt.status === 'success' ? 'ok' : 'bad'}`}>{receipt.status}</span> : '–'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
