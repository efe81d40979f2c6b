// The installer, end to end on the devnet: without a wallet the page asks for one; council-1 (an
// admin) makes a new full node's bundle and sees the commands and unit that install it, proposes
// its admission (the role "node"), council-2 approves it, and the node, started from the page,
// links to the validators, syncs and follows: the page shows it caught up and the fleet shows it
// up as a full node.
export default async function installer({ page, until, url, screenshot, log, connectWallet }) {
  await page.goto(url('/installer'));
  await page.getByTestId('installer-locked').waitFor();

  await connectWallet('council-1');
  await page.getByTestId('install-make').waitFor();
  const name = await page.getByTestId('install-name').inputValue();
  await page.getByTestId('install-make').click();
  const card = page.locator(`[data-bundle="${name}"]`);
  await card.waitFor({ timeout: 30000 });
  const commands = await card.getByTestId('install-commands').textContent();
  if (!commands.includes(`systemctl enable --now metanode-${name}`)) throw new Error(`no systemd start in the commands:\n${commands}`);
  await until('the new node shown not admitted', async () => (await card.getByTestId('admission').textContent()) === 'not admitted');
  if (!(await card.getByTestId('install-start').isDisabled())) throw new Error('a node that is not admitted can be started');
  await screenshot('installer-bundle');

  await card.getByTestId('install-propose').click();
  await until('its admission proposed, 1 of 2 approvals', async () => /1 \/ 2 approvals/.test(await card.getByTestId('admission').textContent()), 30000);
  await connectWallet('council-2');
  await card.getByTestId('install-approve').click();
  await until('it is admitted', async () => (await card.getByTestId('admission').textContent()) === 'admitted', 30000);

  await card.getByTestId('install-start').click();
  await until('it caught up with the validators', async () =>
    (await card.getByTestId('follow').getAttribute('data-caught-up').catch(() => null)) === 'true', 90000);
  log(`${name}: admitted with 2 of 3 council keys, started, ${(await card.getByTestId('follow').textContent()).trim()}`);
  await screenshot('installer');

  await page.goto(url('/fleet'));
  await until(`${name} up in the fleet as a full node`, async () => {
    const row = page.locator(`tr[data-node="${name}"]`);
    return (await row.getAttribute('data-up').catch(() => null)) === 'true' && (await row.textContent()).includes('full node');
  }, 30000);
}
