#include "modules/bank.hpp"

#include <limits>
#include <nlohmann/json.hpp>

namespace metanode::modules {
namespace {
core::Error malformed(std::string why) { return core::make_error(core::ErrorCode::kTxMalformed, std::move(why)); }
}  // namespace

void Transfer::encode(core::Writer& w) const {
  to.encode(w);
  w.u64(amount);
}

core::Result<Transfer> Transfer::decode(core::Reader& r) {
  Transfer t;
  MN_TRY_ASSIGN(t.to, crypto::Address::decode(r));
  MN_TRY_ASSIGN(t.amount, r.u64());
  return t;
}

ledger::Payload transfer_payload(const crypto::Address& to, std::uint64_t amount) {
  return ledger::Payload{std::string(kBankModule), std::string(kTransferKind), core::encode(Transfer{to, amount})};
}

core::Result<Transfer> transfer_of(const ledger::Payload& payload) {
  if (payload.module != kBankModule || payload.kind != kTransferKind) {
    return malformed("payload " + payload.module + "/" + payload.kind + " is not a bank transfer");
  }
  auto transfer = core::decode<Transfer>(payload.data);
  if (!transfer.ok()) return malformed("transfer payload: " + transfer.error().to_string());
  return transfer;
}

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

std::uint64_t base_fee_next(std::uint64_t base_fee, std::uint32_t tx_count, const ledger::Genesis& genesis) {
  const std::uint64_t target = genesis.block_txs_target;
  // delta = base_fee * |used - target| / target / 8, at least 1 either way.
  __extension__ typedef unsigned __int128 U128;  // base_fee * 50,000 may exceed 64 bits
  const U128 fee = base_fee;
  std::uint64_t next = base_fee;
  if (tx_count > target) {
    const auto delta = static_cast<std::uint64_t>(fee * (tx_count - target) / target / 8);
    next = base_fee + std::max<std::uint64_t>(delta, 1);
    if (next < base_fee) next = std::numeric_limits<std::uint64_t>::max();
  } else if (tx_count < target) {
    const auto delta = static_cast<std::uint64_t>(fee * (target - tx_count) / target / 8);
    // At least 1, as on the way up, so small fees can still fall back to the minimum.
    next = base_fee - std::min(std::max<std::uint64_t>(delta, 1), base_fee);
  }
  return std::max(next, genesis.base_fee_min);
}

core::Status Bank::check_payload(const ledger::Payload& payload, const crypto::Address& sender) const {
  if (payload.kind != kTransferKind) {
    return core::make_error(core::ErrorCode::kTxUnknownPayload, "the bank module has no payload kind '" + payload.kind +
                                                                    "' (it has: transfer)");
  }
  MN_TRY_ASSIGN(const Transfer transfer, transfer_of(payload));
  if (transfer.amount == 0) return malformed("transfer amount is zero");
  if (transfer.to == sender) return malformed("transfer to the sender itself");
  return {};
}

core::Status Bank::apply(const ledger::TxContext& tx, ledger::ModuleState& state,
                         std::vector<ledger::Event>& events) const {
  MN_TRY_ASSIGN(const Transfer transfer, transfer_of(tx.tx.payload));
  MN_TRY_ASSIGN(auto from_record, state.get_as<ledger::Account>(tx.sender.bytes));
  ledger::Account from = from_record.value_or(ledger::Account{});
  if (from.balance < transfer.amount) {
    return core::make_error(core::ErrorCode::kTxInsufficientBalance,
                            "balance " + std::to_string(from.balance) + " after the fee is less than the amount " +
                                std::to_string(transfer.amount));
  }
  MN_TRY_ASSIGN(auto to_record, state.get_as<ledger::Account>(transfer.to.bytes));
  ledger::Account to = to_record.value_or(ledger::Account{});
  if (to.balance > std::numeric_limits<std::uint64_t>::max() - transfer.amount) {
    return core::make_error(core::ErrorCode::kTxAmountOverflow, "the recipient's balance would overflow");
  }
  from.balance -= transfer.amount;
  to.balance += transfer.amount;
  MN_TRY(state.put_as(tx.sender.bytes, from));
  MN_TRY(state.put_as(transfer.to.bytes, to));
  events.push_back(ledger::Event{std::string(kBankModule), "transfer",
                                 core::encode(TransferEvent{tx.sender, transfer.to, transfer.amount})});
  return {};
}

core::Status Bank::init_genesis(const ledger::Genesis& genesis, ledger::ModuleState& state) const {
  for (const auto& account : genesis.accounts) {
    MN_TRY(state.put_as(account.address.bytes, ledger::Account{account.balance, 0}));
  }
  return {};
}

core::Result<std::uint64_t> Bank::check_sender(const ledger::Transaction& tx, const crypto::Address& sender,
                                               const ledger::BlockContext& block,
                                               const ledger::StateReader& state) const {
  MN_TRY_ASSIGN(const ledger::Account account, ledger::read_account(state, sender));
  if (tx.nonce < account.nonce) {
    return core::make_error(core::ErrorCode::kTxNonceTooLow, "nonce " + std::to_string(tx.nonce) +
                                                                 " already used; account nonce is " +
                                                                 std::to_string(account.nonce));
  }
  if (tx.nonce > account.nonce) {
    return core::make_error(core::ErrorCode::kTxNonceGap, "nonce " + std::to_string(tx.nonce) +
                                                              " is ahead of account nonce " + std::to_string(account.nonce));
  }
  const auto fee = ledger::fee_for(tx, block.base_fee);
  if (!fee.has_value()) {
    return core::make_error(core::ErrorCode::kTxFeeTooLow, "max_fee " + std::to_string(tx.max_fee) +
                                                               " is below the base fee " + std::to_string(block.base_fee));
  }
  if (account.balance < *fee) {
    return core::make_error(core::ErrorCode::kTxInsufficientBalance,
                            "balance " + std::to_string(account.balance) + " cannot pay the fee " + std::to_string(*fee) +
                                (account.balance == 0 && account.nonce == 0 ? " (unknown account)" : ""));
  }
  return *fee;
}

core::Status Bank::charge(const ledger::Transaction&, const crypto::Address& sender, std::uint64_t fee,
                          const ledger::BlockContext& block, ledger::ModuleState& state,
                          ledger::FeeTotals& totals) const {
  MN_TRY_ASSIGN(auto payer_record, state.get_as<ledger::Account>(sender.bytes));
  ledger::Account payer = payer_record.value_or(ledger::Account{});
  assert(payer.balance >= fee && fee >= block.base_fee && "charge without check_sender");
  payer.balance -= fee;
  payer.nonce += 1;
  MN_TRY(state.put_as(sender.bytes, payer));
  // Into the block's fee pool: the economics module's end-block splits it.
  totals.base_fees += block.base_fee;
  totals.tips += fee - block.base_fee;
  return {};
}

core::Result<std::uint64_t> Bank::balance_of(const ledger::ModuleState& state, const crypto::Address& address) const {
  MN_TRY_ASSIGN(auto record, state.get_as<ledger::Account>(address.bytes));
  return record ? record->balance : 0;
}

core::Status Bank::credit(ledger::ModuleState& state, const crypto::Address& address, std::uint64_t amount) const {
  if (amount == 0) return {};
  MN_TRY_ASSIGN(auto record, state.get_as<ledger::Account>(address.bytes));
  ledger::Account account = record.value_or(ledger::Account{});
  // Total supply fits in u64 (genesis checks it; issuance is bounded by the same check), so no
  // single balance can overflow.
  if (account.balance > std::numeric_limits<std::uint64_t>::max() - amount) {
    return core::make_error(core::ErrorCode::kInternal, "a credit of " + std::to_string(amount) + " overflows the balance of " +
                                                            address.to_string());
  }
  account.balance += amount;
  return state.put_as(address.bytes, account);
}

core::Status Bank::debit(ledger::ModuleState& state, const crypto::Address& address, std::uint64_t amount) const {
  if (amount == 0) return {};
  MN_TRY_ASSIGN(auto record, state.get_as<ledger::Account>(address.bytes));
  ledger::Account account = record.value_or(ledger::Account{});
  if (account.balance < amount) {
    return core::make_error(core::ErrorCode::kTxInsufficientBalance, "balance " + std::to_string(account.balance) +
                                                                         " of " + address.to_string() +
                                                                         " cannot pay " + std::to_string(amount));
  }
  account.balance -= amount;
  return state.put_as(address.bytes, account);
}

core::Result<core::Bytes> Bank::payload_from_json(std::string_view kind, const nlohmann::json& fields) const {
  if (kind != kTransferKind) {
    return core::make_error(core::ErrorCode::kTxUnknownPayload, "the bank module has no payload kind '" +
                                                                    std::string(kind) + "' (it has: transfer)");
  }
  if (!fields.contains("to") || !fields.at("to").is_string()) return malformed("payload.to must be an address");
  auto to = crypto::Address::parse(fields.at("to").get<std::string>());
  if (!to.ok()) return malformed("payload.to: " + to.error().message);
  if (!fields.contains("amount")) return malformed("payload.amount is missing");
  MN_TRY_ASSIGN(const std::uint64_t amount, ledger::u64_from_json(fields.at("amount"), "payload.amount"));
  return core::encode(Transfer{*to, amount});
}

nlohmann::json Bank::payload_to_json(const ledger::Payload& payload) const {
  auto transfer = transfer_of(payload);
  if (!transfer.ok()) return {{"data", core::to_hex(payload.data)}};
  return {{"to", transfer->to.to_string()}, {"amount", ledger::u64_to_json(transfer->amount)}};
}

nlohmann::json Bank::event_to_json(const ledger::Event& event) const {
  if (event.kind == "transfer") {
    if (auto t = core::decode<TransferEvent>(event.data); t.ok()) {
      return {{"from", t->from.to_string()}, {"to", t->to.to_string()}, {"amount", ledger::u64_to_json(t->amount)}};
    }
  }
  return Module::event_to_json(event);
}

core::Result<core::Bytes> Bank::key_from_text(std::string_view text) const {
  if (text.size() == 64) return core::from_hex(text);
  MN_TRY_ASSIGN(const crypto::Address address, crypto::Address::parse(text));
  return core::Bytes(address.bytes.begin(), address.bytes.end());
}

nlohmann::json Bank::value_to_json(core::ByteView, core::ByteView value) const {
  auto account = core::decode<ledger::Account>(value);
  if (!account.ok()) return nullptr;
  return {{"balance", ledger::u64_to_json(account->balance)}, {"nonce", ledger::u64_to_json(account->nonce)}};
}

}  // namespace metanode::modules
