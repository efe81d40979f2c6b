// The registry page against a real devnet: the test runs a small HTTP service and leases two names
// on the chain, one with a health check on it and a TTL in seconds, one in blocks of another kind;
// the page lists both, proves each lease, its health and the list itself, and shows the service up
// with the operators' reports. The service stops: the page shows it down. The kind filter narrows
// the list.
import { createServer } from 'node:http';

export default async function registry({ page, devnet, until, screenshot, url, log }) {
  const server = createServer((req, res) => { res.writeHead(200); res.end('ok'); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const service = `http://127.0.0.1:${server.address().port}`;
  try {
    const home = devnet.home(0);
    devnet.cli(['registry', 'register', '--name', 'billing.api', '--kind', 'http', '--endpoint', service,
      '--health-check', `${service}/health`, '--ttl-seconds', '3600', '--metadata', '{"team":"billing"}', '--home', home, '--wait']);
    devnet.cli(['registry', 'register', '--name', 'ledger.db', '--kind', 'postgres', '--endpoint', 'db.internal:5432',
      '--ttl-blocks', '100000', '--home', home, '--wait']);

    await page.goto(url('/registry'));
    const row = (name) => page.locator(`[data-testid="leases"] tbody tr[data-name="${name}"]`);
    await until('both leases listed and proven, and the list proven complete', async () =>
      (await row('billing.api').getAttribute('data-verified')) === 'true' && (await row('ledger.db').getAttribute('data-verified')) === 'true'
      && (await page.getByTestId('index-verdict').textContent()) === 'proven', 30000);
    const dbText = await row('ledger.db').textContent();
    if (!dbText.includes('no check') || !dbText.includes('blocks')) throw new Error(`the block-TTL lease without a check reads "${dbText}"`);
    await until('the service up by the operators\' reports', async () =>
      (await row('billing.api').getByTestId('health').textContent()) === 'up', 60000);
    await row('billing.api').getByRole('button', { name: 'billing.api' }).click();
    const reports = page.locator('[data-testid="reports"] tbody tr');
    await until('the operators\' reports shown', async () => (await reports.count()) >= 3);
    log(`billing.api up by ${await reports.count()} operators' reports, proven`);
    await screenshot('registry');

    server.close();
    server.closeAllConnections();
    await until('the stopped service shown down, still proven', async () =>
      (await row('billing.api').getByTestId('health').textContent()) === 'down'
      && (await row('billing.api').getAttribute('data-verified')) === 'true', 60000);
    log('billing.api down once stopped');

    await page.getByTestId('kind-filter').selectOption('postgres');
    await until('the filter narrows the list to kind postgres', async () =>
      (await page.locator('[data-testid="leases"] tbody tr').count()) === 1 && (await row('ledger.db').count()) === 1
      && (await page.getByTestId('index-verdict').textContent()) === 'proven');
  } finally {
    server.close();
  }
}
