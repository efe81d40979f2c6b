// The Module interface and the module set. A module is a plain, stateless object (everything it
// knows is in its namespace of keyed state) that declares the payload kinds it runs, how its
// genesis section seeds its state, what it does at the start and end of every block, the events
// it emits and the JSON forms of all of these. The executor, the mempool, the submission API and
// CLI signing know only this interface, so adding a module changes none of them: the module's
// folder under src/modules/ and one line in modules/module_set.cpp.
//
// Consensus-critical: check_payload, apply, init_genesis, begin_block and end_block must be
// deterministic functions of their inputs (no clocks, randomness, I/O or iteration over
// unordered containers). The JSON functions are presentation only.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "crypto/address.hpp"
#include "ledger/block.hpp"
#include "ledger/genesis.hpp"
#include "ledger/state.hpp"
#include "ledger/transaction.hpp"

namespace metanode::ledger {

// Reads a u64 given as a JSON number or a decimal string (JSON numbers lose precision above
// 2^53 in many clients); kTxMalformed naming `field` otherwise. For modules' JSON mappings.
core::Result<std::uint64_t> u64_from_json(const nlohmann::json& value, std::string_view field);
// A u64 as JSON writes it: a decimal string, so a JavaScript client's JSON.parse cannot round
// it (2^53 and above). Amounts, balances, fees and nonces go out this way; u64_from_json takes
// either form.
nlohmann::json u64_to_json(std::uint64_t value);

// The block being executed, as modules see it.
struct BlockContext {
  ChainBinding chain;  // the name transactions carry and the genesis digest they sign
  std::uint64_t height = 0;
  std::int64_t timestamp_unix_ms = 0;
  std::uint64_t base_fee = 0;
  crypto::Address proposer;  // the block's proposer (receives tips)
  // False only for transactions whose signatures were checked at admission (not for modules).
  bool verify_signatures = true;
};

// Native-token movements of a module other than the accounts module (rewards, stake): each runs
// through the accounts module on the same state as the module's own writes, so a payload that
// fails drops them with its writes. Amounts never appear from nothing: whatever a module
// credits it debited, or it is the fee pool or issuance the economics module accounts for.
class Tokens {
 public:
  virtual ~Tokens() = default;
  virtual core::Result<std::uint64_t> balance(const crypto::Address& address) const = 0;
  virtual core::Status credit(const crypto::Address& address, std::uint64_t amount) = 0;
  // kTxInsufficientBalance when the balance is smaller.
  virtual core::Status debit(const crypto::Address& address, std::uint64_t amount) = 0;
};

// One transaction whose fee is paid, as the module that runs its payload sees it.
struct TxContext {
  const Transaction& tx;
  const crypto::Address& sender;
  std::uint64_t fee = 0;
  const BlockContext& block;
  Tokens* tokens = nullptr;  // always set by the executor
};

// The fees one block's transactions paid, collected by the accounts module: the base fee part
// and the tips. The economics module's end-block splits them (burn, treasury, proposer,
// validators).
struct FeeTotals {
  std::uint64_t base_fees = 0;
  std::uint64_t tips = 0;
};

// What a module's end-block hook sees: the block, its collected fees, and the token movements
// it may make (to pay them out).
struct BlockEnd {
  const BlockContext& block;
  const FeeTotals& fees;
  Tokens& tokens;
};

class Module {
 public:
  virtual ~Module() = default;

  // The module's id: unique in a set, 1-32 of [a-z0-9_]; its namespace in state, and the
  // `module` of its payloads and events.
  virtual std::string_view name() const = 0;
  // The payload kinds it runs (for documentation and error messages).
  virtual std::vector<std::string_view> payload_kinds() const = 0;

  // Stateless checks of one payload addressed to this module: the kind exists
  // (kTxUnknownPayload otherwise), the data decodes canonically with no trailing bytes and
  // makes sense without state (kTxMalformed).
  virtual core::Status check_payload(const Payload& payload, const crypto::Address& sender) const = 0;
  // Runs a payload that passed check_payload, after the fee was taken. An error fails only the
  // payload: its writes are dropped and the receipt records the error; the fee stands.
  virtual core::Status apply(const TxContext& tx, ModuleState& state, std::vector<Event>& events) const = 0;

  // Block 0: the module's initial entries from the genesis file (its section, if any, is
  // genesis.module_section(name())).
  virtual core::Status init_genesis(const Genesis& genesis, ModuleState& state) const;
  // Before the first and after the last transaction of every block (height >= 1). An error
  // makes the block invalid: a hook must fail only on a storage error or a broken invariant.
  virtual core::Status begin_block(const BlockContext& block, ModuleState& state) const;
  virtual core::Status end_block(const BlockEnd& end, ModuleState& state) const;

  // JSON: the fields of a payload of `kind` (beside "module" and "kind") to its bytes
  // (kTxMalformed naming the field), and back.
  virtual core::Result<core::Bytes> payload_from_json(std::string_view kind, const nlohmann::json& fields) const = 0;
  virtual nlohmann::json payload_to_json(const Payload& payload) const = 0;
  // The fields of one of its events (default: {"data": hex}).
  virtual nlohmann::json event_to_json(const Event& event) const;
  // A state key as written in a URL (default: hex), and a stored value as JSON (default: null,
  // and the API shows the value's hex only).
  virtual core::Result<core::Bytes> key_from_text(std::string_view text) const;
  virtual nlohmann::json value_to_json(core::ByteView key, core::ByteView value) const;
};

// The module that owns accounts: the nonce that orders a sender's transactions and the fee every
// transaction pays, whatever module runs its payload. Exactly one per set (bank), since an
// account's balance and nonce are one record.
class AccountsModule : public Module {
 public:
  // Block validity of the sender's side: the nonce is the account's next, max_fee covers the
  // base fee, the balance pays the fee. Returns the fee (kTxNonceTooLow, kTxNonceGap,
  // kTxFeeTooLow, kTxInsufficientBalance).
  virtual core::Result<std::uint64_t> check_sender(const Transaction& tx, const crypto::Address& sender,
                                                   const BlockContext& block, const StateReader& state) const = 0;
  // Takes the fee into the block's totals and consumes the nonce (check_sender passed on this
  // state); the economics module's end-block pays the totals out.
  virtual core::Status charge(const Transaction& tx, const crypto::Address& sender, std::uint64_t fee,
                              const BlockContext& block, ModuleState& state, FeeTotals& totals) const = 0;
  // The token movements behind Tokens, on the accounts module's own state.
  virtual core::Result<std::uint64_t> balance_of(const ModuleState& state, const crypto::Address& address) const = 0;
  virtual core::Status credit(ModuleState& state, const crypto::Address& address, std::uint64_t amount) const = 0;
  virtual core::Status debit(ModuleState& state, const crypto::Address& address, std::uint64_t amount) const = 0;
  // The base fee of the block after one with `base_fee` and `tx_count` transactions.
  virtual std::uint64_t base_fee_next(std::uint64_t base_fee, std::uint32_t tx_count, const Genesis& genesis) const = 0;
};

// The modules a chain runs: the accounts module first, then the others in a fixed order (the
// order their block hooks run in). Copies share the modules.
class ModuleSet {
 public:
  // kInvalidArgument for an invalid or repeated name.
  static core::Result<ModuleSet> create(std::shared_ptr<const AccountsModule> accounts,
                                        std::vector<std::shared_ptr<const Module>> others);

  const AccountsModule& accounts() const { return *accounts_; }
  const std::vector<std::shared_ptr<const Module>>& all() const { return all_; }
  // nullptr when no module has that name.
  const Module* find(std::string_view name) const;
  // The module of a payload; kTxUnknownPayload naming the modules there are.
  core::Result<const Module*> module_for(const Payload& payload) const;

  // Every stateless check of a transaction: Transaction::check_stateless (or, when
  // verify_signatures is false, without the signatures) and then its module's check_payload.
  core::Status check_stateless(const Transaction& tx, const ChainBinding& chain, bool verify_signatures = true) const {
    return check_stateless(tx, tx.sender(), chain, verify_signatures);
  }
  // The same for a caller that has the sender's address already (hashing it is not free).
  core::Status check_stateless(const Transaction& tx, const crypto::Address& sender, const ChainBinding& chain,
                               bool verify_signatures) const;

 private:
  std::shared_ptr<const AccountsModule> accounts_;
  std::vector<std::shared_ptr<const Module>> all_;
};

}  // namespace metanode::ledger
