// Append-only binary Merkle tree in the shape of RFC 9162 §2.1 (Certificate Transparency v2):
// the per-block transaction and receipt roots, and the audit log, with inclusion and
// consistency proofs that a third party can check with nothing but a root.
//
// Differences from RFC 9162, all about the hash function, none about the shape:
//   leaf hash  = core::hash(MerkleLeaf, data)          (RFC: SHA-256(0x00 || data))
//   node hash  = core::hash(MerkleNode, left || right) (RFC: SHA-256(0x01 || left || right))
//   empty root = core::hash(MerkleNode, "")            (RFC: SHA-256(""))
// The domains replace the RFC's 0x00/0x01 prefixes. The empty root is hashed in the node domain
// from zero bytes, an input no real node has (they are always 64 bytes), so it cannot be forged
// from leaves or nodes.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/bytes.hpp"
#include "core/codec.hpp"
#include "core/result.hpp"

namespace metanode::merkle {

using core::Hash32;

// A tree of 2^64 leaves needs at most 64 path entries for either kind of proof; anything longer
// is malformed, so decoding refuses it before allocating.
inline constexpr std::size_t kProofPathEntriesMax = 64;

Hash32 leaf_hash(core::ByteView leaf_data);
Hash32 node_hash(const Hash32& left, const Hash32& right);
// The root of the tree with no leaves (see the header comment).
Hash32 empty_root();

// Proof that the leaf at `index` is in the tree of `tree_size` leaves. `path` runs from the
// leaf's sibling up to the root's child (RFC 9162 PATH order).
struct InclusionProof {
  std::uint64_t index = 0;
  std::uint64_t tree_size = 0;
  std::vector<Hash32> path;

  void encode(core::Writer& w) const;
  static core::Result<InclusionProof> decode(core::Reader& r);
  bool operator==(const InclusionProof&) const = default;
};

// Proof that the tree of `old_size` leaves is a prefix of the tree of `new_size` leaves
// (RFC 9162 PROOF order).
struct ConsistencyProof {
  std::uint64_t old_size = 0;
  std::uint64_t new_size = 0;
  std::vector<Hash32> path;

  void encode(core::Writer& w) const;
  static core::Result<ConsistencyProof> decode(core::Reader& r);
  bool operator==(const ConsistencyProof&) const = default;
};

// One-shot functions over a block's leaf hashes. Each costs O(n) hashing (the whole tree is
// built); use MerkleLog to answer many questions about one large tree.
Hash32 root_of(std::span<const Hash32> leaf_hashes);
// kInvalidArgument when index >= leaf_hashes.size().
core::Result<InclusionProof> inclusion_proof(std::span<const Hash32> leaf_hashes, std::uint64_t index);
// Proof from the prefix of old_size leaves to all of leaf_hashes. kInvalidArgument when
// old_size > leaf_hashes.size(). old_size == 0 or old_size == size gives an empty path.
core::Result<ConsistencyProof> consistency_proof(std::span<const Hash32> leaf_hashes, std::uint64_t old_size);

// Checks that `leaf` sits at proof.index in the tree of proof.tree_size leaves whose root is
// `root` (RFC 9162 §2.1.3.2). As in the RFC, the proof does not bind the tree size by itself:
// `root` must be known to be the root of exactly proof.tree_size leaves (a signed tree head, a
// block header), or a proof for a neighbouring size may pass. kProofInvalid for a proof whose shape cannot fit its sizes
// (index >= tree_size, path too short or too long); kProofRootMismatch when it fits but
// computes another root.
core::Status verify_inclusion(const Hash32& leaf, const InclusionProof& proof, const Hash32& root);

// Checks that the tree with root `new_root` (proof.new_size leaves) extends the tree with root
// `old_root` (proof.old_size leaves) (RFC 9162 §2.1.4.2), with the two cases the RFC leaves to
// the caller made explicit:
//   old_size == 0:        path must be empty and old_root must be empty_root(); every tree
//                         extends the empty tree, so new_root is not constrained.
//   old_size == new_size: path must be empty and old_root == new_root.
core::Status verify_consistency(const ConsistencyProof& proof, const Hash32& old_root, const Hash32& new_root);

// An append-only Merkle log held in memory with every level of the tree, so that the root of any
// prefix and any proof cost O(log n) hashes. Memory: about 2 hashes (64 bytes) per leaf.
class MerkleLog {
 public:
  // 2^40 leaves would need 64 TiB of levels in memory; the limit turns an impossible size into an
  // error instead of an allocation failure.
  static constexpr std::uint64_t kLeavesMax = std::uint64_t{1} << 40;

  MerkleLog() = default;
  // Builds the log from existing leaf hashes (e.g. on restart). O(n) hashing.
  explicit MerkleLog(std::span<const Hash32> leaf_hashes);

  // Appends a leaf hash; returns its index. Amortised one node hash per append.
  core::Result<std::uint64_t> append(const Hash32& leaf_hash);

  std::uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  Hash32 root() const { return subtree_hash(0, size()); }
  // kInvalidArgument when tree_size > size().
  core::Result<Hash32> root_at(std::uint64_t tree_size) const;
  // kInvalidArgument when tree_size > size() or index >= tree_size.
  core::Result<InclusionProof> inclusion_proof(std::uint64_t index, std::uint64_t tree_size) const;
  // kInvalidArgument when old_size > new_size or new_size > size().
  core::Result<ConsistencyProof> consistency_proof(std::uint64_t old_size, std::uint64_t new_size) const;
  // The leaf hash at `index`; index < size() is the caller's duty.
  const Hash32& leaf(std::uint64_t index) const;

 private:
  // MTH of leaves [begin, end). Every range the RFC recursion visits is either a perfect
  // subtree aligned to its size (one lookup) or ends at the tree's right edge (O(log n) hashes).
  Hash32 subtree_hash(std::uint64_t begin, std::uint64_t end) const;
  void append_path(std::uint64_t index, std::uint64_t begin, std::uint64_t end, std::vector<Hash32>& path) const;
  void append_subproof(std::uint64_t old_end, std::uint64_t begin, std::uint64_t end, bool old_is_whole_range,
                       std::vector<Hash32>& path) const;

  // levels_[h][i] is the root of the perfect subtree of 2^h leaves starting at leaf i * 2^h.
  std::vector<std::vector<Hash32>> levels_;
};

}  // namespace metanode::merkle
