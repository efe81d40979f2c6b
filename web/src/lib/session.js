// The wallet session: the unlocked key (in memory only: a reload forgets it) and what BPCI's
// login said of it (address, roles on chain). Pages read it with useSession().
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson } from './api.js';
import { genesisClient } from './chain.js';
import { createKeyFile, signRequest, unlockKeyFile } from './wallet.js';

// The key file kept in this browser (still encrypted under its passphrase), if the user chose to.
const SAVED = 'metanode-wallet-key-file';
export function savedKeyFile() {
  try {
    const text = localStorage.getItem(SAVED);
    const file = text ? JSON.parse(text) : null;
    return file?.address ? { text, name: file.name, address: file.address } : null;
  } catch { return null; }
}
export function forgetSavedKey() { localStorage.removeItem(SAVED); }

const listeners = new Set();
let state = { wallet: null, roles: [], busy: false, progress: 0, error: null };

function publish(next) {
  state = { ...state, ...next };
  for (const l of listeners) l(state);
}

// Unlocks the key file and logs in: BPCI's challenge, signed back by the key (RFC 9421). True
// when connected; the error is in the session otherwise.
export async function connect(fileText, passphrase, remember = false) {
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
    if (remember) localStorage.setItem(SAVED, fileText);
    publish({ wallet, roles: answer.roles ?? [], busy: false, progress: 1 });
    return true;
  } catch (e) {
    publish({ busy: false, error: e.message });
    return false;
  }
}

// A request to BPCI signed by the connected wallet (RFC 9421, tagged for the chain), for the routes
// the Cage keeps to a role; the answer's JSON, or an ApiError with BPCI's message.
export async function signedJson(wallet, method, path, body) {
  const text = body === undefined ? '' : JSON.stringify(body);
  const headers = await signRequest(wallet, (await genesisClient()).genesisDigest, method, path, text);
  if (text) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: text || undefined });
  const answer = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(answer?.error?.message ?? `HTTP ${response.status}`, response.status, answer?.error?.code ?? '');
  return answer;
}

// A GET a node answers through BPCI (its audit routes): signed over @path and @query so BPCI
// passes it on unchanged, to the node named (Metanode-Node). The node's Cage checks the role.
export async function signedNodeJson(wallet, path, node) {
  const headers = await signRequest(wallet, (await genesisClient()).genesisDigest, 'GET', path, '', { anyHost: true });
  if (node) headers['metanode-node'] = node;
  const response = await fetch(path, { headers });
  const answer = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(answer?.error?.message ?? `HTTP ${response.status}`, response.status, answer?.error?.code ?? '');
  return answer;
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

// Makes a key in this page, keeps its (encrypted) file in this browser and connects with it.
// Resolves with the key file's text (for the user to save), or null when it failed.
export async function createAndConnect(name, passphrase) {
  publish({ busy: true, progress: 0, error: null });
  let text;
  try {
    text = await createKeyFile(name, passphrase, (progress) => publish({ progress: progress / 2 }));
  } catch (e) {
    publish({ busy: false, error: e.message });
    return null;
  }
  return (await connect(text, passphrase, true)) ? text : null;
}
