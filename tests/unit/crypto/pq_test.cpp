#include <gtest/gtest.h>

#include "crypto/hybrid.hpp"
#include "crypto/mldsa.hpp"
#include "crypto/mlkem.hpp"
#include "crypto/random.hpp"

namespace metanode::crypto {
namespace {

TEST(Mldsa, SignVerifyAndRejectTampering) {
  const MldsaKeyPair key = MldsaKeyPair::generate();
  const core::Bytes msg = {1, 2, 3};
  const MldsaSignature sig = key.sign(core::Domain::Checkpoint, msg);
  EXPECT_TRUE(mldsa_verify(key.public_key(), core::Domain::Checkpoint, msg, sig).ok());
  EXPECT_EQ(mldsa_verify(key.public_key(), core::Domain::Vote, msg, sig).error().code, core::ErrorCode::kBadSignature);
  EXPECT_FALSE(mldsa_verify(key.public_key(), core::Domain::Checkpoint, core::Bytes{1, 2}, sig).ok());
  MldsaSignature bad = sig;
  bad.bytes[100] ^= 4;
  EXPECT_FALSE(mldsa_verify(key.public_key(), core::Domain::Checkpoint, msg, bad).ok());
  EXPECT_FALSE(mldsa_verify(MldsaKeyPair::generate().public_key(), core::Domain::Checkpoint, msg, sig).ok());
  // Truncated signatures are refused by the raw verifier too.
  EXPECT_FALSE(mldsa_verify_raw(key.public_key(), msg, core::ByteView(sig.bytes).first(3000)));
}

TEST(Mldsa, SeedDeterminesKeys) {
  core::ByteArray<32> seed{};
  seed.fill(3);
  EXPECT_EQ(MldsaKeyPair::from_seed(seed).public_key(), MldsaKeyPair::from_seed(seed).public_key());
  seed[0] = 4;
  EXPECT_NE(MldsaKeyPair::from_seed(seed).public_key(), MldsaKeyPair::from_seed(core::ByteArray<32>{}).public_key());
}

TEST(Mlkem, EncapsulateDecapsulate) {
  const MlkemKeyPair key = MlkemKeyPair::generate();
  const MlkemEncapsulation enc = mlkem_encapsulate(key.public_key());
  EXPECT_EQ(key.decapsulate(enc.ciphertext), enc.shared_secret);
  // Implicit rejection: an altered ciphertext gives an unrelated secret, never the real one.
  MlkemCiphertext bad = enc.ciphertext;
  bad.bytes[10] ^= 1;
  EXPECT_NE(key.decapsulate(bad), enc.shared_secret);
  // Another key pair derives another secret.
  EXPECT_NE(MlkemKeyPair::generate().decapsulate(enc.ciphertext), enc.shared_secret);
}

TEST(Mlkem, DeterministicFromSeedAndMessage) {
  core::ByteArray<64> seed{};
  seed.fill(9);
  const MlkemKeyPair a = MlkemKeyPair::from_seed(seed);
  const MlkemKeyPair b = MlkemKeyPair::from_seed(seed);
  EXPECT_EQ(a.public_key(), b.public_key());
  core::ByteArray<32> m{};
  m.fill(1);
  EXPECT_EQ(mlkem_encapsulate_with(a.public_key(), m).ciphertext, mlkem_encapsulate_with(b.public_key(), m).ciphertext);
}

TEST(Hybrid, ValidOnlyWhenBothVerify) {
  const HybridKeyPair key = HybridKeyPair::generate();
  const core::Bytes msg = {5, 5};
  const HybridSignature sig = key.sign(core::Domain::Checkpoint, msg);
  EXPECT_TRUE(hybrid_verify(key.public_key(), core::Domain::Checkpoint, msg, sig).ok());

  HybridSignature bad_classic = sig;
  bad_classic.ed25519.bytes[0] ^= 1;
  auto st = hybrid_verify(key.public_key(), core::Domain::Checkpoint, msg, bad_classic);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("Ed25519"), std::string::npos);

  HybridSignature bad_pq = sig;
  bad_pq.mldsa.bytes[0] ^= 1;
  st = hybrid_verify(key.public_key(), core::Domain::Checkpoint, msg, bad_pq);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("ML-DSA"), std::string::npos);

  // Mixing parts of two valid signatures by different keys is refused.
  const HybridKeyPair other = HybridKeyPair::generate();
  HybridSignature mixed = sig;
  mixed.mldsa = other.sign(core::Domain::Checkpoint, msg).mldsa;
  EXPECT_FALSE(hybrid_verify(key.public_key(), core::Domain::Checkpoint, msg, mixed).ok());
  EXPECT_FALSE(hybrid_verify(key.public_key(), core::Domain::Vote, msg, sig).ok());
}

TEST(Hybrid, Codec) {
  const HybridKeyPair key = HybridKeyPair::generate();
  const HybridSignature sig = key.sign(core::Domain::Checkpoint, core::Bytes{1});
  const core::Bytes enc = core::encode(sig);
  EXPECT_EQ(enc.size(), 64 + kMldsaSignatureBytes);
  EXPECT_EQ(*core::decode<HybridSignature>(enc), sig);
  EXPECT_FALSE(core::decode<HybridSignature>(core::ByteView(enc).first(enc.size() - 1)).ok());
  const core::Bytes pk = core::encode(key.public_key());
  EXPECT_EQ(*core::decode<HybridPublicKey>(pk), key.public_key());
}

}  // namespace
}  // namespace metanode::crypto
