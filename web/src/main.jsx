// The console's shell: header (chain, live state, theme), navigation, and the page for the URL.
// Each page is a folder under pages/ and one entry in PAGES; BPCI serves index.html at its URL
// (src/bpci/console_service.cpp, page_paths).
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { FleetPage } from './pages/fleet/FleetPage.jsx';
import { NodePage } from './pages/fleet/NodePage.jsx';
import { BlocksPage } from './pages/blocks/BlocksPage.jsx';
import { BlockPage } from './pages/blocks/BlockPage.jsx';
import { TxPage } from './pages/blocks/TxPage.jsx';
import { MempoolPage } from './pages/mempool/MempoolPage.jsx';
import { ConsensusPage } from './pages/consensus/ConsensusPage.jsx';
import { AccountPage } from './pages/accounts/AccountPage.jsx';
import { SendPage } from './pages/send/SendPage.jsx';
import { GovernancePage } from './pages/governance/GovernancePage.jsx';
import { InstallerPage } from './pages/installer/InstallerPage.jsx';
import { ProofsPage } from './pages/proofs/ProofsPage.jsx';
import { AuditPage } from './pages/audit/AuditPage.jsx';
import { EconomicsPage } from './pages/economics/EconomicsPage.jsx';
import { OraclePage } from './pages/oracle/OraclePage.jsx';
import { RegistryPage } from './pages/registry/RegistryPage.jsx';
import { WalletButton } from './lib/WalletButton.jsx';
import { useFleet } from './lib/fleet.js';
import './styles.css';

const PAGES = [
  { path: '/fleet', title: 'Fleet', match: (p) => p === '/fleet' || p === '/', render: (nav) => <FleetPage navigate={nav} /> },
  { path: '/fleet', title: null, match: (p) => p.startsWith('/fleet/'), render: (nav, p) => <NodePage navigate={nav} name={decodeURIComponent(p.slice('/fleet/'.length))} /> },
  { path: '/blocks', title: 'Blocks', match: (p) => p === '/blocks', render: (nav) => <BlocksPage navigate={nav} /> },
  { path: '/blocks', title: null, match: (p) => /^\/blocks\/\d+$/.test(p), render: (nav, p) => <BlockPage navigate={nav} height={Number(p.slice('/blocks/'.length))} /> },
  { path: '/blocks', title: null, match: (p) => /^\/txs\/[0-9a-f]{64}$/.test(p), render: (nav, p) => <TxPage navigate={nav} hash={p.slice('/txs/'.length)} /> },
  { path: '/blocks', title: null, match: (p) => /^\/accounts\/[^/]+$/.test(p), render: (nav, p) => <AccountPage navigate={nav} address={decodeURIComponent(p.slice('/accounts/'.length))} /> },
  { path: '/mempool', title: 'Mempool', match: (p) => p === '/mempool', render: () => <MempoolPage /> },
  { path: '/consensus', title: 'Consensus', match: (p) => p === '/consensus', render: () => <ConsensusPage /> },
  { path: '/governance', title: 'Governance', match: (p) => p === '/governance', render: () => <GovernancePage /> },
  { path: '/send', title: 'Send', match: (p) => p === '/send', render: (nav) => <SendPage navigate={nav} /> },
  { path: '/economics', title: 'Economics', match: (p) => p === '/economics', render: () => <EconomicsPage /> },
  { path: '/oracle', title: 'Oracle', match: (p) => p === '/oracle', render: () => <OraclePage /> },
  { path: '/registry', title: 'Registry', match: (p) => p === '/registry', render: () => <RegistryPage /> },
  { path: '/installer', title: 'Installer', match: (p) => p === '/installer', render: () => <InstallerPage /> },
  { path: '/audit', title: 'Audit', match: (p) => p === '/audit', render: () => <AuditPage /> },
  { path: '/proofs', title: 'Proofs', match: (p) => p === '/proofs', render: () => <ProofsPage /> },
];

function useTheme() {
  const [theme, setTheme] = useState(() => localStorage.getItem('metanode-theme') || 'auto');
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('metanode-theme', theme);
    dispatchEvent(new Event('metanode-theme'));
  }, [theme]);
  const next = { auto: 'light', light: 'dark', dark: 'auto' };
  return [theme, () => setTheme(next[theme] ?? 'auto')];
}

function App() {
  const [path, setPath] = useState(location.pathname);
  const [theme, cycleTheme] = useTheme();
  const { fleet, connected } = useFleet();
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    // Links to the console's own pages move within the app (no reload); a modified click (new
    // tab, download) is left to the browser.
    const onClick = (e) => {
      const a = e.target.closest?.('a[href^="/"]');
      if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || a.target || a.hasAttribute('download')) return;
      e.preventDefault();
      navigateRef.current(a.getAttribute('href'));
    };
    addEventListener('popstate', onPop);
    document.addEventListener('click', onClick);
    return () => { removeEventListener('popstate', onPop); document.removeEventListener('click', onClick); };
  }, []);
  const navigate = (to) => {
    if (to !== location.pathname) history.pushState(null, '', to);
    setPath(to);
    window.scrollTo(0, 0);
  };
  const navigateRef = useRef(navigate);
  navigateRef.current = navigate;
  const page = PAGES.find((p) => p.match(path));
  useEffect(() => {
    document.title = `${page?.title ?? 'Fleet'} · Metanode`;
  }, [page]);
  return (
    <div class="shell">
      <header class="top">
        <a class="brand" href="/fleet">
          <span class="logo" aria-hidden="true">M</span> Metanode <span class="product">BPCI Enterprise</span>
        </a>
        <div class="top-right">
          {fleet && <span class="chain" title={`genesis digest ${fleet.genesis_digest}`}>{fleet.chain_id}</span>}
          <span class={`live ${connected ? 'on' : 'off'}`} data-testid="live" title={connected ? 'receiving live updates' : 'reconnecting'}>{connected ? 'live' : 'offline'}</span>
          <WalletButton />
          <button type="button" class="theme" onClick={cycleTheme} aria-label={`theme: ${theme} (change)`}>{theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}</button>
        </div>
      </header>
      <nav class="side" aria-label="Pages">
        {PAGES.filter((p) => p.title).map((p) => (
          <a key={p.path} href={p.path} aria-current={page && page.path === p.path ? 'page' : undefined}>{p.title}</a>
        ))}
      </nav>
      <main class="content">
        {page ? page.render(navigate, path) : <div class="notice">No page at {path}. <a href="/fleet">Go to the fleet</a>.</div>}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app'));
