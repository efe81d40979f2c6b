#include "modules/bank.hpp"

#include <limits>

namespace metanode::modules {

void TransferEvent::encode(core::Writer& w) const {
  from.encode(w);
  to.encode(w);
  w.u64(amount);
}

core::Result<TransferEvent> TransferEvent::decode(core::Reader& r) {
  TransferEvent e;
  MN_TRY_ASSIGN(e.from, crypto::Address::decode(r));
  MN_TRY_ASSIGN(e.to, crypto::Address::decode(r));
  MN_TRY_ASSIGN(e.amount, r.u64());
  return e;
}

core::Status Bank::apply(const ledger::Transaction& tx, const crypto::Address& sender, ledger::StateOverlay& state,
                         std::vector<ledger::Event>& events) const {
  const auto* transfer = std::get_if<ledger::TransferPayload>(&tx.payload);
  if (transfer == nullptr) return core::make_error(core::ErrorCode::kTxMalformed, "bank handles transfers only");
  MN_TRY_ASSIGN(ledger::Account from, state.account(sender));
  if (from.balance < transfer->amount) {
    return core::make_error(core::ErrorCode::kTxInsufficientBalance,
                            "balance " + std::to_string(from.balance) + " after the fee is less than the amount " +
                                std::to_string(transfer->amount));
  }
  MN_TRY_ASSIGN(ledger::Account to, state.account(transfer->to));
  if (to.balance > std::numeric_limits<std::uint64_t>::max() - transfer->amount) {
    return core::make_error(core::ErrorCode::kTxAmountOverflow, "the recipient's balance would overflow");
  }
  from.balance -= transfer->amount;
  to.balance += transfer->amount;
  state.set(sender, from);
  state.set(transfer->to, to);
  events.push_back(ledger::Event{"transfer", core::encode(TransferEvent{sender, transfer->to, transfer->amount})});
  return {};
}

}  // namespace metanode::modules
