// What the runtime's files share: the keys its consensus state is stored under, and limits.
#pragma once

#include <string_view>

#include "core/codec.hpp"
#include "core/hash.hpp"

namespace metanode::node::runtime_internal {

inline constexpr std::string_view kStateKey = "consensus/state";
inline constexpr std::string_view kStoredBlockPrefix = "consensus/block/";
inline constexpr std::size_t kGossipBatchMax = 2'000;
// Pending transactions handed to a peer whose link just came up (the pool's default bound).
inline constexpr std::size_t kPoolHandoverMax = 100'000;

inline core::Bytes stored_block_key(const core::Hash32& id) {
  core::Writer w(kStoredBlockPrefix.size() + id.size());
  w.fixed(core::as_bytes(kStoredBlockPrefix));
  w.fixed(id);
  return std::move(w).take();
}

}  // namespace metanode::node::runtime_internal
