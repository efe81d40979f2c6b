// IBFT engine contract: persistence before every proposal, prepare and commit seal; a quorum of
// seals is the certificate; a restarted validator never signs a second value for a round; bad
// messages are refused with a precise code; catching up goes through verified certificates.
#include <gtest/gtest.h>

#include "consensus/ibft/ibft_engine.hpp"
#include "consensus/ibft/messages.hpp"
#include "consensus_test_support.hpp"

namespace metanode::consensus::ibft {
namespace {

using testing::actions_of;
using testing::engine_config;
using testing::first_index;
using testing::sign_vote;
using testing::test_chain_id;

constexpr std::size_t kN = 4;
// Height 1, round 0: the leader is (1 + 0) % 4 = 1.
constexpr ValidatorIndex kLeader = 1;

EngineStart genesis_start(std::optional<core::Bytes> persisted = std::nullopt) {
  EngineStart s;
  s.committed = genesis_block(test_chain_id());
  s.persisted = std::move(persisted);
  return s;
}

Message decode(const SharedBytes& bytes) { return decode_message(*bytes).value(); }

// The leader's PRE-PREPARE for height 1, round 0 with `payload`.
core::Bytes leader_pre_prepare(core::Bytes payload) {
  IbftEngine leader(engine_config(kN, kLeader));
  Actions out;
  leader.start(genesis_start(), out);
  EXPECT_EQ(actions_of<RequestPayload>(out).size(), 1u);
  out.clear();
  leader.on_payload(1, std::move(payload), 0, out);
  auto broadcasts = actions_of<Broadcast>(out);
  EXPECT_EQ(broadcasts.size(), 1u);
  return *broadcasts.at(0)->message;
}

// Validator 2 accepts the leader's height-1 proposal with `payload` and sees PREPAREs of 0 and 1:
// the value is prepared here. Returns its block id.
core::Hash32 prepare_height_one(IbftEngine& node, core::Bytes payload, Actions& out) {
  node.start(genesis_start(), out);
  (void)node.on_message(kLeader, leader_pre_prepare(std::move(payload)), 1, out);
  const core::Hash32 id = actions_of<ValidatePayload>(out).at(0)->block_id;
  node.on_payload_verdict(id, true, 2, out);
  for (ValidatorIndex v : {0u, 1u}) {
    (void)node.on_message(v, encode_message(Prepare{sign_vote(VoteData{VoteKind::kPrepare, 1, 0, id, std::nullopt}, v)}), 3, out);
  }
  return id;
}

TEST(Ibft, LeaderPersistsItsProposalBeforeSendingIt) {
  IbftEngine leader(engine_config(kN, kLeader));
  Actions out;
  leader.start(genesis_start(), out);
  out.clear();
  leader.on_payload(1, core::Bytes{1, 2, 3}, 0, out);
  const int persist = first_index<PersistState>(out);
  const int send = first_index<Broadcast>(out);
  ASSERT_GE(persist, 0);
  ASSERT_GT(send, persist);
  auto state = core::decode<SafetyState>(std::get<PersistState>(out[persist]).state).value();
  ASSERT_TRUE(state.sent_proposal);
  EXPECT_EQ(state.sent_proposal->round, 0u);
  EXPECT_TRUE(std::holds_alternative<PrePrepare>(decode(std::get<Broadcast>(out[send]).message)));
}

TEST(Ibft, PreparesOnlyAfterAValidVerdictAndPersistsFirst) {
  IbftEngine node(engine_config(kN, 2));
  Actions out;
  node.start(genesis_start(), out);
  out.clear();
  ASSERT_TRUE(node.on_message(kLeader, leader_pre_prepare({7, 7}), 5, out).ok());
  auto validate = actions_of<ValidatePayload>(out);
  ASSERT_EQ(validate.size(), 1u);
  EXPECT_TRUE(actions_of<Broadcast>(out).empty());  // nothing signed before the payload is checked
  const core::Hash32 id = validate[0]->block_id;
  out.clear();
  node.on_payload_verdict(id, false, 6, out);
  EXPECT_TRUE(actions_of<Broadcast>(out).empty());  // an invalid payload gets no PREPARE
  IbftEngine node2(engine_config(kN, 2));
  node2.start(genesis_start(), out);
  (void)node2.on_message(kLeader, leader_pre_prepare({7, 7}), 5, out);
  out.clear();
  node2.on_payload_verdict(id, true, 6, out);
  const int persist = first_index<PersistState>(out);
  const int send = first_index<Broadcast>(out);
  ASSERT_GE(persist, 0);
  ASSERT_GT(send, persist);
  auto m = decode(std::get<Broadcast>(out[send]).message);
  ASSERT_TRUE(std::holds_alternative<Prepare>(m));
  EXPECT_EQ(std::get<Prepare>(m).vote.data.block_id, id);
}

// Drives validator 2 to a decision with votes from 0 and 1 and checks the certificate.
TEST(Ibft, QuorumOfCommitSealsDecidesWithACertificate) {
  IbftEngine node(engine_config(kN, 2));
  Actions out;
  node.start(genesis_start(), out);
  (void)node.on_message(kLeader, leader_pre_prepare({9}), 1, out);
  const core::Hash32 id = actions_of<ValidatePayload>(out).at(0)->block_id;
  node.on_payload_verdict(id, true, 2, out);
  out.clear();
  for (ValidatorIndex v : {0u, 1u}) {
    auto vote = sign_vote(VoteData{VoteKind::kPrepare, 1, 0, id, std::nullopt}, v);
    ASSERT_TRUE(node.on_message(v, encode_message(Prepare{vote}), 3, out).ok());
  }
  // Prepared: the lock is persisted before the commit seal leaves.
  const int persist = first_index<PersistState>(out);
  const int send = first_index<Broadcast>(out);
  ASSERT_GE(persist, 0);
  ASSERT_GT(send, persist);
  auto state = core::decode<SafetyState>(std::get<PersistState>(out[persist]).state).value();
  ASSERT_TRUE(state.prepared_qc && state.prepared_block);
  EXPECT_EQ(state.prepared_block->id(), id);
  EXPECT_TRUE(actions_of<CommitBlock>(out).empty());
  out.clear();
  for (ValidatorIndex v : {0u, 3u}) {
    auto seal = sign_vote(VoteData{VoteKind::kCommit, 1, 0, id, CommitTarget{1, id}}, v);
    ASSERT_TRUE(node.on_message(v, encode_message(Commit{seal}), 4, out).ok());
  }
  auto commits = actions_of<CommitBlock>(out);
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(commits[0]->block_id, id);
  CachingVerifier v;
  EXPECT_TRUE(verify_commit_certificate(commits[0]->certificate, 1, id, testing::validator_set(kN), test_chain_id(), v).ok());
  EXPECT_EQ(node.status().committed_height, 1u);
  EXPECT_EQ(node.status().height, 2u);
}

// Every block after the first carries its parent's commit certificate and names the round it
// was proposed in (leader reputation reads both from committed blocks); a proposal without the
// certificate, or naming a later round than its own, is refused.
TEST(Ibft, BlocksCarryTheirParentsCommitCertificateAndTheirRound) {
  IbftEngine node(engine_config(kN, 2));
  Actions out;
  const core::Hash32 id = prepare_height_one(node, {9}, out);
  for (ValidatorIndex v : {0u, 3u}) {
    (void)node.on_message(v, encode_message(Commit{sign_vote(VoteData{VoteKind::kCommit, 1, 0, id, CommitTarget{1, id}}, v)}), 4, out);
  }
  const auto commits = actions_of<CommitBlock>(out);
  ASSERT_EQ(commits.size(), 1u);
  const Block first = commits[0]->block;
  const QuorumCert first_cert = commits[0]->certificate;
  // Height 2, round 0: validator 2 leads (a young chain elects round-robin).
  ASSERT_EQ(actions_of<RequestPayload>(out).size(), 1u);
  out.clear();
  node.on_payload(2, core::Bytes{7}, 5, out);
  const auto sent = actions_of<Broadcast>(out);
  ASSERT_EQ(sent.size(), 1u);
  const PrePrepare pp = std::get<PrePrepare>(decode(sent[0]->message));
  EXPECT_EQ(pp.block.round, 0u);
  EXPECT_EQ(pp.block.proposer, 2u);
  ASSERT_TRUE(pp.block.justify.has_value());
  CachingVerifier verifier;
  EXPECT_TRUE(verify_commit_certificate(*pp.block.justify, 1, id, testing::validator_set(kN), test_chain_id(), verifier).ok());

  IbftEngine follower(engine_config(kN, 3));
  EngineStart s;
  s.committed = first;
  s.committed_cert = first_cert;
  Actions o;
  follower.start(s, o);
  auto code = [&](PrePrepare m) {
    m.signature = VoteSignature{2, testing::validator_key(2)->sign_digest(m.signing_digest(test_chain_id(), m.block.id()))};
    auto st = follower.on_message(2, encode_message(m), 6, o);
    return st.ok() ? core::ErrorCode::kInternal : st.error().code;
  };
  PrePrepare bare = pp;
  bare.block.justify.reset();
  EXPECT_EQ(code(bare), core::ErrorCode::kConsensusBadCertificate);
  PrePrepare later = pp;
  later.block.round = 1;
  EXPECT_EQ(code(later), core::ErrorCode::kConsensusInvalidMessage);
  PrePrepare other = pp;
  other.block.proposer = 1;
  EXPECT_EQ(code(other), core::ErrorCode::kConsensusInvalidMessage);
  EXPECT_TRUE(follower.on_message(2, encode_message(pp), 6, o).ok());
}

TEST(Ibft, RestartedValidatorNeverPreparesASecondValue) {
  IbftEngine node(engine_config(kN, 2));
  Actions out;
  node.start(genesis_start(), out);
  (void)node.on_message(kLeader, leader_pre_prepare({1}), 1, out);
  const core::Hash32 first = actions_of<ValidatePayload>(out).at(0)->block_id;
  node.on_payload_verdict(first, true, 2, out);
  std::optional<core::Bytes> persisted;
  for (const auto* p : actions_of<PersistState>(out)) persisted = p->state;
  ASSERT_TRUE(persisted);

  // Crash, restart from what was persisted, and meet an equivocating leader's second value.
  IbftEngine restarted(engine_config(kN, 2));
  out.clear();
  restarted.start(genesis_start(persisted), out);
  (void)restarted.on_message(kLeader, leader_pre_prepare({2}), 3, out);
  for (const auto* v : actions_of<ValidatePayload>(out)) restarted.on_payload_verdict(v->block_id, true, 4, out);
  for (const auto* b : actions_of<Broadcast>(out)) {
    auto m = decode(b->message);
    EXPECT_FALSE(std::holds_alternative<Prepare>(m) && std::get<Prepare>(m).vote.data.round == 0)
        << "a second PREPARE in round 0 after restart";
  }
  // Without the persisted state, the same validator would sign the second value: the test can fail.
  IbftEngine forgetful(engine_config(kN, 2));
  out.clear();
  forgetful.start(genesis_start(), out);
  (void)forgetful.on_message(kLeader, leader_pre_prepare({2}), 3, out);
  for (const auto* v : actions_of<ValidatePayload>(out)) forgetful.on_payload_verdict(v->block_id, true, 4, out);
  bool prepared_again = false;
  for (const auto* b : actions_of<Broadcast>(out)) prepared_again |= std::holds_alternative<Prepare>(decode(b->message));
  EXPECT_TRUE(prepared_again);
}

TEST(Ibft, RoundChangeAfterTimeoutCarriesThePreparedCertificate) {
  IbftEngine node(engine_config(kN, 2));
  Actions out;
  const core::Hash32 id = prepare_height_one(node, {5}, out);
  out.clear();
  node.on_tick(50, out);  // before the 100 ms round timer
  EXPECT_TRUE(actions_of<Broadcast>(out).empty());
  node.on_tick(200, out);
  auto sent = actions_of<Broadcast>(out);
  ASSERT_EQ(sent.size(), 1u);
  auto m = decode(sent[0]->message);
  ASSERT_TRUE(std::holds_alternative<RoundChange>(m));
  const RoundChange& rc = std::get<RoundChange>(m);
  EXPECT_EQ(rc.round, 1u);
  ASSERT_TRUE(rc.prepared && rc.prepared_qc && rc.prepared_block);
  EXPECT_EQ(rc.prepared->block_id, id);
  EXPECT_EQ(node.status().round, 1u);
}

// Height 1: round 1's proposer is validator 2, round 2's validator 3. Validator 2 is down: the
// quorum of ROUND-CHANGEs for round 1 (0, 1, 3) lacks it, so validator 0 moves to round 2 at once
// instead of waiting out a round nobody will propose in. With the proposer in the quorum it stays.
TEST(Ibft, AQuorumOfRoundChangesWithoutTheRoundsProposerMovesOnAtOnce) {
  ASSERT_EQ(testing::validator_set(kN).leader(1, 1), 2u);
  ASSERT_EQ(testing::validator_set(kN).leader(1, 2), 3u);
  auto round_change = [](ValidatorIndex from, std::uint64_t round) {
    RoundChange rc;
    rc.height = 1;
    rc.round = round;
    rc.signature = VoteSignature{from, testing::validator_key(from)->sign_digest(rc.signing_digest(test_chain_id()))};
    return encode_message(rc);
  };
  auto after_round_zero_timed_out = [](IbftEngine& node, Actions& out) {
    node.start(genesis_start(), out);
    node.on_tick(200, out);  // round 0's proposer (1) never proposed
    ASSERT_EQ(node.status().round, 1u);
  };
  {
    IbftEngine node(engine_config(kN, 0));
    Actions out;
    after_round_zero_timed_out(node, out);
    ASSERT_TRUE(node.on_message(1, round_change(1, 1), 210, out).ok());
    EXPECT_EQ(node.status().round, 1u);  // no quorum yet
    out.clear();
    ASSERT_TRUE(node.on_message(3, round_change(3, 1), 211, out).ok());
    EXPECT_EQ(node.status().round, 2u);
    bool announced = false;
    for (const auto* b : actions_of<Broadcast>(out)) {
      const auto m = decode(b->message);
      if (const auto* rc = std::get_if<RoundChange>(&m); rc && rc->round == 2) announced = true;
    }
    EXPECT_TRUE(announced) << "says it moved to round 2";
    // Round 2's proposer is in the quorum for round 2: the round starts and stays.
    ASSERT_TRUE(node.on_message(1, round_change(1, 2), 212, out).ok());
    ASSERT_TRUE(node.on_message(3, round_change(3, 2), 213, out).ok());
    EXPECT_EQ(node.status().round, 2u);
  }
  {
    IbftEngine node(engine_config(kN, 0));
    Actions out;
    after_round_zero_timed_out(node, out);
    ASSERT_TRUE(node.on_message(2, round_change(2, 1), 210, out).ok());
    ASSERT_TRUE(node.on_message(3, round_change(3, 1), 211, out).ok());
    EXPECT_EQ(node.status().round, 1u);  // its proposer gave up on round 0 with the others
  }
}

TEST(Ibft, RefusesMalformedForgedAndMisdirectedMessages) {
  IbftEngine node(engine_config(kN, 2));
  Actions out;
  node.start(genesis_start(), out);
  auto code = [&](ValidatorIndex from, const core::Bytes& bytes) {
    auto st = node.on_message(from, bytes, 1, out);
    return st.ok() ? core::ErrorCode::kInternal : st.error().code;
  };
  EXPECT_EQ(code(0, core::Bytes{0xde, 0xad}), core::ErrorCode::kDecodeInvalidValue);
  EXPECT_EQ(code(0, core::Bytes{}), core::ErrorCode::kDecodeTruncated);
  EXPECT_EQ(code(9, leader_pre_prepare({1})), core::ErrorCode::kConsensusUnknownSigner);
  // A PRE-PREPARE relayed by someone who is not the round's leader.
  EXPECT_EQ(code(3, leader_pre_prepare({1})), core::ErrorCode::kConsensusNotLeader);
  // A forged leader signature.
  auto pp = std::get<PrePrepare>(decode_message(leader_pre_prepare({1})).value());
  pp.signature.signature.bytes[0] ^= 1;
  EXPECT_EQ(code(kLeader, encode_message(pp)), core::ErrorCode::kBadSignature);
  // A PRE-PREPARE for round 1 without a quorum of round changes.
  pp = std::get<PrePrepare>(decode_message(leader_pre_prepare({1})).value());
  pp.round = 1;
  EXPECT_NE(code(testing::validator_set(kN).leader(1, 1), encode_message(pp)), core::ErrorCode::kInternal);
  // A PREPARE with a bad signature, and one carrying a commit target.
  auto vote = sign_vote(VoteData{VoteKind::kPrepare, 1, 0, core::Hash32{1}, std::nullopt}, 0);
  vote.signature.signature.bytes[3] ^= 1;
  EXPECT_EQ(code(0, encode_message(Prepare{vote})), core::ErrorCode::kBadSignature);
  auto with_target = sign_vote(VoteData{VoteKind::kPrepare, 1, 0, core::Hash32{1}, CommitTarget{1, core::Hash32{1}}}, 0);
  EXPECT_EQ(code(0, encode_message(Prepare{with_target})), core::ErrorCode::kConsensusInvalidMessage);
  // A commit seal committing another block than it names.
  auto seal = sign_vote(VoteData{VoteKind::kCommit, 1, 0, core::Hash32{1}, CommitTarget{1, core::Hash32{2}}}, 0);
  EXPECT_EQ(code(0, encode_message(Commit{seal})), core::ErrorCode::kConsensusInvalidMessage);
  // A ROUND-CHANGE claiming a prepared block without its proof, or a prepared round not below its own.
  RoundChange rc;
  rc.height = 1;
  rc.round = 1;
  rc.prepared = PreparedClaim{0, core::Hash32{1}};
  rc.signature = VoteSignature{0, testing::validator_key(0)->sign_digest(rc.signing_digest(test_chain_id()))};
  EXPECT_EQ(code(0, encode_message(rc)), core::ErrorCode::kConsensusInvalidMessage);
  rc.prepared = PreparedClaim{1, core::Hash32{1}};
  rc.signature = VoteSignature{0, testing::validator_key(0)->sign_digest(rc.signing_digest(test_chain_id()))};
  EXPECT_EQ(code(0, encode_message(rc)), core::ErrorCode::kConsensusInvalidMessage);
  EXPECT_TRUE(actions_of<Broadcast>(out).empty() || actions_of<Broadcast>(out).size() == 0u);
}

TEST(Ibft, MessagesFromAheadTriggerSyncAndSyncedBlocksNeedAValidCertificate) {
  IbftEngine node(engine_config(kN, 2));
  Actions out;
  node.start(genesis_start(), out);
  out.clear();
  auto ahead = sign_vote(VoteData{VoteKind::kPrepare, 5, 0, core::Hash32{1}, std::nullopt}, 0);
  ASSERT_TRUE(node.on_message(0, encode_message(Prepare{ahead}), 1, out).ok());
  auto sync = actions_of<SyncNeeded>(out);
  ASSERT_EQ(sync.size(), 1u);
  EXPECT_EQ(sync[0]->peer, 0u);
  EXPECT_EQ(sync[0]->height, 5u);

  Block b;
  b.height = 1;
  b.parent_id = genesis_block(test_chain_id()).id();
  b.payload = {4};
  const core::Hash32 id = b.id();
  const VoteData seal{VoteKind::kCommit, 1, 0, id, CommitTarget{1, id}};
  out.clear();
  EXPECT_FALSE(node.on_synced_blocks({b}, testing::make_qc(seal, {0, 1}), 2, out).ok());  // too few seals
  QuorumCert forged = testing::make_qc(seal, {0, 1, 3});
  forged.signatures[0].signature.bytes[1] ^= 1;
  EXPECT_FALSE(node.on_synced_blocks({b}, forged, 2, out).ok());
  EXPECT_TRUE(actions_of<CommitBlock>(out).empty());
  ASSERT_TRUE(node.on_synced_blocks({b}, testing::make_qc(seal, {0, 1, 3}), 2, out).ok());
  ASSERT_EQ(actions_of<CommitBlock>(out).size(), 1u);
  EXPECT_EQ(node.status().committed_height, 1u);
}

}  // namespace
}  // namespace metanode::consensus::ibft
