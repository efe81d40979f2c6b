#include "crypto/multisig.hpp"

#include <gtest/gtest.h>

namespace metanode::crypto {
namespace {

struct Fixture {
  std::vector<KeyPair> keys;
  MultisigPolicy policy;
  core::Bytes msg;

  Fixture(std::uint8_t m, std::size_t n) : msg(3, 7) {
    for (std::size_t i = 0; i < n; ++i) keys.push_back(KeyPair::generate());
    policy.threshold = m;
    for (const auto& k : keys) policy.signers.push_back(k.public_key());
  }
  SignerSignature sig(std::size_t i) const {
    return SignerSignature{keys[i].public_key(), keys[i].sign(core::Domain::Tx, msg)};
  }
};

TEST(Multisig, AcceptsThresholdOrMore) {
  Fixture f(2, 3);
  EXPECT_TRUE(verify_multisig(f.policy, core::Domain::Tx, f.msg, {f.sig(0), f.sig(2)}).ok());
  EXPECT_TRUE(verify_multisig(f.policy, core::Domain::Tx, f.msg, {f.sig(2), f.sig(1), f.sig(0)}).ok());
}

TEST(Multisig, RejectsTooFew) {
  Fixture f(2, 3);
  auto st = verify_multisig(f.policy, core::Domain::Tx, f.msg, {f.sig(1)});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, core::ErrorCode::kMultisigTooFewSignatures);
  EXPECT_EQ(verify_multisig(f.policy, core::Domain::Tx, f.msg, {}).error().code,
            core::ErrorCode::kMultisigTooFewSignatures);
}

TEST(Multisig, RejectsDuplicateSigner) {
  Fixture f(2, 3);
  auto st = verify_multisig(f.policy, core::Domain::Tx, f.msg, {f.sig(0), f.sig(0)});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, core::ErrorCode::kMultisigDuplicateSigner);
}

TEST(Multisig, RejectsUnknownSigner) {
  Fixture f(1, 2);
  const KeyPair outsider = KeyPair::generate();
  auto st = verify_multisig(f.policy, core::Domain::Tx, f.msg,
                            {f.sig(0), SignerSignature{outsider.public_key(), outsider.sign(core::Domain::Tx, f.msg)}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, core::ErrorCode::kMultisigUnknownSigner);
}

TEST(Multisig, RejectsBadSignatureEvenWithEnoughGoodOnes) {
  Fixture f(1, 3);
  SignerSignature bad = f.sig(1);
  bad.signature.bytes[0] ^= 1;
  auto st = verify_multisig(f.policy, core::Domain::Tx, f.msg, {f.sig(0), bad});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, core::ErrorCode::kBadSignature);
  // A signature by a member over another domain does not count either.
  SignerSignature other_domain{f.keys[0].public_key(), f.keys[0].sign(core::Domain::Vote, f.msg)};
  EXPECT_FALSE(verify_multisig(f.policy, core::Domain::Tx, f.msg, {other_domain}).ok());
}

TEST(Multisig, PolicyValidation) {
  Fixture f(2, 3);
  EXPECT_TRUE(f.policy.validate().ok());
  MultisigPolicy zero = f.policy;
  zero.threshold = 0;
  EXPECT_EQ(zero.validate().error().code, core::ErrorCode::kMultisigInvalidPolicy);
  MultisigPolicy too_high = f.policy;
  too_high.threshold = 4;
  EXPECT_FALSE(too_high.validate().ok());
  MultisigPolicy dup = f.policy;
  dup.signers.push_back(dup.signers[0]);
  EXPECT_FALSE(dup.validate().ok());
  MultisigPolicy empty;
  empty.threshold = 1;
  EXPECT_FALSE(empty.validate().ok());
  Fixture big(1, kMultisigSignersMax + 1);
  EXPECT_FALSE(big.policy.validate().ok());
  // An invalid policy never verifies anything.
  EXPECT_FALSE(verify_multisig(dup, core::Domain::Tx, f.msg, {f.sig(0), f.sig(1)}).ok());
}

TEST(Multisig, PolicyCodecAndAddress) {
  Fixture f(2, 3);
  const core::Bytes enc = core::encode(f.policy);
  auto back = core::decode<MultisigPolicy>(enc);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, f.policy);
  EXPECT_EQ(back->address(), f.policy.address());
  // The address depends on threshold and members.
  MultisigPolicy other = f.policy;
  other.threshold = 3;
  EXPECT_NE(other.address(), f.policy.address());
  // Decoding refuses an invalid policy.
  core::Bytes bad = enc;
  bad[0] = 9;
  EXPECT_EQ(core::decode<MultisigPolicy>(bad).error().code, core::ErrorCode::kDecodeInvalidValue);
}

}  // namespace
}  // namespace metanode::crypto
