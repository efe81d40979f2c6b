#include "ledger/state.hpp"

#include "ledger/account.hpp"
#include "ledger/transaction.hpp"

namespace metanode::ledger {

core::Hash32 state_tree_key(std::string_view module, core::ByteView key) {
  core::Writer w(2 * sizeof(std::uint32_t) + module.size() + key.size());
  w.string(module, kModuleNameBytesMax);
  w.bytes(key, kStateKeyBytesMax);
  return core::hash(core::Domain::StateKey, w.data());
}

core::Result<std::optional<core::Bytes>> StateOverlay::get(const core::Hash32& tree_key) const {
  if (auto it = changes_.find(tree_key); it != changes_.end()) return it->second;
  return base_.get(tree_key);
}

void StateOverlay::merge_into(StateOverlay& parent) const {
  for (const auto& [key, value] : changes_) parent.put(key, value);
}

core::Result<std::optional<core::Bytes>> StateAtRoot::get(const core::Hash32& tree_key) const {
  return tree_.get(root_, tree_key);
}

core::Status ModuleState::check_key(core::ByteView key) const {
  if (key.size() > kStateKeyBytesMax) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "module " + std::string(module_) + ": a key of " +
                                                                   std::to_string(key.size()) + " bytes exceeds " +
                                                                   std::to_string(kStateKeyBytesMax));
  }
  return {};
}

core::Result<std::optional<core::Bytes>> ModuleState::get(core::ByteView key) const {
  MN_TRY(check_key(key));
  return state_.get(state_tree_key(module_, key));
}

core::Status ModuleState::put(core::ByteView key, core::Bytes value) {
  MN_TRY(check_key(key));
  if (value.size() > kStateValueBytesMax) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "module " + std::string(module_) + ": a value of " +
                                                                   std::to_string(value.size()) + " bytes exceeds " +
                                                                   std::to_string(kStateValueBytesMax));
  }
  state_.put(state_tree_key(module_, key), std::move(value));
  return {};
}

core::Status ModuleState::erase(core::ByteView key) {
  MN_TRY(check_key(key));
  state_.put(state_tree_key(module_, key), std::nullopt);
  return {};
}

core::Error ModuleState::corrupt(core::ByteView key, const core::Error& why) const {
  return core::make_error(core::ErrorCode::kStateCorrupt, "module " + std::string(module_) + " entry " +
                                                              core::to_hex(key) + ": " + why.to_string());
}

core::Result<Account> read_account(const StateReader& state, const crypto::Address& address) {
  MN_TRY_ASSIGN(auto value, state.get(account_tree_key(address)));
  if (!value.has_value()) return Account{};
  auto account = core::decode<Account>(*value);
  if (!account.ok()) {
    return core::make_error(core::ErrorCode::kStateCorrupt, "account " + address.to_string() + ": " +
                                                                account.error().to_string());
  }
  return account;
}

}  // namespace metanode::ledger
