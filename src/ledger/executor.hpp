// The executor: applies a block's transactions to state, deterministically. Consensus-critical
// rules live here (what makes a transaction valid in a block, how fees move); what the mempool
// admits is policy and lives above.
//
// A transaction is valid in a block when its stateless checks pass, its nonce equals the
// sender's account nonce, its max fee covers the base fee and the sender can pay the fee.
// A valid transaction always pays its fee and consumes its nonce; if its payload then fails
// (say, the amount exceeds the balance) nothing else changes and the receipt says why.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "core/result.hpp"
#include "ledger/account.hpp"
#include "ledger/block.hpp"
#include "ledger/transaction.hpp"

namespace metanode::ledger {

// Account reads through a base state plus buffered writes; child overlays let a payload's
// changes be dropped when it fails.
class StateOverlay final : public AccountReader {
 public:
  explicit StateOverlay(const AccountReader& base) : base_(base) {}
  // Not copyable: `StateOverlay child(parent)` must layer over the parent, never copy it (a copy
  // would silently carry all of the parent's writes, and merging it back costs O(block)).
  StateOverlay(const StateOverlay&) = delete;
  StateOverlay& operator=(const StateOverlay&) = delete;
  core::Result<Account> account(const crypto::Address& address) const override;
  void set(const crypto::Address& address, const Account& account) { changes_[address] = account; }
  // Moves this overlay's writes into `parent` (the overlay this one reads through).
  void merge_into(StateOverlay& parent) const;
  const std::map<crypto::Address, Account>& changes() const { return changes_; }

 private:
  const AccountReader& base_;
  std::map<crypto::Address, Account> changes_;
};

// Runs a transaction's payload. The bank module implements transfers; later modules add kinds.
class PayloadHandler {
 public:
  virtual ~PayloadHandler() = default;
  // Apply tx's payload to `state` (fee and nonce already taken). An error fails the payload:
  // the caller drops `state`'s changes and records the error in the receipt.
  virtual core::Status apply(const Transaction& tx, const crypto::Address& sender, StateOverlay& state,
                             std::vector<Event>& events) const = 0;
};

struct BlockParams {
  std::string chain_id;
  std::uint64_t base_fee = 0;
  crypto::Address proposer;  // receives the bids (tips); the base fee is burned
  bool verify_signatures = true;  // false only for transactions whose signatures were checked at admission
};

enum class ExecutionMode {
  kBuild,   // proposing: invalid candidates are left out (reported in `rejected`)
  kVerify,  // validating a block: any invalid transaction makes the whole block invalid
};

struct ExecutionResult {
  std::vector<Transaction> txs;  // the transactions in the block, in order
  std::vector<Receipt> receipts;
  std::map<crypto::Address, Account> changed;  // final state of every touched account
  std::vector<std::pair<core::Hash32, core::Error>> rejected;  // kBuild only
  std::uint64_t fees_burned = 0;
  std::uint64_t tips_paid = 0;
};

class Executor {
 public:
  explicit Executor(const PayloadHandler& handler) : handler_(handler) {}

  core::Result<ExecutionResult> execute(const AccountReader& state, std::vector<Transaction> txs,
                                        const BlockParams& params, ExecutionMode mode) const;

  // Block validity of one transaction against `state` (what kBuild filters on); the fee it pays.
  core::Result<std::uint64_t> check_valid(const Transaction& tx, const AccountReader& state,
                                          const BlockParams& params) const;

 private:
  const PayloadHandler& handler_;
};

}  // namespace metanode::ledger
