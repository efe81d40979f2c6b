// The ledger service's backend on a node: reads go to the chain, submissions to the transaction
// pool, gauges from the chain head, the pool, the runtime and the block counters.
#pragma once

#include <atomic>
#include <functional>

#include "node/runtime/consensus_runtime.hpp"
#include "node/tx_pool.hpp"
#include "services/ledger/ledger_service.hpp"

namespace metanode::node {

class NodeLedgerBackend final : public services::LedgerBackend {
 public:
  // `runtime_status` reads the runtime's status (zeros without one).
  NodeLedgerBackend(const ledger::Chain& chain, TxPool& pool, std::function<RuntimeStatus()> runtime_status,
                    bool has_runtime, crypto::PublicKey node_key, std::string role)
      : chain_(chain),
        pool_(pool),
        runtime_status_(std::move(runtime_status)),
        has_runtime_(has_runtime),
        node_key_(node_key),
        role_(std::move(role)) {}

  const ledger::Chain& chain() const override { return chain_; }
  core::Result<mempool::AdmitResult> submit(ledger::Transaction tx) override;
  std::vector<core::Result<mempool::AdmitResult>> submit_batch(std::vector<ledger::Transaction> txs) override;
  core::Result<std::uint64_t> next_nonce(const crypto::Address& address) const override {
    return pool_.next_nonce(address);
  }
  std::optional<ledger::Transaction> pending(const core::Hash32& hash) const override { return pool_.pending(hash); }
  std::optional<core::Error> dropped(const core::Hash32& hash) const override { return pool_.dropped(hash); }
  services::MempoolStatus mempool_status(std::size_t levels_max) const override;
  std::string metrics_text() const override;
  nlohmann::json node_identity() const override;

  // Block listener: counts blocks and committed transactions, times the commit.
  void on_block(const ledger::ProducedBlock& produced);

 private:
  const ledger::Chain& chain_;
  TxPool& pool_;
  std::function<RuntimeStatus()> runtime_status_;
  bool has_runtime_;
  crypto::PublicKey node_key_;
  std::string role_;
  std::atomic<std::uint64_t> blocks_applied_{0};
  std::atomic<std::uint64_t> txs_committed_{0};
  // When the newest block was applied here, and how long after its proposal time (unix ms).
  std::atomic<std::int64_t> last_commit_unix_ms_{0};
  std::atomic<std::int64_t> commit_latency_ms_{0};
};

}  // namespace metanode::node
