// Chained HotStuff: the safety rules on their own (voting, locking, three-chain commit), and the
// engine's contract: store and persist before voting or proposing, no second vote in a view after
// a restart, leaders only, views skipped only with a timeout certificate.
#include <gtest/gtest.h>

#include "consensus/hotstuff/hotstuff_engine.hpp"
#include "consensus/hotstuff/messages.hpp"
#include "consensus/hotstuff/safety.hpp"
#include "consensus/ibft/ibft_engine.hpp"
#include "consensus_test_support.hpp"

namespace metanode::consensus::hotstuff {
namespace {

using testing::actions_of;
using testing::engine_config;
using testing::first_index;
using testing::make_qc;
using testing::test_chain_id;

constexpr std::size_t kN = 4;

Block block_at(std::uint64_t height, std::uint64_t view, std::uint64_t justify_view, const core::Hash32& parent) {
  Block b;
  b.height = height;
  b.round = view;
  b.parent_id = parent;
  b.payload = {static_cast<core::Byte>(view)};
  b.justify = make_qc(VoteData{VoteKind::kHotStuff, height - 1, justify_view, parent, std::nullopt}, {0, 1, 2});
  return b;
}

TEST(HotStuffSafety, VotingRule) {
  SafetyRules rules(SafetyState{5, 3, core::Hash32{3}, 0, std::nullopt, std::nullopt});
  const Block b = block_at(9, 6, 2, core::Hash32{8});
  EXPECT_FALSE(rules.safe_to_vote(block_at(9, 5, 4, core::Hash32{8}), true, false));  // not above last voted view
  EXPECT_TRUE(rules.safe_to_vote(b, /*extends_lock=*/true, false));                  // safety branch
  EXPECT_FALSE(rules.safe_to_vote(b, /*extends_lock=*/false, false));                 // conflicts, stale QC
  EXPECT_TRUE(rules.safe_to_vote(block_at(9, 6, 4, core::Hash32{8}), false, false));  // liveness: newer QC
  EXPECT_TRUE(rules.safe_to_vote(b, false, /*ignore_lock_for_testing=*/true));
}

TEST(HotStuffSafety, LockMovesToTheTwoChainAndOnlyForward) {
  SafetyRules rules;
  const Block parent = block_at(5, 7, 6, core::Hash32{4});  // b'' whose justify certifies b' at view 6
  EXPECT_TRUE(rules.update_lock(parent));
  EXPECT_EQ(rules.state().locked_view, 6u);
  EXPECT_EQ(rules.state().locked_block_id, core::Hash32{4});
  EXPECT_FALSE(rules.update_lock(block_at(5, 7, 5, core::Hash32{9})));  // older: no change
  EXPECT_EQ(rules.state().locked_view, 6u);
}

TEST(HotStuffSafety, CommitTargetOnlyForThreeConsecutiveViews) {
  const Block parent = block_at(5, 7, 6, core::Hash32{4});  // b' (view 7) on b (view 6)
  const auto target = SafetyRules::commit_target(block_at(6, 8, 7, core::Hash32{5}), parent);
  ASSERT_TRUE(target);
  EXPECT_EQ(target->height, 4u);
  EXPECT_EQ(target->block_id, core::Hash32{4});
  EXPECT_FALSE(SafetyRules::commit_target(block_at(6, 9, 7, core::Hash32{5}), parent));  // gap after b'
  EXPECT_FALSE(SafetyRules::commit_target(block_at(6, 8, 7, core::Hash32{5}), block_at(5, 7, 5, core::Hash32{4})));
}

// View 1's leader is validator 0 (views 0-1); votes for view 1 go to view 2's leader, validator 1.
struct Proposed {
  core::Bytes proposal;
  core::Hash32 id{};
};

Proposed leader_proposal(core::Bytes payload) {
  HotStuffEngine leader(engine_config(kN, 0));
  Actions out;
  EngineStart s;
  s.committed = genesis_block(test_chain_id());
  leader.start(s, out);
  EXPECT_EQ(actions_of<RequestPayload>(out).size(), 1u);
  out.clear();
  leader.on_payload(1, std::move(payload), 1, out);
  // Stored and persisted before it is broadcast.
  const int store = first_index<StoreBlock>(out);
  const int persist = first_index<PersistState>(out);
  const int send = first_index<Broadcast>(out);
  EXPECT_GE(store, 0);
  EXPECT_GT(persist, store);
  EXPECT_GT(send, persist);
  return {*std::get<Broadcast>(out[send]).message, std::get<StoreBlock>(out[store]).block_id};
}

// View 1's leader is validator 0 and view 2's is validator 1: the vote hands over to another
// leader, so it goes to every validator (a next leader that is down must not take the QC with it).
TEST(HotStuffEngine, StoresAndPersistsBeforeVotingAndAHandOverVoteGoesToAll) {
  const Proposed p = leader_proposal({1, 2});
  HotStuffEngine node(engine_config(kN, 2));
  Actions out;
  EngineStart s;
  s.committed = genesis_block(test_chain_id());
  node.start(s, out);
  out.clear();
  ASSERT_TRUE(node.on_message(0, p.proposal, 2, out).ok());
  ASSERT_EQ(actions_of<ValidatePayload>(out).size(), 1u);
  EXPECT_TRUE(actions_of<SendTo>(out).empty());
  out.clear();
  node.on_payload_verdict(p.id, true, 3, out);
  const int store = first_index<StoreBlock>(out);
  const int persist = first_index<PersistState>(out);
  const int send = first_index<Broadcast>(out);
  ASSERT_GE(store, 0);
  ASSERT_GT(persist, store);
  ASSERT_GT(send, persist);
  EXPECT_TRUE(actions_of<SendTo>(out).empty());
  const auto& vote_msg = std::get<Broadcast>(out[send]);
  auto m = decode_message(*vote_msg.message).value();
  ASSERT_TRUE(std::holds_alternative<Vote>(m));
  EXPECT_EQ(std::get<Vote>(m).vote.data.block_id, p.id);
  auto state = core::decode<SafetyState>(std::get<PersistState>(out[persist]).state).value();
  EXPECT_EQ(state.last_voted_view, 1u);
}

// Every validator forms the QC of a hand-over view from the broadcast votes and moves on to the
// next view on its own (so it does not wait for a next leader that may be down).
TEST(HotStuffEngine, AnyValidatorFormsTheQcOfAHandOverViewAndEntersTheNextView) {
  const Proposed p = leader_proposal({1});
  auto voter = [&](ValidatorIndex self) {
    auto node = std::make_unique<HotStuffEngine>(engine_config(kN, self));
    Actions out;
    EngineStart s;
    s.committed = genesis_block(test_chain_id());
    node->start(s, out);
    (void)node->on_message(0, p.proposal, 2, out);
    node->on_payload_verdict(p.id, true, 3, out);
    return std::make_pair(std::move(node), out);
  };
  auto [observer, ignored] = voter(2);
  EXPECT_EQ(observer->status().round, 1u);
  for (ValidatorIndex other : {0u, 3u}) {
    auto [node, out] = voter(other);
    const auto votes = actions_of<Broadcast>(out);
    ASSERT_EQ(votes.size(), 1u);
    Actions o;
    ASSERT_TRUE(observer->on_message(other, *votes[0]->message, 4, o).ok());
  }
  EXPECT_EQ(observer->status().round, 2u);  // QC of view 1 formed here: view 2 entered
}

TEST(HotStuffEngine, RestartedValidatorNeverVotesTwiceInAView) {
  const Proposed first = leader_proposal({1});
  HotStuffEngine node(engine_config(kN, 2));
  Actions out;
  EngineStart s;
  s.committed = genesis_block(test_chain_id());
  node.start(s, out);
  (void)node.on_message(0, first.proposal, 2, out);
  node.on_payload_verdict(first.id, true, 3, out);
  std::optional<core::Bytes> persisted;
  for (const auto* p : actions_of<PersistState>(out)) persisted = p->state;
  ASSERT_TRUE(persisted);

  const Proposed second = leader_proposal({2});  // the leader equivocates in view 1
  auto votes_after_restart = [&](std::optional<core::Bytes> state) {
    HotStuffEngine restarted(engine_config(kN, 2));
    Actions o;
    EngineStart rs = s;
    rs.persisted = std::move(state);
    restarted.start(rs, o);
    (void)restarted.on_message(0, second.proposal, 4, o);
    restarted.on_payload_verdict(second.id, true, 5, o);
    return actions_of<SendTo>(o).size() + actions_of<Broadcast>(o).size();
  };
  EXPECT_EQ(votes_after_restart(persisted), 0u);
  EXPECT_EQ(votes_after_restart(std::nullopt), 1u);  // without the state it would: the test can fail
}

TEST(HotStuffEngine, RefusesNonLeadersForgeriesAndUnjustifiedViewSkips) {
  const Proposed p = leader_proposal({1});
  HotStuffEngine node(engine_config(kN, 2));
  Actions out;
  EngineStart s;
  s.committed = genesis_block(test_chain_id());
  node.start(s, out);
  auto code = [&](ValidatorIndex from, const core::Bytes& bytes) {
    auto st = node.on_message(from, bytes, 2, out);
    return st.ok() ? core::ErrorCode::kInternal : st.error().code;
  };
  EXPECT_EQ(code(3, p.proposal), core::ErrorCode::kConsensusNotLeader);
  EXPECT_EQ(code(0, core::Bytes{0x42}), core::ErrorCode::kDecodeInvalidValue);
  auto forged = std::get<Proposal>(decode_message(p.proposal).value());
  forged.signature.signature.bytes[9] ^= 1;
  EXPECT_EQ(code(0, encode_message(forged)), core::ErrorCode::kBadSignature);
  // View 3 (leader 1) built on the genesis QC of view 0 needs a timeout certificate for view 2.
  Proposal skip = std::get<Proposal>(decode_message(p.proposal).value());
  skip.block.round = 3;
  skip.signature = VoteSignature{1, testing::validator_key(1)->sign_digest(Proposal::signing_digest(test_chain_id(), skip.block.id()))};
  EXPECT_EQ(code(1, encode_message(skip)), core::ErrorCode::kConsensusInvalidMessage);
  // A QC with a forged signature inside the block.
  Proposal bad_qc = std::get<Proposal>(decode_message(p.proposal).value());
  bad_qc.block.round = 2;
  bad_qc.block.justify = make_qc(VoteData{VoteKind::kHotStuff, 0, 1, bad_qc.block.parent_id, std::nullopt}, {0, 1, 3});
  bad_qc.block.justify->signatures[1].signature.bytes[0] ^= 1;
  bad_qc.signature = VoteSignature{1, testing::validator_key(1)->sign_digest(Proposal::signing_digest(test_chain_id(), bad_qc.block.id()))};
  EXPECT_EQ(code(1, encode_message(bad_qc)), core::ErrorCode::kBadSignature);
  // A malformed timeout.
  SignedVote t = testing::sign_vote(VoteData{VoteKind::kTimeout, 3, 1, core::Hash32{}, std::nullopt}, 1);
  EXPECT_EQ(code(1, encode_message(Timeout{t, QuorumCert{}})), core::ErrorCode::kConsensusInvalidMessage);
  EXPECT_TRUE(actions_of<SendTo>(out).empty());
}

TEST(HotStuffEngine, SilentLeaderIsReplacedThroughATimeoutCertificate) {
  // Validator 0 leads views 0-1 and stays silent; the others time out and view 2's leader (1) proposes.
  std::vector<std::unique_ptr<HotStuffEngine>> nodes;
  std::vector<Actions> outs(kN);
  for (ValidatorIndex i = 1; i < kN; ++i) {
    nodes.push_back(std::make_unique<HotStuffEngine>(engine_config(kN, i)));
    EngineStart s;
    s.committed = genesis_block(test_chain_id());
    nodes.back()->start(s, outs[i]);
  }
  std::vector<core::Bytes> timeouts;
  for (ValidatorIndex i = 1; i < kN; ++i) {
    outs[i].clear();
    nodes[i - 1]->on_tick(150, outs[i]);  // past the 100 ms view timer
    auto b = actions_of<Broadcast>(outs[i]);
    ASSERT_EQ(b.size(), 1u);
    timeouts.push_back(*b[0]->message);
  }
  Actions out;
  // Validator 1 (nodes[0]) has its own timeout; those of 2 and 3 make the quorum.
  for (std::size_t k = 1; k < timeouts.size(); ++k) {
    ASSERT_TRUE(nodes[0]->on_message(static_cast<ValidatorIndex>(k + 1), timeouts[k], 160, out).ok());
  }
  EXPECT_EQ(nodes[0]->status().round, 2u);
  auto requests = actions_of<RequestPayload>(out);
  ASSERT_EQ(requests.size(), 1u);
  out.clear();
  nodes[0]->on_payload(1, {5}, 170, out);
  auto proposal = std::get<Proposal>(decode_message(*actions_of<Broadcast>(out).at(0)->message).value());
  ASSERT_TRUE(proposal.tc);
  EXPECT_EQ(proposal.tc->data.round, 1u);
  EXPECT_EQ(proposal.block.round, 2u);
}

// Views 0-1 are validator 0's, 2-3 validator 1's, 4-5 validator 2's. Validator 1 is down: the
// timeout certificate of view 1 is signed by 0, 2 and 3, so it leads past validator 1's slot
// straight to view 4 (one timer for the failed view, none for the dead leader's). The validator
// that forms it sends it to all; a proposal that jumps further than its TC allows is refused.
TEST(HotStuffEngine, ATimeoutCertificateSkipsTheSlotsOfLeadersThatDidNotSignIt) {
  const VoteData failed{VoteKind::kTimeout, 0, 1, core::Hash32{}, std::nullopt};
  const QuorumCert genesis = make_qc(VoteData{VoteKind::kHotStuff, 0, 0, genesis_block(test_chain_id()).id(), std::nullopt}, {});
  auto started = [&](ValidatorIndex self) {
    auto node = std::make_unique<HotStuffEngine>(engine_config(kN, self));
    Actions out;
    EngineStart s;
    s.committed = genesis_block(test_chain_id());
    node->start(s, out);
    return node;
  };
  auto next_leader = started(2);
  Actions out;
  next_leader->on_tick(150, out);  // its own timeout of view 1
  for (ValidatorIndex from : {0u, 3u}) {
    ASSERT_TRUE(next_leader->on_message(from, encode_message(Timeout{testing::sign_vote(failed, from), genesis}), 160, out).ok());
  }
  EXPECT_EQ(next_leader->status().round, 4u);
  bool tc_sent = false;
  for (const auto* b : actions_of<Broadcast>(out)) {
    auto m = decode_message(*b->message).value();
    if (auto* v = std::get_if<ViewSync>(&m); v && v->tc && v->tc->data.round == 1) tc_sent = true;
  }
  EXPECT_TRUE(tc_sent) << "the TC formed here goes to every validator";
  ASSERT_EQ(actions_of<RequestPayload>(out).size(), 1u);
  out.clear();
  next_leader->on_payload(1, {7}, 170, out);
  const auto proposal = std::get<Proposal>(decode_message(*actions_of<Broadcast>(out).at(0)->message).value());
  ASSERT_TRUE(proposal.tc);
  EXPECT_EQ(proposal.block.round, 4u);

  // Another validator (still in view 1) follows the proposal to view 4 and votes for it.
  auto voter = started(3);
  Actions v;
  ASSERT_TRUE(voter->on_message(2, encode_message(proposal), 171, v).ok());
  EXPECT_EQ(voter->status().round, 4u);
  voter->on_payload_verdict(proposal.block.id(), true, 172, v);
  EXPECT_FALSE(actions_of<SendTo>(v).empty() && actions_of<Broadcast>(v).empty()) << "voted in view 4";

  // A TC that validator 1 signed leads to its slot (view 2): a view-4 proposal carrying it skips
  // views it does not allow.
  Proposal overreach = proposal;
  overreach.tc = make_qc(failed, {1, 2, 3});
  overreach.signature = VoteSignature{2, testing::validator_key(2)->sign_digest(Proposal::signing_digest(test_chain_id(), overreach.block.id()))};
  auto other = started(0);
  Actions o;
  const auto refused = other->on_message(2, encode_message(overreach), 171, o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, core::ErrorCode::kConsensusInvalidMessage);
}

// The TC that led to a view is persisted: a validator restarted after it resumes in that view,
// holding the TC, and hands it to a validator still in an older view (without it, validators
// that restarted at different times could sit in different views with no certificate to join).
TEST(HotStuffEngine, ARestartedValidatorResumesInTheViewItsTimeoutCertificateLedTo) {
  const VoteData failed{VoteKind::kTimeout, 0, 1, core::Hash32{}, std::nullopt};
  const QuorumCert genesis = make_qc(VoteData{VoteKind::kHotStuff, 0, 0, genesis_block(test_chain_id()).id(), std::nullopt}, {});
  EngineStart s;
  s.committed = genesis_block(test_chain_id());
  HotStuffEngine before(engine_config(kN, 2));
  Actions out;
  before.start(s, out);
  before.on_tick(150, out);
  for (ValidatorIndex from : {0u, 3u}) {
    ASSERT_TRUE(before.on_message(from, encode_message(Timeout{testing::sign_vote(failed, from), genesis}), 160, out).ok());
  }
  ASSERT_EQ(before.status().round, 4u);
  std::optional<core::Bytes> persisted;
  for (const auto* p : actions_of<PersistState>(out)) persisted = p->state;
  ASSERT_TRUE(persisted);
  ASSERT_TRUE(core::decode<SafetyState>(*persisted).value().high_tc.has_value());

  HotStuffEngine after(engine_config(kN, 2));
  Actions o;
  EngineStart rs = s;
  rs.persisted = persisted;
  after.start(rs, o);
  EXPECT_EQ(after.status().round, 4u) << "resumed in the view the TC led to, not view 1";
  o.clear();
  // Validator 3, restarted without it and still in view 1, times out there: it gets the TC.
  ASSERT_TRUE(after.on_message(3, encode_message(Timeout{testing::sign_vote(failed, 3), genesis}), 200, o).ok());
  bool handed = false;
  for (const auto* send : actions_of<SendTo>(o)) {
    auto m = decode_message(*send->message).value();
    if (auto* v = std::get_if<ViewSync>(&m); v && v->tc && send->to == 3) handed = true;
  }
  EXPECT_TRUE(handed);
}

TEST(CleanNetwork, BothEnginesCommitTheSameChainWithValidCertificates) {
  for (const bool use_hotstuff : {false, true}) {
    const auto run = testing::run_clean(kN, 20, [&](EngineConfig c) -> std::unique_ptr<Engine> {
      if (use_hotstuff) return std::make_unique<HotStuffEngine>(std::move(c));
      return std::make_unique<ibft::IbftEngine>(std::move(c));
    });
    CachingVerifier v;
    for (std::size_t i = 0; i < kN; ++i) {
      ASSERT_GE(run.commits[i].size(), 20u) << (use_hotstuff ? "hotstuff" : "ibft") << " validator " << i;
      core::Hash32 parent = genesis_block(test_chain_id()).id();
      for (std::size_t h = 0; h < 20; ++h) {
        const CommitBlock& c = run.commits[i][h];
        EXPECT_EQ(c.block.height, h + 1);
        EXPECT_EQ(c.block.parent_id, parent);
        EXPECT_EQ(c.block_id, run.commits[0][h].block_id);
        const auto& target = c.certificate.data.commit;
        ASSERT_TRUE(target);
        EXPECT_TRUE(verify_commit_certificate(c.certificate, target->height, target->block_id, testing::validator_set(kN),
                                              test_chain_id(), v)
                        .ok());
        parent = c.block_id;
      }
    }
  }
}

}  // namespace
}  // namespace metanode::consensus::hotstuff
