// The independent light client across validator-set changes: given only the genesis file and a
// node's answer for a state entry (GET /v1/state/{module}/{key}) at a height where a later set
// signs, it follows the answer's "epochs" from the genesis set (each change proven against a
// header the set before it certified) and checks the entry; a chain of changes missing one, or
// with a member page changed, is refused. Same code as the console (web/src/lib/verify.js).
//
// Usage: node epoch_proof.mjs --genesis FILE --answer FILE --set N
// Exit 0 when the honest answer passes with set N and every tampered one fails; one line each.
import { readFileSync } from 'node:fs';
import { lightClient, hex, unhex } from '../../web/src/lib/verify.js';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
if (!args.genesis || !args.answer || !args.set) {
  console.error('usage: node epoch_proof.mjs --genesis FILE --answer FILE --set N');
  process.exit(2);
}
const { verifyState, verifyHeader } = lightClient(new Uint8Array(readFileSync(args.genesis)));
const answer = JSON.parse(readFileSync(args.answer, 'utf8'));
const clone = (x) => JSON.parse(JSON.stringify(x));
let failures = 0;
try {
  const { set } = verifyHeader(answer.block);
  const { value, height } = verifyState(answer);
  if (String(set) !== args.set) throw new Error(`signed by set ${set}, expected ${args.set}`);
  console.log(`ok      entry of ${value === null ? 0 : value.length} bytes proven at block ${height}, signed by validator set ${set} followed from genesis`);
} catch (e) {
  failures++;
  console.log(`FAILED  honest answer: ${e.message}`);
}
const refuse = (what, tampered) => {
  try { verifyState(tampered); failures++; console.log(`FAILED  ${what}: accepted`); } catch (e) { console.log(`ok      ${what} refused: ${e.message}`); }
};
const skipped = clone(answer);
skipped.block.epochs.splice(0, 1);
refuse('set changes missing the first', skipped);
const forged = clone(answer);
const last = forged.block.epochs[forged.block.epochs.length - 1];
const page = unhex(last.entries[1].value_hex);
page[page.length - 1] ^= 1;
last.entries[1].value_hex = hex(page);
refuse('a member page changed', forged);
console.log(failures === 0 ? 'all checks passed' : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
