// Governance: the council, the roles and who holds them, and proposals with their approvals.
// A council member's connected wallet proposes and approves from here (transactions of the gov
// module, signed in the page); everyone else sees the same, without the buttons.
import { useEffect, useState } from 'preact/hooks';
import { chainGet } from '../../lib/chain.js';
import { useFleet } from '../../lib/fleet.js';
import { formatInt } from '../../lib/format.js';
import { useSession } from '../../lib/session.js';
import { submitPayload } from '../../lib/submit.js';
import { govApproveData, govProposeData } from '../../lib/wallet.js';

const short = (a) => (a ? `${a.slice(0, 10)}…${a.slice(-6)}` : '–');

function ProposeForm({ wallet, onSent }) {
  const [action, setAction] = useState('grant');
  const [role, setRole] = useState('');
  const [subject, setSubject] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      if (!/^[a-z][a-z0-9_-]{0,31}$/.test(role)) throw new Error('a role name is 1-32 of a-z, 0-9, _ and -, starting with a letter');
      const data = govProposeData({ action, role, subject: subject.trim(), description });
      onSent(await submitPayload(wallet, { module: 'gov', kind: 'propose', data }));
      setRole(''); setSubject(''); setDescription('');
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="form" onSubmit={submit} aria-labelledby="propose-title">
      <h2 id="propose-title">Propose</h2>
      <label>Action
        <select value={action} onChange={(e) => setAction(e.currentTarget.value)} data-testid="gov-action">
          <option value="grant">grant a role</option><option value="revoke">revoke a role</option><option value="create_role">create a role</option>
        </select>
      </label>
      <label>Role <input value={role} onInput={(e) => setRole(e.currentTarget.value)} data-testid="gov-role" required /></label>
      {action !== 'create_role'
        ? <label>To (address) <input value={subject} onInput={(e) => setSubject(e.currentTarget.value)} placeholder="mn1…" data-testid="gov-subject" required spellcheck={false} /></label>
        : <label>Description <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} maxLength={256} /></label>}
      <div class="actions"><button type="submit" disabled={busy} data-testid="gov-propose">{busy ? 'Signing…' : 'Sign and propose'}</button></div>
      {error && <div class="field-error" role="alert">{error}</div>}
    </form>
  );
}

export function GovernancePage() {
  const { fleet } = useFleet();
  const { wallet } = useSession();
  const [roles, setRoles] = useState(null);
  const [proposals, setProposals] = useState(null);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const tick = fleet?.updated_unix_ms;
  useEffect(() => {
    let cancelled = false;
    Promise.all([chainGet('/gov/roles'), chainGet('/gov/proposals?status=all&limit=50')])
      .then(([r, p]) => { if (!cancelled) { setRoles(r); setProposals(p); setError(null); } })
      .catch((e) => !cancelled && setError(e.message));
    return () => { cancelled = true; };
  }, [tick]);
  if (error && !roles) return <div class="notice error" role="alert">{error}</div>;
  if (!roles || !proposals) return <div class="notice">Reading governance…</div>;
  const council = roles.council ?? { members: [], threshold: 0 };
  const member = wallet && council.members.includes(wallet.address);
  const sent = (what) => (tx) => setNotice(`${what}: transaction ${tx.hash.slice(0, 16)}… submitted; it takes effect when committed.`);
  const approve = async (id) => {
    setNotice(null);
    try {
      sent(`approval of proposal ${id}`)(await submitPayload(wallet, { module: 'gov', kind: 'approve', data: govApproveData(id) }));
    } catch (e) {
      setNotice(`approval of proposal ${id} refused: ${e.message}`);
    }
  };
  const list = [...proposals.proposals].sort((a, b) => b.id - a.id);
  return (
    <section aria-labelledby="gov-title">
      <h1 id="gov-title">Governance</h1>
      <div class="cards">
        <div class="card"><span class="label">Council</span><span class="value">{council.threshold} of {council.members.length} approve</span></div>
        <div class="card"><span class="label">Roles</span><span class="value">{roles.roles.length}</span></div>
        <div class="card"><span class="label">Proposals</span><span class="value">{formatInt(Math.max(0, (proposals.next_id ?? 1) - 1))}</span></div>
        <div class="card"><span class="label">Your wallet</span><span class="value" data-testid="gov-you">{!wallet ? 'not connected' : member ? 'council member' : 'not on the council'}</span></div>
      </div>
      {notice && <div class="verdict wait" role="status" data-testid="gov-notice">{notice}</div>}
      <div class="table-wrap">
        <table class="grid" data-testid="gov-proposals">
          <caption>The newest 50 proposals (a council member's proposal counts as its first approval)</caption>
          <thead><tr><th scope="col" class="num">Id</th><th scope="col">Action</th><th scope="col">Role</th><th scope="col">Subject</th>
            <th scope="col">Proposer</th><th scope="col" class="num">Approvals</th><th scope="col">Status</th><th scope="col"><span class="sr-only">Approve</span></th></tr></thead>
          <tbody>
            {list.length === 0 && <tr><td colSpan={8} class="empty">No proposals yet.</td></tr>}
            {list.map((p) => {
              const approved = wallet && p.approvals.includes(wallet.address);
              return (
                <tr key={p.id} data-proposal={p.id} data-status={p.status}>
                  <td class="num">{p.id}</td><td>{p.action}</td><td>{p.role}</td><td class="mono">{short(p.subject)}</td>
                  <td class="mono">{short(p.proposer)}</td><td class="num">{p.approvals.length} / {council.threshold}</td>
                  <td><span class={`badge ${p.status === 'executed' ? 'ok' : p.status === 'open' ? 'wait' : 'bad'}`}>{p.status}</span>{p.failure && <div class="sub">{p.failure}</div>}</td>
                  <td>{member && p.status === 'open' && !approved && <button type="button" class="link" onClick={() => approve(p.id)} data-testid={`approve-${p.id}`}>Approve</button>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {member ? <ProposeForm wallet={wallet} onSent={sent('proposal')} />
        : <p class="hint">{wallet ? 'Only council members propose and approve.' : 'Connect a council member\'s wallet to propose and approve.'}</p>}
      <h2>Roles</h2>
      <div class="table-wrap">
        <table class="grid" data-testid="gov-roles">
          <thead><tr><th scope="col">Role</th><th scope="col">Description</th><th scope="col">Holders</th></tr></thead>
          <tbody>
            {roles.roles.map((r) => (
              <tr key={r.role} data-role={r.role}>
                <td>{r.role}{r.builtin && <span class="sub"> built in</span>}</td><td>{r.description}</td>
                <td class="mono holders">{r.holders.length === 0 ? '–' : r.holders.map((h) => <div key={h}>{h}</div>)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
