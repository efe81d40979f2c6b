// Hybrid signatures: Ed25519 and ML-DSA-65 over the same domain-tagged digest, valid only when
// both verify. For what must stay trustworthy after a quantum computer: checkpoints and
// validator identities.
#pragma once

#include "core/codec.hpp"
#include "core/hash.hpp"
#include "core/result.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/mldsa.hpp"

namespace metanode::crypto {

struct HybridPublicKey {
  PublicKey ed25519;
  MldsaPublicKey mldsa;

  bool operator==(const HybridPublicKey&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<HybridPublicKey> decode(core::Reader& r);
};

struct HybridSignature {
  Signature ed25519;
  MldsaSignature mldsa;

  bool operator==(const HybridSignature&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<HybridSignature> decode(core::Reader& r);
};

class HybridKeyPair {
 public:
  HybridKeyPair(KeyPair ed25519, MldsaKeyPair mldsa);
  static HybridKeyPair generate();

  HybridPublicKey public_key() const;
  const KeyPair& ed25519() const { return ed25519_; }
  const MldsaKeyPair& mldsa() const { return mldsa_; }

  HybridSignature sign(core::Domain domain, core::ByteView message) const;

 private:
  KeyPair ed25519_;
  MldsaKeyPair mldsa_;
};

// Succeeds only when both the Ed25519 and the ML-DSA-65 signature verify.
core::Status hybrid_verify(const HybridPublicKey& key, core::Domain domain, core::ByteView message,
                           const HybridSignature& signature);

}  // namespace metanode::crypto
