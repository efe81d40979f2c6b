#include "core/codec.hpp"

#include <algorithm>

namespace metanode::core {

Status Reader::need(std::size_t n) const {
  if (n > remaining()) {
    return make_error(ErrorCode::kDecodeTruncated, "need " + std::to_string(n) + " bytes at offset " +
                                                       std::to_string(offset_) + ", " +
                                                       std::to_string(remaining()) + " left");
  }
  return {};
}

Result<bool> Reader::boolean() {
  const std::size_t at = offset_;
  auto v = u8();
  if (!v.ok()) return std::move(v).error();
  if (*v > 1) {
    return make_error(ErrorCode::kDecodeInvalidValue,
                      "boolean byte " + std::to_string(*v) + " at offset " + std::to_string(at));
  }
  return *v == 1;
}

Result<ByteView> Reader::fixed(std::size_t n) {
  if (auto st = need(n); !st.ok()) return std::move(st).error();
  ByteView view = input_.subspan(offset_, n);
  offset_ += n;
  return view;
}

Result<std::uint32_t> Reader::length_prefix(std::size_t max, std::string_view what) {
  const std::size_t at = offset_;
  auto len = u32();
  if (!len.ok()) return std::move(len).error();
  if (*len > max) {
    return make_error(ErrorCode::kDecodeOverLimit, std::string(what) + " " + std::to_string(*len) +
                                                       " over its limit " + std::to_string(max) +
                                                       " at offset " + std::to_string(at));
  }
  return len;
}

Result<Bytes> Reader::bytes(std::size_t size_max) {
  auto len = length_prefix(size_max, "length");
  if (!len.ok()) return std::move(len).error();
  auto view = fixed(*len);
  if (!view.ok()) return std::move(view).error();
  return to_bytes(*view);
}

Result<std::string> Reader::string(std::size_t size_max) {
  auto len = length_prefix(size_max, "string length");
  if (!len.ok()) return std::move(len).error();
  auto view = fixed(*len);
  if (!view.ok()) return std::move(view).error();
  return std::string(as_chars(*view));
}

Status Reader::finish() const {
  if (remaining() != 0) {
    return make_error(ErrorCode::kDecodeTrailingBytes, std::to_string(remaining()) +
                                                           " trailing bytes at offset " + std::to_string(offset_));
  }
  return {};
}

}  // namespace metanode::core
