// A witness (node/audit_witness.hpp) on its own: it cosigns a validator's checkpoints that extend
// the one it cosigned before, answers a conflict with the size it holds when asked from another,
// and refuses, keeps as evidence and records a checkpoint that does not extend it (a rewritten
// log), a note of another log than the asking peer's, and a note signed by another key. The log
// side's client keeps only cosignatures that verify.
#include "node/audit_witness.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "crypto/signed_note.hpp"
#include "ledger/audit_proofs.hpp"
#include "merkle/checkpoint.hpp"
#include "merkle/merkle_tree.hpp"

namespace metanode::node {
namespace {

struct Keys {
  crypto::KeyPair ed = crypto::KeyPair::generate();
  crypto::MldsaKeyPair pq = crypto::MldsaKeyPair::generate();
};

class AuditWitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("witness-test-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    genesis_.chain_id = "witness-test";
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      genesis_.validators.push_back({"v" + std::to_string(i), keys_[i].ed.public_key(), keys_[i].pq.public_key()});
    }
    storage::OpenOptions open;
    open.chain_id = genesis_.chain_id;
    db_ = std::move(storage::CueDb::open(dir_, open)).value();
    witness_ = std::make_unique<AuditWitness>(*db_, genesis_, keys_[1].ed, &keys_[1].pq,
                                              [this](storage::AuditEvent e) { recorded_.push_back(std::move(e)); },
                                              [] { return std::int64_t{1'796'000'000'000}; });
  }
  void TearDown() override {
    witness_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Validator `who`'s checkpoint of the first `size` leaves of `log`, signed by `signer`.
  std::string note(const merkle::MerkleLog& log, std::uint64_t size, std::size_t who = 0, std::size_t signer = 0) {
    merkle::Checkpoint body;
    body.origin = ledger::audit_origin(genesis_.chain_id, keys_[who].ed.public_key());
    body.size = size;
    body.root = log.root_at(size).value();
    crypto::SignedNote n;
    n.text = body.to_text();
    crypto::sign_note_ed25519(n, body.origin, keys_[signer].ed);
    crypto::sign_note_mldsa(n, body.origin, keys_[signer].pq);
    return n.serialize();
  }
  static merkle::MerkleLog log_of(std::uint64_t n, std::uint64_t changed_from = ~0ull) {
    merkle::MerkleLog log;
    for (std::uint64_t i = 0; i < n; ++i) {
      (void)log.append(merkle::leaf_hash(core::as_bytes("e" + std::to_string(i) + (i >= changed_from ? "'" : ""))));
    }
    return log;
  }
  CosignReply ask(const merkle::MerkleLog& log, std::uint64_t old_size, std::uint64_t size, std::size_t peer = 0) {
    CosignRequest r;
    r.old_size = old_size;
    r.note = note(log, size, peer, peer);
    if (old_size > 0 && old_size < size) r.proof = log.consistency_proof(old_size, size).value().path;
    return witness_->handle(keys_[peer].ed.public_key(), r);
  }

  std::filesystem::path dir_;
  std::vector<Keys> keys_ = std::vector<Keys>(4);
  ledger::Genesis genesis_;
  std::unique_ptr<storage::CueDb> db_;
  std::unique_ptr<AuditWitness> witness_;
  std::vector<storage::AuditEvent> recorded_;
};

TEST_F(AuditWitnessTest, CosignsExtensionsAndRefusesARewrittenLogKeepingTheEvidence) {
  const auto honest = log_of(300);
  const CosignReply first = ask(honest, 0, 100);
  ASSERT_EQ(first.outcome, CosignOutcome::kCosigned) << first.text;
  // The lines verify as validator 1's cosignature of that checkpoint (and nobody else's).
  const auto names = ledger::check_audit_cosignatures(note(honest, 100) + first.text, genesis_);
  ASSERT_TRUE(names.ok()) << names.error().to_string();
  EXPECT_EQ(*names, std::vector<std::string>{"v1"});
  ASSERT_EQ(ask(honest, 100, 250).outcome, CosignOutcome::kCosigned);

  // Asked from a size it does not hold: it says which (the log asks again from there).
  const CosignReply conflict = ask(honest, 100, 300);
  EXPECT_EQ(conflict.outcome, CosignOutcome::kConflict);
  EXPECT_EQ(conflict.witness_size, 250u);

  // The same log with event 40 rewritten: no proof from 250 can lead to its root.
  const auto rewritten = log_of(300, 40);
  const CosignReply refused = ask(rewritten, 250, 300);
  EXPECT_EQ(refused.outcome, CosignOutcome::kRefused);
  EXPECT_NE(refused.text.find("does not extend the one of 250 events"), std::string::npos) << refused.text;
  ASSERT_EQ(recorded_.size(), 1u);
  EXPECT_EQ(recorded_[0].action, "audit.witness.conflict");
  const auto doc = witness_->to_json();
  ASSERT_EQ(doc["conflicts"].size(), 1u) << doc.dump();
  EXPECT_EQ(doc["conflicts"][0]["validator"], "v0");
  // ML-DSA signatures are randomised: the refused note's checkpoint text is the rewritten log's.
  const auto text_of = [](const std::string& n) { return n.substr(0, n.find("\n\n")); };
  EXPECT_EQ(text_of(doc["conflicts"][0]["refused_note"].get<std::string>()), text_of(note(rewritten, 300)));
  EXPECT_EQ(text_of(doc["conflicts"][0]["held_note"].get<std::string>()), text_of(note(honest, 250)));
  EXPECT_EQ(doc["logs"][0]["size"], 250u) << "the refused checkpoint replaced nothing";
  // The honest continuation is still cosigned.
  EXPECT_EQ(ask(honest, 250, 300).outcome, CosignOutcome::kCosigned);
}

TEST_F(AuditWitnessTest, RefusesAnotherLogThanThePeersAndAForgedNote) {
  const auto log = log_of(10);
  // Validator 2 asking for validator 0's checkpoint.
  CosignRequest other;
  other.note = note(log, 10, 0, 0);
  EXPECT_EQ(witness_->handle(keys_[2].ed.public_key(), other).outcome, CosignOutcome::kRefused);
  // Validator 0's origin signed with validator 2's keys.
  CosignRequest forged;
  forged.note = note(log, 10, 0, 2);
  const CosignReply r = witness_->handle(keys_[0].ed.public_key(), forged);
  EXPECT_EQ(r.outcome, CosignOutcome::kRefused);
  EXPECT_TRUE(recorded_.empty()) << "only a signed, inconsistent checkpoint is evidence";
  CosignRequest garbage;
  garbage.note = "not a note";
  EXPECT_EQ(witness_->handle(keys_[0].ed.public_key(), garbage).outcome, CosignOutcome::kRefused);
}

TEST_F(AuditWitnessTest, FramesRoundTripAndRefuseUnknownOutcomes) {
  CosignReply reply{7, CosignOutcome::kConflict, 5, "x"};
  auto back = core::decode<CosignReply>(core::encode(reply));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->witness_size, 5u);
  core::Bytes bytes = core::encode(reply);
  bytes[8] = 9;  // the outcome byte
  EXPECT_FALSE(core::decode<CosignReply>(bytes).ok());
}

}  // namespace
}  // namespace metanode::node
