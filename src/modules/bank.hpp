// The bank module: the native token. It owns accounts (balance and next nonce, under the
// address in its namespace), so it is the set's accounts module: it checks and charges every
// transaction's fee into the block's fee pool (the economics module, modules/econ/, splits it),
// sets the next block's base fee, makes the token movements other modules ask for (Tokens), and
// runs transfers between accounts (single-key or multisig).
#pragma once

#include "ledger/account.hpp"
#include "ledger/module.hpp"

namespace metanode::modules {

inline constexpr std::string_view kBankModule = ledger::kAccountsModule;
inline constexpr std::string_view kTransferKind = "transfer";

// Payload of kind "transfer": to (32) || amount (u64 LE).
struct Transfer {
  crypto::Address to;
  std::uint64_t amount = 0;
  bool operator==(const Transfer&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<Transfer> decode(core::Reader& r);
};

ledger::Payload transfer_payload(const crypto::Address& to, std::uint64_t amount);
// The transfer a bank payload carries; kTxMalformed when it is not one or does not decode.
core::Result<Transfer> transfer_of(const ledger::Payload& payload);

// Event data of a "transfer" event: from (32) || to (32) || amount (u64 LE).
struct TransferEvent {
  crypto::Address from;
  crypto::Address to;
  std::uint64_t amount = 0;
  void encode(core::Writer& w) const;
  static core::Result<TransferEvent> decode(core::Reader& r);
};

// EIP-1559-shaped base fee update: moves by up to 1/8 per block toward the target fullness
// (genesis.block_txs_target), never below genesis.base_fee_min.
std::uint64_t base_fee_next(std::uint64_t base_fee, std::uint32_t tx_count, const ledger::Genesis& genesis);

class Bank final : public ledger::AccountsModule {
 public:
  std::string_view name() const override { return kBankModule; }
  std::vector<std::string_view> payload_kinds() const override { return {kTransferKind}; }
  core::Status check_payload(const ledger::Payload& payload, const crypto::Address& sender) const override;
  core::Status apply(const ledger::TxContext& tx, ledger::ModuleState& state,
                     std::vector<ledger::Event>& events) const override;
  // The genesis file's "accounts" list (kept at the top level, where operators expect it).
  core::Status init_genesis(const ledger::Genesis& genesis, ledger::ModuleState& state) const override;

  core::Result<core::Bytes> payload_from_json(std::string_view kind, const nlohmann::json& fields) const override;
  nlohmann::json payload_to_json(const ledger::Payload& payload) const override;
  nlohmann::json event_to_json(const ledger::Event& event) const override;
  // Keys are addresses: bech32m text (or 64 hex digits).
  core::Result<core::Bytes> key_from_text(std::string_view text) const override;
  nlohmann::json value_to_json(core::ByteView key, core::ByteView value) const override;

  core::Result<std::uint64_t> check_sender(const ledger::Transaction& tx, const crypto::Address& sender,
                                           const ledger::BlockContext& block,
                                           const ledger::StateReader& state) const override;
  core::Status charge(const ledger::Transaction& tx, const crypto::Address& sender, std::uint64_t fee,
                      const ledger::BlockContext& block, ledger::ModuleState& state,
                      ledger::FeeTotals& totals) const override;
  core::Result<std::uint64_t> balance_of(const ledger::ModuleState& state, const crypto::Address& address) const override;
  core::Status credit(ledger::ModuleState& state, const crypto::Address& address, std::uint64_t amount) const override;
  core::Status debit(ledger::ModuleState& state, const crypto::Address& address, std::uint64_t amount) const override;
  std::uint64_t base_fee_next(std::uint64_t base_fee, std::uint32_t tx_count,
                              const ledger::Genesis& genesis) const override {
    return modules::base_fee_next(base_fee, tx_count, genesis);
  }
};

}  // namespace metanode::modules
