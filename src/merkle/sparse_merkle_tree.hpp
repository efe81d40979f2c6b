// Sparse Merkle tree over 256-bit keys: the account state and its root in every block header,
// with proofs of a key's value or of its absence.
//
// Shape (a compact binary SMT, as in Diem's Jellyfish tree but with two children per node): the
// subtree at a bit prefix holding no key is Empty, holding exactly one key is that key's Leaf
// (placed at the shallowest unique prefix), holding two or more is an Internal node over the
// prefix + 0 and prefix + 1 subtrees. The shape depends only on the set of keys, so the root is
// independent of insertion order and batching. Keys are hashes (uniform), so depth is about
// log2(number of keys); making two keys share a b-bit prefix costs about 2^b hash evaluations.
//
//   empty hash    = core::hash(StateNode, "")   (never stored)
//   value hash    = core::hash(StateLeaf, value)
//   leaf hash     = core::hash(StateLeaf, key || value hash)
//   internal hash = core::hash(StateNode, left hash || right hash)
// Leaf inputs are 64 bytes, a value hash is only ever used inside a leaf hash, and node inputs
// are 64 bytes in another domain, so no hash of one kind can stand for another.
//
// Nodes are stored content-addressed by their hash through NodeReader/NodeWriter; nothing is ever
// overwritten, so every old root stays readable (pruning is the storage layer's business).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/bytes.hpp"
#include "core/codec.hpp"
#include "core/result.hpp"
#include "merkle/node_store.hpp"

namespace metanode::merkle {

// Set `key` to `value`; nullopt deletes the key (deleting an absent key changes nothing).
struct SmtUpdate {
  core::Hash32 key{};
  std::optional<core::Bytes> value;
};

// A leaf as a proof shows it: enough to recompute its hash without the value itself.
struct SmtProofLeaf {
  core::Hash32 key{};
  core::Hash32 value_hash{};
  bool operator==(const SmtProofLeaf&) const = default;
};

// The path from the root to where `key` would live. `leaf` is the leaf found there (the key's own
// leaf for inclusion, another key's leaf for non-inclusion) or nullopt when the path ends in an
// empty subtree. `siblings` run root-side first; siblings[d] is the sibling at depth d + 1.
struct SmtProof {
  static constexpr std::size_t kSiblingsMax = 256;

  std::optional<SmtProofLeaf> leaf;
  std::vector<core::Hash32> siblings;

  void encode(core::Writer& w) const;
  static core::Result<SmtProof> decode(core::Reader& r);
  bool operator==(const SmtProof&) const = default;
};

class SparseMerkleTree {
 public:
  using Update = SmtUpdate;

  // A state value is one account record or module entry; bigger data belongs in blob storage.
  static constexpr std::size_t kValueSizeMax = 4096;
  // One block's worth of state writes, with room to spare; bounds the memory apply() holds.
  static constexpr std::size_t kUpdatesPerApplyMax = std::size_t{1} << 20;
  static constexpr std::size_t kKeyBits = 256;

  explicit SparseMerkleTree(const NodeReader& nodes) : nodes_(nodes) {}

  // The value at `key` in the tree with root `root`, or nullopt if absent. kNotFound when the
  // root is unknown to the store; kStateCorrupt when a node is missing or does not hash to its id.
  core::Result<std::optional<core::Bytes>> get(const core::Hash32& root, const core::Hash32& key) const;

  // Applies a batch of updates to the tree at `root` and returns the new root. Later updates to
  // the same key win. Reads only the nodes on the touched keys' paths (from the NodeReader, which
  // need not see `out`) and writes the new nodes on those paths to `out`, each shared prefix once,
  // so the cost grows with the number of keys changed, not with the size of the state. All input
  // is checked before anything is written; after a storage error `out` may hold unreferenced
  // nodes and should be discarded.
  core::Result<core::Hash32> apply(const core::Hash32& root, std::span<const Update> updates, NodeWriter& out) const;

  // Proof of `key`'s value or of its absence in the tree at `root`.
  core::Result<SmtProof> prove(const core::Hash32& root, const core::Hash32& key) const;

  // Checks that `key` holds `value` (inclusion) or, for nullopt, that `key` is absent
  // (non-inclusion) in the tree with root `root`. kProofInvalid for a proof that cannot fit the
  // claim (wrong key, leaf off the key's path, too many siblings, value over its limit);
  // kProofRootMismatch when it fits but leads to another root or another value.
  static core::Status verify_proof(const core::Hash32& root, const core::Hash32& key,
                                   const std::optional<core::Bytes>& value, const SmtProof& proof);

  static core::Hash32 empty_root();
  static core::Hash32 value_hash(core::ByteView value);
  static core::Hash32 leaf_hash(const core::Hash32& key, const core::Hash32& value_hash);
  static core::Hash32 internal_hash(const core::Hash32& left, const core::Hash32& right);

 private:
  struct Node;
  struct Subtree;
  struct Entry;

  core::Result<Node> load(const core::Hash32& id, bool is_root) const;
  core::Result<Subtree> update(const Subtree& subtree, std::size_t depth, std::span<const Update* const> updates,
                               NodeWriter& out, bool is_root) const;
  core::Result<Subtree> combine(const Subtree& left, const Subtree& right, NodeWriter& out) const;
  static Subtree build(std::size_t depth, std::span<const Entry> entries, NodeWriter& out);

  const NodeReader& nodes_;
};

}  // namespace metanode::merkle
