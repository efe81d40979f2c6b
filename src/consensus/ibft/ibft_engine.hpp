// IBFT in its QBFT form (Moniz, "The Istanbul BFT Consensus Algorithm", 2020): for each height,
// rounds of PRE-PREPARE -> PREPARE -> COMMIT, with ROUND-CHANGE carrying prepared certificates
// so a value that may have been decided is the only one a later round can propose. A quorum of
// commit seals is the commit certificate: finality is immediate.
//
// The state machine of one height is this file's .cpp; the rules are marked with the paper's
// names (JustifyPrePrepare, HighestPrepared, the f+1 and quorum round-change rules).
#pragma once

#include <map>
#include <optional>
#include <set>

#include "consensus/engine.hpp"
#include "consensus/ibft/messages.hpp"
#include "consensus/reputation.hpp"

namespace metanode::consensus::ibft {

// What must survive a restart so the node never signs two different PREPAREs or COMMITs in one
// round, and never forgets a value it prepared (the lock that makes round changes safe).
struct SafetyState {
  std::uint64_t height = 0;
  std::uint64_t round = 0;
  std::optional<PreparedClaim> sent_proposal;  // highest round we proposed in (as its leader)
  std::optional<PreparedClaim> sent_prepare;  // highest round a PREPARE was sent in, and for what
  std::optional<PreparedClaim> sent_commit;
  std::optional<QuorumCert> prepared_qc;      // PREPARE quorum of the highest prepared block
  std::optional<Block> prepared_block;

  void encode(core::Writer& w) const;
  static core::Result<SafetyState> decode(core::Reader& r);
};

class IbftEngine final : public Engine {
 public:
  explicit IbftEngine(EngineConfig config);

  std::string_view name() const override { return "ibft"; }
  void start(const EngineStart& start, Actions& out) override;
  core::Status on_message(ValidatorIndex from, core::ByteView message, std::uint64_t now_ms, Actions& out) override;
  void on_tick(std::uint64_t now_ms, Actions& out) override;
  void on_payload(std::uint64_t height, core::Bytes payload, std::uint64_t now_ms, Actions& out) override;
  void on_payload_verdict(const core::Hash32& block_id, bool valid, std::uint64_t now_ms, Actions& out) override;
  core::Status on_synced_blocks(const std::vector<Block>& blocks, const QuorumCert& cert, std::uint64_t now_ms,
                                Actions& out) override;
  EngineStatus status() const override;
  std::uint64_t commit_spread_blocks() const override { return 0; }
  // The proposer of (height, round): round-robin over the candidates of leader reputation
  // (reputation.hpp) at this height. Every validator deciding a height has committed the same
  // blocks below it, so all elect the same proposer.
  ValidatorIndex leader(std::uint64_t height, std::uint64_t round) const {
    return cfg_.leader_reputation ? reputation_.leader(position(height, 0), height + round)
                                  : cfg_.validators.leader(height, round);
  }

 private:
  // Messages kept for the next height, so a node that decides late does not miss them.
  static constexpr std::size_t kFutureMessagesMax = 4096;
  // Rounds ahead of ours for which we keep messages (a peer cannot make us hold more).
  static constexpr std::uint64_t kRoundsAheadMax = 1024;

  // Leader reputation reads committed blocks (blocks carry what it needs, deterministically):
  //  - took part: the block's proposer, and the signers of its parent's commit certificate, which
  //    every block after the first carries as `justify` (as Tendermint's LastCommit);
  //  - failed: the proposers of the rounds before the one its block was first proposed in
  //    (`round`, kept when a later round re-proposes a prepared block).
  // Positions order (height, round) pairs for it: height * kRoundsPerHeight + round.
  static constexpr std::uint64_t kRoundsPerHeight = 1024;
  static std::uint64_t position(std::uint64_t height, std::uint64_t round) {
    return height * kRoundsPerHeight + std::min(round, kRoundsPerHeight - 1);
  }
  void remember_committed(const Block& b);
  void start_height(std::uint64_t height, std::optional<SafetyState> restored, Actions& out);
  // `started`: the round really began (round 0, a quorum of ROUND-CHANGEs for it, or a justified
  // PRE-PREPARE). Only a started round's timer moves us on; a round we reached alone waits,
  // repeating its ROUND-CHANGE, until a quorum joins.
  void enter_round(std::uint64_t round, bool started, Actions& out);
  void mark_started(Actions& out);
  void arm_timer(Actions& out);
  std::uint64_t round_period_ms() const;
  core::Status handle(ValidatorIndex from, Message message, Actions& out);
  core::Status dispatch(ValidatorIndex from, core::ByteView bytes, Actions& out);
  core::Status on_pre_prepare(ValidatorIndex from, PrePrepare m, Actions& out);
  core::Status on_prepare(const SignedVote& vote, Actions& out);
  core::Status on_commit(const SignedVote& vote, Actions& out);
  core::Status on_round_change(ValidatorIndex from, RoundChange m, Actions& out);
  core::Status check_round_change(const RoundChange& m, bool with_proof);
  // `reproposal`: set when the round's justification carries a prepared value (the block is it).
  core::Status justify_pre_prepare(const PrePrepare& m, const core::Hash32& block_id, bool& reproposal);
  core::Status check_block(const PrePrepare& m) const;

  void propose_if_leader(Actions& out);
  void send_pre_prepare(Block block, Actions& out);
  void maybe_prepare(Actions& out);
  void maybe_commit(std::uint64_t round, Actions& out);
  void maybe_decide(std::uint64_t round, const core::Hash32& block_id, Actions& out);
  void send_round_change(Actions& out);
  void on_round_changes_for_our_round(Actions& out);
  void persist(Actions& out);
  void broadcast(const Message& m, Actions& out);
  SignedVote sign_vote(VoteData data) const;

  EngineConfig cfg_;
  LeaderReputation reputation_;
  std::uint64_t now_ms_ = 0;
  std::uint64_t committed_height_ = 0;
  core::Hash32 committed_id_{};
  std::optional<QuorumCert> committed_cert_;  // of committed_height_: the next block's justify
  std::uint64_t first_height_ = 0;  // the epoch's first height when started on its root (no justify); 0: not known

  // State of the height being decided.
  std::uint64_t height_ = 1;
  std::uint64_t round_ = 0;
  std::uint64_t round_started_ms_ = 0;
  // Whether round_ began for a quorum (see enter_round). Capped timers alone let an early node
  // drift a whole round ahead of the rest for ever; holding un-started rounds is what realigns.
  bool round_started_ = true;
  std::uint64_t rounds_timed_out_ = 0;
  SafetyState safety_;
  std::map<core::Hash32, Block> blocks_;          // blocks seen at this height
  std::map<core::Hash32, bool> verdicts_;         // payload validity, per block
  std::set<core::Hash32> validation_requested_;
  std::optional<core::Hash32> accepted_;          // PRE-PREPARE accepted in round_
  bool proposed_ = false;                          // we proposed in round_
  bool awaiting_payload_ = false;
  // Votes by round, then signer (the first vote of a signer in a round counts).
  std::map<std::uint64_t, std::map<ValidatorIndex, SignedVote>> prepares_;
  // The first signed pre-prepare of each round and leader (equivocation).
  std::map<std::pair<std::uint64_t, ValidatorIndex>, crypto::SignedProposal> pre_prepares_;
  std::map<std::uint64_t, std::map<ValidatorIndex, SignedVote>> commits_;
  std::map<std::uint64_t, std::map<ValidatorIndex, RoundChange>> round_changes_;
  std::vector<std::pair<ValidatorIndex, core::Bytes>> future_;
  std::uint64_t sync_requested_height_ = 0;
  std::uint64_t sync_requested_ms_ = 0;
  std::map<ValidatorIndex, std::uint64_t> helped_ms_;  // last relay to a lagging peer (one per base period)
};

}  // namespace metanode::consensus::ibft
