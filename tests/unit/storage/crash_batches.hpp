// The batches the crash test's writer commits, shared by the writer process and the checker:
// batch b puts kItemsPerBatch items spread over three columns, each keyed height_key(b) || j.
#pragma once

#include <cstdint>

#include "storage/keys.hpp"
#include "storage/write_batch.hpp"

namespace metanode::storage::testing {

inline constexpr std::size_t kItemsPerBatch = 60;
inline constexpr std::size_t kItemValueSizeBytes = 100;
inline constexpr std::array<Column, 3> kCrashColumns = {Column::kBlocks, Column::kTxIndex, Column::kStateNodes};
inline constexpr const char* kCrashChainId = "crash-test";

inline Column item_column(std::size_t item) { return kCrashColumns[item % kCrashColumns.size()]; }

inline core::Bytes item_key(std::uint64_t batch, std::size_t item) {
  core::Bytes key = core::to_bytes(height_key(batch));
  key.push_back(static_cast<core::Byte>(item >> 8));
  key.push_back(static_cast<core::Byte>(item));
  return key;
}

inline core::Bytes item_value(std::uint64_t batch, std::size_t item) {
  core::Bytes value(kItemValueSizeBytes);
  for (std::size_t i = 0; i < value.size(); ++i) value[i] = static_cast<core::Byte>(batch * 31 + item * 7 + i);
  return value;
}

inline WriteBatch crash_batch(std::uint64_t batch) {
  WriteBatch out;
  for (std::size_t item = 0; item < kItemsPerBatch; ++item) {
    out.put(item_column(item), item_key(batch, item), item_value(batch, item));
  }
  return out;
}

}  // namespace metanode::storage::testing
