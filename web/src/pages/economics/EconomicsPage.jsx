// Economics: the supply and where it went, the fee market, validators and their rewards, and each
// epoch's payout, from a node's economics service through BPCI. Every value that is state is
// checked in this page against its proof and a certified header (lib/verify.js, the fleet's
// genesis): neither the node nor BPCI is trusted for it.
import { bech32m } from '@scure/base';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson } from '../../lib/api.js';
import { useGenesisClient } from '../../lib/chain.js';
import { Chart } from '../../lib/Chart.jsx';
import { useFleet } from '../../lib/fleet.js';
import { formatInt } from '../../lib/format.js';
import { Verdict } from '../blocks/BlockPage.jsx';

const BLOCKS = 200;

// The proven record's fields (u64 little-endian, in the module's order) against the answer's.
function provenFields(lc, answer, names, shown, tail) {
  const { value, height, reader } = lc.verifyState(answer);
  if (value === null) return { ok: true, text: `proven absent at block ${height}`, values: null };
  const r = reader();
  const values = {};
  for (const name of names) values[name] = name.endsWith(':u32') ? BigInt(r.u32()) : r.u64();
  if (tail) values.tail = tail(r);
  r.end();
  for (const [name, field] of Object.entries(shown ?? {})) {
    if (BigInt(field) !== values[name]) throw new Error(`the answer's ${name} (${field}) is not the proven ${values[name]}`);
  }
  return { ok: true, height, values };
}

function check(lc, fn) {
  if (!lc) return null;
  try {
    return fn();
  } catch (e) {
    return { ok: false, text: e.message };
  }
}

const SUPPLY_FIELDS = ['genesis', 'issued', 'burned', 'accrued', 'epoch_pool', 'epoch', 'epoch_end', 'treasury_credited', 'bonded', 'unbonding',
  'delegated', 'delegation_unbonding', 'delegator_owed'];
const VALIDATOR_FIELDS = ['stake', 'next_stake', 'accrued', 'paid_total', 'last_paid', 'last_paid_epoch'];
// A validator record's unbonding entries (release height, amount) and whether it was slashed,
// after its fixed fields.
const unbondings = (r) => ({ unbonding: r.vec((x) => [x.u64(), x.u64()]), slashed: r.u8() === 1 });
// A slash record: epoch, vote kind, the votes' height and round, the block, the amount burned, the
// reporter's address and the evidence's hash.
function provenSlash(lc, answer, shown) {
  const { value, height, reader } = lc.verifyState(answer);
  if (value === null) throw new Error('the slash record is proven absent');
  const r = reader();
  const proven = { epoch: r.u64(), kind: r.u8(), vote_height: r.u64(), vote_round: r.u64(), height: r.u64(), amount: r.u64() };
  r.fixed(32);
  r.fixed(32);
  r.end();
  const kinds = { 1: 'prepare', 2: 'commit', 3: 'vote', 4: 'timeout' };
  if (kinds[proven.kind] !== shown.kind) throw new Error(`the answer's vote kind ${shown.kind} is not the proven ${kinds[proven.kind]}`);
  for (const name of ['epoch', 'vote_height', 'vote_round', 'height', 'amount']) {
    if (BigInt(shown[name]) !== proven[name]) throw new Error(`the answer's ${name} (${shown[name]}) is not the proven ${proven[name]}`);
  }
  return { ok: true, text: `proven in block ${height}` };
}
const PAYOUT_FIELDS = ['epoch', 'height', 'validators_pool', 'proposer_shares', 'paid', 'to_treasury', 'validators:u32', 'to_delegators'];
// A validator's delegation pool (modules/econ/delegation.hpp), in the module's order.
function provenPool(lc, answer) {
  const { value, height, reader } = lc.verifyState(answer);
  if (value === null) throw new Error('the delegation pool is proven absent');
  const r = reader();
  const pool = { shares: r.u64(), tokens: r.u64(), next_shares: r.u64(), next_tokens: r.u64(), changed_epoch: r.u64(), changed: r.u8() };
  r.u64();
  r.u64();  // the reward sum (u128)
  Object.assign(pool, { owed: r.u64(), unbonding_tokens: r.u64(), unbonding_shares: r.u64(), delegations: r.u64() });
  r.end();
  return { pool, height };
}
// One delegation record and its pool, both proven; what it is worth recomputed from them.
function provenDelegation(lc, d) {
  const { value, height, reader } = lc.verifyState(d.proof);
  if (value === null) throw new Error('the delegation is proven absent');
  const r = reader();
  const record = { shares: r.u64(), next_shares: r.u64(), changed_epoch: r.u64() };
  r.u64();
  r.u64();  // where its share of the reward sum starts (u128)
  Object.assign(record, { rewards: r.u64(), claimed_total: r.u64(), unbonding: r.vec((x) => [x.u64(), x.u64()]) });
  r.end();
  for (const name of ['shares', 'next_shares', 'claimed_total']) {
    if (BigInt(d.record[name]) !== record[name]) throw new Error(`the answer's ${name} (${d.record[name]}) is not the proven ${record[name]}`);
  }
  const { pool } = provenPool(lc, d.pool_proof);
  const worth = pool.next_shares === 0n ? 0n : (record.next_shares * pool.next_tokens) / pool.next_shares;
  if (worth !== BigInt(d.value)) throw new Error(`the answer says it is worth ${d.value}, the proven shares and pool ${worth}`);
  return { ok: true, text: `the delegation and its validator's pool, proven in block ${height}; worth ${worth}` };
}

function Badge({ result }) {
  if (!result) return <span class="badge wait">checking</span>;
  return <span class={`badge ${result.ok ? 'ok' : 'bad'}`} title={result.text}>{result.ok ? 'proven' : 'invalid'}</span>;
}

function Rewards({ lc }) {
  const [address, setAddress] = useState('');
  const [answer, setAnswer] = useState(null);
  const [error, setError] = useState(null);
  const look = async (e) => {
    e.preventDefault();
    setError(null);
    setAnswer(null);
    const text = address.trim();
    try {
      const { prefix, words } = bech32m.decode(text, 90);
      if (prefix !== 'mn' || bech32m.fromWords(words).length !== 32) throw new Error('not a 32-byte mn1… address');
    } catch (err) {
      setError(`"${text.slice(0, 24)}" is not an address: ${err.message}`);
      return;
    }
    try {
      setAnswer(await getJson(`/v1/econ/rewards/${encodeURIComponent(address.trim())}`));
    } catch (err) {
      setError(err.message);
    }
  };
  const verdict = useMemo(() => answer && check(lc, () => {
    const r = provenFields(lc, answer.proof, VALIDATOR_FIELDS, answer.validator ? { stake: answer.stake, next_stake: answer.next_stake, accrued: answer.accrued, paid_total: answer.paid_total } : {}, unbondings);
    return { ok: true, text: answer.validator ? `${answer.address}'s record, proven in the state root of block ${r.height}` : `no validator record: proven absent` };
  }), [answer, lc]);
  const delegationVerdicts = useMemo(() => (answer?.delegations ?? []).map((d) => check(lc, () => provenDelegation(lc, d))), [answer, lc]);
  return (
    <section aria-labelledby="rewards-title">
      <h2 id="rewards-title">Rewards of an address</h2>
      <form class="form" onSubmit={look} aria-label="Look up rewards">
        <label>Address <input value={address} placeholder="mn1…" spellcheck={false} onInput={(e) => setAddress(e.currentTarget.value)} data-testid="rewards-address" /></label>
        <div class="actions"><button type="submit" disabled={!address.trim()}>Look up</button></div>
      </form>
      {error && <div class="field-error" role="alert" data-testid="rewards-error">{error}</div>}
      {answer && (
        <div data-testid="rewards">
          <Verdict result={verdict} />
          {answer.validator ? (
            <dl class="facts">
              <dt>pending</dt><dd class="mono">{formatInt(answer.pending)} (proposer shares {formatInt(answer.accrued)} + epoch pool share {formatInt(answer.epoch_pool_share)})</dd>
              <dt>last paid</dt><dd class="mono">{formatInt(answer.last_paid)} (epoch {answer.last_paid_epoch})</dd>
              <dt>paid in total</dt><dd class="mono">{formatInt(answer.paid_total)}</dd>
              <dt>stake</dt><dd class="mono">{formatInt(answer.stake)} (from the next epoch: {formatInt(answer.next_stake)})</dd>
              <dt>unbonding</dt><dd class="mono">{answer.unbonding.length ? answer.unbonding.map((u) => `${formatInt(u.amount)} at block ${formatInt(u.release_height)}`).join(', ') : 'none'}</dd>
              <dt>balance</dt><dd class="mono">{formatInt(answer.balance)}</dd>
            </dl>
          ) : <p class="muted">Not a validator (balance {formatInt(answer.balance)}){answer.delegations.length ? '.' : ', and it delegates to none: it earns no rewards.'}</p>}
          {answer.delegations.length > 0 && (
            <div class="table-wrap">
              <table class="grid" data-testid="delegations">
                <caption>Delegations: each earns its validator's delegators' share of the epoch's pool from the epoch after it was made; <code>metanode econ claim</code> pays rewards and released tokens</caption>
                <thead><tr><th scope="col">Validator</th><th scope="col" class="num">Worth</th><th scope="col" class="num">Rewards to claim</th><th scope="col" class="num">Claimed</th><th scope="col">Undelegated</th><th scope="col">Proof</th></tr></thead>
                <tbody>
                  {answer.delegations.map((d, i) => (
                    <tr key={d.validator} data-verified={delegationVerdicts[i]?.ok ? 'true' : 'false'}>
                      <td class="mono" title={d.validator}>{d.validator.slice(0, 12)}…{d.validator.slice(-6)}{!d.earning && <span class="badge wait" title="it earns from the next epoch">next epoch</span>}</td>
                      <td class="num">{formatInt(d.value)}</td><td class="num">{formatInt(d.rewards)}</td><td class="num">{formatInt(d.claimed_total)}</td>
                      <td>{d.unbonding.length ? d.unbonding.map((u) => `${formatInt(u.amount)} ${u.claimable ? 'claimable' : `from block ${formatInt(u.release_height)}`}`).join(', ') : 'none'}</td>
                      <td><Badge result={delegationVerdicts[i]} /></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </section>
  );
}

export function EconomicsPage() {
  const lc = useGenesisClient();
  const { fleet } = useFleet();
  const tick = fleet?.updated_unix_ms;
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let cancelled = false;
    Promise.all(['/v1/econ/supply', '/v1/econ/params', '/v1/econ/validators', '/v1/econ/payouts?limit=10', `/v1/econ/fees?blocks=${BLOCKS}`, '/v1/econ/slashes'].map(getJson))
      .then(([supply, params, validators, payouts, fees, slashes]) => { if (!cancelled) { setData({ supply, params, validators, payouts, fees, slashes }); setError(null); } })
      .catch((e) => !cancelled && setError(e.message));
    return () => { cancelled = true; };
  }, [Math.floor((tick ?? 0) / 3000)]);

  const supplyVerdict = useMemo(() => data && check(lc, () => {
    const s = data.supply;
    const r = provenFields(lc, s.proof, SUPPLY_FIELDS, { genesis: s.genesis, issued: s.issued, burned: s.burned, accrued: s.accrued, epoch_pool: s.epoch_pool, epoch: s.epoch, epoch_end: s.epoch_end, treasury_credited: s.treasury_credited, bonded: s.bonded, unbonding: s.unbonding,
      delegated: s.delegated, delegation_unbonding: s.delegation_unbonding, delegator_owed: s.delegator_owed });
    const t = lc.verifyState(s.treasury.proof);
    const treasury = t.value === null ? 0n : t.reader().u64();
    if (treasury !== BigInt(s.treasury.balance)) throw new Error(`the treasury's balance ${s.treasury.balance} is not the proven ${treasury}`);
    const total = r.values.genesis + r.values.issued - r.values.burned;
    if (total !== BigInt(s.total)) throw new Error(`total ${s.total} is not genesis + issued - burned (${total})`);
    return { ok: true, text: `the supply record and the treasury's account, proven in the state root of block ${r.height}; total = genesis + issued − burned` };
  }), [data, lc]);
  const validatorVerdicts = useMemo(() => (data?.validators.validators ?? []).map((v) => check(lc, () => {
    const r = provenFields(lc, v.proof, VALIDATOR_FIELDS, { stake: v.stake, next_stake: v.next_stake, accrued: v.accrued, paid_total: v.paid_total, last_paid: v.last_paid }, unbondings);
    return { ok: true, text: `proven in block ${r.height}` };
  })), [data, lc]);
  const payoutVerdicts = useMemo(() => (data?.payouts.payouts ?? []).map((p) => check(lc, () => {
    const r = provenFields(lc, p.proof, PAYOUT_FIELDS, { epoch: p.epoch, height: p.height, validators_pool: p.validators_pool, paid: p.paid, to_treasury: p.to_treasury, to_delegators: p.to_delegators });
    return { ok: true, text: `proven in block ${r.height}` };
  })), [data, lc]);
  const slashVerdicts = useMemo(() => (data?.slashes.slashes ?? []).map((x) => check(lc, () => provenSlash(lc, x.proof, x))), [data, lc]);
  const nameOf = useMemo(() => Object.fromEntries((data?.validators.validators ?? []).map((v) => [v.address, v.name])), [data]);
  const feeChart = useMemo(() => {
    const blocks = data?.fees.blocks ?? [];
    return [blocks.map((b) => b.unix_ms / 1000), blocks.map((b) => Number(b.base_fee)), blocks.map((b) => (b.tip_median === null ? null : Number(b.tip_median)))];
  }, [data]);

  if (error) return <div class="notice error" role="alert">{error}</div>;
  if (!data) return <div class="notice">Reading the economics service…</div>;
  const s = data.supply;
  const p = data.params;
  return (
    <section aria-labelledby="econ-title">
      <h1 id="econ-title">Economics</h1>
      <p class="muted">Every fee and block reward: burned, to the treasury, to the block's proposer, or to all validators by stake, paid at the end of each epoch of {formatInt(p.epoch_blocks)} block(s). Values that are state are checked in this page against their proofs.</p>
      <div data-testid="supply-verdict"><Verdict result={supplyVerdict} /></div>
      <div class="cards" data-testid="supply">
        {[['Total supply', s.total], ['Genesis', s.genesis], ['Issued', s.issued], ['Burned', s.burned], ['Treasury', s.treasury.balance],
          ['Owed to validators', s.accrued], ['Circulating', s.circulating], ['Bonded', s.bonded], ['Unbonding', s.unbonding],
          ['Delegated', s.delegated], ['Owed to delegators', s.delegator_owed]].map(([label, value]) => (
          <div class="card" key={label}><span class="label">{label}</span><span class={`value${formatInt(value).length > 13 ? ' long' : ''}`} data-testid={`supply-${label.toLowerCase().replace(/ /g, '-')}`}>{formatInt(value)}</span></div>
        ))}
      </div>
      <div class="table-wrap">
        <table class="grid" data-testid="params">
          <caption>Where each pool goes (governed ratios; rounding remainders go to the treasury)</caption>
          <thead><tr><th scope="col">Pool</th><th scope="col" class="num">Burn</th><th scope="col" class="num">Treasury</th><th scope="col" class="num">Proposer</th><th scope="col" class="num">Validators by stake</th></tr></thead>
          <tbody>
            {[['Base fees', p.base_fee_split], ['Tips', p.tip_split],
              [`Block reward: ${formatInt(p.block_reward_now)} now${p.halving_blocks !== 0 ? `, halving every ${formatInt(p.halving_blocks)} blocks` : ''}`, p.reward_split]].map(([label, x]) => (
              <tr key={label}><td>{label}</td>{[x.burn, x.treasury, x.proposer, x.validators].map((bps, i) => <td class="num" key={i}>{(bps / 100).toFixed(2)}%</td>)}</tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="charts" data-testid="fee-chart">
        <Chart title={`Base fee and median tip, last ${BLOCKS} blocks`} series={['base fee', 'median tip']} data={feeChart} />
      </div>
      <div class="table-wrap">
        <table class="grid" data-testid="validators">
          <caption>Validators (epoch {data.validators.epoch}, total stake {formatInt(data.validators.total_stake)})</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Address</th><th scope="col" class="num">Stake</th><th scope="col" class="num">Next epoch</th><th scope="col" class="num">Delegated</th><th scope="col" class="num">Voting power</th><th scope="col" class="num">Reward weight</th>
            <th scope="col" class="num">Accrued</th><th scope="col" class="num">Pool share</th><th scope="col" class="num">Paid</th><th scope="col">Proof</th></tr></thead>
          <tbody>
            {data.validators.validators.map((v, i) => (
              <tr key={v.address} data-verified={validatorVerdicts[i]?.ok ? 'true' : 'false'}>
                <td>{v.name}{v.slashed && <span class="badge bad" title="proven to have signed two conflicting votes: it bonds no more and leaves the next set">slashed</span>}</td><td class="mono" title={v.address}>{v.address.slice(0, 12)}…{v.address.slice(-6)}</td>
                <td class="num">{formatInt(v.stake)}</td><td class="num">{formatInt(v.next_stake)}</td><td class="num" title={`${v.delegations} delegation(s); in force this epoch: ${v.delegated_in_force}`}>{formatInt(v.delegated)}</td><td class="num" title="one vote per member of the validator set in force">{(v.voting_power_bps / 100).toFixed(2)}%</td><td class="num" title="its share of the epoch's pool: its stake and, with a stake of its own, its delegations' in force">{(v.reward_weight_bps / 100).toFixed(2)}%</td>
                <td class="num">{formatInt(v.accrued)}</td><td class="num">{formatInt(v.epoch_pool_share)}</td><td class="num">{formatInt(v.paid_total)}</td>
                <td><Badge result={validatorVerdicts[i]} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="table-wrap">
        <table class="grid" data-testid="validator-sets">
          <caption>Validator sets consensus runs (a new one is published when members join or leave, to begin later)</caption>
          <thead><tr><th scope="col" class="num">Set</th><th scope="col">Status</th><th scope="col" class="num">From height</th><th scope="col" class="num">To height</th><th scope="col">Members</th></tr></thead>
          <tbody>
            {(data.validators.sets ?? []).map((set) => (
              <tr key={set.epoch} data-status={set.status}>
                <td class="num">{set.epoch}</td><td>{set.status}</td><td class="num">{formatInt(set.first_height)}</td>
                <td class="num">{set.last_height === null ? '—' : formatInt(set.last_height)}</td>
                <td>{set.validators.map((m) => m.name).join(', ')} ({set.validators.length})</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="table-wrap">
        <table class="grid" data-testid="slashes">
          <caption>Slashing: a validator proven to sign two conflicting votes loses {(data.slashes.slash_bps / 100).toFixed(2)}% of its stake, once, and leaves the next set</caption>
          <thead><tr><th scope="col">Validator</th><th scope="col" class="num">Epoch</th><th scope="col">Conflicting votes</th><th scope="col" class="num">Slashed in block</th>
            <th scope="col" class="num">Burned</th><th scope="col">Reported by</th><th scope="col">Proof</th></tr></thead>
          <tbody>
            {data.slashes.slashes.length === 0 && <tr><td colSpan={7} class="empty">No validator has been slashed.</td></tr>}
            {data.slashes.slashes.map((x, i) => (
              <tr key={x.validator} data-verified={slashVerdicts[i]?.ok ? 'true' : 'false'}>
                <td title={x.validator}>{nameOf[x.validator] || `${x.validator.slice(0, 12)}…`}</td><td class="num">{x.epoch}</td>
                <td>two {x.kind} votes at height {formatInt(x.vote_height)}, round {formatInt(x.vote_round)}</td><td class="num">{formatInt(x.height)}</td>
                <td class="num">{formatInt(x.amount)}</td><td class="mono" title={x.reporter}>{x.reporter.slice(0, 12)}…{x.reporter.slice(-6)}</td>
                <td><Badge result={slashVerdicts[i]} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="table-wrap">
        <table class="grid" data-testid="payouts">
          <caption>Payouts, newest epoch first</caption>
          <thead><tr><th scope="col" class="num">Epoch</th><th scope="col" class="num">Block</th><th scope="col" class="num">Validators' pool</th>
            <th scope="col" class="num">Proposer shares</th><th scope="col" class="num">Paid</th><th scope="col" class="num">To delegators</th><th scope="col" class="num">Remainder to treasury</th><th scope="col">Proof</th></tr></thead>
          <tbody>
            {data.payouts.payouts.length === 0 && <tr><td colSpan={8} class="empty">No epoch has ended yet.</td></tr>}
            {data.payouts.payouts.map((x, i) => (
              <tr key={x.epoch} data-verified={payoutVerdicts[i]?.ok ? 'true' : 'false'}>
                <td class="num">{x.epoch}</td><td class="num">{formatInt(x.height)}</td><td class="num">{formatInt(x.validators_pool)}</td>
                <td class="num">{formatInt(x.proposer_shares)}</td><td class="num">{formatInt(x.paid)}</td><td class="num">{formatInt(x.to_delegators)}</td><td class="num">{formatInt(x.to_treasury)}</td>
                <td><Badge result={payoutVerdicts[i]} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Rewards lc={lc} />
    </section>
  );
}
