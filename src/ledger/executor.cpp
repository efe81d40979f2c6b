#include "ledger/executor.hpp"

#include "core/fault.hpp"

namespace metanode::ledger {
namespace {

// An environment fault met while executing `tx`: it aborts the whole block (keeping its code),
// since another node executing the same block would not meet it.
core::Error fault_in(const Transaction& tx, const core::Error& fault) {
  return core::make_error(fault.code, "environment fault while executing transaction " +
                                          core::to_hex(tx.hash()).substr(0, 16) + ": " + fault.message);
}

// Tokens over the accounts module's namespace of one overlay (a transaction's, or the block's).
class AccountTokens final : public Tokens {
 public:
  AccountTokens(const AccountsModule& accounts, StateOverlay& state) : accounts_(accounts), state_(accounts.name(), state) {}
  core::Result<std::uint64_t> balance(const crypto::Address& address) const override {
    return accounts_.balance_of(state_, address);
  }
  core::Status credit(const crypto::Address& address, std::uint64_t amount) override {
    return accounts_.credit(state_, address, amount);
  }
  core::Status debit(const crypto::Address& address, std::uint64_t amount) override {
    return accounts_.debit(state_, address, amount);
  }

 private:
  const AccountsModule& accounts_;
  ModuleState state_;
};

}  // namespace

core::Result<std::uint64_t> Executor::check_valid(const Transaction& tx, const crypto::Address& sender,
                                                  const StateReader& state, const BlockContext& block) const {
  MN_TRY(modules_.check_stateless(tx, sender, block.chain, block.verify_signatures));
  return modules_.accounts().check_sender(tx, sender, block, state);
}

core::Status Executor::run_block_hooks(bool begin, const BlockContext& block, const FeeTotals& fees,
                                       StateOverlay& state) const {
  AccountTokens tokens(modules_.accounts(), state);
  for (const auto& module : modules_.all()) {
    ModuleState module_state(module->name(), state);
    auto status = begin ? module->begin_block(block, module_state)
                        : module->end_block(BlockEnd{block, fees, tokens}, module_state);
    if (!status.ok()) {
      return core::make_error(status.error().code, "module " + std::string(module->name()) +
                                                       (begin ? " begin-block: " : " end-block: ") +
                                                       status.error().message);
    }
  }
  return {};
}

core::Result<Receipt> Executor::apply_one(const Transaction& tx, const crypto::Address& sender, std::uint64_t fee,
                                          const BlockContext& block, StateOverlay& block_state, FeeTotals& fees) const {
  const AccountsModule& accounts = modules_.accounts();
  // Fee and nonce first: they stand even when the payload fails.
  ModuleState accounts_state(accounts.name(), block_state);
  MN_TRY(accounts.charge(tx, sender, fee, block, accounts_state, fees));

  Receipt receipt;
  receipt.tx_hash = tx.hash();
  receipt.fee_paid = fee;
  MN_TRY_ASSIGN(const Module* module, modules_.module_for(tx.payload));  // check_valid found it
  const StateReader& block_reader = block_state;
  StateOverlay tx_state(block_reader);
  ModuleState module_state(module->name(), tx_state);
  std::vector<Event> events;
  AccountTokens tokens(accounts, tx_state);
  auto applied = module->apply(TxContext{tx, sender, fee, block, &tokens}, module_state, events);
  // A payload failure is the transaction's result; a storage fault is not, and stops the block.
  if (!applied.ok() && core::is_environment_fault(applied.error().code)) return fault_in(tx, applied.error());
  if (applied.ok() && events.size() > kEventsPerReceiptMax) {
    applied = core::make_error(core::ErrorCode::kInternal, "module " + std::string(module->name()) + " emitted " +
                                                               std::to_string(events.size()) + " events, the limit is " +
                                                               std::to_string(kEventsPerReceiptMax));
  }
  if (applied.ok()) {
    tx_state.merge_into(block_state);
    receipt.status = ReceiptStatus::kSuccess;
    receipt.events = std::move(events);
  } else {
    receipt.status = ReceiptStatus::kFailed;
    receipt.error_code = static_cast<std::uint16_t>(applied.error().code);
    receipt.error_message = applied.error().message.substr(0, kErrorMessageBytesMax);
  }
  return receipt;
}

core::Result<ExecutionResult> Executor::execute(const StateReader& state, std::vector<Transaction> txs,
                                                const BlockContext& block, ExecutionMode mode) const {
  if (txs.size() > kBlockTxsMax) {
    return core::make_error(core::ErrorCode::kBlockInvalid, std::to_string(txs.size()) + " transactions exceed " +
                                                                std::to_string(kBlockTxsMax));
  }
  ExecutionResult result;
  result.txs.reserve(txs.size());
  result.receipts.reserve(txs.size());
  StateOverlay block_state(state);
  block_state.reserve(2 * txs.size());  // a transfer writes two accounts
  MN_TRY(run_block_hooks(/*begin=*/true, block, result.fees, block_state));
  for (auto& tx : txs) {
    const crypto::Address sender = tx.sender();  // a hash: once per transaction
    auto fee = check_valid(tx, sender, block_state, block);
    if (!fee.ok() && core::is_environment_fault(fee.error().code)) return fault_in(tx, fee.error());
    if (!fee.ok()) {
      if (mode == ExecutionMode::kVerify) {
        return core::make_error(core::ErrorCode::kBlockInvalid, "transaction " + core::to_hex(tx.hash()) +
                                                                    " is invalid: " + fee.error().to_string());
      }
      result.rejected.emplace_back(tx.hash(), std::move(fee).error());
      continue;
    }
    MN_TRY_ASSIGN(Receipt receipt, apply_one(tx, sender, *fee, block, block_state, result.fees));
    result.receipts.push_back(std::move(receipt));
    result.txs.push_back(std::move(tx));
  }
  MN_TRY(run_block_hooks(/*begin=*/false, block, result.fees, block_state));
  result.changed = block_state.take_changes();
  return result;
}

}  // namespace metanode::ledger
