#include "merkle/merkle_tree.hpp"

#include <bit>
#include <cassert>
#include <string>

#include "core/hash.hpp"

namespace metanode::merkle {

using core::ErrorCode;
using core::make_error;
using core::Result;
using core::Status;

Hash32 leaf_hash(core::ByteView leaf_data) { return core::hash(core::Domain::MerkleLeaf, leaf_data); }

Hash32 node_hash(const Hash32& left, const Hash32& right) {
  return core::hash(core::Domain::MerkleNode, left, right);
}

Hash32 empty_root() {
  // Derived once: the value never changes and callers compare against it often.
  static const Hash32 root = core::hash(core::Domain::MerkleNode, core::ByteView{});
  return root;
}

namespace {

// Largest power of two strictly below n (n >= 2): the RFC's split point k.
std::uint64_t split_point(std::uint64_t n) {
  assert(n >= 2);
  return std::bit_floor(n - 1);
}

void encode_path(core::Writer& w, const std::vector<Hash32>& path) {
  w.vector(path, kProofPathEntriesMax, [](core::Writer& out, const Hash32& h) { out.array(h); });
}

Result<std::vector<Hash32>> decode_path(core::Reader& r) {
  return r.vector<Hash32>(kProofPathEntriesMax, [](core::Reader& in) { return in.array<32>(); });
}

// Number of path entries the RFC 9162 verification loop consumes, starting from (fn, sn), before
// sn reaches 0. It depends on the sizes only, so a proof's shape is checked before any hashing
// and the error can say exactly what was expected.
std::size_t walk_length(std::uint64_t fn, std::uint64_t sn) {
  std::size_t steps = 0;
  while (sn != 0) {
    if ((fn & 1) == 1 || fn == sn) {
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    }
    fn >>= 1;
    sn >>= 1;
    ++steps;
  }
  return steps;
}

std::string path_length_message(std::string_view what, std::size_t expected, std::size_t got) {
  return std::string(what) + " needs " + std::to_string(expected) + " path entries, got " + std::to_string(got);
}

}  // namespace

void InclusionProof::encode(core::Writer& w) const {
  w.u64(index);
  w.u64(tree_size);
  encode_path(w, path);
}

Result<InclusionProof> InclusionProof::decode(core::Reader& r) {
  InclusionProof proof;
  MN_TRY_ASSIGN(proof.index, r.u64());
  MN_TRY_ASSIGN(proof.tree_size, r.u64());
  MN_TRY_ASSIGN(proof.path, decode_path(r));
  return proof;
}

void ConsistencyProof::encode(core::Writer& w) const {
  w.u64(old_size);
  w.u64(new_size);
  encode_path(w, path);
}

Result<ConsistencyProof> ConsistencyProof::decode(core::Reader& r) {
  ConsistencyProof proof;
  MN_TRY_ASSIGN(proof.old_size, r.u64());
  MN_TRY_ASSIGN(proof.new_size, r.u64());
  MN_TRY_ASSIGN(proof.path, decode_path(r));
  return proof;
}

Hash32 root_of(std::span<const Hash32> leaf_hashes) {
  if (leaf_hashes.empty()) return empty_root();
  // Pairing neighbours level by level and carrying an odd last node up unchanged builds exactly
  // the RFC's left-balanced tree (its left subtrees are always perfect).
  std::vector<Hash32> level(leaf_hashes.begin(), leaf_hashes.end());
  while (level.size() > 1) {
    const std::size_t pairs = level.size() / 2;
    for (std::size_t i = 0; i < pairs; ++i) level[i] = node_hash(level[2 * i], level[2 * i + 1]);
    if (level.size() % 2 == 1) {
      level[pairs] = level.back();
      level.resize(pairs + 1);
    } else {
      level.resize(pairs);
    }
  }
  return level[0];
}

Result<InclusionProof> inclusion_proof(std::span<const Hash32> leaf_hashes, std::uint64_t index) {
  if (index >= leaf_hashes.size()) {
    return make_error(ErrorCode::kInvalidArgument, "leaf index " + std::to_string(index) +
                                                       " not below tree size " + std::to_string(leaf_hashes.size()));
  }
  const MerkleLog log(leaf_hashes);
  return log.inclusion_proof(index, log.size());
}

Result<ConsistencyProof> consistency_proof(std::span<const Hash32> leaf_hashes, std::uint64_t old_size) {
  if (old_size > leaf_hashes.size()) {
    return make_error(ErrorCode::kInvalidArgument, "old size " + std::to_string(old_size) +
                                                       " above tree size " + std::to_string(leaf_hashes.size()));
  }
  const MerkleLog log(leaf_hashes);
  return log.consistency_proof(old_size, log.size());
}

Status verify_inclusion(const Hash32& leaf, const InclusionProof& proof, const Hash32& root) {
  if (proof.index >= proof.tree_size) {
    return make_error(ErrorCode::kProofInvalid, "leaf index " + std::to_string(proof.index) +
                                                    " not below tree size " + std::to_string(proof.tree_size));
  }
  if (proof.path.size() > kProofPathEntriesMax) {
    return make_error(ErrorCode::kProofInvalid, "path of " + std::to_string(proof.path.size()) +
                                                    " entries over the limit " + std::to_string(kProofPathEntriesMax));
  }
  std::uint64_t fn = proof.index;
  std::uint64_t sn = proof.tree_size - 1;
  const std::size_t expected = walk_length(fn, sn);
  if (proof.path.size() != expected) {
    return make_error(ErrorCode::kProofInvalid,
                      path_length_message("inclusion of leaf " + std::to_string(proof.index) + " in a tree of " +
                                              std::to_string(proof.tree_size) + " leaves",
                                          expected, proof.path.size()));
  }
  Hash32 r = leaf;
  for (const Hash32& p : proof.path) {
    assert(sn != 0);  // guaranteed by the length check above
    if ((fn & 1) == 1 || fn == sn) {
      r = node_hash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  assert(sn == 0);
  if (r != root) {
    return make_error(ErrorCode::kProofRootMismatch, "inclusion proof for leaf " + std::to_string(proof.index) +
                                                         " does not lead to the given root");
  }
  return {};
}

Status verify_consistency(const ConsistencyProof& proof, const Hash32& old_root, const Hash32& new_root) {
  const std::uint64_t m = proof.old_size;
  const std::uint64_t n = proof.new_size;
  if (m > n) {
    return make_error(ErrorCode::kProofInvalid,
                      "old size " + std::to_string(m) + " above new size " + std::to_string(n));
  }
  if (proof.path.size() > kProofPathEntriesMax) {
    return make_error(ErrorCode::kProofInvalid, "path of " + std::to_string(proof.path.size()) +
                                                    " entries over the limit " + std::to_string(kProofPathEntriesMax));
  }
  if (m == 0 || m == n) {
    if (!proof.path.empty()) {
      return make_error(ErrorCode::kProofInvalid,
                        path_length_message("consistency from size " + std::to_string(m) + " to " + std::to_string(n), 0,
                                            proof.path.size()));
    }
    if (m == 0 && old_root != empty_root()) {
      return make_error(ErrorCode::kProofRootMismatch, "old root of an empty tree is not the empty root");
    }
    if (m == n && old_root != new_root) {
      return make_error(ErrorCode::kProofRootMismatch, "trees of equal size " + std::to_string(m) + " have different roots");
    }
    return {};
  }

  // RFC 9162 §2.1.4.2. When m is a power of two the old tree is a perfect subtree of the new one
  // and the proof omits it: the old root itself starts the walk.
  const bool old_is_perfect = std::has_single_bit(m);
  std::uint64_t fn = m - 1;
  std::uint64_t sn = n - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  const std::size_t expected = walk_length(fn, sn) + (old_is_perfect ? 0 : 1);
  if (proof.path.size() != expected) {
    return make_error(ErrorCode::kProofInvalid,
                      path_length_message("consistency from size " + std::to_string(m) + " to " + std::to_string(n),
                                          expected, proof.path.size()));
  }
  const Hash32& first = old_is_perfect ? old_root : proof.path[0];
  Hash32 fr = first;
  Hash32 sr = first;
  for (std::size_t i = old_is_perfect ? 0 : 1; i < proof.path.size(); ++i) {
    const Hash32& c = proof.path[i];
    assert(sn != 0);  // guaranteed by the length check above
    if ((fn & 1) == 1 || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  assert(sn == 0);
  if (fr != old_root) {
    return make_error(ErrorCode::kProofRootMismatch, "consistency proof does not lead to the old root (size " +
                                                         std::to_string(m) + ")");
  }
  if (sr != new_root) {
    return make_error(ErrorCode::kProofRootMismatch, "consistency proof does not lead to the new root (size " +
                                                         std::to_string(n) + ")");
  }
  return {};
}

MerkleLog::MerkleLog(std::span<const Hash32> leaf_hashes) {
  assert(leaf_hashes.size() <= kLeavesMax && "MerkleLog built over its limit");
  if (leaf_hashes.empty()) return;
  levels_.emplace_back(leaf_hashes.begin(), leaf_hashes.end());
  while (levels_.back().size() >= 2) {
    const std::vector<Hash32>& below = levels_.back();
    std::vector<Hash32> above;
    above.reserve(below.size() / 2);
    for (std::size_t i = 0; i + 1 < below.size(); i += 2) above.push_back(node_hash(below[i], below[i + 1]));
    levels_.push_back(std::move(above));
  }
}

Result<std::uint64_t> MerkleLog::append(const Hash32& leaf) {
  const std::uint64_t index = size();
  if (index >= kLeavesMax) {
    return make_error(ErrorCode::kInvalidArgument, "Merkle log is full at " + std::to_string(kLeavesMax) + " leaves");
  }
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf);
  // Each completed pair at level h completes one node at level h + 1.
  for (std::size_t h = 0; levels_[h].size() % 2 == 0; ++h) {
    if (h + 1 == levels_.size()) levels_.emplace_back();
    const std::vector<Hash32>& below = levels_[h];
    levels_[h + 1].push_back(node_hash(below[below.size() - 2], below[below.size() - 1]));
  }
  return index;
}

const Hash32& MerkleLog::leaf(std::uint64_t index) const {
  assert(index < size());
  return levels_[0][index];
}

Result<Hash32> MerkleLog::root_at(std::uint64_t tree_size) const {
  if (tree_size > size()) {
    return make_error(ErrorCode::kInvalidArgument, "tree size " + std::to_string(tree_size) +
                                                       " above log size " + std::to_string(size()));
  }
  return subtree_hash(0, tree_size);
}

Result<InclusionProof> MerkleLog::inclusion_proof(std::uint64_t index, std::uint64_t tree_size) const {
  if (tree_size > size()) {
    return make_error(ErrorCode::kInvalidArgument, "tree size " + std::to_string(tree_size) +
                                                       " above log size " + std::to_string(size()));
  }
  if (index >= tree_size) {
    return make_error(ErrorCode::kInvalidArgument, "leaf index " + std::to_string(index) + " not below tree size " +
                                                       std::to_string(tree_size));
  }
  InclusionProof proof{index, tree_size, {}};
  append_path(index, 0, tree_size, proof.path);
  assert(proof.path.size() <= kProofPathEntriesMax);
  return proof;
}

Result<ConsistencyProof> MerkleLog::consistency_proof(std::uint64_t old_size, std::uint64_t new_size) const {
  if (new_size > size()) {
    return make_error(ErrorCode::kInvalidArgument, "new size " + std::to_string(new_size) +
                                                       " above log size " + std::to_string(size()));
  }
  if (old_size > new_size) {
    return make_error(ErrorCode::kInvalidArgument, "old size " + std::to_string(old_size) +
                                                       " above new size " + std::to_string(new_size));
  }
  ConsistencyProof proof{old_size, new_size, {}};
  if (old_size != 0 && old_size != new_size) append_subproof(old_size, 0, new_size, true, proof.path);
  assert(proof.path.size() <= kProofPathEntriesMax);
  return proof;
}

Hash32 MerkleLog::subtree_hash(std::uint64_t begin, std::uint64_t end) const {
  assert(begin <= end && end <= size());
  const std::uint64_t count = end - begin;
  if (count == 0) return empty_root();
  if (std::has_single_bit(count)) {
    const auto height = static_cast<std::size_t>(std::countr_zero(count));
    assert(begin % count == 0 && "perfect subtrees in the RFC recursion are aligned");
    return levels_[height][begin >> height];
  }
  const std::uint64_t k = split_point(count);
  return node_hash(subtree_hash(begin, begin + k), subtree_hash(begin + k, end));
}

// RFC 9162 §2.1.3.1 PATH(m, D[begin:end]), appending sibling hashes leaf-side first.
void MerkleLog::append_path(std::uint64_t index, std::uint64_t begin, std::uint64_t end,
                            std::vector<Hash32>& path) const {
  if (end - begin == 1) return;
  const std::uint64_t k = split_point(end - begin);
  if (index - begin < k) {
    append_path(index, begin, begin + k, path);
    path.push_back(subtree_hash(begin + k, end));
  } else {
    append_path(index, begin + k, end, path);
    path.push_back(subtree_hash(begin, begin + k));
  }
}

// RFC 9162 §2.1.4.1 SUBPROOF(m, D[begin:end], b), with m given as the absolute end of the old tree.
void MerkleLog::append_subproof(std::uint64_t old_end, std::uint64_t begin, std::uint64_t end,
                                bool old_is_whole_range, std::vector<Hash32>& path) const {
  if (old_end == end) {
    if (!old_is_whole_range) path.push_back(subtree_hash(begin, end));
    return;
  }
  const std::uint64_t k = split_point(end - begin);
  if (old_end - begin <= k) {
    append_subproof(old_end, begin, begin + k, old_is_whole_range, path);
    path.push_back(subtree_hash(begin + k, end));
  } else {
    append_subproof(old_end, begin + k, end, false, path);
    path.push_back(subtree_hash(begin, begin + k));
  }
}

}  // namespace metanode::merkle
