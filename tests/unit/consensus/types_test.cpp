// Shared consensus types: quorum arithmetic for any n, quorum certificates (every way one can be
// malformed), the verifier cache, and the canonical codecs of votes, QCs and blocks.
#include <gtest/gtest.h>

#include "consensus/types.hpp"
#include "consensus_test_support.hpp"

namespace metanode::consensus {
namespace {

using testing::make_qc;
using testing::test_chain_id;
using testing::validator_set;

TEST(ValidatorSet, QuorumIsTwoThirdsPlusOneForAnyN) {
  for (std::size_t n = 1; n <= 40; ++n) {
    const ValidatorSet set = validator_set(n);
    const std::size_t f = (n - 1) / 3;
    EXPECT_EQ(set.quorum(), 2 * n / 3 + 1) << n;
    EXPECT_EQ(set.max_faulty(), f) << n;
    // Two quorums share at least f+1 validators, so at least one honest one.
    EXPECT_GE(2 * set.quorum(), n + f + 1) << n;
    // The honest validators alone form a quorum (liveness).
    EXPECT_LE(set.quorum(), n - f) << n;
  }
}

TEST(ValidatorSet, RefusesEmptyDuplicateAndOversizedSets) {
  EXPECT_FALSE(ValidatorSet::create({}).ok());
  const auto k = testing::validator_key(0)->public_key();
  auto dup = ValidatorSet::create({k, k});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, core::ErrorCode::kInvalidArgument);
  std::vector<crypto::PublicKey> many(kValidatorsMax + 1);
  for (std::size_t i = 0; i < many.size(); ++i) many[i].bytes[0] = static_cast<core::Byte>(i), many[i].bytes[1] = static_cast<core::Byte>(i >> 8);
  EXPECT_FALSE(ValidatorSet::create(many).ok());
}

TEST(ValidatorSet, LeaderRotatesThroughEveryValidator) {
  const ValidatorSet set = validator_set(7);
  std::set<ValidatorIndex> seen;
  for (std::uint64_t r = 0; r < 7; ++r) seen.insert(set.leader(5, r));
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(set.index_of(testing::validator_key(3)->public_key()), 3u);
  EXPECT_FALSE(set.index_of(testing::validator_key(9)->public_key()).has_value());
}

class QuorumCertTest : public ::testing::Test {
 protected:
  ValidatorSet set_ = validator_set(4);
  CachingVerifier verifier_;
  VoteData data_{VoteKind::kCommit, 7, 1, core::Hash32{1}, CommitTarget{7, core::Hash32{1}}};
};

TEST_F(QuorumCertTest, AcceptsAQuorumOfDistinctSigners) {
  EXPECT_TRUE(verify_quorum_cert(make_qc(data_, {0, 1, 2}), set_, test_chain_id(), verifier_).ok());
  EXPECT_TRUE(verify_quorum_cert(make_qc(data_, {0, 1, 2, 3}), set_, test_chain_id(), verifier_).ok());
  EXPECT_TRUE(verify_commit_certificate(make_qc(data_, {1, 2, 3}), 7, core::Hash32{1}, set_, test_chain_id(), verifier_).ok());
}

TEST_F(QuorumCertTest, RefusesTooFewRepeatedUnorderedUnknownAndForgedSigners) {
  auto code = [&](const QuorumCert& qc) {
    auto st = verify_quorum_cert(qc, set_, test_chain_id(), verifier_);
    return st.ok() ? core::ErrorCode::kInternal : st.error().code;
  };
  EXPECT_EQ(code(make_qc(data_, {0, 1})), core::ErrorCode::kConsensusBadCertificate);
  QuorumCert repeated = make_qc(data_, {0, 1, 1});
  EXPECT_EQ(code(repeated), core::ErrorCode::kConsensusBadCertificate);
  EXPECT_EQ(code(make_qc(data_, {2, 1, 0})), core::ErrorCode::kConsensusBadCertificate);
  QuorumCert unknown = make_qc(data_, {0, 1, 2});
  unknown.signatures[2].signer = 9;
  EXPECT_EQ(code(unknown), core::ErrorCode::kConsensusUnknownSigner);
  QuorumCert forged = make_qc(data_, {0, 1, 2});
  forged.signatures[1].signature.bytes[5] ^= 1;
  EXPECT_EQ(code(forged), core::ErrorCode::kBadSignature);
  QuorumCert other_data = make_qc(data_, {0, 1, 2});
  other_data.data.round = 2;  // signatures no longer cover the data
  EXPECT_EQ(code(other_data), core::ErrorCode::kBadSignature);
  // Signed for another chain.
  auto st = verify_quorum_cert(make_qc(data_, {0, 1, 2}), set_, core::Hash32{9}, verifier_);
  EXPECT_FALSE(st.ok());
}

TEST_F(QuorumCertTest, CommitCertificateMustNameTheBlock) {
  const QuorumCert qc = make_qc(data_, {0, 1, 2});
  EXPECT_FALSE(verify_commit_certificate(qc, 8, core::Hash32{1}, set_, test_chain_id(), verifier_).ok());
  EXPECT_FALSE(verify_commit_certificate(qc, 7, core::Hash32{2}, set_, test_chain_id(), verifier_).ok());
  VoteData prepare{VoteKind::kPrepare, 7, 1, core::Hash32{1}, std::nullopt};
  EXPECT_FALSE(verify_commit_certificate(make_qc(prepare, {0, 1, 2}), 7, core::Hash32{1}, set_, test_chain_id(), verifier_).ok());
}

TEST_F(QuorumCertTest, BrokenQuorumIsOnlyForTests) {
  const ValidatorSet broken = set_.with_unsafe_quorum_for_testing(2);
  EXPECT_TRUE(verify_quorum_cert(make_qc(data_, {0, 1}), broken, test_chain_id(), verifier_).ok());
  EXPECT_FALSE(verify_quorum_cert(make_qc(data_, {0, 1}), set_, test_chain_id(), verifier_).ok());
}

TEST(CachingVerifier, CachesOnlySuccesses) {
  const auto key = testing::validator_key(0);
  const core::Hash32 digest{3};
  const auto sig = key->sign_digest(digest);
  CachingVerifier v(4);
  EXPECT_TRUE(v.verify(key->public_key(), digest, sig));
  EXPECT_TRUE(v.verify(key->public_key(), digest, sig));
  EXPECT_EQ(v.verified(), 1u);
  EXPECT_EQ(v.cache_hits(), 1u);
  auto bad = sig;
  bad.bytes[0] ^= 1;
  EXPECT_FALSE(v.verify(key->public_key(), digest, bad));
  EXPECT_FALSE(v.verify(key->public_key(), digest, bad));
  EXPECT_FALSE(v.verify(testing::validator_key(1)->public_key(), digest, sig));
}

TEST(VoteCollector, BuildsOneSortedQcAtQuorum) {
  VoteCollector c;
  const VoteData d{VoteKind::kHotStuff, 3, 3, core::Hash32{4}, std::nullopt};
  EXPECT_FALSE(c.add(testing::sign_vote(d, 3), 3));
  EXPECT_FALSE(c.add(testing::sign_vote(d, 3), 3));  // a repeat does not count twice
  EXPECT_FALSE(c.add(testing::sign_vote(d, 0), 3));
  auto qc = c.add(testing::sign_vote(d, 2), 3);
  ASSERT_TRUE(qc);
  ASSERT_EQ(qc->signatures.size(), 3u);
  EXPECT_EQ(qc->signatures[0].signer, 0u);
  EXPECT_EQ(qc->signatures[2].signer, 3u);
  CachingVerifier v;
  EXPECT_TRUE(verify_quorum_cert(*qc, validator_set(4), test_chain_id(), v).ok());
  EXPECT_FALSE(c.add(testing::sign_vote(d, 1), 3));  // once only
}

TEST(ConsensusCodec, RoundTripsAndRejectsTruncationAndTrailingBytes) {
  Block b;
  b.height = 9;
  b.round = 4;
  b.parent_id = core::Hash32{7};
  b.proposer = 2;
  b.payload = core::Bytes{1, 2, 3};
  b.justify = make_qc(VoteData{VoteKind::kHotStuff, 8, 3, core::Hash32{7}, CommitTarget{6, core::Hash32{5}}}, {0, 1, 3});
  const core::Bytes bytes = core::encode(b);
  auto back = core::decode<Block>(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, b);
  EXPECT_EQ(back->id(), b.id());
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(core::decode<Block>(core::ByteView(bytes.data(), cut)).ok()) << cut;
  }
  core::Bytes trailing = bytes;
  trailing.push_back(0);
  EXPECT_EQ(core::decode<Block>(trailing).error().code, core::ErrorCode::kDecodeTrailingBytes);
  // The id covers every field.
  Block other = b;
  other.payload.push_back(4);
  EXPECT_NE(other.id(), b.id());
  other = b;
  other.justify->signatures.pop_back();
  EXPECT_NE(other.id(), b.id());
  // An unknown vote kind is refused.
  core::Bytes vote = core::encode(b.justify->data);
  vote[0] = 9;
  EXPECT_EQ(core::decode<VoteData>(vote).error().code, core::ErrorCode::kDecodeInvalidValue);
}

TEST(TimerPolicy, GrowsButIsCapped) {
  const TimerPolicy t{100, 800};
  EXPECT_EQ(t.timeout_ms(0), 100u);
  EXPECT_EQ(t.timeout_ms(1), 200u);
  EXPECT_EQ(t.timeout_ms(3), 800u);
  EXPECT_EQ(t.timeout_ms(4), 800u);
  EXPECT_EQ(t.timeout_ms(1'000'000), 800u);
}

}  // namespace
}  // namespace metanode::consensus
