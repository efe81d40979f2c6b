#include "ledger/module.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace metanode::ledger {

core::Result<std::uint64_t> u64_from_json(const nlohmann::json& value, std::string_view field) {
  const auto malformed = [&](std::string_view why) {
    return core::make_error(core::ErrorCode::kTxMalformed, std::string(field) + " " + std::string(why));
  };
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer()) {
    if (value.get<std::int64_t>() < 0) return malformed("is negative");
    return value.get<std::uint64_t>();
  }
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    std::uint64_t out = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec == std::errc::result_out_of_range) return malformed("overflows 64 bits");
    if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return malformed("is not a decimal number");
    return out;
  }
  if (value.is_number_float()) return malformed("must be a whole number (and at most 2^64-1)");
  return malformed("must be a number");
}

nlohmann::json u64_to_json(std::uint64_t value) { return std::to_string(value); }

core::Status Module::init_genesis(const Genesis&, ModuleState&) const { return {}; }
core::Status Module::begin_block(const BlockContext&, ModuleState&) const { return {}; }
core::Status Module::end_block(const BlockEnd&, ModuleState&) const { return {}; }

nlohmann::json Module::event_to_json(const Event& event) const { return {{"data", core::to_hex(event.data)}}; }

core::Result<core::Bytes> Module::key_from_text(std::string_view text) const { return core::from_hex(text); }

nlohmann::json Module::value_to_json(core::ByteView, core::ByteView) const { return nullptr; }

core::Result<ModuleSet> ModuleSet::create(std::shared_ptr<const AccountsModule> accounts,
                                          std::vector<std::shared_ptr<const Module>> others) {
  if (accounts == nullptr) return core::make_error(core::ErrorCode::kInvalidArgument, "a module set needs an accounts module");
  ModuleSet set;
  set.accounts_ = accounts;
  set.all_.push_back(std::move(accounts));
  for (auto& module : others) {
    if (module == nullptr) return core::make_error(core::ErrorCode::kInvalidArgument, "null module");
    set.all_.push_back(std::move(module));
  }
  for (std::size_t i = 0; i < set.all_.size(); ++i) {
    const std::string_view name = set.all_[i]->name();
    if (!is_valid_name(name, kModuleNameBytesMax)) {
      return core::make_error(core::ErrorCode::kInvalidArgument, "module name '" + std::string(name) +
                                                                     "' is not 1-32 of [a-z0-9_]");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (set.all_[j]->name() == name) {
        return core::make_error(core::ErrorCode::kInvalidArgument, "module '" + std::string(name) + "' registered twice");
      }
    }
  }
  return set;
}

const Module* ModuleSet::find(std::string_view name) const {
  for (const auto& module : all_) {
    if (module->name() == name) return module.get();
  }
  return nullptr;
}

core::Result<const Module*> ModuleSet::module_for(const Payload& payload) const {
  if (const Module* module = find(payload.module)) return module;
  std::string known;
  for (const auto& module : all_) known += (known.empty() ? "" : ", ") + std::string(module->name());
  return core::make_error(core::ErrorCode::kTxUnknownPayload,
                          "no module '" + payload.module + "' on this chain (modules: " + known + ")");
}

core::Status ModuleSet::check_stateless(const Transaction& tx, const crypto::Address& sender, const ChainBinding& chain,
                                       bool verify_signatures) const {
  MN_TRY(tx.check_stateless_without_signatures(chain.chain_id));
  MN_TRY_ASSIGN(const Module* module, module_for(tx.payload));
  MN_TRY(module->check_payload(tx.payload, sender));
  if (verify_signatures) MN_TRY(tx.check_signatures(chain.genesis_digest));
  return {};
}

}  // namespace metanode::ledger
