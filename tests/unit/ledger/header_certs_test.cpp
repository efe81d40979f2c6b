// Header certificates: gathering a quorum of validators' signatures over the header each computed,
// and checking a header, then a proof, with only the genesis (the light client).
#include <gtest/gtest.h>

#include "ledger/header_certs.hpp"
#include "ledger/light_client.hpp"
#include "merkle/merkle_tree.hpp"

namespace metanode::ledger {
namespace {

class HeaderCertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto mldsa = crypto::MldsaKeyPair::generate();
    genesis_.chain_id = "certs-test";
    genesis_.genesis_time_unix_ms = 1'000;
    for (int i = 0; i < 4; ++i) {
      keys_.push_back(crypto::KeyPair::generate());
      genesis_.validators.push_back({"v" + std::to_string(i), keys_.back().public_key(), mldsa.public_key()});
    }
    ASSERT_TRUE(genesis_.validate().ok());
  }

  HeaderCertCollector collector() const { return HeaderCertCollector(genesis_.digest(), genesis_.validator_keys()); }
  HeaderSignature sig(int validator, std::uint64_t height, const core::Hash32& hash) const {
    return sign_header(keys_[validator], genesis_.digest(), height, hash);
  }
  Header header_at(std::uint64_t height, std::uint32_t tx_count = 0) const {
    Header h;
    h.height = height;
    h.timestamp_unix_ms = 2'000;
    h.proposer = keys_[0].public_key();
    h.validator_set_hash = genesis_.validator_set_hash();
    h.tx_count = tx_count;
    return h;
  }

  Genesis genesis_;
  std::vector<crypto::KeyPair> keys_;
};

core::Hash32 hash_of(std::uint8_t b) {
  core::Hash32 h{};
  h.fill(b);
  return h;
}

TEST_F(HeaderCertsTest, AQuorumOfEqualSignaturesCertifiesTheHeaderThisNodeComputed) {
  auto c = collector();
  const core::Hash32 h1 = hash_of(1);
  EXPECT_FALSE(c.on_applied(1, h1).certified);
  EXPECT_EQ(c.uncertified(10), std::vector<std::uint64_t>{1});
  EXPECT_FALSE(c.add(sig(3, 1, h1)).value().certified);
  EXPECT_FALSE(c.add(sig(3, 1, h1)).value().certified);  // the same validator counts once
  EXPECT_FALSE(c.add(sig(1, 1, h1)).value().certified);
  const auto done = c.add(sig(2, 1, h1)).value();
  ASSERT_TRUE(done.certified.has_value());
  EXPECT_FALSE(done.diverged.has_value());
  EXPECT_EQ(done.certified->height, 1u);
  EXPECT_EQ(done.certified->block_hash, h1);
  ASSERT_EQ(done.certified->signatures.size(), 3u);
  EXPECT_TRUE(std::is_sorted(done.certified->signatures.begin(), done.certified->signatures.end(),
                             [](const auto& a, const auto& b) { return a.signer < b.signer; }));
  EXPECT_TRUE(verify_commit(*done.certified, genesis_.digest(), genesis_.validator_keys(), 3).ok());
  EXPECT_TRUE(c.is_settled(1));
  EXPECT_TRUE(c.uncertified(10).empty());
  EXPECT_FALSE(c.add(sig(0, 1, h1)).value().certified);  // late: ignored
}

TEST_F(HeaderCertsTest, SignaturesThatArriveBeforeTheBlockIsAppliedCountWhenItIs) {
  auto c = collector();
  const core::Hash32 h2 = hash_of(2);
  c.on_applied(1, hash_of(1));
  for (int v : {0, 1, 2}) EXPECT_FALSE(c.add(sig(v, 2, h2)).value().certified);
  const auto done = c.on_applied(2, h2);
  ASSERT_TRUE(done.certified.has_value());
  EXPECT_EQ(done.certified->signatures.size(), 3u);
}

TEST_F(HeaderCertsTest, AQuorumForAnotherHeaderIsDivergence) {
  auto c = collector();
  c.on_applied(1, hash_of(1));
  EXPECT_FALSE(c.add(sig(0, 1, hash_of(9))).value().diverged);
  EXPECT_FALSE(c.add(sig(1, 1, hash_of(9))).value().diverged);
  const auto out = c.add(sig(2, 1, hash_of(9))).value();
  EXPECT_FALSE(out.certified.has_value());
  ASSERT_TRUE(out.diverged.has_value());
  EXPECT_NE(out.diverged->message.find("this node computed"), std::string::npos);
  EXPECT_EQ(out.diverged->height, 1u);
  EXPECT_EQ(out.diverged->quorum_hash, hash_of(9));
  EXPECT_EQ(out.diverged->own_hash, hash_of(1));
  EXPECT_EQ(out.diverged->signers.size(), 3u);  // the peers to ask for the quorum's header
}

TEST_F(HeaderCertsTest, RefusesStrangersForgeriesOtherChainsAndHeightsFarAhead) {
  auto c = collector();
  c.on_applied(1, hash_of(1));
  const crypto::KeyPair stranger = crypto::KeyPair::generate();
  EXPECT_FALSE(c.add(sign_header(stranger, genesis_.digest(), 1, hash_of(1))).ok());
  HeaderSignature forged = sig(0, 1, hash_of(1));
  forged.block_hash = hash_of(7);  // the signature was for another header
  EXPECT_FALSE(c.add(forged).ok());
  Genesis other = genesis_;
  other.base_fee_min = 2;  // one field differs: another chain
  other.base_fee_initial = 2;
  EXPECT_NE(other.digest(), genesis_.digest());
  EXPECT_FALSE(c.add(sign_header(keys_[0], other.digest(), 1, hash_of(1))).ok());
  EXPECT_FALSE(c.add(sig(0, 0, hash_of(1))).ok());
  EXPECT_FALSE(c.add(sig(0, 1 + HeaderCertCollector::kHeightsAheadMax + 1, hash_of(1))).ok());
  EXPECT_EQ(c.signatures_refused(), 5u);
  EXPECT_EQ(c.uncertified(10), std::vector<std::uint64_t>{1});
}

TEST_F(HeaderCertsTest, HeightsCertifiedElsewhereOrSkippedAreSettled) {
  auto c = collector();
  c.skip_through(10);
  EXPECT_TRUE(c.is_settled(7));
  EXPECT_TRUE(c.add(sig(0, 7, hash_of(7))).ok());
  c.on_applied(11, hash_of(11));
  c.on_applied(12, hash_of(12));
  EXPECT_EQ(c.uncertified(10), (std::vector<std::uint64_t>{11, 12}));
  c.mark_certified(11);
  EXPECT_EQ(c.uncertified(10), std::vector<std::uint64_t>{12});
  EXPECT_EQ(c.uncertified(0), std::vector<std::uint64_t>{});
}

TEST_F(HeaderCertsTest, SignaturesAndCertificatesRoundTripAndRefuseTrailingBytes) {
  std::vector<HeaderSignature> sigs{sig(0, 1, hash_of(1)), sig(1, 2, hash_of(2))};
  EXPECT_EQ(decode_header_signatures(encode_header_signatures(sigs)).value(), sigs);
  auto bytes = encode_header_signatures(sigs);
  bytes.push_back(0);
  EXPECT_FALSE(decode_header_signatures(bytes).ok());
  CommitCertificate cert{3, hash_of(3), {sigs[0].signature}};
  EXPECT_EQ(decode_certificates(encode_certificates({cert})).value(), std::vector<CommitCertificate>{cert});
}

TEST_F(HeaderCertsTest, ALightClientChecksAHeaderWithOnlyTheGenesis) {
  const Header header = header_at(5);
  auto c = collector();
  c.skip_through(4);
  c.on_applied(5, header.hash());
  std::optional<CommitCertificate> cert;
  for (int v : {3, 0, 2}) cert = c.add(sig(v, 5, header.hash())).value().certified;
  ASSERT_TRUE(cert.has_value());
  EXPECT_TRUE(verify_header(genesis_, header, *cert).ok());

  Header tampered = header;
  tampered.state_root = hash_of(0xee);
  EXPECT_FALSE(verify_header(genesis_, tampered, *cert).ok());
  CommitCertificate short_cert = *cert;
  short_cert.signatures.pop_back();
  EXPECT_FALSE(verify_header(genesis_, header, short_cert).ok());
  CommitCertificate doubled = short_cert;
  doubled.signatures.push_back(doubled.signatures.front());
  EXPECT_FALSE(verify_header(genesis_, header, doubled).ok());
  Genesis other = genesis_;
  other.chain_id = "certs-test-2";
  EXPECT_FALSE(verify_header(other, header, *cert).ok());  // certificates do not replay across chains
  Header other_set = header;
  other_set.validator_set_hash = hash_of(3);
  EXPECT_FALSE(verify_header(genesis_, other_set, CommitCertificate{5, other_set.hash(), cert->signatures}).ok());
}

TEST_F(HeaderCertsTest, ProofsAgainstAVerifiedHeaderBindTheTreeSize) {
  std::vector<core::Hash32> tx_hashes{hash_of(1), hash_of(2), hash_of(3)};
  std::vector<core::Hash32> leaves;
  for (const auto& h : tx_hashes) leaves.push_back(merkle::leaf_hash(h));
  Header header = header_at(5, 3);
  header.tx_root = merkle::root_of(leaves);
  const auto proof = merkle::inclusion_proof(leaves, 1).value();
  EXPECT_TRUE(verify_tx_inclusion(header, tx_hashes[1], proof).ok());
  EXPECT_FALSE(verify_tx_inclusion(header, tx_hashes[0], proof).ok());
  auto grown = proof;
  grown.tree_size = 4;  // RFC 9162 arithmetic alone can pass a neighbouring size
  EXPECT_EQ(verify_tx_inclusion(header, tx_hashes[1], grown).error().code, core::ErrorCode::kProofInvalid);

  Receipt ok_receipt{tx_hashes[0], ReceiptStatus::kSuccess, 10, 0, "", {}};
  Receipt failed{tx_hashes[1], ReceiptStatus::kFailed, 10, 13, "insufficient balance", {}};
  Receipt reworded = failed;
  reworded.error_message = "another wording";
  EXPECT_EQ(failed.hash(), reworded.hash());  // the root commits to the code, not the text
  Receipt other_code = failed;
  other_code.error_code = 14;
  EXPECT_NE(failed.hash(), other_code.hash());
  std::vector<core::Hash32> receipt_leaves{merkle::leaf_hash(ok_receipt.hash()), merkle::leaf_hash(failed.hash()),
                                           merkle::leaf_hash(ok_receipt.hash())};
  header.receipts_root = merkle::root_of(receipt_leaves);
  const auto receipt_proof = merkle::inclusion_proof(receipt_leaves, 1).value();
  EXPECT_TRUE(verify_receipt_inclusion(header, reworded, receipt_proof).ok());
  EXPECT_FALSE(verify_receipt_inclusion(header, other_code, receipt_proof).ok());
}

}  // namespace
}  // namespace metanode::ledger
