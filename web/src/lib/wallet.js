// The wallet in the page: a key from the CLI's key store, unlocked here with its passphrase (the
// key file and the passphrase never leave the browser), then used to sign transactions (their
// canonical bytes, as the node encodes them) and requests (RFC 9421, as the CLI signs them).
// The formats: src/crypto/keystore.cpp (Argon2id + AES-256-GCM), src/ledger/transaction.hpp,
// README "Signed requests, from any language".
import { argon2idAsync } from '@noble/hashes/argon2';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa';
import { ed25519 } from '@noble/curves/ed25519';
import { bech32m } from '@scure/base';
import { concat, hex, lengthPrefixed, u64le, unhex } from './bytes.js';
import { H } from './verify.js';

const te = new TextEncoder();
const base64 = (bytes) => btoa(String.fromCharCode(...bytes));

// An address's 32 bytes as text (src/crypto/address.cpp: bech32m, prefix mn).
export const addressText = (bytes) => bech32m.encode('mn', bech32m.toWords(bytes), 90);

export function addressOf(ed25519PublicKey) {
  return addressText(H('address', Uint8Array.of(0), ed25519PublicKey));
}

// What the key store writes (src/crypto/keystore.hpp KdfParams): Argon2id, 64 MiB, 2 passes.
const KDF = { ops_limit: 2, mem_limit_bytes: 64 * 1024 * 1024 };

const aadOf = (name, edPublic, mldsaPublic, createdUnixMs) =>
  H('keystore-aad', Uint8Array.of(1), lengthPrefixed(te.encode(name)), edPublic, mldsaPublic, u64le(createdUnixMs));

// A new key made in this page (Ed25519 and ML-DSA-65 from fresh random seeds), as a key file in
// the key store's format, encrypted under `passphrase`: the CLI reads it from a key store
// directory (keys/NAME.key.json) like one it made.
export async function createKeyFile(name, passphrase, onProgress) {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new Error('a key name is 1-64 of letters, digits, ".", "_" and "-"');
  if (passphrase.length < 8) throw new Error('choose a passphrase of at least 8 characters');
  const edSeed = crypto.getRandomValues(new Uint8Array(32));
  const mldsaSeed = crypto.getRandomValues(new Uint8Array(32));
  const edPublic = ed25519.getPublicKey(edSeed);
  const mldsaPublic = ml_dsa65.keygen(mldsaSeed).publicKey;
  const created = Date.now();
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const key = await argon2idAsync(te.encode(passphrase), salt, { t: KDF.ops_limit, m: KDF.mem_limit_bytes / 1024, p: 1, dkLen: 32, onProgress });
  const aesKey = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt']);
  key.fill(0);
  const plain = concat(Uint8Array.of(1), edSeed, mldsaSeed);
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aadOf(name, edPublic, mldsaPublic, created) },
    aesKey, plain));
  plain.fill(0); edSeed.fill(0); mldsaSeed.fill(0);
  return JSON.stringify({
    version: 1, name, address: addressOf(edPublic), ed25519_public_key: hex(edPublic), mldsa65_public_key: hex(mldsaPublic),
    created_unix_ms: created,
    kdf: { algorithm: 'argon2id', ops_limit: KDF.ops_limit, mem_limit_bytes: KDF.mem_limit_bytes, salt: hex(salt) },
    cipher: { algorithm: 'aes-256-gcm', nonce: hex(nonce), ciphertext: hex(ciphertext) },
  }, null, 2);
}

// Unlocks a key file (its JSON text) with `passphrase`. onProgress(0..1) while Argon2id runs.
// Throws "wrong passphrase" when the AES-GCM tag does not verify.
export async function unlockKeyFile(text, passphrase, onProgress) {
  let file;
  try { file = JSON.parse(text); } catch { throw new Error('this is not a key file (not JSON)'); }
  if (file?.version !== 1 || file.kdf?.algorithm !== 'argon2id' || file.cipher?.algorithm !== 'aes-256-gcm') {
    throw new Error('this is not a metanode key file (version 1, argon2id, aes-256-gcm)');
  }
  const key = await argon2idAsync(te.encode(passphrase), unhex(file.kdf.salt), {
    t: file.kdf.ops_limit, m: file.kdf.mem_limit_bytes / 1024, p: 1, dkLen: 32, onProgress,
  });
  // The associated data binds everything public in the file (keystore.cpp associated_data).
  const aad = aadOf(file.name, unhex(file.ed25519_public_key), unhex(file.mldsa65_public_key), file.created_unix_ms);
  let plain;
  try {
    const aesKey = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['decrypt']);
    plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: unhex(file.cipher.nonce), additionalData: aad },
      aesKey, unhex(file.cipher.ciphertext)));
  } catch {
    throw new Error('wrong passphrase (or a damaged key file)');
  } finally {
    key.fill(0);
  }
  if (plain[0] !== 1) throw new Error('unknown secrets layout in the key file');
  const seed = plain.slice(1, 33);
  plain.fill(0);
  const publicKey = ed25519.getPublicKey(seed);
  if (hex(publicKey) !== file.ed25519_public_key) throw new Error("the key file's secret is not its public key's");
  return { name: file.name, address: addressOf(publicKey), publicKey, seed };
}

// A transaction's canonical bytes (transaction.hpp: body, then the signature), its hash and
// bytes signed for the chain of `genesisDigest` (hex): H(tx-signature, genesis digest || hash).
export function signTransaction(wallet, genesisDigest, { chainId, nonce, maxFee, bid, module, kind, data, memo = '' }) {
  const body = concat(lengthPrefixed(te.encode(chainId)), Uint8Array.of(0), wallet.publicKey, u64le(nonce), u64le(maxFee),
    u64le(bid), lengthPrefixed(te.encode(module)), lengthPrefixed(te.encode(kind)), lengthPrefixed(data),
    lengthPrefixed(te.encode(memo)));
  const hash = H('tx', body);
  const signature = ed25519.sign(H('tx-signature', unhex(genesisDigest), hash), wallet.seed);
  return { bytes: concat(body, signature), hash: hex(hash) };
}

// The bank module's transfer payload: the recipient's 32 bytes and the amount.
export function transferData(toAddress, amount) {
  const { prefix, words } = bech32m.decode(toAddress, 90);
  const to = bech32m.fromWords(words);
  if (prefix !== 'mn' || to.length !== 32) throw new Error('the recipient is not an mn1 address');
  return concat(to, u64le(amount));
}

// The header fields that sign one request to BPCI (RFC 9421, alg ed25519, tagged for the chain).
// With { anyHost: true } the signature covers @path and @query instead of @target-uri, so BPCI
// can pass the request on to a node unchanged (the node's Cage accepts either coverage).
export async function signRequest(wallet, genesisDigest, method, path, body = '', { anyHost = false } = {}) {
  const url = new URL(path, location.origin);
  const fields = { 'metanode-key': hex(wallet.publicKey) };
  const covered = anyHost ? ['@method', '@path', '@query', 'metanode-key'] : ['@method', '@target-uri', 'metanode-key'];
  if (body) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', te.encode(body)));
    fields['content-digest'] = `sha-256=:${base64(digest)}:`;
    covered.push('content-digest');
  }
  const nonce = hex(crypto.getRandomValues(new Uint8Array(16)));
  const params = `(${covered.map((c) => `"${c}"`).join(' ')});created=${Math.floor(Date.now() / 1000)};` +
    `keyid="${wallet.address}";alg="ed25519";nonce="${nonce}";tag="metanode:${genesisDigest}"`;
  const values = {
    '@method': method,
    '@target-uri': `${url.protocol}//${url.host}${url.pathname}${url.search}`,
    '@path': url.pathname,
    '@query': url.search || '?',
    ...fields,
  };
  const base = `${covered.map((c) => `"${c}": ${values[c]}`).join('\n')}\n"@signature-params": ${params}`;
  const signature = ed25519.sign(te.encode(base), wallet.seed);
  return { ...fields, 'signature-input': `sig1=${params}`, signature: `sig1=:${base64(signature)}:` };
}

// The governance module's payloads (src/modules/governance/governance.hpp): "propose" is
// u8 action (1 grant, 2 revoke, 3 create_role) | role | subject (32 bytes; zero for create_role) |
// description | u64 expiry in blocks; "approve" is the proposal's u64 id.
const GOV_ACTIONS = { grant: 1, revoke: 2, create_role: 3 };
export function govProposeData({ action, role, subject, description = '', expiryBlocks = 1000n }) {
  if (!(action in GOV_ACTIONS)) throw new Error(`unknown action ${action}`);
  let subjectBytes = new Uint8Array(32);
  if (action !== 'create_role') {
    const { prefix, words } = bech32m.decode(subject, 90);
    subjectBytes = bech32m.fromWords(words);
    if (prefix !== 'mn' || subjectBytes.length !== 32) throw new Error('the subject is not an mn1 address');
  }
  return concat(Uint8Array.of(GOV_ACTIONS[action]), lengthPrefixed(te.encode(role)), subjectBytes,
    lengthPrefixed(te.encode(description)), u64le(expiryBlocks));
}
export const govApproveData = (id) => u64le(BigInt(id));
