#include "ledger/executor.hpp"

#include <limits>

namespace metanode::ledger {

core::Result<Account> StateOverlay::account(const crypto::Address& address) const {
  auto it = changes_.find(address);
  if (it != changes_.end()) return it->second;
  return base_.account(address);
}

void StateOverlay::merge_into(StateOverlay& parent) const {
  for (const auto& [address, account] : changes_) parent.set(address, account);
}

core::Result<std::uint64_t> Executor::check_valid(const Transaction& tx, const AccountReader& state,
                                                  const BlockParams& params) const {
  if (params.verify_signatures) {
    MN_TRY(tx.check_stateless(params.chain_id));
  } else {
    MN_TRY(tx.check_stateless_without_signatures(params.chain_id));
  }
  const crypto::Address sender = tx.sender();
  MN_TRY_ASSIGN(const Account account, state.account(sender));
  if (tx.nonce < account.nonce) {
    return core::make_error(core::ErrorCode::kTxNonceTooLow, "nonce " + std::to_string(tx.nonce) +
                                                                 " already used; account nonce is " +
                                                                 std::to_string(account.nonce));
  }
  if (tx.nonce > account.nonce) {
    return core::make_error(core::ErrorCode::kTxNonceGap, "nonce " + std::to_string(tx.nonce) +
                                                              " is ahead of account nonce " + std::to_string(account.nonce));
  }
  const auto fee = fee_for(tx, params.base_fee);
  if (!fee.has_value()) {
    return core::make_error(core::ErrorCode::kTxFeeTooLow, "max_fee " + std::to_string(tx.max_fee) +
                                                               " is below the base fee " + std::to_string(params.base_fee));
  }
  if (account.balance < *fee) {
    return core::make_error(core::ErrorCode::kTxInsufficientBalance,
                            "balance " + std::to_string(account.balance) + " cannot pay the fee " + std::to_string(*fee) +
                                (account.balance == 0 && account.nonce == 0 ? " (unknown account)" : ""));
  }
  return *fee;
}

core::Result<ExecutionResult> Executor::execute(const AccountReader& state, std::vector<Transaction> txs,
                                                const BlockParams& params, ExecutionMode mode) const {
  if (txs.size() > kBlockTxsMax) {
    return core::make_error(core::ErrorCode::kBlockInvalid, std::to_string(txs.size()) + " transactions exceed " +
                                                                std::to_string(kBlockTxsMax));
  }
  ExecutionResult result;
  result.txs.reserve(txs.size());
  result.receipts.reserve(txs.size());
  StateOverlay block_state(state);
  for (auto& tx : txs) {
    auto fee = check_valid(tx, block_state, params);
    if (!fee.ok()) {
      if (mode == ExecutionMode::kVerify) {
        return core::make_error(core::ErrorCode::kBlockInvalid, "transaction " + core::to_hex(tx.hash()) +
                                                                    " is invalid: " + fee.error().to_string());
      }
      result.rejected.emplace_back(tx.hash(), std::move(fee).error());
      continue;
    }
    const crypto::Address sender = tx.sender();
    // Fee and nonce first: they stand even when the payload fails.
    MN_TRY_ASSIGN(Account payer, block_state.account(sender));
    payer.balance -= *fee;
    payer.nonce += 1;
    block_state.set(sender, payer);
    const std::uint64_t tip = *fee - params.base_fee;
    if (tip > 0) {
      MN_TRY_ASSIGN(Account proposer, block_state.account(params.proposer));
      // Total supply fits in u64 (genesis checks it) and fees only move or burn it.
      proposer.balance += tip;
      block_state.set(params.proposer, proposer);
    }
    result.fees_burned += params.base_fee;
    result.tips_paid += tip;

    Receipt receipt;
    receipt.tx_hash = tx.hash();
    receipt.fee_paid = *fee;
    const AccountReader& block_reader = block_state;
    StateOverlay tx_state(block_reader);
    std::vector<Event> events;
    auto applied = handler_.apply(tx, sender, tx_state, events);
    if (applied.ok()) {
      tx_state.merge_into(block_state);
      receipt.status = ReceiptStatus::kSuccess;
      receipt.events = std::move(events);
    } else {
      receipt.status = ReceiptStatus::kFailed;
      receipt.error_code = static_cast<std::uint16_t>(applied.error().code);
      receipt.error_message = applied.error().message.substr(0, kErrorMessageBytesMax);
    }
    result.receipts.push_back(std::move(receipt));
    result.txs.push_back(std::move(tx));
  }
  result.changed = block_state.changes();
  return result;
}

}  // namespace metanode::ledger
