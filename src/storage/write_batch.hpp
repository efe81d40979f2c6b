// The only way to change CueDB: a batch of puts and deletes across columns, applied by
// CueDb::write as one atomic (and by default synced) RocksDB write. One block = one batch
// (block, state nodes, receipts, indexes, audit entries), so a crash never leaves half a block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/bytes.hpp"
#include "merkle/node_store.hpp"
#include "storage/column.hpp"

namespace metanode::storage {

// A batch is held in memory until written: the bound keeps one runaway block from exhausting
// memory (RocksDB itself would accept up to 4 GiB). A block-sized batch is a few MiB.
inline constexpr std::size_t kBatchSizeBytesMax = std::size_t{256} << 20;
// Keys are built by code (heights, hashes, short prefixes), never taken whole from input.
inline constexpr std::size_t kKeySizeBytesMax = 1024;
// Bookkeeping counted per operation in size_bytes() (RocksDB's record header is of this order).
inline constexpr std::size_t kBatchOpOverheadBytes = 16;
// Keys in the meta column that start with this belong to CueDB itself (format version, chain
// id); a batch may not write them.
inline constexpr std::string_view kReservedMetaPrefix = "cuedb/";

// Not thread-safe; build it on one thread and hand it to CueDb::write.
class WriteBatch final : public merkle::NodeWriter {
 public:
  explicit WriteBatch(std::size_t size_bytes_max = kBatchSizeBytesMax) : size_bytes_max_(size_bytes_max) {}

  // Operations apply in the order given (a put then a del of one key leaves it absent).
  // Past the size limit further operations are dropped and the batch is marked over its limit;
  // CueDb::write then refuses the whole batch (storage_batch_too_large), so nothing is
  // half-applied. The limit is reported there rather than here because put_node cannot fail.
  void put(Column column, core::ByteView key, core::ByteView value);
  void del(Column column, core::ByteView key);

  // merkle::NodeWriter: a state-tree node goes to the state_nodes column under its hash.
  void put_node(const core::Hash32& id, core::ByteView encoded) override;

  // Keys and values plus kBatchOpOverheadBytes per operation.
  std::size_t size_bytes() const { return size_bytes_; }
  std::size_t count() const { return ops_.size(); }
  bool empty() const { return ops_.empty() && !over_limit_; }
  bool over_limit() const { return over_limit_; }
  std::size_t size_bytes_max() const { return size_bytes_max_; }

  enum class OpKind : std::uint8_t { kPut, kDelete };
  struct Op {
    OpKind kind;
    Column column;
    std::size_t key_offset;
    std::size_t key_size;
    std::size_t value_offset;
    std::size_t value_size;
  };
  // For CueDb::write and tests; views stay valid until the batch is changed.
  const Op& op(std::size_t index) const { return ops_[index]; }
  core::ByteView key_of(const Op& op) const { return core::ByteView(arena_).subspan(op.key_offset, op.key_size); }
  core::ByteView value_of(const Op& op) const {
    return core::ByteView(arena_).subspan(op.value_offset, op.value_size);
  }

 private:
  void add(OpKind kind, Column column, core::ByteView key, core::ByteView value);

  // Keys and values live back to back in one arena (offsets survive its growth): a block of
  // thousands of operations costs a handful of allocations, not two per operation.
  core::Bytes arena_;
  std::vector<Op> ops_;
  std::size_t size_bytes_ = 0;
  std::size_t size_bytes_max_;
  bool over_limit_ = false;
};

}  // namespace metanode::storage
