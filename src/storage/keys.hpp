// Key helpers for CueDB. RocksDB orders keys bytewise, so numbers in keys are big-endian: then
// iteration order is numeric order and "the latest block" is simply the last key.
#pragma once

#include <cstdint>
#include <optional>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace metanode::storage {

inline constexpr std::size_t kHeightKeySizeBytes = 8;
using HeightKey = core::ByteArray<kHeightKeySizeBytes>;

// 8 bytes, big-endian.
HeightKey height_key(std::uint64_t height);

// Inverse of height_key; an error (decode_invalid_value) unless `key` is exactly 8 bytes, since a
// stored key of another length means the column holds something it should not.
core::Result<std::uint64_t> height_from_key(core::ByteView key);

// The smallest key greater than every key that starts with `prefix`; nullopt when no such key
// exists (an empty prefix or one of all 0xff bytes), i.e. the range is unbounded above.
std::optional<core::Bytes> prefix_successor(core::ByteView prefix);

}  // namespace metanode::storage
