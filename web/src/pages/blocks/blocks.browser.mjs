// Blocks and transactions against a real devnet: a transfer sent with the CLI is found by search,
// its proof is verified in the page (certificate, inclusion, receipt, the sender's account), the
// recipient's account proof and its block's certificate too; a tampered copy of the proof does
// not verify.
export default async function blocks({ page, devnet, until, url, screenshot, log }) {
  const recipient = JSON.parse(devnet.cli(['keys', 'show', 'council-1', '--keystore', `${devnet.home(0)}/keys`, '--json'])).address;
  const sent = JSON.parse(devnet.cli(['tx', 'transfer', '--home', devnet.home(0), '--to', recipient, '--amount', '7', '--bid', '1', '--json']));
  const hash = sent.hash;
  log(`sent ${hash.slice(0, 16)}… with the CLI`);

  await page.goto(url('/blocks'));
  await until('blocks listed', async () => (await page.locator('[data-testid="blocks-table"] tbody tr[data-height]').count()) > 0);
  await screenshot('blocks');
  await page.getByTestId('search').fill(hash);
  await page.getByTestId('search').press('Enter');
  await page.waitForURL(`**/txs/${hash}`);
  await until('the transaction verified in the page', async () => {
    const text = await page.getByTestId('verdict').textContent();
    if (text.includes('Does not verify')) throw new Error(text);
    return text.includes('Verified in this page') && text.includes('genesis validators signed') && text.includes('proven in that block');
  }, 30000);
  log((await page.getByTestId('verdict').textContent()).trim());
  await screenshot('transaction');

  // A tampered proof: the amount in the transaction's canonical bytes changed by one.
  await page.locator('summary', { hasText: 'The proof (JSON)' }).click();
  const proof = JSON.parse(await page.getByTestId('proof-json').textContent());
  const bytes = proof.tx.encoded;
  const at = bytes.length / 2 - 80;  // inside the transfer's amount (as tests/interop/light_client.mjs)
  const flipped = (parseInt(bytes.slice(at * 2, at * 2 + 2), 16) ^ 1).toString(16).padStart(2, '0');
  proof.tx.encoded = bytes.slice(0, at * 2) + flipped + bytes.slice(at * 2 + 2);
  await page.locator('summary', { hasText: 'Check a saved proof' }).click();
  await page.getByTestId('proof-input').fill(JSON.stringify(proof));
  await page.getByRole('button', { name: 'Check' }).click();
  const refused = await page.getByTestId('proof-result').textContent();
  if (!refused.includes('Does not verify')) throw new Error(`a tampered proof was accepted: ${refused}`);
  log(`tampered proof refused: ${refused.trim()}`);
  // The untouched proof passes the same checker.
  proof.tx.encoded = bytes;
  await page.getByTestId('proof-input').fill(JSON.stringify(proof));
  await page.getByRole('button', { name: 'Check' }).click();
  if (!(await page.getByTestId('proof-result').textContent()).includes('Verified in this page')) throw new Error('the honest proof did not verify in the checker');
  await screenshot('transaction-tampered');

  // The recipient's account: its state proof checked in the page, the transfer among its recent ones.
  await page.locator('dd a', { hasText: recipient }).click();
  await page.waitForURL(`**/accounts/${recipient}`);
  await until("the recipient's account verified in the page", async () => {
    const text = await page.getByTestId('verdict').textContent();
    if (text.includes('Does not verify')) throw new Error(text);
    return text.includes('Verified in this page');
  });
  await until('the transfer among its recent transactions', async () =>
    (await page.locator(`[data-testid="account-txs"] a[href="/txs/${hash}"]`).count()) === 1);
  await screenshot('account');
  await page.goBack();
  await page.waitForURL(`**/txs/${hash}`);

  const height = proof.height;
  await page.locator('a', { hasText: new RegExp(`^${Number(height).toLocaleString('en-US')}$`) }).first().click();
  await page.waitForURL(`**/blocks/${height}`);
  await until("the block's certificate verified in the page", async () =>
    (await page.getByTestId('verdict').textContent()).includes('Verified in this page'));
  await screenshot('block');
}
