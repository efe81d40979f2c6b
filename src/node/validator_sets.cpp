#include "node/validator_sets.hpp"

#include "modules/econ/econ.hpp"

namespace metanode::node {
namespace {

core::Result<consensus::Epoch> to_epoch(const modules::EpochSet& set) {
  std::vector<crypto::PublicKey> keys;
  keys.reserve(set.members.size());
  for (const auto& m : set.members) keys.push_back(m.key);
  MN_TRY_ASSIGN(auto validators, consensus::ValidatorSet::create(std::move(keys)));
  consensus::Epoch epoch;
  epoch.number = set.number;
  epoch.first_height = set.first_height;
  epoch.last_height = set.last_height;
  epoch.validators = std::move(validators);
  return epoch;
}

}  // namespace

core::Result<std::optional<consensus::Epoch>> ValidatorSets::epoch(std::uint64_t number) const {
  MN_TRY_ASSIGN(auto set, modules::read_epoch_set(state_, number));
  if (!set) {
    if (number != 0) return std::optional<consensus::Epoch>{};
    // No published set: genesis's, open-ended.
    MN_TRY_ASSIGN(auto validators, consensus::ValidatorSet::create(genesis_keys_));
    consensus::Epoch epoch;
    epoch.validators = std::move(validators);
    return std::optional<consensus::Epoch>(std::move(epoch));
  }
  MN_TRY_ASSIGN(auto epoch, to_epoch(*set));
  return std::optional<consensus::Epoch>(std::move(epoch));
}

core::Result<consensus::Epoch> ValidatorSets::at_height(std::uint64_t height) const {
  MN_TRY_ASSIGN(const std::uint64_t latest, modules::read_latest_epoch_set(state_));
  {
    std::lock_guard lock(cache_mutex_);
    if (cached_ && cached_->first == latest && cached_->second.contains(std::max<std::uint64_t>(height, 1))) {
      return cached_->second;
    }
  }
  for (std::uint64_t number = latest;; --number) {
    MN_TRY_ASSIGN(auto epoch, this->epoch(number));
    if (epoch && epoch->first_height <= std::max<std::uint64_t>(height, 1)) {
      std::lock_guard lock(cache_mutex_);
      cached_.emplace(latest, *epoch);
      return std::move(*epoch);
    }
    if (number == 0) break;
  }
  return core::make_error(core::ErrorCode::kStateCorrupt, "no validator set holds height " + std::to_string(height));
}

core::Result<std::vector<crypto::PublicKey>> ValidatorSets::keys_at(std::uint64_t height) const {
  MN_TRY_ASSIGN(auto epoch, at_height(height));
  return epoch.validators.keys();
}

}  // namespace metanode::node
