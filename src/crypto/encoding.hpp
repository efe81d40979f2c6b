// Base64 (RFC 4648, standard alphabet, padded) and SHA-2 digests, from libsodium: what HTTP
// standards carry (RFC 8941 byte sequences, RFC 9530 Content-Digest). Metanode's own hashes are
// BLAKE3 (core/hash.hpp); these exist only to speak those standards.
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace metanode::crypto {

std::string base64_encode(core::ByteView bytes);
// Strict: the standard alphabet with padding, nothing else (kInvalidArgument).
core::Result<core::Bytes> base64_decode(std::string_view text);

core::ByteArray<32> sha256(core::ByteView bytes);
core::ByteArray<64> sha512(core::ByteView bytes);

}  // namespace metanode::crypto
