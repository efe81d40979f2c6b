// The mempool page under load: while `metanode bench` sends transfers, the page shows them
// waiting (pending, or a bid ladder) live, with the base fee and its chart.
export default async function mempool({ page, devnet, until, url, screenshot, log }) {
  await page.goto(url('/mempool'));
  await page.waitForSelector('[data-testid="bid-ladder"]');
  await until('the base fee shown', async () => /\d/.test(await page.getByTestId('base-fee').textContent()));
  const load = devnet.cliAsync(['bench', '--devnet', devnet.dir, '--txs', '12000', '--rate', '1500', '--senders', '100',
    '--timeout', '60']);
  let seen = 0;
  await until('transactions seen waiting', async () => {
    const pending = Number((await page.getByTestId('pending').textContent()).replace(/[^0-9]/g, ''));
    const levels = await page.locator('[data-testid="bid-ladder"] tbody tr:not(:has(td.empty))').count();
    seen = Math.max(seen, pending);
    if (levels > 0 && pending > 0) await screenshot('mempool');
    return levels > 0 && pending > 0;
  }, 30000);
  log(`${seen} transactions seen waiting, with their bid ladder`);
  const code = await load;
  if (code !== 0) throw new Error(`metanode bench exited with ${code}`);
  await until('the two charts drawn', async () => (await page.locator('.chart .uplot').count()) === 2);
}
