// Which validators decide, and certify, each height: the sets the economics module publishes in
// state (modules/econ: set 0 is genesis's, a new one only when the members change, published
// kSetActivationBlocksMin or more blocks before its first height). A chain whose state holds no
// published set (none made before the economics module existed) is run by genesis's set for
// ever. Read from the state the node has applied, which always knows the set of the next height
// to decide: a set is published long before it begins.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "consensus/epochs.hpp"
#include "core/result.hpp"
#include "ledger/state.hpp"

namespace metanode::node {

class ValidatorSets {
 public:
  ValidatorSets(const ledger::StateReader& state, std::vector<crypto::PublicKey> genesis_keys)
      : state_(state), genesis_keys_(std::move(genesis_keys)) {}
  ValidatorSets(const ValidatorSets& other) : state_(other.state_), genesis_keys_(other.genesis_keys_) {}

  // The epoch (set number, heights, members) holding `height`.
  core::Result<consensus::Epoch> at_height(std::uint64_t height) const;
  // Set `number`, when it is published.
  core::Result<std::optional<consensus::Epoch>> epoch(std::uint64_t number) const;
  // The members' keys at `height` (header certificates are checked with these).
  core::Result<std::vector<crypto::PublicKey>> keys_at(std::uint64_t height) const;

 private:
  const ledger::StateReader& state_;
  std::vector<crypto::PublicKey> genesis_keys_;
  // The last epoch at_height found, valid while no newer set is published: header signatures ask
  // for every height, and the set's pages need not be read and decoded for each.
  mutable std::mutex cache_mutex_;
  mutable std::optional<std::pair<std::uint64_t, consensus::Epoch>> cached_;  // (latest set number, epoch)
};

}  // namespace metanode::node
