// Keyed module state: every module owns a namespace of entries (module name, key bytes) ->
// canonical value bytes, all in the one sparse Merkle tree whose root each header commits to.
// An entry's tree key is hash(StateKey, module name || key) (both length-prefixed by the codec,
// so no two (module, key) pairs share a tree key), and every entry of every module therefore
// has inclusion and non-inclusion proofs against a block's state root.
#pragma once

#include <unordered_map>
#include <optional>
#include <string_view>

#include "core/bytes.hpp"
#include "core/codec.hpp"
#include "core/hash.hpp"
#include "core/result.hpp"
#include "merkle/node_store.hpp"
#include "merkle/sparse_merkle_tree.hpp"

namespace metanode::ledger {

// Keys name things (an address, a hash, a short name); values are records. Anything larger
// belongs in blob storage with its root in state.
inline constexpr std::size_t kStateKeyBytesMax = 128;
inline constexpr std::size_t kStateValueBytesMax = merkle::SparseMerkleTree::kValueSizeMax;

core::Hash32 state_tree_key(std::string_view module, core::ByteView key);

// Read access to state by tree key; an absent entry reads as nullopt.
class StateReader {
 public:
  virtual ~StateReader() = default;
  virtual core::Result<std::optional<core::Bytes>> get(const core::Hash32& tree_key) const = 0;
};

// Writes by tree key: a value, or nullopt for a deletion. Unordered: whoever needs an order (the
// tree applies them sorted by key) sorts.
using StateChanges = std::unordered_map<core::Hash32, std::optional<core::Bytes>, merkle::NodeIdHasher,
                                        merkle::NodeIdEqual>;

// Reads through a base state plus buffered writes; a child overlay lets a payload's writes be
// dropped when it fails.
class StateOverlay final : public StateReader {
 public:
  explicit StateOverlay(const StateReader& base) : base_(base) {}
  // Not copyable: `StateOverlay child(parent)` must layer over the parent, never copy it (a copy
  // would silently carry all of the parent's writes, and merging it back costs O(block)).
  StateOverlay(const StateOverlay&) = delete;
  StateOverlay& operator=(const StateOverlay&) = delete;

  core::Result<std::optional<core::Bytes>> get(const core::Hash32& tree_key) const override;
  void put(const core::Hash32& tree_key, std::optional<core::Bytes> value) { changes_[tree_key] = std::move(value); }
  // Room for `entries` writes without rehashing (a block's overlay: a few per transaction).
  void reserve(std::size_t entries) { changes_.reserve(entries); }
  // Moves this overlay's writes into `parent` (the overlay this one reads through); this one is
  // left empty.
  void merge_into(StateOverlay& parent);
  const StateChanges& changes() const { return changes_; }
  StateChanges take_changes() { return std::move(changes_); }

 private:
  const StateReader& base_;
  StateChanges changes_;
};

// The state every tree key maps to at one root of the tree.
class StateAtRoot final : public StateReader {
 public:
  StateAtRoot(const merkle::NodeReader& nodes, const core::Hash32& root) : tree_(nodes), root_(root) {}
  core::Result<std::optional<core::Bytes>> get(const core::Hash32& tree_key) const override;

 private:
  merkle::SparseMerkleTree tree_;
  core::Hash32 root_;
};

// A module's window on state: its own namespace only, with key and value sizes enforced
// (kInvalidArgument: a module that writes an oversized entry has a bug, and the transaction
// fails rather than the block).
class ModuleState {
 public:
  ModuleState(std::string_view module, StateOverlay& state) : module_(module), state_(state) {}

  std::string_view module() const { return module_; }
  core::Result<std::optional<core::Bytes>> get(core::ByteView key) const;
  // Another module's entry, read only (every entry is public state; only its module writes it).
  core::Result<std::optional<core::Bytes>> get_in(std::string_view module, core::ByteView key) const {
    return state_.get(state_tree_key(module, key));
  }
  core::Status put(core::ByteView key, core::Bytes value);
  core::Status erase(core::ByteView key);

  // A stored record decoded with T::decode; kStateCorrupt when it does not decode.
  template <typename T>
  core::Result<std::optional<T>> get_as(core::ByteView key) const {
    MN_TRY_ASSIGN(auto bytes, get(key));
    if (!bytes.has_value()) return std::optional<T>{};
    auto value = core::decode<T>(*bytes);
    if (!value.ok()) return corrupt(key, value.error());
    return std::optional<T>{std::move(value).value()};
  }
  template <typename T>
  core::Status put_as(core::ByteView key, const T& value) {
    return put(key, core::encode(value));
  }
  // Runs `writes` on a window of the same namespace whose writes land only if it succeeds: all of
  // them or none (a governance proposal's effect, for one).
  template <typename F>
  core::Status all_or_nothing(F&& writes) {
    StateOverlay child(static_cast<const StateReader&>(state_));  // a child over it, not a copy
    ModuleState window(module_, child);
    core::Status status = writes(window);
    if (status.ok()) child.merge_into(state_);
    return status;
  }

 private:
  core::Error corrupt(core::ByteView key, const core::Error& why) const;
  core::Status check_key(core::ByteView key) const;

  std::string_view module_;
  StateOverlay& state_;
};

}  // namespace metanode::ledger
