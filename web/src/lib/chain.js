// The chain as the console reads it: the nodes' public routes through BPCI (/v1/chain/...), and
// the light client over the fleet's genesis (/v1/genesis), which checks what those answers prove.
import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';
import { lightClient } from './verify.js';

export const chainGet = (path) => getJson(`/v1/chain${path}`);

let client = null;
// The light client for the fleet's genesis (fetched once). The genesis digest it computes itself
// from the bytes is what every check is bound to; the page shows it, so an auditor can compare it
// with the digest of the genesis file they hold.
export function genesisClient() {
  if (!client) {
    client = fetch('/v1/genesis')
      .then((r) => { if (!r.ok) throw new Error(`GET /v1/genesis: HTTP ${r.status}`); return r.arrayBuffer(); })
      .then((buffer) => lightClient(new Uint8Array(buffer)));
    client.catch(() => { client = null; });
  }
  return client;
}

export function useGenesisClient() {
  const [value, setValue] = useState(null);
  useEffect(() => { genesisClient().then(setValue).catch(() => setValue(null)); }, []);
  return value;
}

// The validator name for an Ed25519 key (hex), from the genesis.
export function validatorName(lc, keyHex) {
  const v = lc?.genesis.validators.find((x) => x.ed25519_public_key === keyHex);
  return v ? v.name : `${keyHex.slice(0, 12)}…`;
}

export const shortHash = (h) => (h ? `${h.slice(0, 10)}…${h.slice(-6)}` : '–');
