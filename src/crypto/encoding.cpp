#include "crypto/encoding.hpp"

#include <sodium.h>

#include "crypto/random.hpp"

namespace metanode::crypto {

std::string base64_encode(core::ByteView bytes) {
  ensure_sodium();
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

core::Result<core::Bytes> base64_decode(std::string_view text) {
  ensure_sodium();
  if (text.size() % 4 != 0) return core::make_error(core::ErrorCode::kInvalidArgument, "base64 length is not a multiple of 4");
  if (text.empty()) return core::Bytes{};  // libsodium must not be handed a null output buffer
  core::Bytes out(text.size() / 4 * 3);
  std::size_t written = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &written, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "not valid base64");
  }
  out.resize(written);
  return out;
}

core::ByteArray<32> sha256(core::ByteView bytes) {
  core::ByteArray<32> out{};
  crypto_hash_sha256(out.data(), bytes.data(), bytes.size());
  return out;
}

core::ByteArray<64> sha512(core::ByteView bytes) {
  core::ByteArray<64> out{};
  crypto_hash_sha512(out.data(), bytes.data(), bytes.size());
  return out;
}

}  // namespace metanode::crypto
