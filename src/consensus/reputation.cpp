#include "consensus/reputation.hpp"

#include <algorithm>

namespace metanode::consensus {

LeaderReputation::LeaderReputation(std::size_t validators, std::size_t window, std::uint64_t lag)
    : validators_(validators), window_(window), lag_(lag) {}

void LeaderReputation::on_committed(std::uint64_t position, ValidatorIndex proposer,
                                    const std::vector<VoteSignature>& signers) {
  if (!records_.empty() && position <= records_.back().position) return;
  Record r;
  r.position = position;
  r.took_part.reserve(signers.size() + 1);
  r.took_part.push_back(proposer);
  for (const auto& s : signers) r.took_part.push_back(s.signer);
  records_.push_back(std::move(r));
  while (records_.size() > window_ + lag_ + kSlack) records_.pop_front();
}

std::vector<ValidatorIndex> LeaderReputation::candidates(std::uint64_t position) const {
  const std::uint64_t below = position > lag_ ? position - lag_ : 0;
  std::vector<char> active(validators_, 0);
  std::size_t seen = 0;
  for (auto it = records_.rbegin(); it != records_.rend() && seen < window_; ++it) {
    if (it->position >= below) continue;
    ++seen;
    for (ValidatorIndex v : it->took_part) {
      if (v < validators_) active[v] = 1;
    }
  }
  std::vector<ValidatorIndex> out;
  out.reserve(validators_);
  for (std::size_t v = 0; v < validators_; ++v) {
    if (seen < window_ || active[v]) out.push_back(static_cast<ValidatorIndex>(v));
  }
  return out;
}

ValidatorIndex LeaderReputation::leader(std::uint64_t position, std::uint64_t slot) const {
  const auto c = candidates(position);
  return c[slot % c.size()];  // never empty: every committed block names its proposer
}

}  // namespace metanode::consensus
