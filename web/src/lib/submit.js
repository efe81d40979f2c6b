// Signs a payload with the connected wallet (next nonce, a max fee with room for the base fee to
// double, as the CLI does) and submits it through BPCI. Resolves with the page's hash and bytes
// and the node's answer.
import { ApiError } from './api.js';
import { chainGet, genesisClient } from './chain.js';
import { signTransaction } from './wallet.js';

export async function submitPayload(wallet, { module, kind, data, bid = 1n, memo = '' }) {
  const lc = await genesisClient();
  const [acc, pool] = await Promise.all([chainGet(`/accounts/${wallet.address}`), chainGet('/mempool?levels=0')]);
  const maxFee = 2n * BigInt(pool.base_fee) + BigInt(bid);
  const tx = signTransaction(wallet, lc.genesisDigest, {
    chainId: lc.genesis.chain_id, nonce: BigInt(acc.next_nonce), maxFee, bid: BigInt(bid), module, kind, data, memo,
  });
  const response = await fetch('/v1/chain/txs', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: tx.bytes });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(answer?.error?.message ?? `HTTP ${response.status}`, response.status, answer?.error?.code);
  return { ...tx, nodeHash: answer.hash, node: response.headers.get('metanode-node') };
}
