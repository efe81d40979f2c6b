// The simulator's adversary against HotStuff's locking rule: the textbook schedule (Yin et al.,
// PODC 2019, section 4.3 on why the lock is needed; the Twins paper's counterexamples have the
// same shape) played by one Byzantine validator that also controls the network before GST.
//
//   1. An honest validator X proposes view u (the last view before the attacker leads u+1, u+2);
//      its parent chain u-2 <- u-1 <- u is direct, so a QC on u commits block u-2.
//   2. The network lets the votes on u reach X only, and cuts X off: X forms QC(u) and commits
//      u-2. The others hold QC(u-1): they locked on u-2 and committed only up to u-3.
//   3. The others time out view u. The attacker adds its own timeout, forms TC(u) and proposes,
//      in view u+1, a block F that forks off below u-2: its parent is u-2's parent.
//   4. An honest validator refuses F: F neither extends its lock (u-2) nor carries a QC newer than
//      it. One without the locking rule votes for it; the attacker then certifies F, builds on
//      it in view u+2 and votes for every later block on the fork, and the honest leaders that
//      follow commit F: a second block at the height where X committed u-2 (an agreement failure).
//
// With the locking rule the schedule only costs the others a view or two; it must never cause a
// violation. Everything it sends is well-formed and signed with the attacker's own key.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/hotstuff/hotstuff_engine.hpp"
#include "consensus/hotstuff/messages.hpp"
#include "consensus/types.hpp"
#include "crypto/ed25519.hpp"

namespace metanode::consensus::sim {

class LockAttack {
 public:
  LockAttack(ValidatorIndex attacker, std::shared_ptr<const crypto::KeyPair> key, const core::Hash32& chain_id,
             std::size_t quorum)
      : attacker_(attacker), key_(std::move(key)), chain_id_(chain_id), quorum_(quorum) {}

  // What the attacker sends in reaction: to one validator, or (no `to`) to every validator but
  // itself and the victim.
  struct Send {
    SharedBytes bytes;
    std::optional<ValidatorIndex> to;
  };

  // An honest validator sent `bytes` (to `to`, or to all). `engine`: the attacker's own engine,
  // for the leader schedule; `time_left`: whether GST is far enough away to play the schedule.
  void observe(ValidatorIndex from, std::optional<ValidatorIndex> to, const core::Bytes& bytes,
               const hotstuff::HotStuffEngine& engine, bool time_left, std::vector<Send>& out);

  // While the schedule runs (before GST), the network it controls: nothing leaves the victim,
  // only the votes on view u reach it, and those votes reach no one else.
  bool delivers(ValidatorIndex from, ValidatorIndex to, const core::Bytes* bytes) const;
  bool running() const { return stage_ != Stage::kWatching && stage_ != Stage::kOver; }
  void end() {
    if (running()) stage_ = Stage::kOver;
  }
  bool launched() const { return stage_ != Stage::kWatching; }
  ValidatorIndex attacker() const { return attacker_; }
  ValidatorIndex victim() const { return victim_; }
  std::uint64_t view() const { return view_; }
  // A one-line account of how far the schedule got (for the trace).
  std::string describe() const;

 private:
  enum class Stage { kWatching, kAwaitingTimeouts, kAwaitingForkVotes, kFollowing, kOver };

  void trigger(ValidatorIndex from, const hotstuff::Proposal& p, const hotstuff::HotStuffEngine& engine, bool time_left);
  void on_timeout(const SignedVote& timeout, std::vector<Send>& out);
  void on_fork_vote(const SignedVote& vote, std::vector<Send>& out);
  void follow(std::optional<ValidatorIndex> to, const SignedVote& vote, std::vector<Send>& out);
  SignedVote sign(const VoteData& data) const;
  Send propose(Block block, std::optional<QuorumCert> tc) const;

  ValidatorIndex attacker_;
  std::shared_ptr<const crypto::KeyPair> key_;
  core::Hash32 chain_id_;
  std::size_t quorum_;

  Stage stage_ = Stage::kWatching;
  std::map<std::uint64_t, Block> proposals_;  // honest proposals by view (the last few)
  ValidatorIndex victim_ = 0;
  std::uint64_t view_ = 0;                    // u
  Block base_;                                // u-2: what the victim commits, and F forks below
  VoteCollector timeouts_;
  VoteCollector fork_votes_;
  core::Hash32 fork_id_{};
  std::uint64_t voted_through_ = 0;           // the attacker's votes on the fork, by view
};

}  // namespace metanode::consensus::sim
