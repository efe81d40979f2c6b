#include "storage/write_batch.hpp"

#include <algorithm>
#include <cassert>

namespace metanode::storage {

namespace {

[[maybe_unused]] bool is_reserved_meta_key(Column column, core::ByteView key) {
  if (column != Column::kMeta) return false;
  std::string_view text = core::as_chars(key);
  return text.substr(0, kReservedMetaPrefix.size()) == kReservedMetaPrefix;
}

}  // namespace

void WriteBatch::put(Column column, core::ByteView key, core::ByteView value) {
  add(OpKind::kPut, column, key, value);
}

void WriteBatch::del(Column column, core::ByteView key) { add(OpKind::kDelete, column, key, {}); }

void WriteBatch::put_node(const core::Hash32& id, core::ByteView encoded) {
  put(Column::kStateNodes, core::ByteView(id), encoded);
}

void WriteBatch::add(OpKind kind, Column column, core::ByteView key, core::ByteView value) {
  assert(key.size() <= kKeySizeBytesMax && "CueDB key over kKeySizeBytesMax");
  assert(!is_reserved_meta_key(column, key) && "batch writes a key reserved for CueDB itself");
  if (over_limit_) return;
  const std::size_t op_size_bytes = key.size() + value.size() + kBatchOpOverheadBytes;
  if (op_size_bytes > size_bytes_max_ - std::min(size_bytes_, size_bytes_max_)) {
    over_limit_ = true;
    return;
  }
  Op op{kind, column, arena_.size(), key.size(), arena_.size() + key.size(), value.size()};
  arena_.insert(arena_.end(), key.begin(), key.end());
  arena_.insert(arena_.end(), value.begin(), value.end());
  ops_.push_back(op);
  size_bytes_ += op_size_bytes;
  assert(size_bytes_ <= size_bytes_max_);
}

}  // namespace metanode::storage
