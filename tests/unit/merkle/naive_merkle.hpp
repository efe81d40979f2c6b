// The reference the Merkle tests compare against: RFC 9162 §2.1 written out as its recursive
// definitions (MTH, PATH, PROOF/SUBPROOF), hashing with core::hash directly, with no caching.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/hash.hpp"

namespace metanode::merkle::naive {

using core::Hash32;

inline Hash32 hash_node(const Hash32& left, const Hash32& right) {
  return core::hash(core::Domain::MerkleNode, left, right);
}

// Largest power of two strictly below n (n >= 2).
inline std::size_t split(std::size_t n) {
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

inline Hash32 mth(std::span<const Hash32> d) {
  if (d.empty()) return core::hash(core::Domain::MerkleNode, core::ByteView{});
  if (d.size() == 1) return d[0];
  const std::size_t k = split(d.size());
  return hash_node(mth(d.first(k)), mth(d.subspan(k)));
}

inline std::vector<Hash32> path(std::size_t m, std::span<const Hash32> d) {
  if (d.size() == 1) return {};
  const std::size_t k = split(d.size());
  std::vector<Hash32> out;
  if (m < k) {
    out = path(m, d.first(k));
    out.push_back(mth(d.subspan(k)));
  } else {
    out = path(m - k, d.subspan(k));
    out.push_back(mth(d.first(k)));
  }
  return out;
}

inline std::vector<Hash32> subproof(std::size_t m, std::span<const Hash32> d, bool b) {
  if (m == d.size()) {
    if (b) return {};
    return {mth(d)};
  }
  const std::size_t k = split(d.size());
  std::vector<Hash32> out;
  if (m <= k) {
    out = subproof(m, d.first(k), b);
    out.push_back(mth(d.subspan(k)));
  } else {
    out = subproof(m - k, d.subspan(k), false);
    out.push_back(mth(d.first(k)));
  }
  return out;
}

// PROOF(m, D[n]) for 0 < m < n.
inline std::vector<Hash32> proof(std::size_t m, std::span<const Hash32> d) { return subproof(m, d, true); }

// Distinct leaf hashes: leaf i of `tag`.
inline std::vector<Hash32> make_leaves(std::size_t count, std::string_view tag = "leaf") {
  std::vector<Hash32> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string data = std::string(tag) + "-" + std::to_string(i);
    out.push_back(core::hash(core::Domain::MerkleLeaf, core::as_bytes(data)));
  }
  return out;
}

}  // namespace metanode::merkle::naive
