#include "crypto/mldsa.hpp"

extern "C" {
#include <crypto_sign/ml-dsa-65/clean/api.h>
}

#include <cstdio>
#include <cstdlib>

#include "crypto/random.hpp"

namespace metanode::crypto {

static_assert(kMldsaPublicKeyBytes == PQCLEAN_MLDSA65_CLEAN_CRYPTO_PUBLICKEYBYTES);
static_assert(kMldsaSecretKeyBytes == PQCLEAN_MLDSA65_CLEAN_CRYPTO_SECRETKEYBYTES);
static_assert(kMldsaSignatureBytes == PQCLEAN_MLDSA65_CLEAN_CRYPTO_BYTES);

core::Result<MldsaPublicKey> MldsaPublicKey::decode(core::Reader& r) {
  auto bytes = r.array<kMldsaPublicKeyBytes>();
  if (!bytes.ok()) return std::move(bytes).error();
  return MldsaPublicKey{*bytes};
}

core::Result<MldsaSignature> MldsaSignature::decode(core::Reader& r) {
  auto bytes = r.array<kMldsaSignatureBytes>();
  if (!bytes.ok()) return std::move(bytes).error();
  return MldsaSignature{*bytes};
}

MldsaKeyPair::MldsaKeyPair()
    : public_key_(std::make_unique<MldsaPublicKey>()),
      secret_key_(std::make_unique<core::ByteArray<kMldsaSecretKeyBytes>>()) {}

MldsaKeyPair::MldsaKeyPair(const MldsaKeyPair& other)
    : public_key_(std::make_unique<MldsaPublicKey>(*other.public_key_)),
      secret_key_(std::make_unique<core::ByteArray<kMldsaSecretKeyBytes>>(*other.secret_key_)) {}

MldsaKeyPair& MldsaKeyPair::operator=(const MldsaKeyPair& other) {
  if (this != &other) {
    *this = MldsaKeyPair(other);
  }
  return *this;
}

MldsaKeyPair::~MldsaKeyPair() {
  if (secret_key_) wipe(*secret_key_);
}

MldsaKeyPair MldsaKeyPair::generate() {
  auto seed = random_array<kMldsaSeedBytes>();
  MldsaKeyPair pair = from_seed(seed);
  wipe(seed);
  return pair;
}

MldsaKeyPair MldsaKeyPair::from_seed(const core::ByteArray<kMldsaSeedBytes>& seed) {
  MldsaKeyPair pair;
  // PQClean's keypair draws exactly ξ (32 bytes) from randombytes().
  ScopedDeterministicRandom stream(seed);
  PQCLEAN_MLDSA65_CLEAN_crypto_sign_keypair(pair.public_key_->bytes.data(), pair.secret_key_->data());
  return pair;
}

MldsaSignature MldsaKeyPair::sign_raw(core::ByteView message) const {
  MldsaSignature signature;
  std::size_t length = 0;
  if (PQCLEAN_MLDSA65_CLEAN_crypto_sign_signature(signature.bytes.data(), &length, message.data(), message.size(),
                                                  secret_key_->data()) != 0 ||
      length != kMldsaSignatureBytes) {
    std::fputs("metanode: ML-DSA-65 signing failed\n", stderr);
    std::abort();
  }
  return signature;
}

MldsaSignature MldsaKeyPair::sign_raw_with(core::ByteView message, const core::ByteArray<32>& rnd) const {
  ScopedDeterministicRandom stream(rnd);  // signing draws exactly rnd (32 bytes)
  return sign_raw(message);
}

MldsaSignature MldsaKeyPair::sign(core::Domain domain, core::ByteView message) const {
  const core::Hash32 digest = core::hash(domain, message);
  return sign_raw(digest);
}

bool mldsa_verify_raw(const MldsaPublicKey& key, core::ByteView message, core::ByteView signature) {
  return PQCLEAN_MLDSA65_CLEAN_crypto_sign_verify(signature.data(), signature.size(), message.data(), message.size(),
                                                  key.bytes.data()) == 0;
}

core::Status mldsa_verify(const MldsaPublicKey& key, core::Domain domain, core::ByteView message,
                          const MldsaSignature& signature) {
  const core::Hash32 digest = core::hash(domain, message);
  if (!mldsa_verify_raw(key, digest, signature.bytes)) {
    return core::make_error(core::ErrorCode::kBadSignature, "ML-DSA-65 signature does not verify in domain " +
                                                                std::string(core::domain_name(domain)));
  }
  return {};
}

}  // namespace metanode::crypto
