// The consensus page: every validator voting with its round, the proposers of the newest blocks
// named from the genesis, and the two charts.
export default async function consensus({ page, until, url, screenshot }) {
  await page.goto(url('/consensus'));
  await until('4 validators voting', async () =>
    (await page.locator('[data-testid="consensus-table"] .badge.ok').count()) === 4);
  await until('proposers of recent blocks', async () => {
    const rows = page.locator('[data-testid="leaders"] tbody tr:not(:has(td.empty))');
    return (await rows.count()) > 0 && /validator-\d/.test(await rows.first().textContent());
  });
  await until('the two charts drawn', async () => (await page.locator('.chart .uplot').count()) === 2);
  await screenshot('consensus');
}
