// The column families of CueDB: one keyspace per kind of record, so each gets options fit for
// how it is read (point lookups by hash vs. scans by height) and can be compacted on its own.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace metanode::storage {

// Numbering is internal (an index into handle arrays); on disk a column is known by its name.
enum class Column : std::uint8_t { kBlocks, kTxIndex, kReceipts, kStateNodes, kMeta, kAudit };

inline constexpr std::size_t kColumnCount = 6;

inline constexpr std::array<Column, kColumnCount> kAllColumns = {
    Column::kBlocks, Column::kTxIndex, Column::kReceipts, Column::kStateNodes, Column::kMeta, Column::kAudit};

// The RocksDB column family name. Stable: renaming one orphans existing data.
constexpr std::string_view column_name(Column column) {
  switch (column) {
    case Column::kBlocks:
      return "blocks";
    case Column::kTxIndex:
      return "tx_index";
    case Column::kReceipts:
      return "receipts";
    case Column::kStateNodes:
      return "state_nodes";
    case Column::kMeta:
      return "meta";
    case Column::kAudit:
      return "audit";
  }
  return "invalid";
}

}  // namespace metanode::storage
