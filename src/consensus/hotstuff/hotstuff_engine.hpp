// Chained HotStuff: the block tree, message handling and the glue between SafetyRules (safety.hpp,
// the paper's rules) and the Pacemaker (pacemaker.hpp, liveness). Votes for view v go to the
// leader of v+1, who forms the QC and proposes on it; each QC moves the three-chain one step.
// Votes of a view whose next view has another leader go to every validator instead.
#pragma once

#include <map>
#include <set>
#include <unordered_map>

#include "consensus/engine.hpp"
#include "consensus/hotstuff/messages.hpp"
#include "consensus/hotstuff/pacemaker.hpp"
#include "consensus/hotstuff/safety.hpp"
#include "consensus/reputation.hpp"

namespace metanode::consensus::hotstuff {

class HotStuffEngine final : public Engine {
 public:
  explicit HotStuffEngine(EngineConfig config);

  std::string_view name() const override { return "hotstuff"; }
  void start(const EngineStart& start, Actions& out) override;
  core::Status on_message(ValidatorIndex from, core::ByteView message, std::uint64_t now_ms, Actions& out) override;
  void on_tick(std::uint64_t now_ms, Actions& out) override;
  void on_payload(std::uint64_t height, core::Bytes payload, std::uint64_t now_ms, Actions& out) override;
  void on_payload_verdict(const core::Hash32& block_id, bool valid, std::uint64_t now_ms, Actions& out) override;
  core::Status on_synced_blocks(const std::vector<Block>& blocks, const QuorumCert& cert, std::uint64_t now_ms,
                                Actions& out) override;
  EngineStatus status() const override;
  std::uint64_t commit_spread_blocks() const override { return 3; }
  // The leader this validator elects for `view` (the simulator's adversary reads it too).
  ValidatorIndex leader(std::uint64_t view) const {
    return cfg_.leader_reputation ? reputation_.leader(view, view / kViewsPerLeader)
                                  : cfg_.validators.leader(0, view / kViewsPerLeader);
  }

 private:
  static constexpr std::size_t kBlocksMax = 8192;          // block tree, all forks together
  static constexpr std::uint64_t kCommittedKept = 64;      // committed blocks kept to serve peers
  static constexpr std::size_t kPendingProposalsMax = 64;
  static constexpr std::uint64_t kSyncGap = 3;             // fetch by sync, not block by block, past this

  core::Status dispatch(ValidatorIndex from, core::ByteView bytes, Actions& out);
  core::Status on_proposal(ValidatorIndex from, Proposal p, Actions& out);
  core::Status on_vote(const SignedVote& vote, Actions& out);
  core::Status on_timeout(ValidatorIndex from, const Timeout& t, Actions& out);
  core::Status on_view_sync(const ViewSync& v, Actions& out);
  void on_block_request(ValidatorIndex from, const core::Hash32& id, Actions& out);
  core::Status on_block_response(ValidatorIndex from, Block block, Actions& out);

  core::Status check_qc(const QuorumCert& qc) const;
  core::Status check_block(const Block& b) const;
  void process_qc(const QuorumCert& qc, Actions& out);
  void process_tc(const QuorumCert& tc, Actions& out);
  void tc_formed(const QuorumCert& tc, Actions& out);
  void enter_view(std::uint64_t view, bool after_qc, Actions& out);
  void insert_block(const core::Hash32& id, Block block, Actions& out);
  void recompute_connected();
  void proposal_ready(const core::Hash32& id, Actions& out);
  void try_vote(const core::Hash32& id, Actions& out);
  bool extends_lock(const core::Hash32& id) const;
  void try_commit(Actions& out);
  void send_timeout(Actions& out);
  void request_block(ValidatorIndex from, const core::Hash32& id, Actions& out);
  // Asks `from` for the first ancestor of block `id` that we do not hold.
  void request_missing_ancestor(ValidatorIndex from, const core::Hash32& id, Actions& out);
  void propose_if_leader(Actions& out);
  void persist(Actions& out);
  void send(ValidatorIndex to, const Message& m, Actions& out);
  void broadcast(const Message& m, Actions& out);
  // Each leader holds two consecutive views. A commit needs four consecutive views with honest
  // leaders (three proposals and the QC of the third, formed by the fourth view's leader); with
  // one view per leader, n = 4 and one silent validator there would never be four in a row.
  // With f faulty among 3f+1, some two honest leaders are adjacent: four views, a commit.
  static constexpr std::uint64_t kViewsPerLeader = 2;
  // Leader reputation: the views whose committed blocks are not read when electing the leader
  // of view v (a block of view v-3 is committed around view v; the rest is slack for a validator
  // a little behind).
  static constexpr std::uint64_t kReputationLagViews = 6;
  // Past this many views (per validator) without a commit, leaders are plain round-robin again:
  // validators that committed different amounts would otherwise elect differently for good.
  static constexpr std::uint64_t kReputationStallViewsPerValidator = 8;
  void remember_committed(const Block& b);
  // The view entered on a timeout certificate: the first view of the first leader slot after the
  // failed view's slot whose leader signed the certificate (at most n slots on; the next slot if
  // none did). A validator that did not time out with the others is down or cut off, so its slot is
  // skipped rather than given a timer to wait out: f crashed leaders in a row cost one timer, not
  // f. A TC of a leader's first view so also skips its second. Deterministic in the certificate
  // (and the leader rotation), so a proposal that skips views carries the TC that allows it, and
  // every validator checks the jump.
  std::uint64_t view_after_tc(const QuorumCert& tc) const;

  EngineConfig cfg_;
  LeaderReputation reputation_;
  SafetyRules safety_;
  Pacemaker pacemaker_;
  std::uint64_t now_ms_ = 0;

  // The unsigned QC this epoch's root stands on: the genesis QC in the first epoch (also kept
  // after a restart mid-epoch, where it names nothing this engine holds).
  QuorumCert epoch_root_qc_;
  core::Hash32 root_id_{};        // last committed block
  std::uint64_t root_height_ = 0;
  std::uint64_t root_round_ = 0;
  QuorumCert high_qc_;
  std::optional<QuorumCert> last_tc_;          // TC that let us into the current view
  std::optional<QuorumCert> pending_commit_;   // highest commit certificate not yet applied

  std::unordered_map<core::Hash32, Block, Hash32Hash> blocks_;
  std::unordered_map<core::Hash32, std::vector<core::Hash32>, Hash32Hash> children_;
  std::set<core::Hash32> connected_;           // blocks whose ancestry reaches the root
  std::map<core::Hash32, ValidatorIndex> pending_proposals_;  // waiting for ancestors
  std::map<core::Hash32, std::uint64_t> requested_;  // block id -> when we asked (asked again after a while)
  std::map<core::Hash32, bool> verdicts_;
  std::set<core::Hash32> validation_requested_;
  std::map<std::uint64_t, VoteCollector> votes_;
  // The first signed proposal of each view and proposer (equivocation; which leader a view has
  // depends on the committed history, so two validators may each be one this node saw).
  std::map<std::pair<std::uint64_t, ValidatorIndex>, crypto::SignedProposal> proposals_seen_;  // as leader of view+1 (or any, on a hand-over), by voted view
  std::uint64_t timed_out_view_ = 0;           // last view we sent a timeout for (0: none)
  bool awaiting_payload_ = false;
  std::uint64_t sync_requested_height_ = 0;
  std::uint64_t sync_requested_ms_ = 0;
  void need_sync(ValidatorIndex peer, std::uint64_t height, Actions& out);
};

}  // namespace metanode::consensus::hotstuff
