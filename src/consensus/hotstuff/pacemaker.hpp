// The HotStuff pacemaker: liveness only. It keeps the current view and its timer, collects
// timeout messages into timeout certificates (a quorum saying "view v failed"), and lets a node
// that sees f+1 validators give up on a view join them. It decides nothing about safety: any
// pacemaker, even a Byzantine one, leaves SafetyRules' guarantees intact.
#pragma once

#include <map>
#include <optional>

#include "consensus/engine.hpp"
#include "consensus/types.hpp"

namespace metanode::consensus::hotstuff {

class Pacemaker {
 public:
  Pacemaker(const ValidatorSet* validators, TimerPolicy timers) : validators_(validators), timers_(timers) {}

  std::uint64_t view() const { return view_; }
  // The timer grows (doubling, capped) only from the third view in a row that timed out: one
  // crashed leader makes two views in a row fail (the one whose QC it should have formed, and its
  // own), and that is no reason to wait longer; network delay beyond the timer is.
  std::uint64_t deadline_ms() const {
    return view_started_ms_ + timers_.timeout_ms(consecutive_timeouts_ > 1 ? consecutive_timeouts_ - 1 : 0);
  }
  bool expired(std::uint64_t now_ms) const { return now_ms >= deadline_ms(); }
  std::uint64_t views_timed_out() const { return views_timed_out_; }

  // Enter `view` if it is ahead of ours. `after_qc`: progress (the timer shrinks back to its
  // base); otherwise the view was given up on and the next timer is longer (capped).
  bool advance(std::uint64_t view, bool after_qc, std::uint64_t now_ms);
  // The timer of our view fired: wait another period before repeating the timeout.
  void rearm(std::uint64_t now_ms);

  // Adds a verified timeout vote. Returns the timeout certificate of its view the first time a
  // quorum of validators gave up on it.
  std::optional<QuorumCert> add_timeout(const SignedVote& vote);
  // The view f+1 validators have given up on (each counted at its highest), if it is ours or
  // later: at least one honest validator timed out there, so waiting longer is pointless.
  std::optional<std::uint64_t> view_to_join() const;

 private:
  static constexpr std::uint64_t kViewsAheadMax = 1024;

  const ValidatorSet* validators_;
  TimerPolicy timers_;
  std::uint64_t view_ = 0;
  std::uint64_t view_started_ms_ = 0;
  std::uint64_t consecutive_timeouts_ = 0;
  bool expired_in_view_ = false;  // our timer expired in the current view (rearm counted it)
  std::uint64_t views_timed_out_ = 0;
  std::map<std::uint64_t, VoteCollector> timeouts_;
  std::map<ValidatorIndex, std::uint64_t> highest_timeout_;
};

}  // namespace metanode::consensus::hotstuff
