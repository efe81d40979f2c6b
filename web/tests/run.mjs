// The console's browser tests: a real 4-validator devnet (`metanode up`, with BPCI), Debian's
// chromium driven headless by playwright-core, and every page's test (src/pages/*/*.browser.mjs).
// Each page is screenshotted into --screenshots; any browser console error fails the run.
//
//   node tests/run.mjs --bin build/bin/metanode [--port-base 27000] [--screenshots build/screenshots]
//                      [--chromium /usr/bin/chromium] [--only fleet] [--heap-seconds N]
// --heap-seconds N: afterwards, the Fleet page stays open for N seconds of live updates and the JS
// heap after a full GC is compared at the start and the end (bench/README.md: the 10-minute run),
// the start being after --heap-warmup-seconds (310: once the page's bounded history is full);
// --load-rate R runs `metanode bench` at R transfers a second meanwhile, and the live updates'
// cadence is reported.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) =>
  (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
if (!args.bin) {
  console.error('usage: node tests/run.mjs --bin METANODE [--port-base N] [--screenshots DIR] [--chromium PATH] [--only PAGE]');
  process.exit(2);
}
const bin = resolve(args.bin);
const portBase = Number(args['port-base'] ?? 27000);
const consolePort = portBase + 80;
const screenshots = resolve(args.screenshots ?? join(here, '..', '..', 'build', 'screenshots'));
const chromiumPath = args.chromium ?? '/usr/bin/chromium';
if (!existsSync(chromiumPath)) {
  console.error(`browser tests: no chromium at ${chromiumPath} (scripts/setup.sh installs Debian's chromium)`);
  process.exit(1);
}
mkdirSync(screenshots, { recursive: true });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, condition, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try { if (await condition()) return; } catch (e) { last = e; }
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${last.message})` : ''}`);
}

// The devnet, with BPCI on port base + 80.
const dir = mkdtempSync(join(tmpdir(), 'metanode-browser-'));
const started = [];
const up = spawn(bin, ['up', '--dir', join(dir, 'net'), '--validators', '4', '--consensus', args.consensus ?? 'ibft',
  '--port-base', String(portBase), '--status-interval-ms', '5000', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
let upOutput = '';
up.stdout.on('data', (d) => { upOutput += d; });
up.stderr.on('data', (d) => { upOutput += d; });

const devnet = {
  dir: join(dir, 'net'),
  consoleUrl: `http://127.0.0.1:${consolePort}`,
  nodeConfig: (i) => join(dir, 'net', `node${i}`, 'config.toml'),
  // The pid of validator i's process (the one `up` started, or a restarted one).
  pidOf(i) {
    const out = execFileSync('pgrep', ['-f', `node --config ${this.nodeConfig(i)}`], { encoding: 'utf8' }).trim();
    return Number(out.split('\n')[0]);
  },
  kill(i) { process.kill(this.pidOf(i), 'SIGKILL'); },
  // Runs the metanode CLI (e.g. ['tx', 'transfer', ...]); its standard output.
  cli(cliArgs) { return execFileSync(bin, cliArgs, { encoding: 'utf8', timeout: 60000 }); },
  // Starts the CLI without waiting (e.g. a load); resolves with its exit code.
  cliAsync(cliArgs) {
    const child = spawn(bin, cliArgs, { stdio: 'ignore' });
    started.push(child);
    return new Promise((r) => child.once('exit', r));
  },
  home: (i) => join(dir, 'net', `node${i}`),
  restart(i) {
    const child = spawn(bin, ['node', '--config', this.nodeConfig(i), '--log-level', 'warn'],
      { stdio: 'ignore', detached: false });
    started.push(child);
    return child;
  },
};

let browser;
let failed = false;
try {
  await until('the console and 4 nodes up', async () => {
    const health = await (await fetch(`${devnet.consoleUrl}/health`)).json();
    return health.nodes_up === 4;
  }, 60000);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--js-flags=--expose-gc', '--enable-precise-memory-info'],
  });
  const pagesDir = join(here, '..', 'src', 'pages');
  const tests = readdirSync(pagesDir).flatMap((page) => readdirSync(join(pagesDir, page))
    .filter((f) => f.endsWith('.browser.mjs')).map((f) => ({ page, file: join(pagesDir, page, f) })))
    .filter((t) => !args.only || t.page === args.only)
    // The installer's test adds a fifth node to the devnet: it runs last, after the tests that count nodes.
    .sort((a, b) => (a.page === 'installer') - (b.page === 'installer'));
  for (const test of tests) {
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    const page = await context.newPage();
    const errors = [];
    page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
    page.on('pageerror', (err) => errors.push(String(err)));
    const ctx = {
      page, devnet, until, sleep,
      url: (path) => `${devnet.consoleUrl}${path}`,
      screenshot: (name) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true }),
      log: (line) => console.log(`  ${line}`),
      // Connects the console's wallet with key `name` of node 0's key store (the devnet's passphrase).
      connectWallet: async (name) => {
        if (await page.getByRole('button', { name: 'Disconnect' }).count()) await page.getByRole('button', { name: 'Disconnect' }).click();
        await page.getByRole('button', { name: 'Connect wallet' }).click();
        await page.getByTestId('mode-import').check();  // not the key this browser kept last time
        await page.getByTestId('key-file').setInputFiles(join(devnet.home(0), 'keys', `${name}.key.json`));
        await page.getByTestId('passphrase').fill(readFileSync(join(devnet.home(0), 'passphrase'), 'utf8').trim());
        await page.getByTestId('unlock').click();
        await page.getByTestId('wallet').waitFor({ timeout: 60000 });
      },
    };
    console.log(`page ${test.page}`);
    const { default: run } = await import(pathToFileURL(test.file).href);
    try {
      await run(ctx);
      if (errors.length) throw new Error(`browser console errors:\n    ${errors.join('\n    ')}`);
      console.log(`ok   ${test.page}`);
    } catch (e) {
      failed = true;
      console.error(`FAIL ${test.page}: ${e.message}`);
      await page.screenshot({ path: join(screenshots, `${test.page}-failure.png`), fullPage: true }).catch(() => {});
    }
    await context.close();
  }
  const heapSeconds = Number(args['heap-seconds'] ?? 0);
  if (heapSeconds > 0 && !failed) {
    const page = await (await browser.newContext()).newPage();
    // Live updates as the page receives them (WebSocket frames of /v1/live).
    const frames = [];
    page.on('websocket', (ws) => ws.on('framereceived', () => frames.push(Date.now())));
    const rate = Number(args['load-rate'] ?? 0);
    let load = null;
    if (rate > 0) {
      const seconds = Number(args['heap-warmup-seconds'] ?? 310) + heapSeconds + 30;
      load = devnet.cliAsync(['bench', '--devnet', devnet.dir, '--rate', String(rate), '--txs', String(rate * seconds),
        '--senders', '400', '--timeout', String(seconds + 120)]);
      console.log(`load: metanode bench at ${rate} transfers/s for about ${seconds} s`);
    }
    await page.goto(`${devnet.consoleUrl}/fleet`);
    await page.waitForSelector('[data-testid="fleet-table"] tbody tr');
    const heap = () => page.evaluate(() => { window.gc(); return performance.memory.usedJSHeapSize; });
    // The page keeps at most 300 snapshots of history: the first reading is once that is full.
    await sleep(Number(args['heap-warmup-seconds'] ?? 310) * 1000);
    const first = await heap();
    const readings = [first];
    for (let t = 0; t < heapSeconds; t += 60) {
      await sleep(Math.min(60, heapSeconds - t) * 1000);
      readings.push(await heap());
    }
    const last = readings[readings.length - 1];
    const window = frames.filter((t) => t >= Date.now() - heapSeconds * 1000);
    const gaps = window.slice(1).map((t, i) => t - window[i]).sort((a, b) => a - b);
    console.log(`live updates: ${(window.length / heapSeconds).toFixed(2)} a second over the last ${heapSeconds} s; ` +
      `gap between updates p50 ${gaps[Math.floor(gaps.length / 2)] ?? '-'} ms, p99 ${gaps[Math.floor(gaps.length * 0.99)] ?? '-'} ms`);
    console.log(`heap after GC over ${heapSeconds} s of live updates: ${readings.map((b) => (b / 1048576).toFixed(2)).join(' ')} MiB ` +
      `(first ${(first / 1048576).toFixed(2)}, last ${(last / 1048576).toFixed(2)}, growth ${(((last - first) / first) * 100).toFixed(1)} %)`);
  }
} catch (e) {
  failed = true;
  console.error(`FAIL: ${e.message}\n--- metanode up ---\n${upOutput}`);
} finally {
  await browser?.close();
  for (const child of started) child.kill('SIGTERM');
  up.kill('SIGINT');
  await new Promise((r) => { up.once('exit', r); setTimeout(r, 20000); });
  // Anything of this devnet still running (a node the installer started, should `up` have missed it).
  try { execFileSync('pkill', ['-KILL', '-f', ` --config ${dir}/`]); } catch { /* none left: pkill exits 1 */ }
  rmSync(dir, { recursive: true, force: true });
}
console.log(failed ? 'browser tests failed' : `browser tests passed; screenshots in ${screenshots}`);
process.exit(failed ? 1 : 0);
