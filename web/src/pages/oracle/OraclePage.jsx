// Oracle: every feed with its latest value, and a feed's rounds: the median of a quorum of
// observations signed by the governed operators. Each feed's spec and state and each round are
// checked in this page against their proofs and a certified header (lib/verify.js, the fleet's
// genesis), and each observation's Ed25519 signature against its operator's key: neither the node
// nor BPCI is trusted for any of it.
import { ed25519 } from '@noble/curves/ed25519';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson } from '../../lib/api.js';
import { concat, hex, lengthPrefixed, u64le, unhex } from '../../lib/bytes.js';
import { useGenesisClient } from '../../lib/chain.js';
import { Chart } from '../../lib/Chart.jsx';
import { useFleet } from '../../lib/fleet.js';
import { formatInt } from '../../lib/format.js';
import { H } from '../../lib/verify.js';

const ROUNDS = 30;
const te = new TextEncoder();
const i64 = (r) => BigInt.asIntN(64, r.u64());

// FeedState (round, median, time, height), proven; compared with what the answer shows.
function provenFeed(lc, feed) {
  const spec = lc.verifyState(feed.spec_proof);
  if (spec.value === null) throw new Error('the feed spec is proven absent');
  const state = lc.verifyState(feed.latest_proof);
  if (state.value === null) {
    if (feed.latest !== null) throw new Error('the answer shows a round the proof says does not exist');
    return { ok: true, text: `spec proven in block ${spec.height}; no round yet (proven absent)` };
  }
  const r = state.reader();
  const proven = { round: r.u64(), median: i64(r), unix_ms: i64(r), height: r.u64() };
  r.end();
  if (BigInt(feed.latest.round) !== proven.round || BigInt(feed.latest.median) !== proven.median) {
    throw new Error(`the answer's round ${feed.latest.round} / ${feed.latest.median} is not the proven ${proven.round} / ${proven.median}`);
  }
  return { ok: true, text: `spec and latest round proven in block ${state.height}` };
}

// RoundRecord, proven, and each observation's signature over H(oracle-observation, genesis digest
// || feed || round || value || time) checked with its operator's key.
function provenRound(lc, round) {
  const { value, height, reader } = lc.verifyState(round.proof);
  if (value === null) throw new Error('the round is proven absent');
  const r = reader();
  const proven = { round: r.u64(), median: i64(r), height: r.u64(), unix_ms: i64(r) };
  r.fixed(32);  // the reporter's address
  const observations = r.vec((x) => ({ key: x.fixed(32), value: i64(x), observed: i64(x), signature: x.fixed(64) }));
  r.end();
  if (BigInt(round.median) !== proven.median || BigInt(round.round) !== proven.round) {
    throw new Error(`the answer's median ${round.median} is not the proven ${proven.median}`);
  }
  const genesis = unhex(lc.genesisDigest);
  for (const o of observations) {
    const digest = H('oracle-observation', genesis, lengthPrefixed(te.encode(round.feed)), u64le(proven.round),
      u64le(BigInt.asUintN(64, o.value)), u64le(BigInt.asUintN(64, o.observed)));
    if (!ed25519.verify(o.signature, digest, o.key)) throw new Error(`the observation of ${hex(o.key).slice(0, 12)}… does not verify`);
  }
  const values = observations.map((o) => o.value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = Math.floor(values.length / 2);
  const median = values.length % 2 ? values[mid] : (values[mid - 1] + values[mid] - (((values[mid - 1] + values[mid]) % 2n + 2n) % 2n)) / 2n;
  if (median !== proven.median) throw new Error(`the median of the proven observations is ${median}, not ${proven.median}`);
  return { ok: true, text: `proven in block ${height}; ${observations.length} signatures verified; median recomputed` };
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

const when = (ms) => (ms ? new Date(Number(ms)).toLocaleTimeString() : '–');

function FeedRounds({ lc, feed, tick }) {
  const [rounds, setRounds] = useState(null);
  const [error, setError] = useState(null);
  const latest = feed.latest?.round ?? 0;
  useEffect(() => {
    let cancelled = false;
    if (!latest) {
      setRounds([]);
      return undefined;
    }
    const wanted = Array.from({ length: Math.min(ROUNDS, latest) }, (_, i) => latest - i);
    Promise.all(wanted.map((n) => getJson(`/v1/feeds/${encodeURIComponent(feed.id)}/rounds/${n}`)))
      .then((list) => { if (!cancelled) { setRounds(list); setError(null); } })
      .catch((e) => !cancelled && setError(e.message));
    return () => { cancelled = true; };
  }, [feed.id, latest, tick]);
  const verdicts = useMemo(() => (rounds ?? []).map((r) => check(lc, () => provenRound(lc, r))), [rounds, lc]);
  const chart = useMemo(() => {
    const ordered = [...(rounds ?? [])].reverse();
    return [ordered.map((r) => r.unix_ms / 1000), ordered.map((r) => Number(r.value))];
  }, [rounds]);
  if (error) return <div class="notice error" role="alert">{error}</div>;
  if (!rounds) return <div class="notice">Reading the rounds…</div>;
  if (rounds.length === 0) return <p class="muted" data-testid="no-rounds">No round yet: the operators' first report closes round 1.</p>;
  const newest = rounds[0];
  return (
    <div data-testid="rounds">
      <div class="charts"><Chart title={`${feed.id}: the median of each round, last ${rounds.length}`} series={[feed.id]} data={chart} /></div>
      <div class="table-wrap">
        <table class="grid" data-testid="observations">
          <caption>Round {newest.round}: {newest.value}, the median of {newest.observations.length} signed observations (block {formatInt(newest.height)})</caption>
          <thead><tr><th scope="col">Operator</th><th scope="col" class="num">Value</th><th scope="col">Observed</th></tr></thead>
          <tbody>
            {newest.observations.map((o) => (
              <tr key={o.operator}><td class="mono" title={o.address}>{o.address.slice(0, 12)}…{o.address.slice(-6)}</td><td class="num">{o.decimal}</td><td>{when(o.observed_unix_ms)}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="table-wrap">
        <table class="grid" data-testid="round-list">
          <caption>Rounds, newest first</caption>
          <thead><tr><th scope="col" class="num">Round</th><th scope="col" class="num">Value</th><th scope="col" class="num">Observations</th><th scope="col" class="num">Block</th><th scope="col">Time</th><th scope="col">Proof</th></tr></thead>
          <tbody>
            {rounds.map((r, i) => (
              <tr key={r.round} data-verified={verdicts[i]?.ok ? 'true' : 'false'}>
                <td class="num">{r.round}</td><td class="num">{r.value}</td><td class="num">{r.observations.length}</td><td class="num">{formatInt(r.height)}</td><td>{when(r.unix_ms)}</td><td><Badge result={verdicts[i]} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function OraclePage() {
  const lc = useGenesisClient();
  const { fleet } = useFleet();
  const tick = Math.floor((fleet?.updated_unix_ms ?? 0) / 3000);
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(null);
  useEffect(() => {
    let cancelled = false;
    getJson('/v1/feeds').then((d) => { if (!cancelled) { setData(d); setError(null); } }).catch((e) => !cancelled && setError(e.message));
    return () => { cancelled = true; };
  }, [tick]);
  const verdicts = useMemo(() => (data?.feeds ?? []).map((f) => check(lc, () => provenFeed(lc, f))), [data, lc]);
  if (error) return <div class="notice error" role="alert">{error}</div>;
  if (!data) return <div class="notice">Reading the oracle service…</div>;
  const feed = data.feeds.find((f) => f.id === selected) ?? data.feeds[0];
  return (
    <section aria-labelledby="oracle-title">
      <h1 id="oracle-title">Oracle</h1>
      <p class="muted">External data enters the chain only as the median of at least {data.quorum} observations signed by distinct operators ({data.operators.length} hold role <code>oracle</code>). A new round closes when the value moves past the feed's threshold or its heartbeat passes. Each value, round and signature is checked in this page.</p>
      <div class="table-wrap">
        <table class="grid" data-testid="feeds">
          <caption>Feeds (created by the council: <code>metanode gov propose create-feed</code>)</caption>
          <thead><tr><th scope="col">Feed</th><th scope="col" class="num">Value</th><th scope="col" class="num">Round</th><th scope="col">Updated</th><th scope="col" class="num">Sources</th><th scope="col" class="num">Deviation</th><th scope="col" class="num">Heartbeat</th><th scope="col">Proof</th></tr></thead>
          <tbody>
            {data.feeds.length === 0 && <tr><td colSpan={8} class="empty">No feed yet.</td></tr>}
            {data.feeds.map((f, i) => (
              <tr key={f.id} data-verified={verdicts[i]?.ok ? 'true' : 'false'} class={feed?.id === f.id ? 'selected' : ''}>
                <td><button type="button" class="link" onClick={() => setSelected(f.id)} title={f.description}>{f.id}</button></td>
                <td class="num">{f.latest ? f.latest.value : '–'}</td><td class="num">{f.latest ? f.latest.round : 0}</td><td>{when(f.latest?.round_unix_ms)}</td>
                <td class="num" title={f.sources.map((s) => `${s.url} ${s.pointer}`).join('\n')}>{f.sources.length}</td>
                <td class="num">{(f.deviation_bps / 100).toFixed(2)}%</td><td class="num">{Math.round(f.heartbeat_ms / 1000)} s</td><td><Badge result={verdicts[i]} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {feed && <FeedRounds lc={lc} feed={feed} tick={tick} />}
    </section>
  );
}
