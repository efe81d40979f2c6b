// The canonical binary codec: everything that is signed or hashed has exactly one byte form.
// Integers are fixed-width little-endian; byte strings, strings and vectors carry a u32 length
// prefix and an explicit maximum; no floats and no unordered maps. Decoding checks every length
// against the bytes left and the maximum before allocating, and rejects trailing bytes.
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace metanode::core {

class Writer {
 public:
  Writer() = default;
  explicit Writer(std::size_t reserve_bytes) { out_.reserve(reserve_bytes); }

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put_le(v); }
  void u32(std::uint32_t v) { put_le(v); }
  void u64(std::uint64_t v) { put_le(v); }
  void i64(std::int64_t v) { put_le(static_cast<std::uint64_t>(v)); }
  void boolean(bool v) { out_.push_back(v ? 1 : 0); }

  // Raw bytes whose length the reader knows from the schema (fixed-size arrays).
  void fixed(ByteView bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
  template <std::size_t N>
  void array(const ByteArray<N>& bytes) {
    fixed(ByteView(bytes));
  }

  // Length-prefixed. Exceeding `size_max` is a programmer error: the encoder must never
  // produce bytes its own decoder would refuse.
  void bytes(ByteView bytes, std::size_t size_max) {
    assert(bytes.size() <= size_max && "Writer::bytes over its limit");
    (void)size_max;
    u32(static_cast<std::uint32_t>(bytes.size()));
    fixed(bytes);
  }
  void string(std::string_view text, std::size_t size_max) { bytes(as_bytes(text), size_max); }

  template <typename T, typename EncodeItem>
  void vector(const std::vector<T>& items, std::size_t count_max, EncodeItem&& encode_item) {
    assert(items.size() <= count_max && "Writer::vector over its limit");
    (void)count_max;
    u32(static_cast<std::uint32_t>(items.size()));
    for (const auto& item : items) encode_item(*this, item);
  }

  std::size_t size() const { return out_.size(); }
  const Bytes& data() const& { return out_; }
  Bytes take() && { return std::move(out_); }

 private:
  template <typename U>
  void put_le(U v) {
    static_assert(std::is_unsigned_v<U>);
    std::array<Byte, sizeof(U)> le{};
    for (std::size_t i = 0; i < sizeof(U); ++i) le[i] = static_cast<Byte>(v >> (8 * i));
    out_.insert(out_.end(), le.begin(), le.end());
  }

  Bytes out_;
};

class Reader {
 public:
  explicit Reader(ByteView input) : input_(input) {}

  Result<std::uint8_t> u8() { return get_le<std::uint8_t>(); }
  Result<std::uint16_t> u16() { return get_le<std::uint16_t>(); }
  Result<std::uint32_t> u32() { return get_le<std::uint32_t>(); }
  Result<std::uint64_t> u64() { return get_le<std::uint64_t>(); }
  Result<std::int64_t> i64() {
    auto v = get_le<std::uint64_t>();
    if (!v.ok()) return std::move(v).error();
    return static_cast<std::int64_t>(*v);
  }
  // Only 0 and 1 are booleans: any other byte would be a second encoding of the same value.
  Result<bool> boolean();

  // `n` raw bytes, viewed in place.
  Result<ByteView> fixed(std::size_t n);
  template <std::size_t N>
  Result<ByteArray<N>> array() {
    auto view = fixed(N);
    if (!view.ok()) return std::move(view).error();
    ByteArray<N> out{};
    std::memcpy(out.data(), view->data(), N);
    return out;
  }

  Result<Bytes> bytes(std::size_t size_max);
  Result<std::string> string(std::size_t size_max);

  template <typename T, typename DecodeItem>
  Result<std::vector<T>> vector(std::size_t count_max, DecodeItem&& decode_item) {
    auto count = length_prefix(count_max, "vector count");
    if (!count.ok()) return std::move(count).error();
    std::vector<T> items;
    // Every item takes at least one byte, so `remaining()` bounds what can be real.
    items.reserve(std::min<std::size_t>(*count, remaining()));
    for (std::uint32_t i = 0; i < *count; ++i) {
      Result<T> item = decode_item(*this);
      if (!item.ok()) return std::move(item).error();
      items.push_back(std::move(item).value());
    }
    return items;
  }

  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return input_.size() - offset_; }
  // The input bytes from offset `start` up to what has been read (start <= offset()).
  ByteView consumed_since(std::size_t start) const { return input_.subspan(start, offset_ - start); }
  // Succeeds only when every input byte was consumed.
  Status finish() const;

 private:
  Result<std::uint32_t> length_prefix(std::size_t max, std::string_view what);
  Status need(std::size_t n) const;

  template <typename U>
  Result<U> get_le() {
    if (auto st = need(sizeof(U)); !st.ok()) return std::move(st).error();
    U v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>(v | (static_cast<U>(input_[offset_ + i]) << (8 * i)));
    offset_ += sizeof(U);
    return v;
  }

  ByteView input_;
  std::size_t offset_ = 0;
};

// A type is codec-ready when it has `void encode(Writer&) const` and
// `static Result<T> decode(Reader&)`. These wrap a whole-buffer encode and a strict decode.
// A type may declare `static constexpr std::size_t kEncodeReserveBytes` (its usual encoded
// size) so that encoding it allocates once instead of through a doubling series; without it the
// writer starts empty (right for small records that are kept, e.g. in a state cache).
template <typename T>
Bytes encode(const T& value) {
  Writer w;
  if constexpr (requires { T::kEncodeReserveBytes; }) w = Writer(T::kEncodeReserveBytes);
  value.encode(w);
  return std::move(w).take();
}

template <typename T>
Result<T> decode(ByteView input) {
  Reader r(input);
  auto value = T::decode(r);
  if (!value.ok()) return value;
  if (auto st = r.finish(); !st.ok()) return std::move(st).error();
  return value;
}

}  // namespace metanode::core
