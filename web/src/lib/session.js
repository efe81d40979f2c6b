// The wallet session: the unlocked key (in memory only: a reload forgets it) and what BPCI's
// login said of it (address, roles on chain). Pages read it with useSession().
import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';
import { genesisClient } from './chain.js';
import { signRequest, unlockKeyFile } from './wallet.js';

const listeners = new Set();
let state = { wallet: null, roles: [], busy: false, progress: 0, error: null };

function publish(next) {
  state = { ...state, ...next };
  for (const l of listeners) l(state);
}

// Unlocks the key file and logs in: BPCI's challenge, signed back by the key (RFC 9421). True
// when connected; the error is in the session otherwise.
export async function connect(fileText, passphrase) {
  publish({ busy: true, progress: 0, error: null });
  try {
    const wallet = await unlockKeyFile(fileText, passphrase, (progress) => publish({ progress }));
    const lc = await genesisClient();
    const { challenge } = await getJson('/v1/session/challenge');
    const body = JSON.stringify({ challenge });
    const headers = await signRequest(wallet, lc.genesisDigest, 'POST', '/v1/session', body);
    const response = await fetch('/v1/session', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer?.error?.message ?? `login refused (HTTP ${response.status})`);
    if (answer.address !== wallet.address) throw new Error('BPCI logged in another address');
    publish({ wallet, roles: answer.roles ?? [], busy: false, progress: 1 });
    return true;
  } catch (e) {
    publish({ busy: false, error: e.message });
    return false;
  }
}

export function disconnect() {
  state.wallet?.seed.fill(0);
  publish({ wallet: null, roles: [], error: null, progress: 0 });
}

export function useSession() {
  const [current, setCurrent] = useState(state);
  useEffect(() => {
    listeners.add(setCurrent);
    setCurrent(state);
    return () => listeners.delete(setCurrent);
  }, []);
  return current;
}
