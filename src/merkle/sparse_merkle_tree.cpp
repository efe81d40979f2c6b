#include "merkle/sparse_merkle_tree.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <string>

#include "core/hash.hpp"

namespace metanode::merkle {

using core::Bytes;
using core::ByteView;
using core::ErrorCode;
using core::Hash32;
using core::make_error;
using core::Result;
using core::Status;

namespace {

// Stored node encodings: a tag byte, then the fields. Leaves keep the value itself so get()
// answers from the tree alone.
constexpr std::uint8_t kTagInternal = 1;
constexpr std::uint8_t kTagLeaf = 2;

// Bit `depth` of the key, most significant bit of byte 0 first, so that the byte-wise order of
// keys is the order of the tree's leaves from left to right.
bool key_bit(const Hash32& key, std::size_t depth) {
  assert(depth < SparseMerkleTree::kKeyBits);
  return ((key[depth / 8] >> (7 - depth % 8)) & 1) == 1;
}

Hash32 write_internal(const Hash32& left, const Hash32& right, NodeWriter& out) {
  core::Writer w(1 + 2 * 32);
  w.u8(kTagInternal);
  w.array(left);
  w.array(right);
  const Hash32 id = SparseMerkleTree::internal_hash(left, right);
  out.put_node(id, w.data());
  return id;
}

std::size_t common_prefix_bits(const Hash32& a, const Hash32& b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto diff = static_cast<std::uint8_t>(a[i] ^ b[i]);
    if (diff != 0) return i * 8 + static_cast<std::size_t>(std::countl_zero(diff));
  }
  return SparseMerkleTree::kKeyBits;
}

}  // namespace

struct SparseMerkleTree::Node {
  bool is_leaf = false;
  Hash32 left{};   // internal only
  Hash32 right{};  // internal only
  Hash32 key{};    // leaf only
  Bytes value;     // leaf only
};

// A subtree as apply() sees it: its hash, and its kind when known without a read.
struct SparseMerkleTree::Subtree {
  enum class Kind { kEmpty, kLeaf, kInternal, kUnknown };
  Hash32 hash{};
  Kind kind = Kind::kUnknown;
};

// A key/value that will be in a rebuilt subtree; views into the caller's updates or a loaded leaf.
struct SparseMerkleTree::Entry {
  const Hash32* key = nullptr;
  ByteView value;
};

void SmtProof::encode(core::Writer& w) const {
  w.boolean(leaf.has_value());
  if (leaf) {
    w.array(leaf->key);
    w.array(leaf->value_hash);
  }
  w.vector(siblings, kSiblingsMax, [](core::Writer& out, const Hash32& h) { out.array(h); });
}

Result<SmtProof> SmtProof::decode(core::Reader& r) {
  SmtProof proof;
  MN_TRY_ASSIGN(const bool has_leaf, r.boolean());
  if (has_leaf) {
    SmtProofLeaf leaf;
    MN_TRY_ASSIGN(leaf.key, r.array<32>());
    MN_TRY_ASSIGN(leaf.value_hash, r.array<32>());
    proof.leaf = leaf;
  }
  MN_TRY_ASSIGN(proof.siblings, r.vector<Hash32>(kSiblingsMax, [](core::Reader& in) { return in.array<32>(); }));
  return proof;
}

Hash32 SparseMerkleTree::empty_root() {
  static const Hash32 root = core::hash(core::Domain::StateNode, ByteView{});
  return root;
}

Hash32 SparseMerkleTree::value_hash(ByteView value) { return core::hash(core::Domain::StateLeaf, value); }

Hash32 SparseMerkleTree::leaf_hash(const Hash32& key, const Hash32& value_hash) {
  return core::hash(core::Domain::StateLeaf, key, value_hash);
}

Hash32 SparseMerkleTree::internal_hash(const Hash32& left, const Hash32& right) {
  return core::hash(core::Domain::StateNode, left, right);
}

Result<SparseMerkleTree::Node> SparseMerkleTree::load(const Hash32& id, bool is_root) const {
  MN_TRY_ASSIGN(auto stored, nodes_.get_node(id));
  if (!stored) {
    if (is_root) return make_error(ErrorCode::kNotFound, "unknown state root " + core::to_hex(id));
    return make_error(ErrorCode::kStateCorrupt, "state node " + core::to_hex(id) + " is missing");
  }
  // The store is trusted to keep bytes, not to keep them right: every node is checked against
  // the hash it is addressed by, so a corrupt store fails loudly instead of serving wrong state.
  auto corrupt = [&id](const std::string& why) {
    return make_error(ErrorCode::kStateCorrupt, "state node " + core::to_hex(id) + ": " + why);
  };
  core::Reader r(*stored);
  Node node;
  auto tag = r.u8();
  if (!tag.ok()) return corrupt(tag.error().to_string());
  Hash32 computed{};
  if (*tag == kTagInternal) {
    auto left = r.array<32>();
    auto right = r.array<32>();
    if (!left.ok() || !right.ok()) return corrupt("truncated internal node");
    node.left = *left;
    node.right = *right;
    if (node.left == empty_root() && node.right == empty_root()) return corrupt("internal node with no children");
    computed = internal_hash(node.left, node.right);
  } else if (*tag == kTagLeaf) {
    node.is_leaf = true;
    auto key = r.array<32>();
    if (!key.ok()) return corrupt(key.error().to_string());
    auto value = r.bytes(kValueSizeMax);
    if (!value.ok()) return corrupt(value.error().to_string());
    node.key = *key;
    node.value = std::move(value).value();
    computed = leaf_hash(node.key, value_hash(node.value));
  } else {
    return corrupt("unknown node tag " + std::to_string(*tag));
  }
  if (auto finished = r.finish(); !finished.ok()) return corrupt(finished.error().to_string());
  if (computed != id) return corrupt("content does not hash to its id");
  return node;
}

Result<std::optional<Bytes>> SparseMerkleTree::get(const Hash32& root, const Hash32& key) const {
  Hash32 at = root;
  for (std::size_t depth = 0;; ++depth) {
    if (at == empty_root()) return std::optional<Bytes>{};
    MN_TRY_ASSIGN(Node node, load(at, depth == 0));
    if (node.is_leaf) {
      if (node.key != key) return std::optional<Bytes>{};
      return std::optional<Bytes>{std::move(node.value)};
    }
    // Two distinct keys always differ within 256 bits, so an internal node this deep is corrupt.
    if (depth >= kKeyBits) {
      return make_error(ErrorCode::kStateCorrupt, "internal state node below depth " + std::to_string(kKeyBits));
    }
    at = key_bit(key, depth) ? node.right : node.left;
  }
}

Result<SmtProof> SparseMerkleTree::prove(const Hash32& root, const Hash32& key) const {
  SmtProof proof;
  Hash32 at = root;
  for (std::size_t depth = 0;; ++depth) {
    if (at == empty_root()) return proof;
    MN_TRY_ASSIGN(Node node, load(at, depth == 0));
    if (node.is_leaf) {
      proof.leaf = SmtProofLeaf{node.key, value_hash(node.value)};
      return proof;
    }
    if (depth >= kKeyBits) {
      return make_error(ErrorCode::kStateCorrupt, "internal state node below depth " + std::to_string(kKeyBits));
    }
    const bool right = key_bit(key, depth);
    proof.siblings.push_back(right ? node.left : node.right);
    at = right ? node.right : node.left;
  }
}

Status SparseMerkleTree::verify_proof(const Hash32& root, const Hash32& key, const std::optional<Bytes>& value,
                                      const SmtProof& proof) {
  if (proof.siblings.size() > SmtProof::kSiblingsMax) {
    return make_error(ErrorCode::kProofInvalid,
                      "proof has " + std::to_string(proof.siblings.size()) + " siblings, over the limit " +
                          std::to_string(SmtProof::kSiblingsMax));
  }
  Hash32 current = empty_root();
  if (value) {
    if (value->size() > kValueSizeMax) {
      return make_error(ErrorCode::kProofInvalid, "claimed value of " + std::to_string(value->size()) +
                                                      " bytes is over the limit " + std::to_string(kValueSizeMax));
    }
    if (!proof.leaf) return make_error(ErrorCode::kProofInvalid, "proof shows no leaf for a key claimed present");
    if (proof.leaf->key != key) {
      return make_error(ErrorCode::kProofInvalid, "proof shows the leaf of another key " + core::to_hex(proof.leaf->key));
    }
    if (proof.leaf->value_hash != value_hash(*value)) {
      return make_error(ErrorCode::kProofRootMismatch, "claimed value does not match the proven leaf");
    }
    current = leaf_hash(key, proof.leaf->value_hash);
  } else if (proof.leaf) {
    if (proof.leaf->key == key) {
      return make_error(ErrorCode::kProofInvalid, "proof shows the key present, claimed absent");
    }
    // The other leaf must sit where `key` would be: on the same prefix for the whole path.
    if (common_prefix_bits(proof.leaf->key, key) < proof.siblings.size()) {
      return make_error(ErrorCode::kProofInvalid, "proof's leaf " + core::to_hex(proof.leaf->key) +
                                                      " is not on the path of the key");
    }
    current = leaf_hash(proof.leaf->key, proof.leaf->value_hash);
  }
  for (std::size_t i = proof.siblings.size(); i-- > 0;) {
    const Hash32& sibling = proof.siblings[i];
    current = key_bit(key, i) ? internal_hash(sibling, current) : internal_hash(current, sibling);
  }
  if (current != root) return make_error(ErrorCode::kProofRootMismatch, "state proof does not lead to the given root");
  return {};
}

Result<Hash32> SparseMerkleTree::apply(const Hash32& root, std::span<const Update> updates, NodeWriter& out) const {
  if (updates.size() > kUpdatesPerApplyMax) {
    return make_error(ErrorCode::kInvalidArgument, std::to_string(updates.size()) + " state updates over the limit " +
                                                       std::to_string(kUpdatesPerApplyMax));
  }
  for (const Update& u : updates) {
    if (u.value && u.value->size() > kValueSizeMax) {
      return make_error(ErrorCode::kInvalidArgument, "value of " + std::to_string(u.value->size()) + " bytes for key " +
                                                         core::to_hex(u.key) + " over the limit " +
                                                         std::to_string(kValueSizeMax));
    }
  }
  // Sorted by key, the updates under any subtree form one contiguous run, split in two by the
  // next key bit; a stable sort keeps batch order among equal keys so the last one can win.
  std::vector<const Update*> sorted;
  sorted.reserve(updates.size());
  for (const Update& u : updates) sorted.push_back(&u);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Update* a, const Update* b) { return a->key < b->key; });
  std::vector<const Update*> last_per_key;
  last_per_key.reserve(sorted.size());
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i + 1 < sorted.size() && sorted[i + 1]->key == sorted[i]->key) continue;
    last_per_key.push_back(sorted[i]);
  }
  const Subtree start{root, root == empty_root() ? Subtree::Kind::kEmpty : Subtree::Kind::kUnknown};
  MN_TRY_ASSIGN(const Subtree result, update(start, 0, last_per_key, out, true));
  return result.hash;
}

Result<SparseMerkleTree::Subtree> SparseMerkleTree::update(const Subtree& subtree, std::size_t depth,
                                                           std::span<const Update* const> updates, NodeWriter& out,
                                                           bool is_root) const {
  if (updates.empty()) return subtree;
  std::vector<Entry> entries;
  if (subtree.hash == empty_root()) {
    for (const Update* u : updates) {
      if (u->value) entries.push_back(Entry{&u->key, *u->value});
    }
    return build(depth, entries, out);
  }
  MN_TRY_ASSIGN(const Node node, load(subtree.hash, is_root));
  if (node.is_leaf) {
    // The subtree holds one key; merge it with the updates in key order, unless one overrides it.
    entries.reserve(updates.size() + 1);
    bool existing_kept = true;
    bool existing_placed = false;
    for (const Update* u : updates) {
      if (u->key == node.key) existing_kept = false;
      if (existing_kept && !existing_placed && node.key < u->key) {
        entries.push_back(Entry{&node.key, node.value});
        existing_placed = true;
      }
      if (u->value) entries.push_back(Entry{&u->key, *u->value});
    }
    if (existing_kept && !existing_placed) entries.push_back(Entry{&node.key, node.value});
    // Deleting absent keys leaves the leaf as it was: no write.
    if (existing_kept && entries.size() == 1) return Subtree{subtree.hash, Subtree::Kind::kLeaf};
    return build(depth, entries, out);
  }
  if (depth >= kKeyBits) {
    return make_error(ErrorCode::kStateCorrupt, "internal state node below depth " + std::to_string(kKeyBits));
  }
  const auto split = std::partition_point(updates.begin(), updates.end(),
                                          [depth](const Update* u) { return !key_bit(u->key, depth); });
  const auto left_count = static_cast<std::size_t>(split - updates.begin());
  const auto kind_of = [](const Hash32& h) {
    return h == empty_root() ? Subtree::Kind::kEmpty : Subtree::Kind::kUnknown;
  };
  MN_TRY_ASSIGN(const Subtree left,
                update(Subtree{node.left, kind_of(node.left)}, depth + 1, updates.first(left_count), out, false));
  MN_TRY_ASSIGN(const Subtree right,
                update(Subtree{node.right, kind_of(node.right)}, depth + 1, updates.subspan(left_count), out, false));
  if (left.hash == node.left && right.hash == node.right) return Subtree{subtree.hash, Subtree::Kind::kInternal};
  return combine(left, right, out);
}

// Joins two sibling subtrees into their parent, keeping the shape canonical: an empty pair is
// empty, and a lone leaf moves up to take its parent's place (leaves sit at the shallowest
// unique prefix). A leaf's encoding does not depend on its depth, so moving it writes nothing.
Result<SparseMerkleTree::Subtree> SparseMerkleTree::combine(const Subtree& left, const Subtree& right,
                                                            NodeWriter& out) const {
  const bool left_empty = left.hash == empty_root();
  const bool right_empty = right.hash == empty_root();
  if (left_empty && right_empty) return Subtree{empty_root(), Subtree::Kind::kEmpty};
  if (left_empty || right_empty) {
    Subtree only = left_empty ? right : left;
    if (only.kind == Subtree::Kind::kUnknown) {
      // An untouched sibling: one read tells whether it is a leaf that must move up.
      MN_TRY_ASSIGN(const Node node, load(only.hash, false));
      only.kind = node.is_leaf ? Subtree::Kind::kLeaf : Subtree::Kind::kInternal;
    }
    if (only.kind == Subtree::Kind::kLeaf) return only;
  }
  return Subtree{write_internal(left.hash, right.hash, out), Subtree::Kind::kInternal};
}

// The canonical subtree holding exactly `entries` (sorted, distinct keys sharing their first
// `depth` bits), all nodes new. Recursion is bounded by 256 levels: distinct keys part by then.
SparseMerkleTree::Subtree SparseMerkleTree::build(std::size_t depth, std::span<const Entry> entries, NodeWriter& out) {
  if (entries.empty()) return Subtree{empty_root(), Subtree::Kind::kEmpty};
  if (entries.size() == 1) {
    const Entry& e = entries[0];
    core::Writer w(1 + 32 + 4 + e.value.size());
    w.u8(kTagLeaf);
    w.array(*e.key);
    w.bytes(e.value, kValueSizeMax);
    const Hash32 id = leaf_hash(*e.key, value_hash(e.value));
    out.put_node(id, w.data());
    return Subtree{id, Subtree::Kind::kLeaf};
  }
  assert(depth < kKeyBits && "two distinct keys share all 256 bits");
  const auto split = std::partition_point(entries.begin(), entries.end(),
                                          [depth](const Entry& e) { return !key_bit(*e.key, depth); });
  const auto left_count = static_cast<std::size_t>(split - entries.begin());
  const Subtree left = build(depth + 1, entries.first(left_count), out);
  const Subtree right = build(depth + 1, entries.subspan(left_count), out);
  // Two or more keys below: never a lone leaf, so no collapsing here.
  return Subtree{write_internal(left.hash, right.hash, out), Subtree::Kind::kInternal};
}

}  // namespace metanode::merkle
