// Wallet login and a transfer signed in the page: a council key file from the devnet's key store
// is refused with a wrong passphrase and unlocked with the right one (its admin role shown); a
// transfer signed in the page is accepted, its bytes and hash are exactly the node's, and it is
// committed and verified on its transaction page. After a reload the key kept in the browser
// unlocks again; a key made in the page is saved as a key file the CLI's key store reads.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default async function send({ page, devnet, until, url, screenshot, log }) {
  const keyFile = `${devnet.home(0)}/keys/council-1.key.json`;
  const passphrase = readFileSync(`${devnet.home(0)}/passphrase`, 'utf8').trim();
  const recipient = JSON.parse(devnet.cli(['keys', 'show', 'dev', '--keystore', `${devnet.home(0)}/keys`, '--json'])).address;

  await page.goto(url('/send'));
  await page.getByTestId('needs-wallet').waitFor();
  await page.getByRole('button', { name: 'Connect wallet' }).click();
  await page.getByTestId('key-file').setInputFiles(keyFile);
  await page.getByTestId('passphrase').fill(`${passphrase}-wrong`);
  await page.getByTestId('unlock').click();
  await until('a wrong passphrase refused', async () => /wrong passphrase/.test(await page.getByTestId('wallet-error').textContent().catch(() => '')), 60000);
  await page.getByTestId('passphrase').fill(passphrase);
  const started = Date.now();
  await page.getByTestId('unlock').click();
  await page.getByTestId('wallet').waitFor({ timeout: 60000 });
  log(`unlocked and logged in in ${Date.now() - started} ms (Argon2id in the page)`);
  if ((await page.getByTestId('role').allTextContents()).join(',') !== 'admin') throw new Error('the council key does not show its admin role');
  await screenshot('send-connected');

  await page.getByTestId('send-to').fill(recipient);
  await page.getByTestId('send-amount').fill('3');
  await page.getByTestId('send-submit').click();
  await until('the transfer submitted', async () => (await page.getByTestId('sent').textContent().catch(() => '')).includes('Submitted'), 20000);
  const hash = (await page.getByTestId('sent-hash').textContent()).trim();
  const bytes = (await page.getByTestId('signed-bytes').textContent()).trim();
  await screenshot('send-submitted');

  // The node's canonical encoding and hash of the committed transaction are the page's.
  let tx;
  await until('the transfer committed', async () => {
    const answer = await page.evaluate(async (h) => (await fetch(`/v1/chain/txs/${h}`)).json(), hash);
    tx = answer.tx;
    return answer.status === 'committed';
  }, 30000);
  if (tx.hash !== hash) throw new Error(`the node's hash ${tx.hash} is not the page's ${hash}`);
  if (tx.encoded !== bytes) throw new Error("the node's canonical bytes are not the page's");
  log(`committed; the node's canonical bytes (${bytes.length / 2} bytes) and hash are the page's`);

  await page.getByTestId('sent-hash').click();
  await page.waitForURL(`**/txs/${hash}`);
  await until('verified in the page', async () => (await page.getByTestId('verdict').textContent()).includes('Verified in this page'), 30000);
  // And from the blocks page: its block, whose page lists the transfer.
  const height = Number((await page.locator('p.hint a').first().textContent()).replace(/[^0-9]/g, ''));
  await page.locator('nav a', { hasText: 'Blocks' }).click();
  await page.getByTestId('blocks-table').waitFor();
  // Found by its height (a devnet makes a block a second: it may already be past the newest 20).
  await page.getByTestId('search').fill(String(height));
  await page.getByTestId('search').press('Enter');
  await page.waitForURL(`**/blocks/${height}`);
  await until('the transfer in its block', async () => (await page.locator(`a[href="/txs/${hash}"]`).count()) === 1, 20000);
  await screenshot('send-in-block');

  // A reload forgets the unlocked key; the file kept in the browser (encrypted) unlocks again.
  await page.reload();
  await page.getByRole('button', { name: 'Connect wallet' }).click();
  await page.getByTestId('saved-key').waitFor();
  await page.getByTestId('passphrase').fill(passphrase);
  await page.getByTestId('unlock').click();
  await page.getByTestId('wallet').waitFor({ timeout: 60000 });
  await page.getByRole('button', { name: 'Disconnect' }).click();

  // A key made in the page: connected at once, and its saved file is one the CLI unlocks.
  await page.getByRole('button', { name: 'Connect wallet' }).click();
  await page.getByTestId('mode-create').check();
  await page.getByTestId('new-name').fill('made-in-page');
  await page.getByTestId('passphrase').fill('page-passphrase-1');
  await page.getByTestId('passphrase-again').fill('page-passphrase-1');
  await page.getByTestId('unlock').click();
  await page.getByTestId('wallet').waitFor({ timeout: 60000 });
  const downloading = page.waitForEvent('download');
  await page.getByTestId('save-key').click();
  const store = mkdtempSync(join(tmpdir(), 'metanode-page-key-'));
  try {
    mkdirSync(join(store, 'keys'));
    await (await downloading).saveAs(join(store, 'keys', 'made-in-page.key.json'));
    writeFileSync(join(store, 'pass'), 'page-passphrase-1\n');
    const shown = JSON.parse(devnet.cli(['keys', 'show', 'made-in-page', '--keystore', join(store, 'keys'), '--check-passphrase',
      '--passphrase-file', join(store, 'pass'), '--json']));
    const inPage = (await page.getByTestId('wallet').locator('.mono').getAttribute('title')).trim();
    if (shown.address !== inPage) throw new Error(`the CLI reads ${shown.address} from the saved file, the page shows ${inPage}`);
    log(`a key made in the page (${inPage.slice(0, 14)}…) unlocks with the CLI from its saved file`);
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
}
