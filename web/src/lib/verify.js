// Light-client checks with only the genesis: a block's certificate (a quorum of the validator set
// in force at its height signed its header: genesis's, or one reached through the answer's
// "epochs", each set change proven against a header the set before it certified), a transaction's inclusion and receipt, and a state entry's proof
// against a signed header. Written from the documented formats (README, OpenAPI, the src/*/*.hpp
// comments) with @noble's BLAKE3 and Ed25519 only: none of the node's code runs here, and none of
// its JSON interpretation is trusted (every check decodes the canonical bytes in "encoded").
// Used by the console (the transaction page) and by tests/interop/light_client.mjs.
import { blake3 } from '@noble/hashes/blake3';
import { ed25519 } from '@noble/curves/ed25519';
import { concat, equal, hex, u32le, u64le, unhex } from './bytes.js';

// ---- encoding ------------------------------------------------------------------------------
export { hex, unhex };
const te = new TextEncoder();

// Every hash is BLAKE3 in derive-key mode with the context "metanode/v1/<domain>".
export const H = (domain, ...parts) => blake3(concat(...parts), { context: te.encode(`metanode/v1/${domain}`) });

class Reader {
  constructor(bytes) { this.b = bytes; this.at = 0; this.v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length); }
  need(n) { if (this.at + n > this.b.length) throw new Error('truncated'); }
  u8() { this.need(1); return this.b[this.at++]; }
  u16() { this.need(2); const x = this.v.getUint16(this.at, true); this.at += 2; return x; }
  u32() { this.need(4); const x = this.v.getUint32(this.at, true); this.at += 4; return x; }
  u64() { this.need(8); const x = this.v.getBigUint64(this.at, true); this.at += 8; return x; }
  fixed(n) { this.need(n); const x = this.b.slice(this.at, this.at + n); this.at += n; return x; }
  bytes() { return this.fixed(this.u32()); }
  vec(item) { const n = this.u32(); if (n > 1 << 16) throw new Error('vector too long'); return Array.from({ length: n }, () => item(this)); }
  end() { if (this.at !== this.b.length) throw new Error('trailing bytes'); }
}

// n bytes, big-endian (the economics module's keys).
const be = (n, v) => Uint8Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * (n - 1 - i))) & 0xffn));

const decodeHeader = (bytes) => {
  const r = new Reader(bytes);
  const h = {
    height: r.u64(), parent: r.fixed(32), timestamp: r.u64(), proposer: r.fixed(32), txRoot: r.fixed(32),
    receiptsRoot: r.fixed(32), stateRoot: r.fixed(32), validatorSetHash: r.fixed(32), baseFee: r.u64(), txCount: r.u32(),
  };
  r.end();
  return h;
};
const decodeCertificate = (bytes) => {
  const r = new Reader(bytes);
  const c = { height: r.u64(), blockHash: r.fixed(32), signatures: r.vec((x) => ({ signer: x.fixed(32), signature: x.fixed(64) })) };
  r.end();
  return c;
};
const decodeInclusionProof = (bytes) => {
  const r = new Reader(bytes);
  const p = { index: r.u64(), treeSize: r.u64(), path: r.vec((x) => x.fixed(32)) };
  r.end();
  return p;
};
const decodeSmtProof = (bytes) => {
  const r = new Reader(bytes);
  const leaf = r.u8() ? { key: r.fixed(32), valueHash: r.fixed(32) } : null;
  const p = { leaf, siblings: r.vec((x) => x.fixed(32)) };
  r.end();
  return p;
};

// RFC 9162 section 2.1.3.2: the root the leaf hash at `index` of a tree of `size` leaves leads to
// along `path` (BigInt index and size).
export function inclusionRoot(leaf, index, size, path) {
  if (index >= size) throw new Error('index beyond the tree');
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) throw new Error('path too long');
    if ((fn & 1n) === 1n || fn === sn) {
      r = H('merkle-node', p, r);
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = H('merkle-node', r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  if (sn !== 0n) throw new Error('path too short');
  return r;
}

// With the tree size bound to the header's transaction count.
function verifyInclusion(leafData, proof, root, header) {
  if (BigInt(header.txCount) !== proof.treeSize) throw new Error('proof is for another tree size');
  if (!equal(inclusionRoot(H('merkle-leaf', leafData), proof.index, proof.treeSize, proof.path), root)) {
    throw new Error('inclusion proof leads to another root');
  }
}

// The checks for the chain of `genesisBytes` (the genesis file in its canonical form, as metanode
// writes it: its digest is over these bytes).
export function lightClient(genesisBytes) {
  const genesis = JSON.parse(new TextDecoder().decode(genesisBytes));
  const genesisDigest = H('genesis', genesisBytes);
  const validators = genesis.validators.map((v) => ({ name: v.name, ed25519: unhex(v.ed25519_public_key), mldsa: unhex(v.mldsa65_public_key) }));
  const validatorSetHash = H('validator-set', u32le(validators.length),
    ...validators.flatMap((v) => [u32le(te.encode(v.name).length), te.encode(v.name), v.ed25519, v.mldsa]));
  const quorum = Math.floor((2 * validators.length) / 3) + 1;

  // A header is trusted when a quorum of distinct members of `keys` (the set in force at its
  // height) signed H(vote, genesis digest || u64le(height) || header hash).
  function verifyHeaderWith(block, keys) {
    const headerBytes = unhex(block.header.encoded);
    const header = decodeHeader(headerBytes);
    const headerHash = H('block-header', headerBytes);
    if (!block.certificate) throw new Error('no certificate yet');
    const cert = decodeCertificate(unhex(block.certificate.encoded));
    if (cert.height !== header.height) throw new Error('certificate for another height');
    if (!equal(cert.blockHash, headerHash)) throw new Error('certificate names another header');
    if (!equal(header.validatorSetHash, validatorSetHash)) throw new Error("header's validator set is not the genesis's");
    const digest = H('vote', genesisDigest, u64le(header.height), headerHash);
    const members = new Set(keys.map(hex));
    const seen = new Set();
    for (const s of cert.signatures) {
      const key = hex(s.signer);
      if (!members.has(key)) throw new Error(`signer ${key.slice(0, 16)}… is not a validator at height ${header.height}`);
      if (seen.has(key)) throw new Error(`signer ${key.slice(0, 16)}… counted twice`);
      if (!ed25519.verify(s.signature, digest, s.signer)) throw new Error(`signature of ${key.slice(0, 16)}… does not verify`);
      seen.add(key);
    }
    const needed = Math.floor((2 * keys.length) / 3) + 1;
    if (seen.size < needed) throw new Error(`${seen.size} signatures, quorum is ${needed}`);
    return { header, headerHash, signers: seen.size };
  }

  // The set that signs at `height`: genesis's, then each change of the answer's "epochs" in turn.
  // Set n is read from the economics module's entries ("epoch_set:" n as u64 big-endian: number,
  // first height, last height, member count; then "epoch_set:" n page as u32 big-endian: members
  // {name, Ed25519 key, stake}), each proven against a header the set before it certified within
  // its own heights; set n begins after that header and no later than `height`.
  function followSets(epochs, height) {
    let trusted = { number: 0, first: 1n, keys: validators.map((v) => v.ed25519) };
    for (const step of epochs ?? []) {
      const n = step.set;
      const where = `validator set ${n}: `;
      if (n !== trusted.number + 1) throw new Error(`the set changes skip from set ${trusted.number}`);
      const { header } = verifyHeaderWith(step, trusted.keys);
      if (header.height < trusted.first) throw new Error(`${where}proven before set ${trusted.number} began`);
      const entries = new Map();
      for (const e of step.entries) {
        if (e.module !== 'econ') throw new Error(`${where}an entry of another module`);
        const key = unhex(e.key);
        const value = e.value_hex == null ? null : unhex(e.value_hex);
        proveEntry(header, H('state-key', u32le(4), te.encode('econ'), u32le(key.length), key), value, e.proof.encoded);
        entries.set(e.key, value);
      }
      const get = (key) => {
        if (!entries.has(hex(key))) throw new Error(`${where}an entry of the set is not in the proof`);
        const value = entries.get(hex(key));
        if (value === null) throw new Error(`${where}proven absent`);
        return new Reader(value);
      };
      const setKey = concat(te.encode('epoch_set:'), be(8, BigInt(n)));
      const head = get(setKey);
      const number = head.u64(), first = head.u64();
      head.u64();
      const count = head.u32();
      head.end();
      const keys = [];
      for (let page = 0; keys.length < count; page++) {
        const r = get(concat(setKey, be(4, BigInt(page))));
        const members = r.vec((x) => { x.bytes(); const k = x.fixed(32); x.u64(); return k; });
        r.end();
        if (members.length === 0) throw new Error(`${where}an empty page`);
        keys.push(...members);
      }
      if (keys.length !== count) throw new Error(`${where}more members than its header says`);
      if (number !== BigInt(n) || first <= header.height) throw new Error(`${where}does not begin after the header that proves it`);
      if (first > height) throw new Error(`${where}begins after height ${height}`);
      trusted = { number: n, first, keys };
    }
    return trusted;
  }

  function verifyHeader(block) {
    const height = decodeHeader(unhex(block.header.encoded)).height;
    const trusted = followSets(block.epochs, height);
    return { ...verifyHeaderWith(block, trusted.keys), set: trusted.number };
  }

  // GET /v1/txs/{hash}'s answer: the transaction's hash and signature, its inclusion and its
  // receipt's, against a certified header.
  function verifyTx(answer, txHashHex) {
    const txHash = unhex(txHashHex);
    const { header, signers } = verifyHeader(answer.block);
    const bytes = unhex(answer.tx.encoded);
    const r = new Reader(bytes);
    r.bytes();  // chain id
    if (r.u8() !== 0) throw new Error('this verifier handles single-key senders');
    const senderKey = r.fixed(32);
    r.u64(); r.u64(); r.u64(); r.bytes(); r.bytes(); r.bytes(); r.bytes();  // nonce, max fee, bid, module, kind, data, memo
    const body = bytes.slice(0, r.at);
    const signature = r.fixed(64);
    r.end();
    const hash = H('tx', body);
    if (!equal(hash, txHash)) throw new Error('the transaction has another hash');
    // The sender signed for this chain: H(tx-signature, genesis digest || transaction hash).
    if (!ed25519.verify(signature, H('tx-signature', genesisDigest, hash), senderKey)) {
      throw new Error("the sender's signature does not verify for this genesis");
    }
    const proof = decodeInclusionProof(unhex(answer.inclusion_proof.encoded));
    verifyInclusion(hash, proof, header.txRoot, header);

    // The receipt tree commits to the receipt without its message (the code is the outcome).
    const receiptBytes = unhex(answer.receipt.encoded);
    const rr = new Reader(receiptBytes);
    const receiptTx = rr.fixed(32);
    const status = rr.u8();
    rr.u64(); rr.u16();
    const beforeMessage = rr.at;
    rr.bytes();
    const afterMessage = rr.at;
    rr.vec((x) => { x.bytes(); x.bytes(); x.bytes(); });
    rr.end();
    if (!equal(receiptTx, txHash)) throw new Error('the receipt is for another transaction');
    const committed = concat(receiptBytes.slice(0, beforeMessage), receiptBytes.slice(afterMessage));
    const receiptProof = decodeInclusionProof(unhex(answer.receipt_proof.encoded));
    if (receiptProof.index !== proof.index) throw new Error('the receipt proof is for another position');
    verifyInclusion(H('receipt', committed), receiptProof, header.receiptsRoot, header);
    return { header, signers, senderKey, status: status === 0 ? 'success' : 'failed' };
  }

  // GET /v1/accounts/{address}'s answer for the account of `ed25519Key` (a single-key sender),
  // against its certified header.
  function verifyAccount(answer, ed25519Key) {
    return verifyAccountAt(answer, H('address', Uint8Array.of(0), ed25519Key));
  }

  // The sparse Merkle proof (its canonical bytes, hex) that `treeKey` holds `value` (null: that it
  // holds nothing) in the state root of `header`.
  function proveEntry(header, treeKey, value, encodedProof) {
    const proof = decodeSmtProof(unhex(encodedProof));
    const bit = (key, d) => (key[d >> 3] >> (7 - (d & 7))) & 1;
    let current = H('state-node');
    if (value !== null) {
      if (!proof.leaf || !equal(proof.leaf.key, treeKey)) throw new Error("the proof shows another key's leaf");
      if (!equal(proof.leaf.valueHash, H('state-leaf', value))) throw new Error('the value is not the proven one');
      current = H('state-leaf', treeKey, proof.leaf.valueHash);
    } else if (proof.leaf) {
      if (equal(proof.leaf.key, treeKey)) throw new Error('claimed absent, proven present');
      for (let d = 0; d < proof.siblings.length; d++) {
        if (bit(proof.leaf.key, d) !== bit(treeKey, d)) throw new Error("the other leaf is off the key's path");
      }
      current = H('state-leaf', proof.leaf.key, proof.leaf.valueHash);
    }
    for (let d = proof.siblings.length - 1; d >= 0; d--) {
      const s = proof.siblings[d];
      current = bit(treeKey, d) ? H('state-node', s, current) : H('state-node', current, s);
    }
    if (!equal(current, header.stateRoot)) throw new Error('the state proof leads to another root');
  }

  // The same for an account named by its address's 32 bytes (the bech32m data of "mn1...").
  function verifyAccountAt(answer, address) {
    const { header } = verifyHeader(answer.block);
    const treeKey = H('state-key', u32le(4), te.encode('bank'), u32le(32), address);
    const value = answer.value === null ? null : unhex(answer.value);
    proveEntry(header, treeKey, value, answer.proof.encoded);
    if (value === null) return { balance: 0n, nonce: 0n, height: header.height };
    const r = new Reader(value);
    const account = { balance: r.u64(), nonce: r.u64(), height: header.height };
    r.end();
    if (BigInt(answer.balance) !== account.balance || BigInt(answer.nonce) !== account.nonce) {
      throw new Error("the answer's balance or nonce is not the proven record's");
    }
    return account;
  }

  // GET /v1/state/{module}/{key}'s answer, any module: the entry's bytes as proven in the state
  // root of a certified header (null: proven absent), and a Reader over them.
  function verifyState(answer) {
    const { header } = verifyHeader(answer.block);
    const module = te.encode(answer.module);
    const key = unhex(answer.key);
    const value = answer.value_hex == null ? null : unhex(answer.value_hex);
    if (Boolean(answer.exists) !== (value !== null)) throw new Error('the answer says exists but carries no value, or the reverse');
    proveEntry(header, H('state-key', u32le(module.length), module, u32le(key.length), key), value, answer.proof.encoded);
    return { value, height: header.height, reader: () => new Reader(value) };
  }

  return { genesis, genesisDigest: hex(genesisDigest), validators, quorum, verifyHeader, verifyTx, verifyAccount, verifyAccountAt, verifyState };
}
