// A node's audit trail checked with only the genesis: its signed checkpoints (C2SP signed note:
// the validator its origin names signed the text with Ed25519, type 0x01, and ML-DSA-65, type 0xff
// + "ML-DSA-65"; key IDs are SHA-256(name || 0x0A || type || key)[:4]), an event's inclusion in a
// checkpoint and one checkpoint's consistency with a later one (RFC 9162 with BLAKE3 in the
// merkle-leaf and merkle-node domains; a leaf is hash(merkle-leaf, hash(audit-event, bytes))).
// Written from README ("The audit trail") and src/merkle/checkpoint.hpp, src/crypto/signed_note.hpp:
// none of the node's code runs here.
import { base64, bech32m } from '@scure/base';
import { ed25519 } from '@noble/curves/ed25519';
import { sha256 } from '@noble/hashes/sha256';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa';
import { concat, equal, unhex } from './bytes.js';
import { H, inclusionRoot } from './verify.js';

const te = new TextEncoder();
const DASH = '\u2014 ';

const keyId = (name, typeAndKey) => {
  const d = sha256(concat(te.encode(`${name}\n`), typeAndKey));
  return ((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0;
};
const addressOf = (ed25519Key) => bech32m.encode('mn', bech32m.toWords(H('address', Uint8Array.of(0), ed25519Key)), 90);

function parseNote(note) {
  if (typeof note !== 'string') throw new Error('the checkpoint note is not text');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Error('the note has no blank line before its signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2).split('\n');
  if (lines.pop() !== '') throw new Error('the signature lines do not end with a newline');
  const signatures = lines.map((line) => {
    if (!line.startsWith(DASH)) throw new Error('a signature line does not start with an em dash');
    const [name, b64] = line.slice(DASH.length).split(' ');
    const blob = base64.decode(b64 ?? '');
    if (blob.length < 5) throw new Error(`the signature of ${name} is shorter than a key ID`);
    return { name, keyId: ((blob[0] << 24) | (blob[1] << 16) | (blob[2] << 8) | blob[3]) >>> 0, signature: blob.slice(4) };
  });
  const body = text.split('\n');
  body.pop();
  if (body.length < 3) throw new Error('the checkpoint has fewer than three lines');
  if (!/^(0|[1-9][0-9]*)$/.test(body[1])) throw new Error(`tree size "${body[1]}" is not a canonical decimal`);
  const root = base64.decode(body[2]);
  if (root.length !== 32) throw new Error('the root is not 32 bytes');
  const time = body.slice(3).find((l) => l.startsWith('metanode-time '));
  return { text, signatures, origin: body[0], size: BigInt(body[1]), root, unixMs: time ? Number(time.slice(14)) : null };
}

export function auditChecks(lc) {
  const chainId = lc.genesis.chain_id;
  // The checkpoint note: whose log, both signatures, what it says.
  // Logs of components other than validators (BPCI's) that the genesis registers with both keys
  // (modules.audit.logs): anchored on chain, never witnessed.
  const registered = (lc.genesis.modules?.audit?.logs ?? []).map((l) => ({
    name: l.name, ed25519: unhex(l.ed25519_public_key), mldsa: unhex(l.mldsa65_public_key), registered: true,
  }));
  function verifyCheckpoint(note) {
    const n = parseNote(note);
    const owns = (v) => `${chainId}/${addressOf(v.ed25519)}/audit` === n.origin;
    const validator = lc.validators.find(owns) ?? registered.find(owns);
    if (!validator) throw new Error(`origin ${n.origin} is not the audit log of a validator of ${chainId} nor of a log its genesis registers`);
    const text = te.encode(n.text);
    const line = (id) => n.signatures.find((s) => s.name === n.origin && s.keyId === id);
    const ed = line(keyId(n.origin, concat(Uint8Array.of(1), validator.ed25519)));
    if (!ed) throw new Error(`no Ed25519 signature of ${validator.name}`);
    if (ed.signature.length !== 64 || !ed25519.verify(ed.signature, text, validator.ed25519)) {
      throw new Error(`the Ed25519 signature of ${validator.name} does not verify`);
    }
    const pq = line(keyId(n.origin, concat(Uint8Array.of(0xff), te.encode('ML-DSA-65'), validator.mldsa)));
    if (!pq) throw new Error(`no ML-DSA-65 signature of ${validator.name}`);
    if (!ml_dsa65.verify(validator.mldsa, text, pq.signature)) throw new Error(`the ML-DSA-65 signature of ${validator.name} does not verify`);
    return { ...n, validator: validator.name, registered: Boolean(validator.registered) };
  }

  // An item of GET /v1/audit/events (its bytes and proof) in the checkpoint of `note`.
  function verifyEvent(event, note) {
    const cp = verifyCheckpoint(note);
    if (!event?.proof) throw new Error('the event comes without a proof (newer than the checkpoint)');
    const size = BigInt(event.proof.tree_size);
    if (size !== cp.size) throw new Error(`the proof is for ${size} events, the checkpoint has ${cp.size}`);
    const leaf = H('merkle-leaf', H('audit-event', unhex(event.bytes)));
    const root = inclusionRoot(leaf, BigInt(event.proof.index), size, event.proof.path.map(unhex));
    if (!equal(root, cp.root)) throw new Error(`event ${event.proof.index} is not in checkpoint ${cp.size}: its proof leads to another root`);
    return { checkpoint: cp, index: BigInt(event.proof.index) };
  }

  // RFC 9162 section 2.1.4.2: the newer checkpoint's tree extends the older one's.
  function verifyConsistency(oldNote, newNote, proof) {
    const a = verifyCheckpoint(oldNote);
    const b = verifyCheckpoint(newNote);
    if (a.origin !== b.origin) throw new Error('the checkpoints are of two logs');
    if (BigInt(proof.old_size) !== a.size || BigInt(proof.new_size) !== b.size) throw new Error('the proof is for other sizes');
    const path = proof.path.map(unhex);
    if (a.size === b.size) {
      if (path.length || !equal(a.root, b.root)) throw new Error('equal sizes with different roots');
      return { older: a, newer: b };
    }
    if (a.size === 0n || a.size > b.size) throw new Error('the older checkpoint is not a prefix size');
    if (!path.length) throw new Error('an empty consistency proof');
    if ((a.size & (a.size - 1n)) === 0n) path.unshift(a.root);
    let fn = a.size - 1n;
    let sn = b.size - 1n;
    while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
    let fr = path[0];
    let sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0n) throw new Error('the consistency path is too long');
      if ((fn & 1n) === 1n || fn === sn) {
        fr = H('merkle-node', c, fr);
        sr = H('merkle-node', c, sr);
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      } else {
        sr = H('merkle-node', sr, c);
      }
      fn >>= 1n; sn >>= 1n;
    }
    if (sn !== 0n || !equal(fr, a.root) || !equal(sr, b.root)) {
      throw new Error(`checkpoint ${b.size} does not extend checkpoint ${a.size}`);
    }
    return { older: a, newer: b };
  }

  // The witnesses' cosignatures on a cosigned note (c2sp.org/tlog-cosignature): for each genesis
  // validator other than the log's own, its Ed25519 line (type 0x04: 8-byte time, then the
  // signature over "cosignature/v1\ntime T\n" + the checkpoint text) and its ML-DSA-65 line
  // (type 0xff + "ML-DSA-65-cosignature/v1", the same message). A line that does not verify
  // is an error; returns the names of the validators whose both lines verify.
  function verifyCosignatures(cosignedNote) {
    const n = parseNote(cosignedNote);
    const names = [];
    for (const v of lc.validators) {
      const address = addressOf(v.ed25519);
      if (`${chainId}/${address}/audit` === n.origin) continue;
      const name = `${chainId}/${address}/witness`;
      const find = (id) => n.signatures.find((s) => s.name === name && s.keyId === id);
      const ed = find(keyId(name, concat(Uint8Array.of(4), v.ed25519)));
      const pq = find(keyId(name, concat(Uint8Array.of(0xff), te.encode('ML-DSA-65-cosignature/v1'), v.mldsa)));
      const check = (line, verify, what) => {
        if (!line) return false;
        if (line.signature.length <= 8) throw new Error(`the ${what} cosignature of ${v.name} is too short`);
        const time = line.signature.slice(0, 8).reduce((t, b) => t * 256n + BigInt(b), 0n);
        const message = te.encode(`cosignature/v1\ntime ${time}\n${n.text}`);
        if (!verify(line.signature.slice(8), message)) throw new Error(`the ${what} cosignature of ${v.name} does not verify`);
        return true;
      };
      const edOk = check(ed, (sig, msg) => sig.length === 64 && ed25519.verify(sig, msg, v.ed25519), 'Ed25519');
      const pqOk = check(pq, (sig, msg) => ml_dsa65.verify(v.mldsa, msg, sig), 'ML-DSA-65');
      if (edOk && pqOk) names.push(v.name);
    }
    return names;
  }

  return { verifyCheckpoint, verifyEvent, verifyConsistency, verifyCosignatures };
}
