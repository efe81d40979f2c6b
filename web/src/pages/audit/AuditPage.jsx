// A node's audit trail, browsed and checked in this page: its newest signed checkpoint (the
// validator's Ed25519 and ML-DSA-65 signatures, and the other validators' witness cosignatures)
// and its events, each checked against that checkpoint with its inclusion proof, all with
// lib/audit.js (@noble's BLAKE3, Ed25519 and ML-DSA-65) against the fleet's genesis: neither the
// node nor BPCI is trusted. The node's routes need the auditor or admin role: the connected
// wallet signs each request and BPCI passes it on unchanged. BPCI's own log (its Cage's
// decisions) is the last choice: /bpci/v1/audit/..., checked against the key the genesis
// registers for it.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { auditChecks } from '../../lib/audit.js';
import { useGenesisClient } from '../../lib/chain.js';
import { useFleet } from '../../lib/fleet.js';
import { formatInt } from '../../lib/format.js';
import { signedNodeJson, useSession } from '../../lib/session.js';
import { Verdict } from '../blocks/BlockPage.jsx';

const PAGE = 50;
const BPCI = '@bpci';  // the selector's value for BPCI's own log
// The route for `path` ("/v1/audit/...") on the chosen log, and the node header (none for BPCI).
const routeOf = (target, path) => (target === BPCI ? [`/bpci${path}`, undefined] : [path, target]);
const time = (ms) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 23) : '–');
const short = (a) => (a && a.length > 24 ? `${a.slice(0, 12)}…${a.slice(-6)}` : a || '–');

// The checkpoint's verdict: whose log, both signatures, and the witnesses.
function checkpointVerdict(lc, audit, checkpoint) {
  try {
    const cp = audit.verifyCheckpoint(checkpoint.note);
    if (cp.registered) {
      return { ok: true, text: `checkpoint of ${formatInt(cp.size.toString())} events of ${cp.validator}'s log (registered in the genesis), signed with Ed25519 and ML-DSA-65; not a validator's log, so anchored on chain rather than witnessed` };
    }
    const witnesses = checkpoint.cosigned_note ? audit.verifyCosignatures(checkpoint.cosigned_note) : [];
    const others = lc.validators.length - 1;
    const needed = others <= 0 ? 0 : Math.min(Math.floor(others / 3) + 1, others);
    const cosigned = witnesses.length
      ? `cosigned by ${witnesses.join(', ')} (${witnesses.length} of ${others} witnesses; ${needed} needed)`
      : 'not cosigned yet';
    return { ok: true, witnessed: witnesses.length >= needed, text: `checkpoint of ${formatInt(cp.size.toString())} events of ${cp.validator}'s log, signed with Ed25519 and ML-DSA-65; ${cosigned}` };
  } catch (e) {
    return { ok: false, text: e.message };
  }
}

function eventVerdict(audit, event, note) {
  if (!event.proof) return { ok: null, text: 'newer than the checkpoint: not signed yet' };
  try {
    const r = audit.verifyEvent(event, note);
    return { ok: true, text: `in checkpoint ${formatInt(r.checkpoint.size.toString())}` };
  } catch (e) {
    return { ok: false, text: e.message };
  }
}

function EventDetail({ event, verdict }) {
  const rows = [['index', event.index], ['time (UTC)', time(event.unix_ms)], ['action', event.action], ['actor', event.actor],
    ['source', event.source || '–'], ['subject', event.subject], ['outcome', event.outcome], ['detail', event.detail || '–'],
    ['status', event.status || '–'], ['digest', event.digest || '–'], ['jurisdictions', (event.jurisdictions ?? []).join(', ') || '–'],
    ['leaf hash', event.leaf_hash], ['proof', event.proof ? `${event.proof.path.length} hashes to a tree of ${formatInt(String(event.proof.tree_size))}` : '–']];
  return (
    <section aria-labelledby="event-title" data-testid="audit-event-detail">
      <h2 id="event-title">Event {event.index}</h2>
      <Verdict result={verdict.ok === null ? { ok: false, text: verdict.text } : verdict} />
      <dl class="facts">{rows.flatMap(([k, v]) => [<dt key={`${k}-t`}>{k}</dt>, <dd key={`${k}-d`} class="mono">{String(v)}</dd>])}</dl>
    </section>
  );
}

export function AuditPage() {
  const lc = useGenesisClient();
  const audit = useMemo(() => (lc ? auditChecks(lc) : null), [lc]);
  const { fleet } = useFleet();
  const { wallet, roles } = useSession();
  const nodes = fleet?.nodes ?? [];
  const [node, setNode] = useState('');
  const [filters, setFilters] = useState({ action: '', actor: '', jurisdiction: '' });
  const [applied, setApplied] = useState(filters);
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(null);
  const [loading, setLoading] = useState(false);
  const [refresh, setRefresh] = useState(0);  // Show re-reads even with the same filters
  const allowed = roles.includes('auditor') || roles.includes('admin');
  const target = node || nodes.find((n) => n.up)?.name || '';

  useEffect(() => {
    if (!wallet || !allowed || !target) return;
    let stop = false;
    (async () => {
      setLoading(true);
      setError(null);
      try {
        const checkpoint = await signedNodeJson(wallet, ...routeOf(target, '/v1/audit/checkpoint'));
        const query = new URLSearchParams({ limit: String(PAGE), tree_size: String(checkpoint.size) });
        for (const [k, v] of Object.entries(applied)) if (v.trim()) query.set(k, v.trim());
        // Without filters: the newest page the checkpoint covers; with filters: the first matches.
        const filtered = Object.values(applied).some((v) => v.trim());
        if (!filtered) query.set('cursor', String(Math.max(0, checkpoint.size - PAGE)));
        const page = await signedNodeJson(wallet, ...routeOf(target, `/v1/audit/events?${query}`));
        if (!stop) setData({ checkpoint, page, node: target === BPCI ? 'BPCI' : target });
      } catch (e) {
        if (!stop) setError(e.message);
      } finally {
        if (!stop) setLoading(false);
      }
    })();
    return () => { stop = true; };
  }, [wallet, allowed, target, applied, refresh]);

  const cpVerdict = useMemo(() => (data && audit ? checkpointVerdict(lc, audit, data.checkpoint) : null), [data, audit]);
  const events = data?.page?.events ?? [];
  const verdicts = useMemo(() => (audit && data ? events.map((e) => eventVerdict(audit, e, data.checkpoint.note)) : []), [data, audit]);
  const shown = [...events.keys()].reverse();  // newest first

  return (
    <section>
      <h1>Audit trail</h1>
      <p class="muted">
        Every request a node's Cage decided, every block it committed, every governance action and its own starts and stops,
        in a signed Merkle log; BPCI keeps one of its own for this console's requests. Each event below is checked in this
        page against the log's signed checkpoint, and the checkpoint against the keys in the genesis.
      </p>
      {!wallet && <div class="notice" data-testid="audit-needs-wallet">Connect a key holding the auditor or admin role to read the audit trail.</div>}
      {wallet && !allowed && <div class="notice" data-testid="audit-needs-role">The connected key holds neither the auditor nor the admin role (governance grants them).</div>}
      {wallet && allowed && (
        <form class="form audit-filters" onSubmit={(e) => { e.preventDefault(); setApplied({ ...filters }); setRefresh(refresh + 1); setSelected(null); }} aria-label="Filter events">
          <label>Node
            <select value={target} onChange={(e) => { setNode(e.currentTarget.value); setSelected(null); }} data-testid="audit-node">
              {nodes.map((n) => <option key={n.name} value={n.name}>{n.name}{n.up ? '' : ' (down)'}</option>)}
              <option value={BPCI}>BPCI (this console)</option>
            </select>
          </label>
          <label>Action <input value={filters.action} placeholder="governance.*" onInput={(e) => setFilters({ ...filters, action: e.currentTarget.value })} data-testid="audit-action" /></label>
          <label>Actor <input value={filters.actor} placeholder="mn1… or an IP" onInput={(e) => setFilters({ ...filters, actor: e.currentTarget.value })} spellcheck={false} /></label>
          <label>Jurisdiction <input value={filters.jurisdiction} placeholder="EU" onInput={(e) => setFilters({ ...filters, jurisdiction: e.currentTarget.value })} /></label>
          <div class="actions"><button type="submit" disabled={loading}>{loading ? 'Loading…' : 'Show'}</button></div>
        </form>
      )}
      {error && <div class="field-error" role="alert" data-testid="audit-error">{error}</div>}
      {data && (
        <div data-testid="audit-checkpoint">
          <Verdict result={cpVerdict} />
          <p class="muted">Log of {data.node}: {formatInt(String(data.checkpoint.log_size))} events, newest checkpoint at {time(data.checkpoint.unix_ms)}.</p>
        </div>
      )}
      {data && (
        <div class="table-wrap"><table class="grid" data-testid="audit-events">
          <caption>{events.length ? `${events.length} event(s), newest first` : 'No event matches'}</caption>
          <thead><tr><th scope="col">#</th><th scope="col">time (UTC)</th><th scope="col">action</th><th scope="col">actor</th>
            <th scope="col">subject</th><th scope="col">outcome</th><th scope="col">tags</th><th scope="col">proof</th></tr></thead>
          <tbody>
            {shown.map((i) => {
              const e = events[i];
              const v = verdicts[i];
              return (
                <tr key={e.index} data-index={e.index} data-verified={v?.ok === true ? 'true' : v?.ok === false ? 'false' : 'pending'}
                  class={selected === i ? 'selected' : ''} onClick={() => setSelected(i)} tabIndex={0}
                  onKeyDown={(k) => { if (k.key === 'Enter') setSelected(i); }}>
                  <td>{e.index}</td><td>{time(e.unix_ms)}</td><td><code>{e.action}</code></td><td title={e.actor}>{short(e.actor)}</td>
                  <td title={e.subject}>{short(e.subject)}</td><td>{e.outcome}</td><td>{(e.jurisdictions ?? []).join(', ')}</td>
                  <td title={v?.text}><span class={`badge ${v?.ok === true ? 'ok' : v?.ok === false ? 'bad' : 'wait'}`}>{v?.ok === true ? 'verified' : v?.ok === false ? 'invalid' : 'not signed yet'}</span></td>
                </tr>
              );
            })}
          </tbody>
        </table></div>
      )}
      {data && selected !== null && events[selected] && <EventDetail event={events[selected]} verdict={verdicts[selected]} />}
    </section>
  );
}
