import { readFileSync } from 'node:fs';

// The fleet page against a real devnet: every node shown up with its figures; a validator killed
// with SIGKILL goes down on the page (with why) and comes back up after a restart; the node page
// shows its history, and its log tail to an admin's wallet only; first paint time and live
// updates are measured.
export default async function fleet({ page, devnet, until, url, screenshot, log }) {
  const started = Date.now();
  await page.goto(url('/fleet'));
  await page.waitForSelector('[data-testid="fleet-table"] tbody tr');
  const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
  log(`first contentful paint ${paint === null ? 'n/a' : `${Math.round(paint)} ms`}, table shown ${Date.now() - started} ms after navigation`);
  const row = (name) => page.locator(`tr[data-node="${name}"]`);
  await until('4 nodes up on the page', async () => (await page.locator('tr[data-up="true"]').count()) === 4);
  if ((await page.getByTestId('nodes-up').textContent()).trim() !== '4 / 4') throw new Error('the summary does not say 4 / 4');
  // Live: the height on the page moves without a reload.
  const heightOf = async (name) => Number((await row(name).locator('td').nth(1).textContent()).replace(/[^0-9]/g, ''));
  const h0 = await heightOf('validator-0');
  await until('the height to move live', async () => (await heightOf('validator-0')) > h0, 15000);
  if ((await page.getByTestId('live').textContent()).trim() !== 'live') throw new Error('the live indicator is not on');
  await screenshot('fleet');

  devnet.kill(1);
  await until('validator-1 down on the page', async () => (await row('validator-1').getAttribute('data-up')) === 'false', 15000);
  const why = await row('validator-1').locator('td').first().textContent();
  if (!/connection refused|no answer/.test(why)) throw new Error(`validator-1 is down without a reason: "${why}"`);
  await screenshot('fleet-node-down');
  devnet.restart(1);
  await until('validator-1 up again', async () => (await row('validator-1').getAttribute('data-up')) === 'true', 30000);
  log('validator-1 went down after SIGKILL and came back up after a restart');

  await row('validator-0').locator('a').click();
  await page.waitForURL('**/fleet/validator-0');
  await page.waitForSelector('#node-title');
  await until('the node page shows its charts', async () => (await page.locator('.chart .uplot').count()) === 3);
  await page.getByTestId('log-locked').waitFor();  // no wallet: no log
  // An admin's wallet reads the node's log tail.
  await page.getByRole('button', { name: 'Connect wallet' }).click();
  await page.getByTestId('key-file').setInputFiles(`${devnet.home(0)}/keys/council-1.key.json`);
  await page.getByTestId('passphrase').fill(readFileSync(`${devnet.home(0)}/passphrase`, 'utf8').trim());
  await page.getByTestId('unlock').click();
  await until("validator-0's log shown to an admin", async () =>
    (await page.getByTestId('log-lines').textContent().catch(() => '')).includes('metanode node: chain metanode-devnet'), 60000);
  await screenshot('fleet-node');
  await page.goBack();
  await page.waitForSelector('[data-testid="fleet-table"]');
}
