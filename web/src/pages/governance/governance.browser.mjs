// Governance from the page: the dev key (not on the council) sees no propose or approve
// controls; council-1 proposes granting the auditor role to the dev address, council-2 approves,
// and with 2 of 3 the grant takes effect: the proposal shows executed and the role its holder.
export default async function governance({ page, devnet, until, url, screenshot, log, connectWallet: connect }) {
  const dev = JSON.parse(devnet.cli(['keys', 'show', 'dev', '--keystore', `${devnet.home(0)}/keys`, '--json'])).address;

  await page.goto(url('/governance'));
  await page.getByTestId('gov-proposals').waitFor();
  await connect('dev');
  await until('the dev key shown as not on the council', async () => (await page.getByTestId('gov-you').textContent()) === 'not on the council');
  if (await page.getByTestId('gov-propose').count()) throw new Error('a key outside the council is offered the propose form');

  await connect('council-1');
  await until('council-1 shown as a member', async () => (await page.getByTestId('gov-you').textContent()) === 'council member');
  await page.getByTestId('gov-role').fill('auditor');
  await page.getByTestId('gov-subject').fill(dev);
  await page.getByTestId('gov-propose').click();
  await until('the proposal listed, open with one approval', async () => {
    const row = page.locator('[data-testid="gov-proposals"] tr[data-status="open"]', { hasText: 'auditor' });
    return (await row.count()) === 1 && (await row.textContent()).includes('1 / 2');
  }, 30000);
  const id = await page.locator('[data-testid="gov-proposals"] tr[data-status="open"]', { hasText: 'auditor' }).getAttribute('data-proposal');
  await screenshot('governance-proposed');

  await connect('council-2');
  await page.getByTestId(`approve-${id}`).click();
  await until('the proposal executed', async () =>
    (await page.locator(`[data-testid="gov-proposals"] tr[data-proposal="${id}"]`).getAttribute('data-status')) === 'executed', 30000);
  await until('the auditor role held by the dev address', async () =>
    (await page.locator('[data-testid="gov-roles"] tr[data-role="auditor"]').textContent()).includes(dev));
  log(`proposal ${id}: auditor granted to the dev address with 2 of 3 council keys`);
  await screenshot('governance');
}
