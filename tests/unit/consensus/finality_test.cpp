// Finality proofs stored with ledger blocks: a chain applied from committed consensus payloads
// verifies offline, and every way of forging or mismatching a proof is caught.
#include "consensus/finality.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "consensus_test_support.hpp"
#include "modules/bank.hpp"
#include "modules/module_set.hpp"

namespace metanode::consensus {
namespace {

namespace fs = std::filesystem;
using testing::validator_key;

constexpr std::size_t kValidators = 4;

class FinalityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("metanode-finality-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    genesis_ = ledger::Genesis{};
    genesis_.chain_id = "finality-test";
    genesis_.genesis_time_unix_ms = 1'000;
    for (std::size_t i = 0; i < kValidators; ++i) {
      genesis_.validators.push_back({"v" + std::to_string(i), validator_key(i)->public_key(), mldsa_.public_key()});
    }
    genesis_.accounts.push_back({crypto::Address::from_public_key(alice_.public_key()), 1'000'000});
    chain_ = ledger::Chain::open(dir_, genesis_, modules::standard_modules()).value();
    chain_id_ = consensus_chain_id(chain_->genesis_digest());
    parent_id_ = genesis_block(chain_id_).id();
  }
  void TearDown() override {
    chain_.reset();
    fs::remove_all(dir_);
  }

  ledger::Transaction transfer(std::uint64_t nonce) const {
    ledger::Transaction tx;
    tx.chain_id = genesis_.chain_id;
    tx.nonce = nonce;
    tx.max_fee = 100;
    tx.bid = 5;
    tx.payload = modules::transfer_payload(bob_, 10);
    tx.sign_single(alice_, genesis_.digest());
    return tx;
  }

  Block next_block(std::uint64_t height, std::vector<ledger::Transaction> txs, ValidatorIndex proposer) {
    ConsensusPayload payload;
    payload.timestamp_unix_ms = 5'000 + static_cast<std::int64_t>(height);
    payload.txs = std::move(txs);
    Block b;
    b.height = height;
    b.round = 0;
    b.parent_id = parent_id_;
    b.proposer = proposer;
    b.payload = core::encode(payload);
    parent_id_ = b.id();
    return b;
  }

  // A commit certificate of `signers` naming (target_height, target_id).
  QuorumCert cert_for(std::uint64_t target_height, const core::Hash32& target_id, std::vector<ValidatorIndex> signers) {
    VoteData data;
    data.kind = VoteKind::kCommit;
    data.height = target_height;
    data.block_id = target_id;
    data.commit = CommitTarget{target_height, target_id};
    QuorumCert qc;
    qc.data = data;
    for (ValidatorIndex s : signers) {
      qc.signatures.push_back(VoteSignature{s, validator_key(s)->sign_digest(data.signing_digest(chain_id_))});
    }
    return qc;
  }

  void apply(const Block& b, const QuorumCert& cert) {
    auto payload = core::decode<ConsensusPayload>(b.payload).value();
    auto applied = chain_->apply_committed(std::move(payload.txs), payload.timestamp_unix_ms,
                                           validator_key(b.proposer)->public_key(), core::encode(Finality{b, cert, {}}), false);
    ASSERT_TRUE(applied.ok()) << applied.error().to_string();
  }

  core::Result<std::uint64_t> verify() const {
    FinalityChecker checker(testing::validator_set(kValidators), chain_id_, std::make_shared<CachingVerifier>(),
                            genesis_.genesis_time_unix_ms);
    return chain_->verify_all([&checker](const ledger::StoredBlock& b) { return checker.check(b); });
  }

  fs::path dir_;
  ledger::Genesis genesis_;
  crypto::MldsaKeyPair mldsa_ = crypto::MldsaKeyPair::generate();
  crypto::KeyPair alice_ = crypto::KeyPair::generate();
  crypto::Address bob_ = crypto::Address::from_public_key(crypto::KeyPair::generate().public_key());
  std::unique_ptr<ledger::Chain> chain_;
  core::Hash32 chain_id_{};
  core::Hash32 parent_id_{};
};

TEST_F(FinalityTest, AppliedChainVerifiesOfflineAndSameInputsGiveSameBlock) {
  const Block b1 = next_block(1, {transfer(0), transfer(1)}, 1);
  apply(b1, cert_for(1, b1.id(), {0, 1, 2}));
  const Block b2 = next_block(2, {}, 2);
  apply(b2, cert_for(2, b2.id(), {1, 2, 3}));
  auto verified = verify();
  ASSERT_TRUE(verified.ok()) << verified.error().to_string();
  EXPECT_EQ(*verified, 2u);
  EXPECT_EQ(chain_->block(1).value()->block.txs.size(), 2u);
  EXPECT_TRUE(chain_->block(1).value()->commit.signatures.empty());

  // Another node applying the same committed payloads gets the same block hashes.
  const auto other_dir = dir_.string() + "-other";
  fs::remove_all(other_dir);
  {
    auto other = ledger::Chain::open(other_dir, genesis_, modules::standard_modules()).value();
    for (std::uint64_t h = 1; h <= 2; ++h) {
      const auto mine = chain_->block(h).value().value();
      auto f = core::decode<Finality>(mine.finality).value();
      auto payload = core::decode<ConsensusPayload>(f.block.payload).value();
      auto applied = other->apply_committed(payload.txs, payload.timestamp_unix_ms, validator_key(f.block.proposer)->public_key(),
                                            mine.finality, false);
      ASSERT_TRUE(applied.ok());
      EXPECT_EQ(applied->stored.block.hash(), mine.block.hash()) << "height " << h;
    }
  }
  fs::remove_all(other_dir);
}

TEST_F(FinalityTest, AncestorCommittedThroughADescendantsCertificate) {
  // HotStuff: the certificate stored with height 1 commits height 2, which follows it.
  const Block b1 = next_block(1, {transfer(0)}, 0);
  const Block b2 = next_block(2, {}, 1);
  const QuorumCert cert = cert_for(2, b2.id(), {0, 2, 3});
  apply(b1, cert);
  apply(b2, cert);
  auto verified = verify();
  EXPECT_TRUE(verified.ok()) << verified.error().to_string();
}

TEST_F(FinalityTest, ForgedCertificatesAreRefused) {
  const Block b1 = next_block(1, {transfer(0)}, 0);
  QuorumCert forged = cert_for(1, b1.id(), {0, 1, 2});
  forged.signatures[1].signature.bytes[0] ^= 1;  // one bad signature among a quorum
  apply(b1, forged);
  auto verified = verify();
  ASSERT_FALSE(verified.ok());
  EXPECT_NE(verified.error().message.find("finality"), std::string::npos) << verified.error().message;
}

TEST_F(FinalityTest, TooFewSignersAreRefused) {
  const Block b1 = next_block(1, {}, 0);
  apply(b1, cert_for(1, b1.id(), {0, 1}));  // quorum of 4 is 3
  EXPECT_FALSE(verify().ok());
}

TEST_F(FinalityTest, CertificateForAnotherBlockIsRefused) {
  const Block b1 = next_block(1, {}, 0);
  core::Hash32 other = b1.id();
  other[0] ^= 1;
  apply(b1, cert_for(1, other, {0, 1, 2}));
  EXPECT_FALSE(verify().ok());
}

TEST_F(FinalityTest, DescendantThatIsNotTheCertifiedBlockIsRefused) {
  const Block b1 = next_block(1, {}, 0);
  const Block b2 = next_block(2, {}, 1);
  core::Hash32 wrong = b2.id();
  wrong[5] ^= 1;
  const QuorumCert cert = cert_for(2, wrong, {0, 1, 2});
  apply(b1, cert);
  apply(b2, cert_for(2, b2.id(), {0, 1, 2}));
  auto verified = verify();
  ASSERT_FALSE(verified.ok());
  EXPECT_NE(verified.error().message.find("descendant"), std::string::npos) << verified.error().message;
}

TEST_F(FinalityTest, ProposerMismatchBrokenLinkAndForeignTransactionsAreRefused) {
  {
    // The ledger header names validator 1 while the consensus block says 0.
    const Block b1 = next_block(1, {}, 0);
    auto payload = core::decode<ConsensusPayload>(b1.payload).value();
    ASSERT_TRUE(chain_
                    ->apply_committed({}, payload.timestamp_unix_ms, validator_key(1)->public_key(),
                                      core::encode(Finality{b1, cert_for(1, b1.id(), {0, 1, 2}), {}}), false)
                    .ok());
    auto verified = verify();
    ASSERT_FALSE(verified.ok());
    EXPECT_NE(verified.error().message.find("proposer"), std::string::npos) << verified.error().message;
  }
  TearDown();
  SetUp();
  {
    // A block executing a transaction its payload does not carry.
    const Block b1 = next_block(1, {}, 0);
    auto payload = core::decode<ConsensusPayload>(b1.payload).value();
    ASSERT_TRUE(chain_
                    ->apply_committed({transfer(0)}, payload.timestamp_unix_ms, validator_key(0)->public_key(),
                                      core::encode(Finality{b1, cert_for(1, b1.id(), {0, 1, 2}), {}}), false)
                    .ok());
    EXPECT_FALSE(verify().ok());
  }
  TearDown();
  SetUp();
  {
    // Height 2 does not extend height 1 in consensus.
    const Block b1 = next_block(1, {}, 0);
    apply(b1, cert_for(1, b1.id(), {0, 1, 2}));
    parent_id_[0] ^= 1;
    const Block b2 = next_block(2, {}, 1);
    apply(b2, cert_for(2, b2.id(), {0, 1, 2}));
    auto verified = verify();
    ASSERT_FALSE(verified.ok());
    EXPECT_NE(verified.error().message.find("extend"), std::string::npos) << verified.error().message;
  }
}

TEST_F(FinalityTest, ProofNeedsAChecker) {
  const Block b1 = next_block(1, {}, 0);
  apply(b1, cert_for(1, b1.id(), {0, 1, 2}));
  auto verified = chain_->verify_all();
  ASSERT_FALSE(verified.ok());
  EXPECT_NE(verified.error().message.find("consensus verifier"), std::string::npos);
  EXPECT_FALSE(chain_->apply_committed({}, 1, validator_key(0)->public_key(), {}, false).ok()) << "no proof, no block";
}

}  // namespace
}  // namespace metanode::consensus
