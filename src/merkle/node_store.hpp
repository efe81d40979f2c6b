// Where the sparse Merkle tree keeps its nodes: content-addressed by node hash. The storage
// layer implements both sides over CueDB (its state-nodes column family, written in the same
// atomic batch as the block); MemoryNodeStore serves tests and tools.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace metanode::merkle {

// Node ids are hashes: any 8 of their bytes are uniform.
struct NodeIdHasher {
  std::size_t operator()(const core::Hash32& id) const noexcept {
    std::size_t h = 0;
    for (std::size_t i = 0; i < sizeof h; ++i) h |= static_cast<std::size_t>(id[i]) << (8 * i);
    return h;
  }
};

// Equality of two ids as four word compares: std::array's operator== calls memcmp, which the
// hash maps keyed by ids (the node cache, a block's state changes) spend more time in than in
// hashing.
struct NodeIdEqual {
  bool operator()(const core::Hash32& a, const core::Hash32& b) const noexcept {
    std::uint64_t x[4];
    std::uint64_t y[4];
    std::memcpy(x, a.data(), sizeof x);
    std::memcpy(y, b.data(), sizeof y);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
  }
};

class NodeReader {
 public:
  virtual ~NodeReader() = default;
  // nullopt when no node has this id; an error only for I/O or corruption.
  virtual core::Result<std::optional<core::Bytes>> get_node(const core::Hash32& id) const = 0;
};

class NodeWriter {
 public:
  virtual ~NodeWriter() = default;
  virtual void put_node(const core::Hash32& id, core::ByteView encoded) = 0;
};

// An in-memory node store: a real store, for tests and for building trees off-line.
class MemoryNodeStore final : public NodeReader, public NodeWriter {
 public:
  core::Result<std::optional<core::Bytes>> get_node(const core::Hash32& id) const override {
    auto it = nodes_.find(id);
    if (it == nodes_.end()) return std::optional<core::Bytes>{};
    return std::optional<core::Bytes>{it->second};
  }
  void put_node(const core::Hash32& id, core::ByteView encoded) override { nodes_[id] = core::to_bytes(encoded); }
  std::size_t size() const { return nodes_.size(); }

 private:
  std::map<core::Hash32, core::Bytes> nodes_;
};

}  // namespace metanode::merkle
