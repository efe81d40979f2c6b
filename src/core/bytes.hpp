// Byte containers and hex text: the vocabulary every layer uses for raw data.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace metanode::core {

using Byte = std::uint8_t;
using Bytes = std::vector<Byte>;
using ByteView = std::span<const Byte>;
template <std::size_t N>
using ByteArray = std::array<Byte, N>;
using Hash32 = ByteArray<32>;

inline ByteView as_bytes(std::string_view text) {
  return ByteView(reinterpret_cast<const Byte*>(text.data()), text.size());
}
inline std::string_view as_chars(ByteView bytes) {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}
inline Bytes to_bytes(ByteView view) { return Bytes(view.begin(), view.end()); }
inline Bytes concat(ByteView a, ByteView b) {
  Bytes out;
  out.reserve(a.size() + b.size());
  out.insert(out.end(), a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Lower-case hex, two characters a byte.
std::string to_hex(ByteView bytes);
template <std::size_t N>
std::string to_hex(const ByteArray<N>& bytes) {
  return to_hex(ByteView(bytes));
}

// Accepts upper or lower case and an optional "0x" prefix; rejects odd length and non-hex.
Result<Bytes> from_hex(std::string_view text);

// Like from_hex, and the decoded length must be exactly N.
template <std::size_t N>
Result<ByteArray<N>> array_from_hex(std::string_view text) {
  auto bytes = from_hex(text);
  if (!bytes.ok()) return std::move(bytes).error();
  if (bytes->size() != N) {
    return make_error(ErrorCode::kInvalidHex, "expected " + std::to_string(N) + " bytes (" +
                                                  std::to_string(2 * N) + " hex characters), got " +
                                                  std::to_string(bytes->size()));
  }
  ByteArray<N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = (*bytes)[i];
  return out;
}

}  // namespace metanode::core
