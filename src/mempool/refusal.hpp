// What refused a transaction at admission: the stage (node/tx_pool.hpp runs them in order) and
// whether a consensus rule refused it (it can never be in a block as it is) or a node's policy
// (the mempool's choice: room, bids, quotas). Clients see both in the error.
#pragma once

#include <string_view>

#include "core/result.hpp"

namespace metanode::mempool {

struct Refusal {
  std::string_view stage;  // "stateless", "nonce", "signature", "pool"
  std::string_view rule;   // "consensus", "policy", or "internal" (a storage fault)
};

Refusal refusal_of(core::ErrorCode code);

}  // namespace metanode::mempool
