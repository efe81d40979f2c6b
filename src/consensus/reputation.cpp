#include "consensus/reputation.hpp"

#include <algorithm>

namespace metanode::consensus {

LeaderReputation::LeaderReputation(std::size_t validators, std::size_t window, std::uint64_t lag, std::uint64_t stall)
    : validators_(validators), window_(window), lag_(lag), stall_(stall) {}

void LeaderReputation::on_committed(std::uint64_t position, ValidatorIndex proposer, std::uint64_t signed_at,
                                    const std::vector<VoteSignature>& signers,
                                    const std::vector<std::pair<std::uint64_t, ValidatorIndex>>& failed) {
  if (!records_.empty() && position <= records_.back().position) return;
  Record r;
  r.position = position;
  r.took_part.reserve(signers.size() + 1);
  r.took_part.emplace_back(position, proposer);
  for (const auto& s : signers) r.took_part.emplace_back(signed_at, s.signer);
  r.failed = failed;
  records_.push_back(std::move(r));
  while (records_.size() > window_ + lag_ + kSlack) records_.pop_front();
}

std::vector<ValidatorIndex> LeaderReputation::candidates(std::uint64_t position) const {
  const std::uint64_t below = position > lag_ ? position - lag_ : 0;
  // Per validator: the last time it took part (+1, 0 = not in the window) and the last view it
  // failed as a leader (+1).
  std::vector<std::uint64_t> took_part(validators_, 0);
  std::vector<std::uint64_t> failed(validators_, 0);
  std::size_t seen = 0;
  for (auto it = records_.rbegin(); it != records_.rend() && seen < window_; ++it) {
    if (it->position >= below) continue;
    ++seen;
    for (const auto& [when, v] : it->took_part) {
      if (v < validators_) took_part[v] = std::max(took_part[v], when + 1);
    }
    for (const auto& [view, v] : it->failed) {
      if (v < validators_) failed[v] = std::max(failed[v], view + 1);
    }
  }
  std::vector<ValidatorIndex> out;
  out.reserve(validators_);
  const bool stalled = records_.empty() || position > records_.back().position + stall_;
  if (seen < window_ || stalled) {
    for (std::size_t v = 0; v < validators_; ++v) out.push_back(static_cast<ValidatorIndex>(v));
    return out;
  }
  for (std::size_t v = 0; v < validators_; ++v) {
    if (took_part[v] > failed[v]) out.push_back(static_cast<ValidatorIndex>(v));
  }
  if (out.empty()) {  // every recent participant also failed lately: fall back to participation alone
    for (std::size_t v = 0; v < validators_; ++v) {
      if (took_part[v] > 0) out.push_back(static_cast<ValidatorIndex>(v));
    }
  }
  return out;
}

ValidatorIndex LeaderReputation::leader(std::uint64_t position, std::uint64_t slot) const {
  const auto c = candidates(position);
  return c[slot % c.size()];  // never empty: every committed block names its proposer
}

}  // namespace metanode::consensus
