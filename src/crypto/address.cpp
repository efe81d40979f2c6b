#include "crypto/address.hpp"

#include <array>
#include <cctype>
#include <cstring>
#include <cstdint>
#include <vector>

#include "core/hash.hpp"

namespace metanode::crypto {
namespace {

constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::uint32_t kBech32mConstant = 0x2bc830a3;
constexpr std::size_t kBech32LengthMax = 90;

std::uint32_t polymod(const std::vector<std::uint8_t>& values) {
  static constexpr std::uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  std::uint32_t chk = 1;
  for (std::uint8_t v : values) {
    const std::uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) chk ^= kGen[i];
    }
  }
  return chk;
}

std::vector<std::uint8_t> expand_prefix(std::string_view prefix) {
  std::vector<std::uint8_t> out;
  out.reserve(prefix.size() * 2 + 1);
  for (char c : prefix) out.push_back(static_cast<std::uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : prefix) out.push_back(static_cast<std::uint8_t>(c) & 31);
  return out;
}

// Regroups bits; `pad` for 8→5, strict (no leftover non-zero bits, no extra group) for 5→8.
bool convert_bits(const std::vector<std::uint8_t>& in, int from, int to, bool pad, std::vector<std::uint8_t>& out) {
  std::uint32_t acc = 0;
  int bits = 0;
  const std::uint32_t max = (1u << to) - 1;
  for (std::uint8_t v : in) {
    acc = (acc << from) | v;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & max));
    }
  }
  if (pad) {
    if (bits > 0) out.push_back(static_cast<std::uint8_t>((acc << (to - bits)) & max));
  } else if (bits >= from || ((acc << (to - bits)) & max) != 0) {
    return false;
  }
  return true;
}

core::Error bad_address(std::string why) { return core::make_error(core::ErrorCode::kInvalidAddress, std::move(why)); }

}  // namespace

std::string bech32m_encode(std::string_view prefix, core::ByteView data) {
  std::vector<std::uint8_t> values;
  convert_bits(std::vector<std::uint8_t>(data.begin(), data.end()), 8, 5, true, values);
  std::vector<std::uint8_t> checked = expand_prefix(prefix);
  checked.insert(checked.end(), values.begin(), values.end());
  checked.insert(checked.end(), 6, 0);
  const std::uint32_t mod = polymod(checked) ^ kBech32mConstant;
  std::string out(prefix);
  out += '1';
  for (std::uint8_t v : values) out += kCharset[v];
  for (int i = 0; i < 6; ++i) out += kCharset[(mod >> (5 * (5 - i))) & 31];
  return out;
}

core::Result<core::Bytes> bech32m_decode(std::string_view expected_prefix, std::string_view text) {
  if (text.size() > kBech32LengthMax) return bad_address("longer than " + std::to_string(kBech32LengthMax) + " characters");
  bool lower = false;
  bool upper = false;
  for (char c : text) {
    if (c < 33 || c > 126) return bad_address("contains a character outside printable ASCII");
    lower |= (c >= 'a' && c <= 'z');
    upper |= (c >= 'A' && c <= 'Z');
  }
  if (lower && upper) return bad_address("mixes upper and lower case");
  std::string folded(text);
  for (char& c : folded) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::size_t sep = folded.rfind('1');
  if (sep == std::string::npos || sep == 0 || sep + 7 > folded.size()) {
    return bad_address("not of the form " + std::string(expected_prefix) + "1…");
  }
  const std::string_view prefix = std::string_view(folded).substr(0, sep);
  if (prefix != expected_prefix) {
    return bad_address("prefix '" + std::string(prefix) + "' is not '" + std::string(expected_prefix) + "'");
  }
  std::vector<std::uint8_t> values;
  for (std::size_t i = sep + 1; i < folded.size(); ++i) {
    const char* pos = std::strchr(kCharset, folded[i]);
    if (pos == nullptr || *pos == '\0') {
      return bad_address("character '" + std::string(1, text[i]) + "' at position " + std::to_string(i) +
                         " is not in the bech32 alphabet");
    }
    values.push_back(static_cast<std::uint8_t>(pos - kCharset));
  }
  std::vector<std::uint8_t> checked = expand_prefix(prefix);
  checked.insert(checked.end(), values.begin(), values.end());
  if (polymod(checked) != kBech32mConstant) return bad_address("checksum mismatch (mistyped address?)");
  values.resize(values.size() - 6);
  std::vector<std::uint8_t> data;
  if (!convert_bits(values, 5, 8, false, data)) return bad_address("invalid padding");
  return core::Bytes(data.begin(), data.end());
}

Address Address::from_public_key(const PublicKey& key) { return from_kind(kAddressKindEd25519, key.bytes); }

Address Address::from_kind(core::Byte kind, core::ByteView canonical) {
  const core::Byte kind_byte[1] = {kind};
  return Address{core::hash(core::Domain::Address, kind_byte, canonical)};
}

std::string Address::to_string() const { return bech32m_encode(kAddressPrefix, bytes); }

core::Result<Address> Address::parse(std::string_view text) {
  auto data = bech32m_decode(kAddressPrefix, text);
  if (!data.ok()) return std::move(data).error();
  if (data->size() != 32) return bad_address("holds " + std::to_string(data->size()) + " bytes, not 32");
  Address out;
  std::copy(data->begin(), data->end(), out.bytes.begin());
  return out;
}

core::Result<Address> Address::decode(core::Reader& r) {
  auto bytes = r.array<32>();
  if (!bytes.ok()) return std::move(bytes).error();
  return Address{*bytes};
}

}  // namespace metanode::crypto
