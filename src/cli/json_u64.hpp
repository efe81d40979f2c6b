// The API's u64 fields (amounts, balances, fees, nonces) are decimal strings; this reads one
// (or a plain number, as older answers had it). A field that is neither reads as 0.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "ledger/module.hpp"

namespace metanode::cli {

inline std::uint64_t u64_of(const nlohmann::json& value) {
  auto parsed = ledger::u64_from_json(value, "field");
  return parsed.ok() ? *parsed : 0;
}

}  // namespace metanode::cli
