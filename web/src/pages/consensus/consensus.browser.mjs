// The consensus page: every validator voting with its round, the proposers of the newest blocks
// named from the genesis, the two charts, and the dark theme chosen from the keyboard.
export default async function consensus({ page, until, url, screenshot }) {
  await page.goto(url('/consensus'));
  await until('4 validators voting', async () =>
    (await page.locator('[data-testid="consensus-table"] .badge.ok').count()) === 4);
  await until('proposers of recent blocks', async () => {
    const rows = page.locator('[data-testid="leaders"] tbody tr:not(:has(td.empty))');
    return (await rows.count()) > 0 && /validator-\d/.test(await rows.first().textContent()) &&
      /^\d+$/.test((await rows.first().locator('td').nth(3).textContent()).trim());  // decided in round N
  });
  await until('the two charts drawn', async () => (await page.locator('.chart .uplot').count()) === 2);
  await screenshot('consensus');
  // The theme control cycles auto → light → dark, from the keyboard too; dark paints dark.
  await page.getByRole('button', { name: /theme/ }).focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  // The theme is applied after the key's re-render (and any transition): wait for it, briefly.
  let background = '';
  await until('the dark theme applied', async () => {
    background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    return (await page.evaluate(() => document.documentElement.dataset.theme)) === 'dark' && background === 'rgb(15, 18, 22)';
  }, 5000).catch(() => { throw new Error(`the dark theme is not applied (background ${background})`); });
  await screenshot('consensus-dark');
}
