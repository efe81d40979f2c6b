#include "consensus/hotstuff/pacemaker.hpp"

#include <algorithm>
#include <vector>

namespace metanode::consensus::hotstuff {

bool Pacemaker::advance(std::uint64_t view, bool after_qc, std::uint64_t now_ms) {
  if (view <= view_) return false;
  if (after_qc) {
    consecutive_timeouts_ = 0;
  } else {
    // A view left by a timeout certificate counts once: rearm() already counted it if our own
    // timer expired in it (counting again would double the next view's timer twice).
    if (!expired_in_view_) ++consecutive_timeouts_;
    ++views_timed_out_;
  }
  expired_in_view_ = false;
  view_ = view;
  view_started_ms_ = now_ms;
  // Timeouts of views we left can no longer help.
  timeouts_.erase(timeouts_.begin(), timeouts_.lower_bound(view_));
  return true;
}

void Pacemaker::rearm(std::uint64_t now_ms) {
  view_started_ms_ = now_ms;
  expired_in_view_ = true;
  if (consecutive_timeouts_ < 64) ++consecutive_timeouts_;
}

std::optional<QuorumCert> Pacemaker::add_timeout(const SignedVote& vote) {
  const std::uint64_t v = vote.data.round;
  if (v < view_ || v > view_ + kViewsAheadMax) return std::nullopt;
  auto& highest = highest_timeout_[vote.signature.signer];
  highest = std::max(highest, v);
  return timeouts_[v].add(vote, validators_->quorum());
}

std::optional<std::uint64_t> Pacemaker::view_to_join() const {
  std::vector<std::uint64_t> views;
  for (const auto& [signer, v] : highest_timeout_) {
    if (v >= view_) views.push_back(v);
  }
  const std::size_t f1 = validators_->max_faulty() + 1;
  if (views.size() < f1) return std::nullopt;
  std::sort(views.rbegin(), views.rend());
  return views[f1 - 1];
}

}  // namespace metanode::consensus::hotstuff
