// Which validators decide, and certify, each height: the sets the economics module publishes in
// state (modules/econ: set 0 is genesis's, a new one only when the members change, published
// kSetActivationBlocksMin or more blocks before its first height). A chain whose state holds no
// published set (none made before the economics module existed) is run by genesis's set for
// ever. Read from the state the node has applied, which always knows the set of the next height
// to decide: a set is published long before it begins.
#pragma once

#include <cstdint>
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

  // The epoch (set number, heights, members) holding `height`.
  core::Result<consensus::Epoch> at_height(std::uint64_t height) const;
  // Set `number`, when it is published.
  core::Result<std::optional<consensus::Epoch>> epoch(std::uint64_t number) const;
  // The members' keys at `height` (header certificates are checked with these).
  core::Result<std::vector<crypto::PublicKey>> keys_at(std::uint64_t height) const;

 private:
  const ledger::StateReader& state_;
  std::vector<crypto::PublicKey> genesis_keys_;
};

}  // namespace metanode::node
