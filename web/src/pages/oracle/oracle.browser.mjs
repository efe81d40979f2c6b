// The oracle page against a real devnet: the test serves a price, the council (2 of 3) creates a
// feed on it, the validators (the devnet's operators) observe and close round 1; the page shows
// the feed's value, checks its spec, its state and the round against their proofs, every
// observation's signature, and draws the rounds. The price moves and a new round shows.
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default async function oracle({ page, devnet, until, url, screenshot, log }) {
  let price = '123.45';
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/price' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: { price } }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const feedFile = join(mkdtempSync(join(tmpdir(), 'metanode-feed-')), 'feed.json');
    writeFileSync(feedFile, JSON.stringify({
      id: 'btc-usd', description: 'a price the test serves',
      sources: [{ url: `http://127.0.0.1:${server.address().port}/price`, pointer: '/data/price' }],
      decimals: 2, deviation_bps: 100, heartbeat_ms: 600000, max_age_ms: 30000, min_value: 1,
    }));
    const home = devnet.home(0);
    devnet.cli(['gov', 'propose', 'create-feed', '--file', feedFile, '--from', 'council-1', '--home', home, '--wait']);
    const open = JSON.parse(devnet.cli(['gov', 'proposals', '--home', home, '--json'])).proposals
      .find((p) => p.action === 'create_feed');
    if (!open) throw new Error('the create_feed proposal is not open');
    devnet.cli(['gov', 'approve', String(open.id), '--from', 'council-2', '--home', home, '--wait']);

    await page.goto(url('/oracle'));
    const feedRow = page.locator('[data-testid="feeds"] tbody tr', { hasText: 'btc-usd' });
    await until('round 1 of the feed proven in the page', async () =>
      (await feedRow.count()) === 1 && (await feedRow.getAttribute('data-verified')) === 'true' && (await feedRow.textContent()).includes('123.45'), 60000);
    await until('the round, its signatures and median checked', async () => {
      const rows = page.locator('[data-testid="round-list"] tbody tr');
      return (await rows.count()) >= 1 && (await rows.first().getAttribute('data-verified')) === 'true';
    }, 30000);
    const observed = await page.locator('[data-testid="observations"] tbody tr').count();
    if (observed < 3) throw new Error(`round 1 carries ${observed} observations; a quorum of 4 operators is 3`);
    log(`round 1: 123.45 from ${observed} signed observations, checked in the page`);

    price = '130.00';  // a 5% move: a round is due at once
    await until('the new round shown and proven', async () => {
      const text = (await feedRow.textContent()) ?? '';
      return text.includes('130.00') && (await feedRow.getAttribute('data-verified')) === 'true';
    }, 60000);
    await until('the chart drawn', async () => (await page.locator('[data-testid="rounds"] .uplot').count()) === 1);
    await screenshot('oracle');
  } finally {
    server.close();
  }
}
