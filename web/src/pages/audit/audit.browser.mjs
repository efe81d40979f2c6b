// The audit page against a real devnet: without a wallet it asks for one; council-1 (admin)
// connects and node 0's newest checkpoint is checked in the page (validator-0's Ed25519 and
// ML-DSA-65 signatures, and the other validators' witness cosignatures), every event shown
// verifies against it with its inclusion proof, a filter by action narrows the list to that
// action, and an event opens with its fields and its verdict. BPCI's own log: the page's own
// requests are in it, and its checkpoint verifies against the key the genesis registers for BPCI.
export default async function audit({ page, devnet, until, url, screenshot, log, connectWallet: connect }) {
  // Node 0 has a checkpoint the witnesses cosigned (within seconds of its first events).
  await until('a cosigned checkpoint on node 0', async () => {
    const tail = JSON.parse(devnet.cli(['audit', 'tail', '--as', 'council-1', '--home', devnet.home(0), '--limit', '1', '--json']));
    return Boolean(tail.checkpoint?.cosigned_note);
  }, 60000);
  await page.goto(url('/audit'));
  await page.getByTestId('audit-needs-wallet').waitFor();
  await connect('council-1');
  const show = page.getByRole('button', { name: 'Show' });
  let checkpoint = '';
  await until('a checkpoint signed by validator-0 and cosigned by the witnesses, checked in the page', async () => {
    if (await show.isEnabled()) await show.click();
    checkpoint = (await page.getByTestId('audit-checkpoint').textContent({ timeout: 2000 }).catch(() => '')) ?? '';
    return checkpoint.includes('Verified in this page') && checkpoint.includes('cosigned by validator-');
  }, 60000);
  log(checkpoint.trim());

  const rows = page.locator('[data-testid="audit-events"] tbody tr');
  await until('events listed', async () => (await rows.count()) > 0);
  const states = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.verified));
  if (states.includes('false')) throw new Error(`an event does not verify in the page: ${states.join(' ')}`);
  if (!states.includes('true')) throw new Error('no event verified against the checkpoint');
  log(`${states.filter((s) => s === 'true').length} of ${states.length} events verified in the page`);
  await screenshot('audit');

  await page.getByTestId('audit-action').fill('block.commit');
  await show.click();
  await until('only block commits listed', async () => {
    const actions = await page.locator('[data-testid="audit-events"] tbody tr td:nth-child(3)').allTextContents();
    return actions.length > 0 && actions.every((a) => a === 'block.commit');
  });
  await page.locator('[data-testid="audit-events"] tbody tr[data-verified="true"]').first().click();
  const detail = page.getByTestId('audit-event-detail');
  await detail.waitFor();
  const text = await detail.textContent();
  if (!text.includes('Verified in this page') || !text.includes('block.commit')) throw new Error(`the event's detail: ${text}`);
  await screenshot('audit-event');

  // BPCI's log: the console's own requests (this page's among them), signed by BPCI's key.
  await page.getByTestId('audit-action').fill('http.request');
  await page.getByTestId('audit-node').selectOption('@bpci');
  await until('BPCI\'s checkpoint checked in the page', async () => {
    if (await show.isEnabled()) await show.click();
    checkpoint = (await page.getByTestId('audit-checkpoint').textContent({ timeout: 2000 }).catch(() => '')) ?? '';
    return checkpoint.includes('Verified in this page') && checkpoint.includes("bpci's log (registered in the genesis)");
  }, 30000);
  await until('BPCI\'s request events verified', async () => {
    if (await show.isEnabled()) await show.click();
    await page.waitForTimeout(500);
    const verified = await page.locator('[data-testid="audit-events"] tbody tr[data-verified="true"] td:nth-child(5)').allTextContents();
    return verified.some((subject) => subject.includes('/v1/fleet') || subject.includes('/v1/genesis'));
  }, 30000);
  log(checkpoint.trim());
  await screenshot('audit-bpci');
}
