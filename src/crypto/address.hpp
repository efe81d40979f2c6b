// Account addresses: 32 bytes derived from a public key (or a multisig policy), written as
// bech32m text with the prefix "mn" (BIP-350). The checksum catches any mistyped address of up
// to four wrong characters, and a mixed-case or wrongly prefixed string is refused.
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/codec.hpp"
#include "core/result.hpp"
#include "crypto/ed25519.hpp"

namespace metanode::crypto {

inline constexpr std::string_view kAddressPrefix = "mn";

struct Address {
  core::ByteArray<32> bytes{};

  auto operator<=>(const Address&) const = default;

  // Address of a single Ed25519 key.
  static Address from_public_key(const PublicKey& key);
  // Address of anything else identified by a canonical encoding (multisig policies): `kind`
  // keeps the spaces apart, so no policy can share an address with a key.
  static Address from_kind(core::Byte kind, core::ByteView canonical);

  std::string to_string() const;
  static core::Result<Address> parse(std::string_view text);

  void encode(core::Writer& w) const { w.array(bytes); }
  static core::Result<Address> decode(core::Reader& r);
};

inline constexpr core::Byte kAddressKindEd25519 = 0;
inline constexpr core::Byte kAddressKindMultisig = 1;

// bech32m (BIP-350) text encoding of arbitrary bytes; exposed for tests.
std::string bech32m_encode(std::string_view prefix, core::ByteView data);
core::Result<core::Bytes> bech32m_decode(std::string_view expected_prefix, std::string_view text);

}  // namespace metanode::crypto
