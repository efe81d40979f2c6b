#include "crypto/mlkem.hpp"

extern "C" {
#include <crypto_kem/ml-kem-768/clean/api.h>
}

#include <cstdio>
#include <cstdlib>

#include "crypto/random.hpp"

namespace metanode::crypto {

static_assert(kMlkemPublicKeyBytes == PQCLEAN_MLKEM768_CLEAN_CRYPTO_PUBLICKEYBYTES);
static_assert(kMlkemSecretKeyBytes == PQCLEAN_MLKEM768_CLEAN_CRYPTO_SECRETKEYBYTES);
static_assert(kMlkemCiphertextBytes == PQCLEAN_MLKEM768_CLEAN_CRYPTO_CIPHERTEXTBYTES);
static_assert(kMlkemSharedSecretBytes == PQCLEAN_MLKEM768_CLEAN_CRYPTO_BYTES);

namespace {
void check(int rc, const char* what) {
  if (rc != 0) {
    std::fprintf(stderr, "metanode: ML-KEM-768 %s failed\n", what);
    std::abort();
  }
}
}  // namespace

core::Result<MlkemPublicKey> MlkemPublicKey::decode(core::Reader& r) {
  auto bytes = r.array<kMlkemPublicKeyBytes>();
  if (!bytes.ok()) return std::move(bytes).error();
  return MlkemPublicKey{*bytes};
}

core::Result<MlkemCiphertext> MlkemCiphertext::decode(core::Reader& r) {
  auto bytes = r.array<kMlkemCiphertextBytes>();
  if (!bytes.ok()) return std::move(bytes).error();
  return MlkemCiphertext{*bytes};
}

MlkemKeyPair::MlkemKeyPair()
    : public_key_(std::make_unique<MlkemPublicKey>()),
      secret_key_(std::make_unique<core::ByteArray<kMlkemSecretKeyBytes>>()) {}

MlkemKeyPair::~MlkemKeyPair() {
  if (secret_key_) wipe(*secret_key_);
}

MlkemKeyPair MlkemKeyPair::generate() {
  auto seed = random_array<kMlkemSeedBytes>();
  MlkemKeyPair pair = from_seed(seed);
  wipe(seed);
  return pair;
}

MlkemKeyPair MlkemKeyPair::from_seed(const core::ByteArray<kMlkemSeedBytes>& seed) {
  MlkemKeyPair pair;
  // PQClean's keypair draws d (32 bytes) then z (32 bytes).
  ScopedDeterministicRandom stream(seed);
  check(PQCLEAN_MLKEM768_CLEAN_crypto_kem_keypair(pair.public_key_->bytes.data(), pair.secret_key_->data()),
        "keypair");
  return pair;
}

MlkemSharedSecret MlkemKeyPair::decapsulate(const MlkemCiphertext& ciphertext) const {
  MlkemSharedSecret secret{};
  check(PQCLEAN_MLKEM768_CLEAN_crypto_kem_dec(secret.data(), ciphertext.bytes.data(), secret_key_->data()), "dec");
  return secret;
}

MlkemEncapsulation mlkem_encapsulate(const MlkemPublicKey& key) {
  auto message = random_array<32>();
  MlkemEncapsulation out = mlkem_encapsulate_with(key, message);
  wipe(message);
  return out;
}

MlkemEncapsulation mlkem_encapsulate_with(const MlkemPublicKey& key, const core::ByteArray<32>& message) {
  MlkemEncapsulation out;
  ScopedDeterministicRandom stream(message);  // enc draws exactly m (32 bytes)
  check(PQCLEAN_MLKEM768_CLEAN_crypto_kem_enc(out.ciphertext.bytes.data(), out.shared_secret.data(), key.bytes.data()),
        "enc");
  return out;
}

}  // namespace metanode::crypto
