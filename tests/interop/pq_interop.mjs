// Cross-checks metanode's ML-DSA-65 / ML-KEM-768 (PQClean) against @noble/post-quantum, an
// independent implementation. Reads cases as JSON on stdin, writes results as JSON on stdout.
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { readFileSync } from 'node:fs';

const hex = (b) => Buffer.from(b).toString('hex');
const bin = (h) => new Uint8Array(Buffer.from(h, 'hex'));
const flip = (b, i) => { const c = new Uint8Array(b); c[i % c.length] ^= 1; return c; };

const cases = JSON.parse(readFileSync(0, 'utf8'));
const results = cases.map((c) => {
  // ML-DSA-65: keys from the same seed; each side verifies the other's signatures.
  const dsa = ml_dsa65.keygen(bin(c.dsa_seed));
  const msg = bin(c.msg);
  const theirSig = bin(c.cpp_dsa_sig);
  const zeros = new Uint8Array(32);
  const r = {
    dsa_pk: hex(dsa.publicKey),
    dsa_sig_deterministic: hex(ml_dsa65.sign(dsa.secretKey, msg, new Uint8Array(0), zeros)),
    dsa_sig_hedged: hex(ml_dsa65.sign(dsa.secretKey, msg)),
    verifies_cpp_sig: ml_dsa65.verify(bin(c.cpp_dsa_pk), msg, theirSig),
    verifies_tampered_sig: ml_dsa65.verify(bin(c.cpp_dsa_pk), msg, flip(theirSig, 17)),
    verifies_tampered_msg: ml_dsa65.verify(bin(c.cpp_dsa_pk), flip(msg, 0), theirSig),
    verifies_tampered_key: ml_dsa65.verify(flip(bin(c.cpp_dsa_pk), 40), msg, theirSig),
  };
  // ML-KEM-768: keys from the same seed, the same encapsulation from the same m, and each side
  // decapsulates the other's ciphertext.
  const kem = ml_kem768.keygen(bin(c.kem_seed));
  const det = ml_kem768.encapsulate(kem.publicKey, bin(c.kem_m));
  const rnd = ml_kem768.encapsulate(bin(c.cpp_kem_pk));
  Object.assign(r, {
    kem_pk: hex(kem.publicKey),
    kem_ct_deterministic: hex(det.cipherText),
    kem_ss_deterministic: hex(det.sharedSecret),
    kem_ss_of_cpp_ct: hex(ml_kem768.decapsulate(bin(c.cpp_kem_ct), kem.secretKey)),
    kem_ss_of_tampered_cpp_ct: hex(ml_kem768.decapsulate(flip(bin(c.cpp_kem_ct), 5), kem.secretKey)),
    kem_ct_random: hex(rnd.cipherText),
    kem_ss_random: hex(rnd.sharedSecret),
  });
  return r;
});
process.stdout.write(JSON.stringify(results));
