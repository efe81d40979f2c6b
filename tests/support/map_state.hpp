// Keyed state in a map, for driving modules through the real executor without a database: a
// block's changes are applied to it, accounts can be set through the bank's tree keys, and reads
// of chosen keys can be made to fail as a damaged disk would.
#pragma once

#include <map>

#include "ledger/account.hpp"
#include "ledger/genesis.hpp"
#include "ledger/module.hpp"
#include "ledger/state.hpp"

namespace metanode::testing {

class MapState final : public ledger::StateReader {
 public:
  core::Result<std::optional<core::Bytes>> get(const core::Hash32& tree_key) const override {
    if (auto fault = faults.find(tree_key); fault != faults.end()) return core::make_error(fault->second, "injected fault");
    auto it = entries.find(tree_key);
    return it == entries.end() ? std::optional<core::Bytes>{} : std::optional<core::Bytes>{it->second};
  }
  void apply(const ledger::StateChanges& changes) {
    for (const auto& [key, value] : changes) {
      if (value) {
        entries[key] = *value;
      } else {
        entries.erase(key);
      }
    }
  }
  // Block 0's module entries, as a chain writes them (the economics module's records, the
  // governance roles): what executing blocks over this state expects to find.
  core::Status init_genesis(const ledger::ModuleSet& modules, const ledger::Genesis& genesis) {
    ledger::StateOverlay overlay(*this);
    for (const auto& module : modules.all()) {
      ledger::ModuleState state(module->name(), overlay);
      MN_TRY(module->init_genesis(genesis, state));
    }
    apply(overlay.take_changes());
    return {};
  }
  void set(const crypto::Address& address, const ledger::Account& account) {
    entries[ledger::account_tree_key(address)] = core::encode(account);
  }
  void fail_reads_of(const crypto::Address& address, core::ErrorCode code) {
    faults[ledger::account_tree_key(address)] = code;
  }
  std::map<core::Hash32, core::Bytes> entries;
  std::map<core::Hash32, core::ErrorCode> faults;
};

}  // namespace metanode::testing
