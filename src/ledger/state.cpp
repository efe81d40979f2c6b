#include "ledger/state.hpp"

#include <array>
#include <cassert>
#include <cstring>

#include "ledger/account.hpp"
#include "ledger/transaction.hpp"

namespace metanode::ledger {

core::Hash32 state_tree_key(std::string_view module, core::ByteView key) {
  // The codec's form of (string module, bytes key), built on the stack: this runs for every
  // state access (several per transaction).
  assert(module.size() <= kModuleNameBytesMax && key.size() <= kStateKeyBytesMax);
  std::array<core::Byte, 2 * sizeof(std::uint32_t) + kModuleNameBytesMax + kStateKeyBytesMax> buffer{};
  std::size_t at = 0;
  const auto put_length = [&](std::size_t n) {
    for (std::size_t i = 0; i < sizeof(std::uint32_t); ++i) buffer[at++] = static_cast<core::Byte>(n >> (8 * i));
  };
  put_length(module.size());
  std::memcpy(buffer.data() + at, module.data(), module.size());
  at += module.size();
  put_length(key.size());
  if (!key.empty()) std::memcpy(buffer.data() + at, key.data(), key.size());
  at += key.size();
  return core::hash(core::Domain::StateKey, core::ByteView(buffer.data(), at));
}

core::Result<std::optional<core::Bytes>> StateOverlay::get(const core::Hash32& tree_key) const {
  if (auto it = changes_.find(tree_key); it != changes_.end()) return it->second;
  return base_.get(tree_key);
}

void StateOverlay::merge_into(StateOverlay& parent) {
  for (auto& [key, value] : changes_) parent.put(key, std::move(value));
  changes_.clear();
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

core::Result<Account> decode_account(const std::optional<core::Bytes>& value, const crypto::Address& address) {
  if (!value.has_value()) return Account{};
  auto account = core::decode<Account>(*value);
  if (!account.ok()) {
    return core::make_error(core::ErrorCode::kStateCorrupt, "account " + address.to_string() + ": " +
                                                                account.error().to_string());
  }
  return account;
}

core::Result<Account> read_account(const StateReader& state, const crypto::Address& address) {
  MN_TRY_ASSIGN(const auto value, state.get(account_tree_key(address)));
  return decode_account(value, address);
}

}  // namespace metanode::ledger
