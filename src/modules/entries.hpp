// What the modules share to name and read their entries: a key from a text prefix and a text
// rest, and an entry of any module's namespace decoded (kStateCorrupt naming it when it does not).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/codec.hpp"
#include "ledger/state.hpp"

namespace metanode::modules {

inline core::Bytes text_key(std::string_view prefix, std::string_view rest = {}) {
  core::Bytes key;
  key.reserve(prefix.size() + rest.size());
  for (const std::string_view part : {prefix, rest}) {
    for (const char c : part) key.push_back(static_cast<core::Byte>(c));
  }
  return key;
}

template <typename T>
core::Result<std::optional<T>> read_entry(const ledger::StateReader& state, std::string_view module, core::ByteView key,
                                          std::string_view what) {
  MN_TRY_ASSIGN(auto bytes, state.get(ledger::state_tree_key(module, key)));
  if (!bytes) return std::optional<T>{};
  auto value = core::decode<T>(*bytes);
  if (!value.ok()) {
    return core::make_error(core::ErrorCode::kStateCorrupt, std::string(what) + " does not decode: " + value.error().to_string());
  }
  return std::optional<T>{std::move(value).value()};
}

}  // namespace metanode::modules
