#include "crypto/hybrid.hpp"

namespace metanode::crypto {

void HybridPublicKey::encode(core::Writer& w) const {
  ed25519.encode(w);
  mldsa.encode(w);
}

core::Result<HybridPublicKey> HybridPublicKey::decode(core::Reader& r) {
  MN_TRY_ASSIGN(auto ed, PublicKey::decode(r));
  MN_TRY_ASSIGN(auto pq, MldsaPublicKey::decode(r));
  return HybridPublicKey{ed, pq};
}

void HybridSignature::encode(core::Writer& w) const {
  ed25519.encode(w);
  mldsa.encode(w);
}

core::Result<HybridSignature> HybridSignature::decode(core::Reader& r) {
  MN_TRY_ASSIGN(auto ed, Signature::decode(r));
  MN_TRY_ASSIGN(auto pq, MldsaSignature::decode(r));
  return HybridSignature{ed, pq};
}

HybridKeyPair::HybridKeyPair(KeyPair ed25519, MldsaKeyPair mldsa)
    : ed25519_(std::move(ed25519)), mldsa_(std::move(mldsa)) {}

HybridKeyPair HybridKeyPair::generate() { return HybridKeyPair(KeyPair::generate(), MldsaKeyPair::generate()); }

HybridPublicKey HybridKeyPair::public_key() const { return HybridPublicKey{ed25519_.public_key(), mldsa_.public_key()}; }

HybridSignature HybridKeyPair::sign(core::Domain domain, core::ByteView message) const {
  const core::Hash32 digest = core::hash(domain, message);
  return HybridSignature{ed25519_.sign_digest(digest), mldsa_.sign_raw(digest)};
}

core::Status hybrid_verify(const HybridPublicKey& key, core::Domain domain, core::ByteView message,
                           const HybridSignature& signature) {
  const core::Hash32 digest = core::hash(domain, message);
  if (!verify_digest(key.ed25519, digest, signature.ed25519)) {
    return core::make_error(core::ErrorCode::kBadSignature, "hybrid signature: the Ed25519 part does not verify");
  }
  if (!mldsa_verify_raw(key.mldsa, digest, signature.mldsa.bytes)) {
    return core::make_error(core::ErrorCode::kBadSignature, "hybrid signature: the ML-DSA-65 part does not verify");
  }
  return {};
}

}  // namespace metanode::crypto
