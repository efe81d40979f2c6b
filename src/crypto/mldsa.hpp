// ML-DSA-65 post-quantum signatures (FIPS 204), PQClean's clean implementation. Like Ed25519
// here, sign(domain, message) signs the domain-tagged digest hash(domain, message).
#pragma once

#include <memory>

#include "core/bytes.hpp"
#include "core/codec.hpp"
#include "core/hash.hpp"
#include "core/result.hpp"

namespace metanode::crypto {

inline constexpr std::size_t kMldsaPublicKeyBytes = 1952;
inline constexpr std::size_t kMldsaSecretKeyBytes = 4032;
inline constexpr std::size_t kMldsaSignatureBytes = 3309;
inline constexpr std::size_t kMldsaSeedBytes = 32;

struct MldsaPublicKey {
  core::ByteArray<kMldsaPublicKeyBytes> bytes{};

  bool operator==(const MldsaPublicKey&) const = default;
  void encode(core::Writer& w) const { w.array(bytes); }
  static core::Result<MldsaPublicKey> decode(core::Reader& r);
};

struct MldsaSignature {
  core::ByteArray<kMldsaSignatureBytes> bytes{};

  bool operator==(const MldsaSignature&) const = default;
  void encode(core::Writer& w) const { w.array(bytes); }
  static core::Result<MldsaSignature> decode(core::Reader& r);
};

class MldsaKeyPair {
 public:
  static MldsaKeyPair generate();
  // FIPS 204 ML-DSA.KeyGen_internal from the 32-byte seed ξ: the same seed gives the same keys
  // in every conforming implementation.
  static MldsaKeyPair from_seed(const core::ByteArray<kMldsaSeedBytes>& seed);

  MldsaKeyPair(const MldsaKeyPair& other);
  MldsaKeyPair& operator=(const MldsaKeyPair& other);
  MldsaKeyPair(MldsaKeyPair&&) noexcept = default;
  MldsaKeyPair& operator=(MldsaKeyPair&&) noexcept = default;
  ~MldsaKeyPair();

  const MldsaPublicKey& public_key() const { return *public_key_; }
  core::ByteView secret_key_bytes() const { return *secret_key_; }

  MldsaSignature sign(core::Domain domain, core::ByteView message) const;
  // Pure ML-DSA over `message` with an empty context string (interop tests use it).
  MldsaSignature sign_raw(core::ByteView message) const;
  // FIPS 204 signing with the 32-byte rnd given (all zeros = the deterministic variant):
  // for known-answer and interop tests.
  MldsaSignature sign_raw_with(core::ByteView message, const core::ByteArray<32>& rnd) const;

 private:
  MldsaKeyPair();
  // On the heap: 6 KB of key is too much to copy around by value.
  std::unique_ptr<MldsaPublicKey> public_key_;
  std::unique_ptr<core::ByteArray<kMldsaSecretKeyBytes>> secret_key_;
};

core::Status mldsa_verify(const MldsaPublicKey& key, core::Domain domain, core::ByteView message,
                          const MldsaSignature& signature);
bool mldsa_verify_raw(const MldsaPublicKey& key, core::ByteView message, core::ByteView signature);

}  // namespace metanode::crypto
