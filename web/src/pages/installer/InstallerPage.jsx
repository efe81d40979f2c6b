// The installer: a new full node in four steps. An admin makes its bundle on the BPCI host (key,
// genesis, configuration linking to every validator, systemd unit: POST /v1/installer/bundles);
// the page shows the exact commands that install it on its host; a council member proposes its
// admission (the role "node" for its address, signed in the page) and the others approve it;
// then it is started (here, where BPCI allows it, as on a devnet) and followed until it has
// caught up with the validators.
import { useEffect, useState } from 'preact/hooks';
import { chainGet } from '../../lib/chain.js';
import { useFleet } from '../../lib/fleet.js';
import { formatInt } from '../../lib/format.js';
import { signedJson, useSession } from '../../lib/session.js';
import { submitPayload } from '../../lib/submit.js';
import { govApproveData, govProposeData } from '../../lib/wallet.js';

const LOCAL = new Set(['127.0.0.1', 'localhost', '::1']);

function Copy({ text, label }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    await navigator.clipboard?.writeText(text).catch(() => {});
    setDone(true);
    setTimeout(() => setDone(false), 1500);
  };
  return <button type="button" class="link" onClick={copy} aria-label={`copy ${label}`}>{done ? 'copied' : 'copy'}</button>;
}

function BundleForm({ suggested, wallet, onMade }) {
  const [name, setName] = useState(suggested.name);
  const [host, setHost] = useState(suggested.host);
  const [portBase, setPortBase] = useState(String(suggested.port_base));
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => { setName(suggested.name); setPortBase(String(suggested.port_base)); }, [suggested.name, suggested.port_base]);
  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    const port = Number(portBase);
    if (!Number.isInteger(port) || port < 1 || port > 65000) { setError('the port base is a whole number from 1 to 65000'); return; }
    setBusy(true);
    try {
      onMade(await signedJson(wallet, 'POST', '/v1/installer/bundles', { name: name.trim(), host: host.trim(), port_base: port }));
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="form" onSubmit={submit} aria-labelledby="new-node-title">
      <h2 id="new-node-title">1. A new full node</h2>
      <label>Name <input value={name} onInput={(e) => setName(e.currentTarget.value)} pattern="[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}" required data-testid="install-name" /></label>
      <label>Host <input value={host} onInput={(e) => setHost(e.currentTarget.value)} required spellcheck={false} data-testid="install-host" /></label>
      <label>Port base (API on +1, XTMP on +4) <input value={portBase} onInput={(e) => setPortBase(e.currentTarget.value)} inputMode="numeric" required data-testid="install-port" /></label>
      <div class="actions"><button type="submit" disabled={busy} data-testid="install-make">{busy ? 'Writing keys…' : 'Make its keys and configuration'}</button></div>
      {error && <div class="field-error" role="alert" data-testid="install-error">{error}</div>}
    </form>
  );
}

// Where its admission stands: the role on chain, else an open proposal and its approvals.
function Admission({ bundle, wallet, council, admitted, proposal, tick }) {
  const [notice, setNotice] = useState(null);
  const member = wallet && council.members.includes(wallet.address);
  useEffect(() => setNotice(null), [tick, admitted]);
  const send = async (what, payload) => {
    setNotice(`${what}: signing…`);
    try {
      const tx = await submitPayload(wallet, payload);
      setNotice(`${what}: transaction ${tx.hash.slice(0, 16)}… submitted`);
    } catch (e) {
      setNotice(`${what} refused: ${e.message}`);
    }
  };
  if (admitted) return <span class="badge ok" data-testid="admission">admitted</span>;
  return (
    <div class="admission">
      {proposal
        ? <span class="badge wait" data-testid="admission">proposal {proposal.id}: {proposal.approvals.length} / {council.threshold} approvals</span>
        : <span class="badge bad" data-testid="admission">not admitted</span>}
      {member && !proposal && (
        <button type="button" data-testid="install-propose"
          onClick={() => send('admission proposal', { module: 'gov', kind: 'propose', data: govProposeData({ action: 'grant', role: 'node', subject: bundle.address }) })}>
          Propose admission
        </button>)}
      {member && proposal && !proposal.approvals.includes(wallet.address) && (
        <button type="button" data-testid="install-approve"
          onClick={() => send(`approval of proposal ${proposal.id}`, { module: 'gov', kind: 'approve', data: govApproveData(proposal.id) })}>
          Approve
        </button>)}
      {!member && <span class="hint"> A council member proposes it here (or: <code>metanode gov propose grant --role node --to {bundle.address}</code>).</span>}
      {notice && <div class="sub" role="status">{notice}</div>}
    </div>
  );
}

// Its height against the validators', once the fleet watches it.
function Follow({ bundle, fleet }) {
  const node = fleet?.nodes.find((n) => n.name === bundle.name);
  const validators = (fleet?.nodes ?? []).filter((n) => n.up && n.role === 'validator');
  const top = Math.max(0, ...validators.map((n) => n.height));
  if (!node) return <span class="hint">Not in the fleet yet.</span>;
  if (!node.up) return <span class="badge wait" data-testid="follow">starting: {node.error}</span>;
  const caughtUp = node.height > 0 && node.height + 1 >= top;
  const share = top > 0 ? Math.min(1, node.height / top) : 0;
  return (
    <span class="follow" data-testid="follow" data-caught-up={caughtUp ? 'true' : 'false'}>
      <span class="bar" aria-hidden="true"><span style={{ width: `${(share * 100).toFixed(0)}%` }} /></span>
      {' '}{caughtUp ? 'caught up' : 'syncing'}: height {formatInt(node.height)} of {formatInt(top)}, {node.peers} links
      {' · '}<a href={`/fleet/${encodeURIComponent(node.name)}`}>its page</a>
    </span>
  );
}

function BundleCard({ bundle, wallet, isAdmin, localStart, council, roles, proposals, fleet, tick, onStarted }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const admitted = roles?.includes('node');
  const proposal = proposals.find((p) => p.role === 'node' && p.subject === bundle.address && p.status === 'open');
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      await signedJson(wallet, 'POST', `/v1/installer/bundles/${encodeURIComponent(bundle.name)}/start`);
      onStarted();
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  const canStart = isAdmin && localStart && LOCAL.has(bundle.host) && !bundle.running;
  return (
    <article class="panel bundle" data-bundle={bundle.name} aria-labelledby={`bundle-${bundle.name}`}>
      <h3 id={`bundle-${bundle.name}`}>{bundle.name} <span class="sub">{bundle.api}</span></h3>
      <dl class="facts">
        <div><dt>Address</dt><dd class="mono">{bundle.address}</dd></div>
        <div><dt>Key</dt><dd class="mono">{bundle.public_key.slice(0, 16)}…</dd></div>
        <div><dt>Links to</dt><dd>{bundle.validators.length} validators</dd></div>
        <div><dt>Bundle</dt><dd class="mono">{bundle.dir}</dd></div>
      </dl>
      <h4>2. Admission (the role <code>node</code>)</h4>
      <Admission bundle={bundle} wallet={wallet} council={council} admitted={admitted} proposal={proposal} tick={tick} />
      <h4>3. Start it on {bundle.host} <Copy text={bundle.commands} label="the commands" /></h4>
      <pre class="proof" data-testid="install-commands">{bundle.commands}</pre>
      <details>
        <summary>systemd unit (metanode-{bundle.name}.service) <Copy text={bundle.systemd_unit} label="the unit" /></summary>
        <pre class="proof">{bundle.systemd_unit}</pre>
      </details>
      {canStart && <div class="actions start"><button type="button" disabled={busy || !admitted} onClick={start} data-testid="install-start"
        title={admitted ? '' : 'the validators refuse its links until it is admitted'}>{busy ? 'Starting…' : 'Start it on this host'}</button></div>}
      {error && <div class="field-error" role="alert">{error}</div>}
      <h4>4. Following</h4>
      <Follow bundle={bundle} fleet={fleet} />
    </article>
  );
}

export function InstallerPage() {
  const { fleet } = useFleet();
  const { wallet, roles } = useSession();
  const [installer, setInstaller] = useState(null);
  const [chain, setChain] = useState(null);
  const [error, setError] = useState(null);
  const [refresh, setRefresh] = useState(0);
  const allowed = wallet && roles.some((r) => r === 'operator' || r === 'admin');
  const isAdmin = wallet && roles.includes('admin');
  const tick = fleet?.updated_unix_ms;
  useEffect(() => {
    if (!allowed) return undefined;
    let cancelled = false;
    signedJson(wallet, 'GET', '/v1/installer')
      .then(async (overview) => {
        const [gov, proposals, ...held] = await Promise.all([
          chainGet('/gov/roles'), chainGet('/gov/proposals?status=open&limit=100'),
          ...overview.bundles.map((b) => chainGet(`/gov/roles/${b.address}`).then((r) => [b.address, r.roles]).catch(() => [b.address, null])),
        ]);
        if (cancelled) return;
        setInstaller(overview);
        setChain({ council: gov.council ?? { members: [], threshold: 0 }, proposals: proposals.proposals, roles: Object.fromEntries(held) });
        setError(null);
      })
      .catch((e) => !cancelled && setError(e.message));
    return () => { cancelled = true; };
  }, [allowed, wallet, tick, refresh]);
  const intro = (
    <p class="hint">A full node follows the chain without voting: it serves the API and proofs, and relays transactions to the
      validators. They accept its links once governance grants its address the role <code>node</code>.</p>
  );
  if (!allowed) {
    return (
      <section aria-labelledby="installer-title">
        <h1 id="installer-title">Installer</h1>
        {intro}
        <div class="notice" data-testid="installer-locked">Connect a wallet that holds admin (or operator, to look) to install a node.</div>
      </section>
    );
  }
  if (error && !installer) return <section><h1 id="installer-title">Installer</h1><div class="notice error" role="alert">{error}</div></section>;
  if (!installer || !chain) return <section><h1 id="installer-title">Installer</h1><div class="notice">Reading the installer…</div></section>;
  const bundles = [...installer.bundles].reverse();
  return (
    <section aria-labelledby="installer-title">
      <h1 id="installer-title">Installer</h1>
      {intro}
      {isAdmin
        ? <BundleForm suggested={installer.suggested} wallet={wallet} onMade={() => setRefresh((n) => n + 1)} />
        : <p class="hint">Only admins make bundles and start nodes.</p>}
      <p class="hint">Bundles are written to <span class="mono">{installer.dir}</span> on the BPCI host{installer.local_start ? '; this BPCI may start them here.' : '.'}</p>
      {bundles.length === 0 && <div class="notice">No node installed from here yet.</div>}
      {bundles.map((b) => (
        <BundleCard key={b.name} bundle={b} wallet={wallet} isAdmin={isAdmin} localStart={installer.local_start} council={chain.council}
          roles={chain.roles[b.address]} proposals={chain.proposals} fleet={fleet} tick={tick} onStarted={() => setRefresh((n) => n + 1)} />
      ))}
    </section>
  );
}
