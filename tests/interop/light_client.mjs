// An independent light client: given only the genesis file and a node's URL, it checks that a
// committed transaction, its receipt and its sender's account are what a quorum of the genesis
// validators signed, and that each check fails when the answer is tampered with. Written from
// the documented formats (README, OpenAPI, src/*/*.hpp comments) with @noble's BLAKE3 and
// Ed25519 only: none of the node's code runs here, and none of its JSON interpretation is
// trusted (every check decodes the canonical bytes in the "encoded" fields).
//
// Usage: node light_client.mjs --genesis FILE --node URL --tx HASH
// Exit 0 when every honest check passes and every tampered one fails; one line per check.
import { readFileSync } from 'node:fs';
// The checks themselves live with the console, which runs them in the browser (one implementation,
// @noble only; web/node_modules is installed by scripts/setup.sh).
import { lightClient, hex, unhex } from '../../web/src/lib/verify.js';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
if (!args.genesis || !args.node || !args.tx) {
  console.error('usage: node light_client.mjs --genesis FILE --node URL --tx HASH');
  process.exit(2);
}

// The genesis is the only thing trusted: its digest is over the file as metanode writes it.
const { validators, verifyTx, verifyAccount } = lightClient(new Uint8Array(readFileSync(args.genesis)));

// ---- run: honest answers pass, tampered ones fail ------------------------------------------------
async function get(path) {
  const reply = await fetch(args.node + path);
  if (!reply.ok) throw new Error(`${path}: HTTP ${reply.status}`);
  return reply.json();
}

const flip = (hexText, at) => {
  const b = unhex(hexText);
  b[at % b.length] ^= 1;
  return hex(b);
};
const clone = (x) => JSON.parse(JSON.stringify(x));
let failures = 0;
const pass = (what, f) => {
  try { console.log(`ok      ${what}: ${f()}`); } catch (e) { failures++; console.log(`FAILED  ${what}: ${e.message}`); }
};
const refuse = (what, f) => {
  try { f(); failures++; console.log(`FAILED  ${what}: a tampered answer was accepted`); } catch (e) { console.log(`ok      ${what} refused: ${e.message}`); }
};

let answer;
for (let attempt = 0; ; attempt++) {  // the certificate follows the block by a moment
  answer = await get(`/v1/txs/${args.tx}`);
  if (answer.status === 'committed' && answer.block && answer.block.certificate) break;
  if (attempt === 100) { console.log(`FAILED  no certified commit of ${args.tx}`); process.exit(1); }
  await new Promise((r) => setTimeout(r, 200));
}
let verified;
pass('transaction', () => {
  verified = verifyTx(answer, args.tx);
  return `in block ${verified.header.height} (${verified.status}), header signed by ${verified.signers} of ${validators.length} genesis validators`;
});
if (!verified) process.exit(1);

const header = clone(answer); header.block.header.encoded = flip(header.block.header.encoded, 100);
refuse('a header with another state root', () => verifyTx(header, args.tx));
// Byte 86: inside the first signature (u64 height, 32-byte hash, u32 count, 32-byte signer, then 64 bytes).
const cert = clone(answer); cert.block.certificate.encoded = flip(cert.block.certificate.encoded, 86);
refuse('a certificate with a forged signature', () => verifyTx(cert, args.tx));
const tx = clone(answer); tx.tx.encoded = flip(tx.tx.encoded, tx.tx.encoded.length / 2 - 80);
refuse('a transaction with another amount', () => verifyTx(tx, args.tx));
const proof = clone(answer); proof.inclusion_proof.encoded = flip(proof.inclusion_proof.encoded, proof.inclusion_proof.encoded.length / 2 - 1);
refuse('an inclusion proof with another path', () => verifyTx(proof, args.tx));
const receipt = clone(answer);
const rb = unhex(receipt.receipt.encoded); rb[32] ^= 1; receipt.receipt.encoded = hex(rb);  // the status byte
refuse('a receipt with another status', () => verifyTx(receipt, args.tx));

// At the transaction's block (certified above), so the proof is checked against that header.
const sender = await get(`/v1/accounts/${answer.tx.sender}?height=${verified.header.height}`);
pass("sender's account", () => {
  const a = verifyAccount(sender, verified.senderKey);
  return `balance ${a.balance}, nonce ${a.nonce} proven in the state root of block ${a.height}`;
});
const richer = clone(sender); richer.value = flip(richer.value ?? '00', 0); richer.balance = Number(BigInt(sender.balance) ^ 1n);
refuse('an account with another balance', () => verifyAccount(richer, verified.senderKey));
const otherKey = Uint8Array.from(verified.senderKey); otherKey[0] ^= 1;
refuse("that proof taken for another account's", () => verifyAccount(sender, otherKey));

console.log(failures === 0 ? 'all checks passed' : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
