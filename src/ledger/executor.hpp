// The executor: applies a block's transactions to keyed state, deterministically, through the
// module set. What is generic lives here (stateless checks, the order of steps, the overlays
// that drop a failed payload's writes, receipts); what a transaction pays and how nonces advance
// belong to the accounts module, and what a payload does to its module.
//
// A transaction is valid in a block when its stateless checks (its own and its module's) pass
// and the accounts module accepts its sender (nonce, fee). A valid transaction always pays its
// fee and consumes its nonce; if its payload then fails (say, the amount exceeds the balance)
// nothing else changes and the receipt says why. Consensus-critical; what the mempool admits is
// policy and lives above.
#pragma once

#include <optional>
#include <vector>

#include "core/result.hpp"
#include "ledger/block.hpp"
#include "ledger/module.hpp"
#include "ledger/state.hpp"
#include "ledger/transaction.hpp"

namespace metanode::ledger {

enum class ExecutionMode {
  kBuild,   // proposing: invalid candidates are left out (reported in `rejected`)
  kVerify,  // validating a block: any invalid transaction makes the whole block invalid
};

struct ExecutionResult {
  std::vector<Transaction> txs;  // the transactions in the block, in order
  std::vector<Receipt> receipts;
  StateChanges changed;  // final value of every written entry, by tree key
  std::vector<std::pair<core::Hash32, core::Error>> rejected;  // kBuild only
  FeeTotals fees;
};

class Executor {
 public:
  explicit Executor(ModuleSet modules) : modules_(std::move(modules)) {}

  // Runs the modules' begin-block hooks, the transactions, then the end-block hooks.
  core::Result<ExecutionResult> execute(const StateReader& state, std::vector<Transaction> txs,
                                        const BlockContext& block, ExecutionMode mode) const;

  // Block validity of one transaction against `state` (what kBuild filters on); the fee it pays.
  core::Result<std::uint64_t> check_valid(const Transaction& tx, const StateReader& state,
                                          const BlockContext& block) const {
    return check_valid(tx, tx.sender(), state, block);
  }

  const ModuleSet& modules() const { return modules_; }

 private:
  core::Result<std::uint64_t> check_valid(const Transaction& tx, const crypto::Address& sender,
                                          const StateReader& state, const BlockContext& block) const;
  // Fee, nonce and payload of one valid transaction; its receipt.
  core::Result<Receipt> apply_one(const Transaction& tx, const crypto::Address& sender, std::uint64_t fee,
                                  const BlockContext& block,
                                  StateOverlay& block_state, FeeTotals& fees) const;
  core::Status run_block_hooks(bool begin, const BlockContext& block, const FeeTotals& fees, StateOverlay& state) const;

  ModuleSet modules_;
};

}  // namespace metanode::ledger
