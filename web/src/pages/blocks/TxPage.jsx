// One transaction: its fields and outcome, and the proof checked in this page with only the
// genesis: the header's certificate, the transaction's hash, signature and inclusion, its
// receipt's inclusion, and the sender's account in that block's state. Any saved answer of
// GET /v1/txs/{hash} can be checked the same way (paste it below).
import { useEffect, useState } from 'preact/hooks';
import { chainGet, shortHash, useGenesisClient } from '../../lib/chain.js';
import { formatInt } from '../../lib/format.js';
import { Verdict } from './BlockPage.jsx';

function check(lc, answer, hash, account) {
  try {
    const v = lc.verifyTx(answer, hash);
    let text = `transaction ${shortHash(hash)} and its receipt (${v.status}) are in block ${v.header.height}, whose header ` +
      `${v.signers} of ${lc.validators.length} genesis validators signed`;
    if (account) {
      const a = lc.verifyAccount(account, v.senderKey);
      text += `; the sender's balance ${formatInt(a.balance.toString())} and nonce ${a.nonce} are proven in that block's state root`;
    }
    return { ok: true, text };
  } catch (e) {
    return { ok: false, text: e.message };
  }
}

function ProofChecker({ lc }) {
  const [text, setText] = useState('');
  const [result, setResult] = useState(null);
  const run = (event) => {
    event.preventDefault();
    let answer;
    try { answer = JSON.parse(text); } catch { setResult({ ok: false, text: 'this is not JSON' }); return; }
    if (!answer?.tx?.hash || !answer.block) { setResult({ ok: false, text: 'this is not an answer of GET /v1/txs/{hash} for a committed transaction' }); return; }
    setResult(check(lc, answer, answer.tx.hash, null));
  };
  return (
    <details class="panel">
      <summary>Check a saved proof</summary>
      <form onSubmit={run}>
        <label for="proof-json">An answer of <code>GET /v1/txs/&#123;hash&#125;</code> (JSON), checked against this fleet's genesis:</label>
        <textarea id="proof-json" rows={6} value={text} onInput={(e) => setText(e.currentTarget.value)} data-testid="proof-input" spellcheck={false} />
        <button type="submit" disabled={!lc}>Check</button>
      </form>
      {result && <div data-testid="proof-result"><Verdict result={result} /></div>}
    </details>
  );
}

export function TxPage({ hash, navigate }) {
  const lc = useGenesisClient();
  const [answer, setAnswer] = useState(null);
  const [account, setAccount] = useState(null);
  const [error, setError] = useState(null);
  const [result, setResult] = useState(null);
  useEffect(() => {
    let cancelled = false;
    let timer = null;
    const load = () => chainGet(`/txs/${hash}`)
      .then(async (a) => {
        if (cancelled) return;
        setAnswer(a);
        setError(null);
        if (a.status !== 'committed' || !a.block?.certificate) { timer = setTimeout(load, 1000); return; }
        const acc = await chainGet(`/accounts/${a.tx.sender}?height=${a.height}`).catch(() => null);
        if (!cancelled) setAccount(acc);
      })
      .catch((e) => { if (!cancelled) { setError(e.message); timer = setTimeout(load, 2000); } });
    load();
    return () => { cancelled = true; clearTimeout(timer); };
  }, [hash]);
  useEffect(() => {
    if (lc && answer?.status === 'committed' && answer.block?.certificate && account) setResult(check(lc, answer, hash, account));
  }, [lc, answer, account]);

  const link = (to, text) => <a href={to}>{text}</a>;
  const back = link('/blocks', '← Blocks');
  if (error && !answer) return <section>{back}<div class="notice error" role="alert">{error}</div></section>;
  if (!answer) return <section>{back}<div class="notice">Reading transaction {shortHash(hash)}…</div></section>;
  const tx = answer.tx ?? answer.pending ?? {};
  const p = tx.payload ?? {};
  const committed = answer.status === 'committed';
  const facts = [
    ['Status', committed ? `committed in block ${formatInt(answer.height)}` : answer.status], ['Hash', <span class="mono">{hash}</span>],
    ['From', <span class="mono">{link(`/accounts/${tx.sender}`, tx.sender)}</span>], ['Payload', `${p.module}/${p.kind}`],
    ...(p.to ? [['To', <span class="mono">{link(`/accounts/${p.to}`, p.to)}</span>]] : []), ...(p.amount !== undefined ? [['Amount', formatInt(p.amount)]] : []),
    ['Nonce', formatInt(tx.nonce)], ['Bid', formatInt(tx.bid)], ['Max fee', formatInt(tx.max_fee)],
    ...(answer.receipt ? [['Fee paid', formatInt(answer.receipt.fee_paid)], ['Outcome', answer.receipt.status + (answer.receipt.error ? `: ${answer.receipt.error}` : '')]] : []),
    ...(tx.memo ? [['Memo', tx.memo]] : []),
  ];
  return (
    <section aria-labelledby="tx-title">
      {back}
      <h1 id="tx-title">Transaction</h1>
      {committed ? (answer.block?.certificate ? <Verdict result={result} /> : <div class="verdict wait">Committed; the validators' signatures over its block's header are being gathered…</div>)
        : <div class="verdict wait" data-testid="verdict">{answer.status === 'pending' ? 'Waiting in the mempool…' : answer.status}</div>}
      <dl class="facts">{facts.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}</dl>
      {committed && <p class="hint">In block {link(`/blocks/${answer.height}`, formatInt(answer.height))}. The proof below is the node's answer; the check above ran in this browser with @noble's BLAKE3 and Ed25519 against the genesis digest {lc ? <span class="mono">{lc.genesisDigest.slice(0, 16)}…</span> : '…'}.</p>}
      {committed && (
        <details class="panel">
          <summary>The proof (JSON)</summary>
          <pre class="proof" data-testid="proof-json">{JSON.stringify(answer, null, 2)}</pre>
        </details>
      )}
      <ProofChecker lc={lc} />
    </section>
  );
}
