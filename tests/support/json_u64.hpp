// Reading the API's u64 fields in tests: amounts, balances, fees and nonces are decimal strings
// in JSON (a JavaScript client's JSON.parse would round large numbers).
#pragma once

#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace metanode::testing {

// doc[key] as a u64 (a decimal string), or `fallback` when absent or not one.
inline std::uint64_t u64_field(const nlohmann::json& doc, const std::string& key, std::uint64_t fallback) {
  if (!doc.is_object() || !doc.contains(key) || !doc[key].is_string()) return fallback;
  const auto& text = doc[key].get_ref<const std::string&>();
  std::uint64_t out = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty() ? out : fallback;
}

}  // namespace metanode::testing
