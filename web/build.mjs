// Builds the console into dist/: one bundle of the app (Preact, uPlot) and its styles, with content
// hashes in their names, and index.html pointing at them. `node build.mjs --watch` rebuilds on change.
import { build, context } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const options = {
  entryPoints: [join(here, 'src/main.jsx')],
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
};

function writeIndex(metafile) {
  const outputs = Object.keys(metafile.outputs).map((file) => basename(file));
  const script = outputs.find((f) => f.endsWith('.js'));
  const style = outputs.find((f) => f.endsWith('.css'));
  const template = readFileSync(join(here, 'src/index.html'), 'utf8');
  writeFileSync(join(dist, 'index.html'),
    template.replace('%SCRIPT%', `/assets/${script}`).replace('%STYLE%', `/assets/${style}`));
  copyFileSync(join(here, 'src/favicon.svg'), join(dist, 'favicon.svg'));
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });
if (process.argv.includes('--watch')) {
  const ctx = await context({ ...options, plugins: [{ name: 'index', setup(b) { b.onEnd((r) => r.metafile && writeIndex(r.metafile)); } }] });
  await ctx.watch();
  console.log('watching web/src; dist/ rebuilt on change');
} else {
  const result = await build(options);
  writeIndex(result.metafile);
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  console.log(`console built into ${dist} (${Math.round(bytes / 1024)} KiB)`);
}
