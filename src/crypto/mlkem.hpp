// ML-KEM-768 post-quantum key encapsulation (FIPS 203), PQClean's clean implementation.
// Used to add a quantum-safe secret to channel keys (XTMP).
#pragma once

#include <memory>

#include "core/bytes.hpp"
#include "core/codec.hpp"
#include "core/result.hpp"

namespace metanode::crypto {

inline constexpr std::size_t kMlkemPublicKeyBytes = 1184;
inline constexpr std::size_t kMlkemSecretKeyBytes = 2400;
inline constexpr std::size_t kMlkemCiphertextBytes = 1088;
inline constexpr std::size_t kMlkemSharedSecretBytes = 32;
inline constexpr std::size_t kMlkemSeedBytes = 64;  // d || z (FIPS 203 ML-KEM.KeyGen_internal)

struct MlkemPublicKey {
  core::ByteArray<kMlkemPublicKeyBytes> bytes{};
  bool operator==(const MlkemPublicKey&) const = default;
  void encode(core::Writer& w) const { w.array(bytes); }
  static core::Result<MlkemPublicKey> decode(core::Reader& r);
};

struct MlkemCiphertext {
  core::ByteArray<kMlkemCiphertextBytes> bytes{};
  bool operator==(const MlkemCiphertext&) const = default;
  void encode(core::Writer& w) const { w.array(bytes); }
  static core::Result<MlkemCiphertext> decode(core::Reader& r);
};

using MlkemSharedSecret = core::ByteArray<kMlkemSharedSecretBytes>;

struct MlkemEncapsulation {
  MlkemCiphertext ciphertext;
  MlkemSharedSecret shared_secret{};
};

class MlkemKeyPair {
 public:
  static MlkemKeyPair generate();
  static MlkemKeyPair from_seed(const core::ByteArray<kMlkemSeedBytes>& seed);

  MlkemKeyPair(MlkemKeyPair&&) noexcept = default;
  MlkemKeyPair& operator=(MlkemKeyPair&&) noexcept = default;
  ~MlkemKeyPair();

  const MlkemPublicKey& public_key() const { return *public_key_; }
  core::ByteView secret_key_bytes() const { return *secret_key_; }

  // Never fails: a forged or altered ciphertext yields an unrelated secret (FIPS 203 implicit
  // rejection), so the peers' keys simply disagree.
  MlkemSharedSecret decapsulate(const MlkemCiphertext& ciphertext) const;

 private:
  MlkemKeyPair();
  std::unique_ptr<MlkemPublicKey> public_key_;
  std::unique_ptr<core::ByteArray<kMlkemSecretKeyBytes>> secret_key_;
};

MlkemEncapsulation mlkem_encapsulate(const MlkemPublicKey& key);
// FIPS 203 ML-KEM.Encaps_internal with the message m given (known-answer and interop tests).
MlkemEncapsulation mlkem_encapsulate_with(const MlkemPublicKey& key, const core::ByteArray<32>& message);

}  // namespace metanode::crypto
