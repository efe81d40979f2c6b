#include "storage/keys.hpp"

#include <optional>
#include <string>

namespace metanode::storage {

HeightKey height_key(std::uint64_t height) {
  HeightKey key{};
  for (std::size_t i = 0; i < kHeightKeySizeBytes; ++i) {
    key[i] = static_cast<core::Byte>(height >> (8 * (kHeightKeySizeBytes - 1 - i)));
  }
  return key;
}

core::Result<std::uint64_t> height_from_key(core::ByteView key) {
  if (key.size() != kHeightKeySizeBytes) {
    return core::make_error(core::ErrorCode::kDecodeInvalidValue,
                            "height key must be 8 bytes, got " + std::to_string(key.size()));
  }
  std::uint64_t height = 0;
  for (core::Byte b : key) height = (height << 8) | b;
  return height;
}

std::optional<core::Bytes> prefix_successor(core::ByteView prefix) {
  core::Bytes successor = core::to_bytes(prefix);
  // Trailing 0xff bytes cannot be incremented: drop them and carry into the byte before.
  while (!successor.empty() && successor.back() == 0xff) successor.pop_back();
  if (successor.empty()) return std::nullopt;
  ++successor.back();
  return successor;
}

}  // namespace metanode::storage
