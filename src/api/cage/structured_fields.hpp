// RFC 8941 Structured Field Values, the part HTTP Message Signatures (RFC 9421) and Digest
// Fields (RFC 9530) use: Dictionaries whose members are Items or Inner Lists, each with
// Parameters; Items that are Integers, Strings, Tokens, Byte Sequences or Booleans (Decimals and
// Lists of Lists are refused: nothing here needs them). Parsing follows the RFC's algorithm
// (section 4.2) and fails on any deviation, so a header that two parsers could read differently is
// refused rather than guessed at; serialisation is the RFC's canonical form (section 4.1), which
// is what a signature base contains.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace metanode::api::cage {

struct SfToken {
  std::string name;
  bool operator==(const SfToken&) const = default;
};

using SfBare = std::variant<std::int64_t, std::string, SfToken, core::Bytes, bool>;
using SfParams = std::vector<std::pair<std::string, SfBare>>;  // in order, keys distinct (last one wins)

struct SfItem {
  SfBare value;
  SfParams params;
};

struct SfInnerList {
  std::vector<SfItem> items;
  SfParams params;
};

using SfMember = std::variant<SfItem, SfInnerList>;
using SfDictionary = std::vector<std::pair<std::string, SfMember>>;  // in order, keys distinct (last one wins)

// kInvalidArgument naming what is wrong and where.
core::Result<SfDictionary> parse_sf_dictionary(std::string_view text);

std::string serialize_sf_bare(const SfBare& value);
std::string serialize_sf_params(const SfParams& params);
std::string serialize_sf_inner_list(const SfInnerList& list);
std::string serialize_sf_item(const SfItem& item);

// A parameter's value, if present and of type T.
template <typename T>
const T* sf_param(const SfParams& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return std::get_if<T>(&value);
  }
  return nullptr;
}

}  // namespace metanode::api::cage
