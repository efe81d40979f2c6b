// Send: a transfer signed in this page by the connected wallet (the canonical bytes as the node
// encodes them, the signature bound to this chain's genesis), submitted through BPCI, and
// followed to its block.
import { useEffect, useState } from 'preact/hooks';
import { chainGet } from '../../lib/chain.js';
import { formatInt } from '../../lib/format.js';
import { useSession } from '../../lib/session.js';
import { hex } from '../../lib/verify.js';
import { submitPayload } from '../../lib/submit.js';
import { transferData } from '../../lib/wallet.js';

export function SendPage({ navigate }) {
  const { wallet } = useSession();
  const [to, setTo] = useState('');
  const [amount, setAmount] = useState('');
  const [bid, setBid] = useState('1');
  const [memo, setMemo] = useState('');
  const [account, setAccount] = useState(null);
  const [sent, setSent] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!wallet) return;
    chainGet(`/accounts/${wallet.address}`).then(setAccount).catch((e) => setError(e.message));
  }, [wallet, sent]);
  if (!wallet) {
    return <section><h1>Send</h1><div class="notice" data-testid="needs-wallet">Connect a wallet (top right) to send a transfer signed in this page.</div></section>;
  }
  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      if (!/^\d+$/.test(amount) || BigInt(amount) === 0n) throw new Error('the amount is a whole number above 0');
      if (!/^\d+$/.test(bid)) throw new Error('the bid is a whole number');
      const data = transferData(to.trim(), BigInt(amount));
      setSent(await submitPayload(wallet, { module: 'bank', kind: 'transfer', data, bid: BigInt(bid), memo }));
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="send-title">
      <h1 id="send-title">Send</h1>
      <dl class="facts">
        <div><dt>From</dt><dd class="mono">{wallet.address}</dd></div>
        <div><dt>Balance</dt><dd data-testid="send-balance">{account ? formatInt(account.balance) : '…'}</dd></div>
        <div><dt>Next nonce</dt><dd>{account ? formatInt(account.next_nonce) : '…'}</dd></div>
      </dl>
      <form class="form" onSubmit={submit}>
        <label>To <input data-testid="send-to" value={to} onInput={(e) => setTo(e.currentTarget.value)} placeholder="mn1…" required spellcheck={false} /></label>
        <label>Amount <input data-testid="send-amount" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} inputmode="numeric" required /></label>
        <label>Bid <input data-testid="send-bid" value={bid} onInput={(e) => setBid(e.currentTarget.value)} inputmode="numeric" /></label>
        <label>Memo <input value={memo} onInput={(e) => setMemo(e.currentTarget.value)} maxLength={256} /></label>
        <div class="actions"><button type="submit" disabled={busy} data-testid="send-submit">{busy ? 'Signing…' : 'Sign and send'}</button></div>
        {error && <div class="field-error" role="alert" data-testid="send-error">{error}</div>}
      </form>
      {sent && (
        <div class={`verdict ${sent.nodeHash === sent.hash ? 'ok' : 'bad'}`} data-testid="sent" role="status">
          <strong>{sent.nodeHash === sent.hash ? 'Submitted' : 'The node names another hash'}</strong>: {' '}
          <a href={`/txs/${sent.hash}`} data-testid="sent-hash">{sent.hash}</a>
          {' '}(accepted by {sent.node}; the hash this page computed {sent.nodeHash === sent.hash ? 'is' : 'is not'} the node's)
          <details><summary>Signed bytes</summary><pre class="proof" data-testid="signed-bytes">{hex(sent.bytes)}</pre></details>
        </div>
      )}
    </section>
  );
}
