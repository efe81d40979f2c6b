// The proof-check page against a real devnet: node 0's audit trail read with the CLI by a council
// key (admin), then its signed checkpoint and one of its events (with the inclusion proof) pasted
// into the page and verified there (Ed25519 and ML-DSA-65 in the browser); a changed event and a
// changed checkpoint do not verify, and a claim of no known kind says what is checked.
export default async function proofs({ page, devnet, until, url, screenshot, log }) {
  const home = devnet.home(0);
  let tail = null;
  await until('a signed audit checkpoint on node 0', async () => {
    tail = JSON.parse(devnet.cli(['audit', 'tail', '--as', 'council-1', '--home', home, '--limit', '50', '--json']));
    return tail.checkpoint && tail.events.some((e) => e.proof);
  }, 40000);
  const event = tail.events.find((e) => e.proof);
  const note = tail.checkpoint.note;
  log(`checkpoint of ${tail.checkpoint.size} events; event ${event.index} (${event.action})`);

  await page.goto(url('/proofs'));
  await until('the genesis loaded', async () => (await page.getByTestId('genesis-digest').count()) === 1);
  const check = async (claim) => {
    await page.getByTestId('claim-input').fill(typeof claim === 'string' ? claim : JSON.stringify(claim));
    await page.getByRole('button', { name: 'Check' }).click();
    return (await page.getByTestId('claim-result').textContent()).trim();
  };
  const verified = async (claim, what) => {
    const text = await check(claim);
    if (!text.includes('Verified in this page')) throw new Error(`${what} did not verify: ${text}`);
    log(text);
  };
  const refused = async (claim, what, why) => {
    const text = await check(claim);
    if (!text.includes('Does not verify') || !text.includes(why)) throw new Error(`${what} was not refused for "${why}": ${text}`);
    log(`${what}: ${text}`);
  };

  await verified({ kind: 'checkpoint', note }, 'the checkpoint');
  await verified({ kind: 'audit-event', event, checkpoint: note }, 'the event');
  await screenshot('proofs');

  const at = Math.floor(event.bytes.length / 2);
  const changed = { ...event, bytes: event.bytes.slice(0, at) + (event.bytes[at] === '0' ? '1' : '0') + event.bytes.slice(at + 1) };
  await refused({ kind: 'audit-event', event: changed, checkpoint: note }, 'a changed event', 'another root');
  const lines = note.split('\n');
  lines[1] = String(Number(lines[1]) + 1);  // the tree size
  await refused({ kind: 'checkpoint', note: lines.join('\n') }, 'a changed checkpoint', 'does not verify');
  await refused({ kind: 'horoscope' }, 'an unknown kind', 'must be one of');
  await refused('not json', 'text that is not JSON', 'not JSON');
  await screenshot('proofs-refused');
}
