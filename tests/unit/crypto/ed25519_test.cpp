#include "crypto/ed25519.hpp"

#include <gtest/gtest.h>

#include <sodium.h>

namespace metanode::crypto {
namespace {

TEST(Ed25519, SignVerifyOverDomainDigest) {
  const KeyPair key = KeyPair::generate();
  const core::Bytes msg = {1, 2, 3, 4};
  const Signature sig = key.sign(core::Domain::Tx, msg);
  EXPECT_TRUE(verify(key.public_key(), core::Domain::Tx, msg, sig).ok());
  // The signature is over hash(domain, msg), not msg itself.
  EXPECT_TRUE(verify_digest(key.public_key(), core::hash(core::Domain::Tx, msg), sig));
  EXPECT_NE(crypto_sign_ed25519_verify_detached(sig.bytes.data(), msg.data(), msg.size(), key.public_key().bytes.data()), 0);
}

TEST(Ed25519, RejectsOtherDomainMessageKeyOrTamperedSignature) {
  const KeyPair key = KeyPair::generate();
  const core::Bytes msg = {9, 9, 9};
  const Signature sig = key.sign(core::Domain::Vote, msg);
  auto wrong_domain = verify(key.public_key(), core::Domain::Tx, msg, sig);
  ASSERT_FALSE(wrong_domain.ok());
  EXPECT_EQ(wrong_domain.error().code, core::ErrorCode::kBadSignature);
  EXPECT_FALSE(verify(key.public_key(), core::Domain::Vote, core::Bytes{9, 9, 8}, sig).ok());
  EXPECT_FALSE(verify(KeyPair::generate().public_key(), core::Domain::Vote, msg, sig).ok());
  for (std::size_t i = 0; i < sig.bytes.size(); i += 7) {
    Signature bad = sig;
    bad.bytes[i] ^= 0x01;
    EXPECT_FALSE(verify(key.public_key(), core::Domain::Vote, msg, bad).ok()) << "flip at byte " << i;
  }
}

TEST(Ed25519, SeedIsDeterministic) {
  Seed seed{};
  seed.fill(5);
  const KeyPair a = KeyPair::from_seed(seed);
  const KeyPair b = KeyPair::from_seed(seed);
  EXPECT_EQ(a.public_key(), b.public_key());
  EXPECT_EQ(a.seed(), seed);
  // Ed25519 is deterministic: same key, same message, same signature.
  EXPECT_EQ(a.sign(core::Domain::Test, core::Bytes{1}), b.sign(core::Domain::Test, core::Bytes{1}));
}

TEST(Ed25519, HexAndCodec) {
  const KeyPair key = KeyPair::generate();
  EXPECT_EQ(*PublicKey::from_hex(key.public_key().to_hex()), key.public_key());
  EXPECT_EQ(PublicKey::from_hex("abcd").error().code, core::ErrorCode::kInvalidKey);
  const core::Bytes enc = core::encode(key.public_key());
  EXPECT_EQ(enc.size(), 32u);
  EXPECT_EQ(*core::decode<PublicKey>(enc), key.public_key());
}

}  // namespace
}  // namespace metanode::crypto
