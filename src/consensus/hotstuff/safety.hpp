// The safety rules of chained HotStuff (Yin et al., PODC 2019, Algorithm 3), and nothing else:
// when to vote, what to lock, what a quorum certificate commits. Hold it next to the paper:
//
//   voting rule   b*.view > vheight  and  (b* extends b_lock  or  b*.justify.view > b_lock.view)
//   lock (2-chain) on seeing b* with b'' = b*.justify.node, b' = b''.justify.node:
//                 b_lock <- b' if b'.view > b_lock.view
//   commit (3-chain) b <- b'.justify.node; if b'' , b', b are direct (consecutive views): commit b
//
// Blocks always extend the block their justify QC certifies (parent = justify.node), so "direct
// parent" means "the view right before". A vote names, as its commit target, the block that a
// QC on the voted block would commit, so that QC is a self-contained commit certificate.
// Safety never depends on the pacemaker: these rules hold whatever views and timers do.
#pragma once

#include <optional>

#include "consensus/types.hpp"

namespace metanode::consensus::hotstuff {

// What a restarted validator must remember (persisted before every vote and every proposal).
struct SafetyState {
  std::uint64_t last_voted_view = 0;    // vheight: never vote twice in a view, nor in an older one
  std::uint64_t locked_view = 0;        // b_lock
  core::Hash32 locked_block_id{};
  std::uint64_t last_proposed_view = 0; // a leader proposes once per view
  // The highest QC known when this was written (always above the lock). Without it, validators
  // that all restart keep their locks but forget every QC that could unlock them: no proposal
  // would ever be safe to vote for again.
  std::optional<QuorumCert> high_qc;
  // Liveness, not safety: the timeout certificate that led to the furthest view entered. A
  // restarted validator resumes in that view and hands the certificate to validators still in
  // older ones; without it, validators that restarted at different times can sit in different
  // views with no certificate to bring them together (a quorum needs them all when f are down).
  std::optional<QuorumCert> high_tc;

  bool operator==(const SafetyState&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<SafetyState> decode(core::Reader& r);
};

class SafetyRules {
 public:
  SafetyRules() = default;
  explicit SafetyRules(SafetyState state) : state_(state) {}

  const SafetyState& state() const { return state_; }

  // Voting rule. `extends_lock`: b* descends from b_lock (the engine walks the tree).
  bool safe_to_vote(const Block& proposal, bool extends_lock, bool ignore_lock_for_testing) const;
  void record_vote(std::uint64_t view) { state_.last_voted_view = view; }
  void record_high_qc(const QuorumCert& qc);
  void record_high_tc(const QuorumCert& tc) { state_.high_tc = tc; }
  bool may_propose(std::uint64_t view) const { return view > state_.last_proposed_view; }
  void record_proposal(std::uint64_t view) { state_.last_proposed_view = view; }

  // Lock rule, applied on a proposal b* whose parent b'' is `parent`: lock on b''.justify.node.
  // Returns true when the lock moved.
  bool update_lock(const Block& parent);

  // Commit rule: what a QC on `block` (whose parent is `parent`) commits, if anything.
  static std::optional<CommitTarget> commit_target(const Block& block, const Block& parent);

 private:
  SafetyState state_;
};

}  // namespace metanode::consensus::hotstuff
