// Registry: every service lease on the chain (name → endpoint, with a TTL in blocks or seconds),
// its health as the oracle operators' nodes report it, and the operators' latest reports. Each
// lease and health record is checked in this page against its proof and a certified header
// (lib/verify.js, the fleet's genesis), and the list against the proven index of kinds and names,
// so a node or BPCI that hid or invented a lease would show as invalid.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson } from '../../lib/api.js';
import { hex } from '../../lib/bytes.js';
import { useGenesisClient } from '../../lib/chain.js';
import { useFleet } from '../../lib/fleet.js';
import { formatInt } from '../../lib/format.js';
import { addressText } from '../../lib/wallet.js';

const te = new TextEncoder();
const td = new TextDecoder('utf-8', { fatal: true });
const text = (r) => td.decode(r.bytes());
const i64 = (r) => BigInt.asIntN(64, r.u64());

// The entry an answer proves must be the one asked for: module registry, key prefix + name
// (src/modules/registry/registry.cpp, the key texts).
function provenEntry(lc, answer, key) {
  if (answer.module !== 'registry' || answer.key !== hex(te.encode(key))) throw new Error(`the proof is of ${answer.module}/${answer.key}, not registry/${key}`);
  return lc.verifyState(answer);
}

const nameList = (r) => { const names = r.vec(text); r.end(); return names; };

// The proven index: the kinds (or the one asked for) and each kind's names.
function provenIndex(lc, data, kind) {
  const kinds = kind ? [kind] : (() => {
    const { value, reader } = provenEntry(lc, data.index_proofs.kinds, 'kinds');
    return value === null ? [] : nameList(reader());
  })();
  const names = [];
  for (const k of kinds) {
    const answer = data.index_proofs[`kind:${k}`];
    if (!answer) throw new Error(`the answer carries no proof of kind ${k}'s names`);
    const { value, reader } = provenEntry(lc, answer, `kind:${k}`);
    if (value !== null) names.push(...nameList(reader()));
  }
  const shown = new Set(data.services.map((s) => s.name));
  const missing = names.filter((n) => !shown.has(n));
  if (missing.length) throw new Error(`the chain holds ${missing.join(', ')}, which the answer leaves out`);
  const extra = [...shown].filter((n) => !names.includes(n));
  if (extra.length) throw new Error(`the answer shows ${extra.join(', ')}, which the proven index does not hold`);
  return { ok: true, text: `${names.length} leases in ${kinds.length} kinds, the list proven complete`, kinds };
}

// Lease (name, kind, endpoint, metadata, health check, owner, heights, expiry, renewals) and
// HealthRecord (each operator's latest report), proven and compared with what the answer shows.
function provenLease(lc, s) {
  const lease = provenEntry(lc, s.proof, `svc:${s.name}`);
  if (lease.value === null) throw new Error('the lease is proven absent');
  const r = lease.reader();
  const l = {
    name: text(r), kind: text(r), endpoint: text(r), metadata: text(r), health_check: text(r), owner: addressText(r.fixed(32)),
    registered: r.u64(), renewed: r.u64(), expiry_height: r.u64(), expiry_unix_ms: i64(r), renewals: r.u64(),
  };
  r.end();
  for (const f of ['name', 'kind', 'endpoint', 'metadata', 'health_check', 'owner']) {
    if (l[f] !== s[f]) throw new Error(`the answer's ${f} "${s[f]}" is not the proven "${l[f]}"`);
  }
  if (l.expiry_height !== BigInt(s.expiry_height) || l.expiry_unix_ms !== BigInt(s.expiry_unix_ms)) throw new Error('the answer\'s expiry is not the proven one');
  const health = provenEntry(lc, s.health_proof, `health:${s.name}`);
  let status = l.health_check === '' ? 'none' : 'unknown';
  let reports = 0;
  if (health.value !== null) {
    const h = health.reader();
    const list = h.vec((x) => ({ reporter: addressText(x.fixed(32)), ok: x.u8() === 1, detail: text(x), height: x.u64(), unix_ms: i64(x) }));
    h.end();
    const up = list.filter((x) => x.ok).length;
    status = list.length === 0 ? 'unknown' : up * 2 > list.length ? 'up' : 'down';
    reports = list.length;
    const shown = new Map(s.health.reports.map((x) => [x.reporter, x]));
    if (shown.size !== list.length || list.some((x) => shown.get(x.reporter)?.ok !== x.ok)) throw new Error('the answer\'s reports are not the proven ones');
  }
  if (status !== s.health.status) throw new Error(`the answer says ${s.health.status}; the proven reports say ${status}`);
  return { ok: true, text: `lease proven in block ${lease.height}; health ${status} from ${reports} proven reports` };
}

function check(lc, fn) {
  if (!lc) return null;
  try {
    return fn();
  } catch (e) {
    return { ok: false, text: e.message };
  }
}

function Badge({ result }) {
  if (!result) return <span class="badge wait">checking</span>;
  return <span class={`badge ${result.ok ? 'ok' : 'bad'}`} title={result.text}>{result.ok ? 'proven' : 'invalid'}</span>;
}

const HEALTH = { up: 'ok', down: 'bad', unknown: 'wait', none: '' };
function Health({ status }) {
  return <span class={`badge ${HEALTH[status] ?? 'wait'}`} data-testid="health">{status === 'none' ? 'no check' : status}</span>;
}

const when = (ms) => (ms ? new Date(Number(ms)).toLocaleTimeString() : '–');
const short = (a) => `${a.slice(0, 10)}…${a.slice(-6)}`;

function expires(s) {
  if (s.ttl === 'seconds') {
    const left = Number(s.seconds_left);
    const span = left >= 3600 ? `${Math.floor(left / 3600)} h ${Math.floor((left % 3600) / 60)} min` : left >= 60 ? `${Math.floor(left / 60)} min ${left % 60} s` : `${left} s`;
    return { text: `in ${span}`, title: `at ${new Date(Number(s.expiry_unix_ms)).toLocaleString()} of chain time` };
  }
  return { text: `in ${formatInt(s.blocks_left)} blocks`, title: `at the end of block ${formatInt(s.expiry_height)}` };
}

function LeaseDetail({ lease, verdict }) {
  return (
    <div class="panel" data-testid="lease-detail">
      <h2>{lease.name}</h2>
      <dl class="facts">
        <div><dt>Endpoint</dt><dd class="mono">{lease.endpoint}</dd></div>
        <div><dt>Kind</dt><dd>{lease.kind}</dd></div>
        <div><dt>Owner</dt><dd class="mono">{lease.owner}</dd></div>
        <div><dt>Registered / renewed</dt><dd>block {formatInt(lease.registered_height)} / {formatInt(lease.renewed_height)} ({formatInt(lease.renewals)} renewals)</dd></div>
        <div><dt>Health check</dt><dd class="mono">{lease.health_check || '–'}</dd></div>
        {lease.metadata && <div><dt>Metadata</dt><dd class="mono">{lease.metadata}</dd></div>}
        <div><dt>Proof</dt><dd><Badge result={verdict} /> <small class="muted">{verdict?.text}</small></dd></div>
      </dl>
      {lease.health_check && (
        <div class="table-wrap">
          <table class="grid" data-testid="reports">
            <caption>Each operator's latest report (the status is up when more than half say ok)</caption>
            <thead><tr><th scope="col">Operator</th><th scope="col">Result</th><th scope="col">Detail</th><th scope="col" class="num">Block</th><th scope="col">Checked</th></tr></thead>
            <tbody>
              {lease.health.reports.length === 0 && <tr><td colSpan={5} class="empty">No report yet: the operators' nodes check every few seconds.</td></tr>}
              {lease.health.reports.map((h) => (
                <tr key={h.reporter}>
                  <td class="mono" title={h.reporter}>{short(h.reporter)}</td>
                  <td><span class={`badge ${h.ok ? 'ok' : 'bad'}`}>{h.ok ? 'ok' : 'failed'}</span></td>
                  <td>{h.detail}</td><td class="num">{formatInt(h.height)}</td><td>{when(h.unix_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function RegistryPage() {
  const lc = useGenesisClient();
  const { fleet } = useFleet();
  const tick = Math.floor((fleet?.updated_unix_ms ?? 0) / 3000);
  const [kind, setKind] = useState('');
  const [kinds, setKinds] = useState([]);
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(null);
  useEffect(() => {
    let cancelled = false;
    getJson(`/v1/registry/services${kind ? `?kind=${encodeURIComponent(kind)}` : ''}`)
      .then((d) => { if (!cancelled) { setData({ ...d, kind }); setError(null); } })
      .catch((e) => !cancelled && setError(e.message));
    return () => { cancelled = true; };
  }, [tick, kind]);
  const index = useMemo(() => (data ? check(lc, () => provenIndex(lc, data, data.kind)) : null), [data, lc]);
  useEffect(() => { if (index?.ok && !data.kind) setKinds(index.kinds); }, [index]);
  const verdicts = useMemo(() => (data?.services ?? []).map((s) => check(lc, () => provenLease(lc, s))), [data, lc]);
  if (error) return <div class="notice error" role="alert">{error}</div>;
  if (!data) return <div class="notice">Reading the registry service…</div>;
  const index_of = data.services.findIndex((s) => s.name === selected);
  const up = data.services.filter((s) => s.health.status === 'up').length;
  const down = data.services.filter((s) => s.health.status === 'down').length;
  return (
    <section aria-labelledby="registry-title">
      <h1 id="registry-title">Registry</h1>
      <p class="muted">Services name their endpoints on the chain with a lease that lapses unless renewed (<code>metanode registry register --ttl-seconds 300 --health-check http://…</code>). The oracle operators' nodes probe each health check and put what they find on the chain. Each lease, its health and the list itself are checked in this page.</p>
      <div class="cards">
        <div class="card"><span class="label">Leases</span><span class="value" data-testid="lease-count">{data.services.length}</span></div>
        <div class="card"><span class="label">Up</span><span class="value">{up}</span></div>
        <div class="card"><span class="label">Down</span><span class="value">{down}</span></div>
        <div class="card"><span class="label">List</span><span class="value"><span data-testid="index-verdict"><Badge result={index} /></span></span></div>
      </div>
      <form class="form" onSubmit={(e) => e.preventDefault()} aria-label="Filter leases">
        <label>Kind
          <select value={kind} onChange={(e) => { setKind(e.currentTarget.value); setSelected(null); setData(null); }} data-testid="kind-filter">
            <option value="">every kind</option>
            {kinds.map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
        </label>
      </form>
      {index && !index.ok && <div class="notice error" role="alert">The list does not match the chain: {index.text}</div>}
      <div class="table-wrap">
        <table class="grid" data-testid="leases">
          <caption>Leases at block {formatInt(data.height)}{data.kind ? ` of kind ${data.kind}` : ''}</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Endpoint</th><th scope="col">Health</th><th scope="col">Expires</th><th scope="col">Owner</th><th scope="col">Proof</th></tr></thead>
          <tbody>
            {data.services.length === 0 && <tr><td colSpan={7} class="empty">No lease{data.kind ? ` of kind ${data.kind}` : ''} yet.</td></tr>}
            {data.services.map((s, i) => {
              const e = expires(s);
              return (
                <tr key={s.name} data-name={s.name} data-verified={verdicts[i]?.ok ? 'true' : 'false'} class={selected === s.name ? 'selected' : ''}>
                  <td><button type="button" class="link" onClick={() => setSelected(s.name)}>{s.name}</button></td>
                  <td>{s.kind}</td><td class="mono">{s.endpoint}</td><td><Health status={s.health.status} /></td>
                  <td title={e.title}>{e.text}</td><td class="mono" title={s.owner}>{short(s.owner)}</td><td><Badge result={verdicts[i]} /></td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {index_of >= 0 && <LeaseDetail lease={data.services[index_of]} verdict={verdicts[index_of]} />}
    </section>
  );
}
