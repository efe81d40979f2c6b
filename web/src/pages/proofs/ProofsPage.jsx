// Check any proof in this page: paste a claim (the JSON the proof service on 9006 and
// `metanode proof verify` take) and it is checked here, against the fleet's genesis, with
// @noble's BLAKE3, Ed25519 and ML-DSA-65 and this page's own decoding (lib/verify.js,
// lib/audit.js): neither the node nor BPCI is asked whether it holds.
import { useMemo, useState } from 'preact/hooks';
import { ed25519 } from '@noble/curves/ed25519';
import { auditChecks } from '../../lib/audit.js';
import { unhex } from '../../lib/bytes.js';
import { useGenesisClient } from '../../lib/chain.js';
import { formatInt } from '../../lib/format.js';
import { H } from '../../lib/verify.js';
import { addressBytes } from '../accounts/AccountPage.jsx';
import { Verdict } from '../blocks/BlockPage.jsx';

// What each kind takes, and how this page checks it.
const KINDS = {
  'audit-event': {
    takes: '{"event": an item of GET /v1/audit/events, "checkpoint": its signed note}',
    check: (lc, audit, c) => {
      const r = audit.verifyEvent(c.event, c.checkpoint);
      return `audit event ${r.index} is in checkpoint ${formatInt(r.checkpoint.size.toString())} of ${r.checkpoint.validator}'s log, signed with Ed25519 and ML-DSA-65`;
    },
  },
  checkpoint: {
    takes: '{"note": a signed checkpoint (GET /v1/audit/checkpoint)}',
    check: (lc, audit, c) => {
      const cp = audit.verifyCheckpoint(c.note);
      return `checkpoint of ${formatInt(cp.size.toString())} events of ${cp.validator}'s audit log, signed by ${cp.validator} with Ed25519 and ML-DSA-65`;
    },
  },
  'audit-consistency': {
    takes: '{"old": note, "new": note, "proof": GET /v1/audit/consistency}',
    check: (lc, audit, c) => {
      const r = audit.verifyConsistency(c.old, c.new, c.proof);
      return `checkpoint ${formatInt(r.newer.size.toString())} extends checkpoint ${formatInt(r.older.size.toString())}: nothing before it was changed or removed`;
    },
  },
  tx: {
    takes: '{"hash": hex, "answer": GET /v1/txs/{hash}}',
    check: (lc, audit, c) => {
      const r = lc.verifyTx(c.answer, c.hash);
      return `the transaction and its receipt (${r.status}) are in block ${r.header.height}, whose header ${r.signers} genesis validators signed`;
    },
  },
  block: {
    takes: '{"block": GET /v1/blocks/{height}}',
    check: (lc, audit, c) => {
      const r = lc.verifyHeader(c.block);
      return `block ${r.header.height}'s header is signed by ${r.signers} of ${lc.validators.length} genesis validators`;
    },
  },
  account: {
    takes: '{"address": mn1…, "answer": GET /v1/accounts/{address}}',
    check: (lc, audit, c) => {
      const a = lc.verifyAccountAt(c.answer, addressBytes(c.address));
      return `balance ${formatInt(a.balance.toString())} and nonce ${a.nonce} are in the state root of block ${a.height}`;
    },
  },
  signature: {
    takes: '{"public_key", "message", "signature" (hex), "domain" (or none: raw)}',
    check: (lc, audit, c) => {
      const message = unhex(c.message);
      const signed = c.domain ? H(c.domain, message) : message;
      if (!ed25519.verify(unhex(c.signature), signed, unhex(c.public_key))) throw new Error('the Ed25519 signature does not verify over the message');
      return `an Ed25519 signature over the message${c.domain ? ` in domain ${c.domain}` : ''}`;
    },
  },
};

export function ProofsPage() {
  const lc = useGenesisClient();
  const audit = useMemo(() => (lc ? auditChecks(lc) : null), [lc]);
  const [text, setText] = useState('');
  const [result, setResult] = useState(null);
  const check = (event) => {
    event.preventDefault();
    let claim;
    try { claim = JSON.parse(text); } catch { setResult({ ok: false, text: 'this is not JSON' }); return; }
    const kind = KINDS[claim?.kind];
    if (!kind) {
      setResult({ ok: false, text: `"kind" must be one of ${Object.keys(KINDS).join(', ')} (the proof service on port 9006 and \`metanode proof verify\` also check hybrid signatures, multisignatures, state entries and certificates)` });
      return;
    }
    try {
      setResult({ ok: true, text: kind.check(lc, audit, claim) });
    } catch (e) {
      setResult({ ok: false, text: e.message });
    }
  };
  return (
    <section>
      <h1>Check a proof</h1>
      <p class="muted">
        Paste a claim and it is checked in this page against the fleet's genesis
        {lc ? <> (digest <code data-testid="genesis-digest">{lc.genesisDigest.slice(0, 16)}…</code>)</> : null}, with code independent
        of the node: what the node or this console says is never trusted, only signatures and hashes.
      </p>
      <form class="panel" onSubmit={check}>
        <label for="claim">A claim (JSON with a <code>kind</code>):</label>
        <textarea id="claim" rows={12} value={text} onInput={(e) => setText(e.currentTarget.value)} data-testid="claim-input" spellcheck={false}
          placeholder='{"kind": "checkpoint", "note": "…"}' />
        <button type="submit" disabled={!lc}>Check</button>
      </form>
      {result && <div data-testid="claim-result"><Verdict result={result} /></div>}
      <table class="panel" data-testid="claim-kinds">
        <caption>Kinds</caption>
        <thead><tr><th scope="col">kind</th><th scope="col">takes</th></tr></thead>
        <tbody>
          {Object.entries(KINDS).map(([kind, k]) => <tr key={kind}><td><code>{kind}</code></td><td>{k.takes}</td></tr>)}
        </tbody>
      </table>
    </section>
  );
}
