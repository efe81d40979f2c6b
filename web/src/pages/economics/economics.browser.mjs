// The economics page against a real devnet: a few transfers pay fees; the supply, every
// validator's record and each payout are checked in the page against their proofs; the fee chart
// is drawn; the validator set in force is shown; the slashing table shows none; a validator's rewards are looked up and proven; the
// dev account delegates to it and its delegation is proven in the page; a malformed address is refused with what is wrong.
export default async function economics({ page, devnet, until, url, screenshot, log }) {
  for (let i = 0; i < 3; i++) {
    devnet.cli(['tx', 'transfer', '--home', devnet.home(0), '--from', 'dev', '--to', 'mn1np5s00kx5s4d9m4at99ymwufpl40nh7zwxjg3p3vj2tcaav9l8eq7c3gry',
      '--amount', '5', '--bid', String(2 + i), '--wait']);
  }
  await page.goto(url('/economics'));
  let verdict = '';
  await until('the supply checked in the page', async () => {
    verdict = (await page.getByTestId('supply-verdict').textContent({ timeout: 2000 }).catch(() => '')) ?? '';
    return verdict.includes('Verified in this page');
  }, 30000);
  log(verdict.trim());
  const burned = await page.getByTestId('supply-burned').textContent();
  if (!/[1-9]/.test(burned)) throw new Error(`no fee burned after three transfers: ${burned}`);
  const validators = page.locator('[data-testid="validators"] tbody tr');
  await until('every validator proven', async () => {
    const states = await validators.evaluateAll((trs) => trs.map((tr) => tr.dataset.verified));
    return states.length === 4 && states.every((s) => s === 'true');
  });
  await until('payouts proven', async () => {
    const states = await page.locator('[data-testid="payouts"] tbody tr[data-verified]').evaluateAll((trs) => trs.map((tr) => tr.dataset.verified));
    return states.length > 0 && states.every((s) => s === 'true');
  });
  await until('the fee chart drawn', async () => (await page.locator('[data-testid="fee-chart"] .uplot').count()) === 1);
  // The set in force: genesis's four validators, open-ended.
  const sets = page.locator('[data-testid="validator-sets"] tbody tr');
  await until('the validator set shown', async () => (await sets.count()) === 1);
  const setRow = await sets.first().textContent();
  if (!setRow.includes('in force') || !setRow.includes('(4)')) throw new Error(`the validator set row: ${setRow}`);
  // Nobody equivocated: the slashing table says so, with the governed fraction.
  const slashes = await page.getByTestId('slashes').textContent();
  if (!slashes.includes('No validator has been slashed') || !/\d+\.\d\d% of its stake/.test(slashes)) throw new Error(`the slashing table: ${slashes}`);
  await screenshot('economics');

  const address = await validators.first().locator('td:nth-child(2)').getAttribute('title');
  await page.getByTestId('rewards-address').fill(address);
  await page.getByRole('button', { name: 'Look up' }).click();
  await until('the rewards proven', async () => {
    const text = (await page.getByTestId('rewards').textContent({ timeout: 2000 }).catch(() => '')) ?? '';
    return text.includes('Verified in this page') && text.includes('paid in total');
  });
  await screenshot('economics-rewards');
  // The dev account delegates to that validator: its rewards answer lists the delegation, whose
  // worth the page recomputes from the proven record and pool.
  devnet.cli(['econ', 'delegate', '--home', devnet.home(0), '--from', 'dev', '--validator', address, '--amount', '1000', '--wait']);
  const dev = JSON.parse(devnet.cli(['keys', 'show', 'dev', '--keystore', `${devnet.home(0)}/keys`, '--json'])).address;
  await page.getByTestId('rewards-address').fill(dev);
  await page.getByRole('button', { name: 'Look up' }).click();
  await until('the delegation proven', async () => {
    const rows = page.locator('[data-testid="delegations"] tbody tr');
    if ((await rows.count()) !== 1) return false;
    return (await rows.first().getAttribute('data-verified')) === 'true' && (await rows.first().textContent()).includes('1,000');
  });
  await screenshot('economics-delegation');
  await page.getByTestId('rewards-address').fill('mn1notanaddress');
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.getByTestId('rewards-error').waitFor();
  const refusal = await page.getByTestId('rewards-error').textContent();
  if (!refusal.includes('address')) throw new Error(`a malformed address: ${refusal}`);
}
