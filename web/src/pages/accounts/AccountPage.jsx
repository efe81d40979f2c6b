// An account: balance and nonce with their state proof checked in this page against a header a
// quorum of the genesis validators signed, and the account's transactions in the newest blocks.
import { bech32m } from '@scure/base';
import { useEffect, useState } from 'preact/hooks';
import { chainGet, shortHash, useGenesisClient } from '../../lib/chain.js';
import { useFleet } from '../../lib/fleet.js';
import { formatInt } from '../../lib/format.js';
import { Verdict } from '../blocks/BlockPage.jsx';

const SCANNED = 50;  // blocks searched for the account's recent transactions

// The address's 32 bytes, or an error saying what is wrong with the text.
export function addressBytes(text) {
  const { prefix, words } = bech32m.decode(text, 90);
  if (prefix !== 'mn') throw new Error(`an address starts with mn1 (this one with ${prefix}1)`);
  const bytes = bech32m.fromWords(words);
  if (bytes.length !== 32) throw new Error(`an address holds 32 bytes, this one ${bytes.length}`);
  return bytes;
}

export function AccountPage({ address, navigate }) {
  const lc = useGenesisClient();
  const { fleet } = useFleet();
  const [answer, setAnswer] = useState(null);
  const [error, setError] = useState(null);
  const [result, setResult] = useState(null);
  const [recent, setRecent] = useState(null);
  let bytes = null;
  let invalid = null;
  try { bytes = addressBytes(address); } catch (e) { invalid = e.message; }
  const head = fleet ? fleet.nodes.reduce((max, n) => (n.up ? Math.max(max, n.height) : max), 0) : 0;

  useEffect(() => {
    if (invalid) return undefined;
    let cancelled = false;
    chainGet(`/accounts/${address}?height=certified`)
      .then((a) => { if (!cancelled) { setAnswer(a); setError(null); } })
      .catch((e) => !cancelled && setError(e.message));
    return () => { cancelled = true; };
  }, [address, head]);
  useEffect(() => {
    if (!lc || !answer || !bytes) return;
    try {
      const a = lc.verifyAccountAt(answer, bytes);
      setResult({ ok: true, text: `balance ${formatInt(a.balance.toString())} and nonce ${a.nonce} are in the state root of block ${a.height}, whose header a quorum of the validators in force signed (the genesis set, or one each of whose changes was proven)` });
    } catch (e) {
      setResult({ ok: false, text: e.message });
    }
  }, [lc, answer]);
  useEffect(() => {
    if (invalid || !head || recent) return undefined;
    let cancelled = false;
    const heights = [];
    for (let h = head; h >= Math.max(1, head - SCANNED + 1); h--) heights.push(h);
    Promise.all(heights.map((h) => chainGet(`/blocks/${h}?full=true`).catch(() => null))).then((blocks) => {
      if (cancelled) return;
      const found = [];
      for (const b of blocks) {
        for (const tx of b?.txs ?? []) {
          if (tx.sender === address || tx.payload?.to === address) found.push({ height: b.header.height, tx });
        }
      }
      setRecent({ from: Math.max(1, head - SCANNED + 1), to: head, found });
    });
    return () => { cancelled = true; };
  }, [address, head > 0]);

  const link = (to, text) => <a href={to}>{text}</a>;
  if (invalid) return <section><h1>Account</h1><div class="notice error" role="alert">Not an address: {invalid}</div></section>;
  return (
    <section aria-labelledby="account-title">
      <h1 id="account-title">Account</h1>
      <p class="mono" data-testid="address">{address}</p>
      {error && <div class="notice error" role="alert">{error}</div>}
      {answer && <Verdict result={result} />}
      {answer && (
        <dl class="facts">
          <div><dt>Balance</dt><dd data-testid="balance">{formatInt(answer.balance)}</dd></div>
          <div><dt>Nonce</dt><dd>{formatInt(answer.nonce)}</dd></div>
          <div><dt>Next nonce (with pending)</dt><dd>{formatInt(answer.next_nonce)}</dd></div>
          <div><dt>Proven at block</dt><dd>{link(`/blocks/${answer.height}`, formatInt(answer.height))}</dd></div>
        </dl>
      )}
      <h2>Recent transactions</h2>
      {!recent ? <div class="notice">Searching the newest {SCANNED} blocks…</div> : (
        <div class="table-wrap">
          <table class="grid" data-testid="account-txs">
            <caption>In blocks {formatInt(recent.from)}–{formatInt(recent.to)}</caption>
            <thead><tr><th scope="col" class="num">Block</th><th scope="col">Hash</th><th scope="col">Direction</th><th scope="col">Payload</th></tr></thead>
            <tbody>
              {recent.found.length === 0 && <tr><td colSpan={4} class="empty">None in these blocks.</td></tr>}
              {recent.found.map(({ height, tx }) => (
                <tr key={tx.hash}>
                  <td class="num">{link(`/blocks/${height}`, formatInt(height))}</td>
                  <td class="mono">{link(`/txs/${tx.hash}`, shortHash(tx.hash))}</td>
                  <td>{tx.sender === address ? 'sent' : 'received'}</td>
                  <td>{tx.payload?.module}/{tx.payload?.kind}{tx.payload?.amount !== undefined ? ` ${formatInt(tx.payload.amount)}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
