// A ledger node: the chain on disk, the auction mempool, the ledger API on port base+1, and the
// consensus runtime (node/consensus_runtime.hpp) with its XTMP links on base+4, which decides
// the blocks together with the other validators. Tests may instead run it as a single producer
// (NodeConfig::single_producer) and make blocks by hand with produce_once().
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "api/http_server.hpp"
#include "api/ledger_service.hpp"
#include "crypto/ed25519.hpp"
#include "ledger/chain.hpp"
#include "mempool/auction_mempool.hpp"
#include "modules/bank.hpp"
#include "node/config.hpp"
#include "node/consensus_runtime.hpp"

namespace metanode::node {

class LedgerNode final : public api::LedgerBackend, private RuntimeHost {
 public:
  static core::Result<std::unique_ptr<LedgerNode>> open(NodeConfig config, ledger::Genesis genesis,
                                                         crypto::KeyPair validator_key);
  ~LedgerNode() override;

  // Starts the API and the block producer; returns once both listen/run.
  core::Status start();
  // Stops accepting, finishes the block in progress, joins threads. Idempotent.
  void stop();

  std::uint16_t ledger_port() const { return server_ ? server_->port() : 0; }
  std::uint16_t xtmp_port() const { return runtime_ ? runtime_->xtmp_port() : 0; }
  // Consensus and link status (zeros for a single producer).
  RuntimeStatus runtime_status() const { return runtime_ ? runtime_->status() : RuntimeStatus{}; }
  const NodeConfig& config() const { return config_; }

  // api::LedgerBackend
  const ledger::Chain& chain() const override { return *chain_; }
  core::Result<mempool::AdmitResult> submit(ledger::Transaction tx) override;
  std::vector<core::Result<mempool::AdmitResult>> submit_batch(std::vector<ledger::Transaction> txs) override;
  core::Result<std::uint64_t> next_nonce(const crypto::Address& address) const override;
  std::optional<ledger::Transaction> pending(const core::Hash32& hash) const override;
  std::optional<core::Error> dropped(const core::Hash32& hash) const override;
  api::MempoolStatus mempool_status(std::size_t levels_max) const override;
  std::string metrics_text() const override;

  // Makes one block now from the mempool (the producer thread calls this every interval).
  // Safe to call from any thread: calls are serialised (the chain has a single producer).
  core::Result<std::optional<ledger::ProducedBlock>> produce_once();

 private:
  LedgerNode(NodeConfig config, crypto::KeyPair validator_key);
  void producer_loop();
  void remember_dropped(const core::Hash32& hash, core::Error error);
  std::vector<core::Result<mempool::AdmitResult>> admit_batch(std::vector<ledger::Transaction> txs, bool from_peer);
  core::Result<RuntimeConfig> runtime_config() const;

  // RuntimeHost
  std::vector<ledger::Transaction> propose(const ledger::AccountReader& state) override;
  bool has_pending() const override;
  std::vector<char> pending_exact(const std::vector<ledger::Transaction>& txs,
                                  const std::vector<core::Hash32>& hashes) const override;
  void on_applied(const ledger::ProducedBlock& produced) override;
  void admit_from_peer(std::vector<ledger::Transaction> txs) override;
  void post_work(std::function<void()> work) override;
  // Admits a transaction whose stateless checks passed; the mempool lock is held.
  core::Result<mempool::AdmitResult> admit_locked(ledger::Transaction tx, std::uint64_t base_fee);

  NodeConfig config_;
  crypto::KeyPair validator_key_;
  modules::Bank bank_;
  std::unique_ptr<ledger::Chain> chain_;

  mutable std::mutex mempool_mutex_;
  std::unique_ptr<mempool::AuctionMempool> mempool_;
  static constexpr std::size_t kDroppedRemembered = 100'000;
  std::unordered_map<core::Hash32, core::Error, mempool::Hash32Hasher> dropped_;
  std::deque<core::Hash32> dropped_order_;

  boost::asio::io_context io_;
  api::Router router_;
  api::HttpMetrics http_metrics_;
  api::EventHub events_;
  std::unique_ptr<api::HttpServer> server_;
  std::unique_ptr<ConsensusRuntime> runtime_;
  std::vector<std::thread> io_threads_;
  // Signature checks of submitted and gossiped batches (the threads that receive a batch wait
  // for its chunks; nothing else runs here, so a chunk never waits behind a waiting thread).
  static constexpr std::size_t kVerifyThreads = 2;
  static constexpr std::size_t kVerifyChunkTxsMin = 16;
  boost::asio::thread_pool verify_pool_{kVerifyThreads};
  std::thread producer_;
  std::mutex producer_mutex_;
  // Held for the whole of produce_once: two blocks built at once would both extend the same
  // parent and overwrite each other's height (ledger::Chain::produce_block needs one caller).
  std::mutex produce_mutex_;
  std::condition_variable producer_wake_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;

  std::atomic<std::uint64_t> txs_committed_{0};
  std::atomic<std::uint64_t> txs_submitted_{0};
  std::atomic<std::uint64_t> txs_rejected_{0};
  std::atomic<std::uint64_t> blocks_produced_{0};
  std::atomic<std::uint64_t> txs_gossiped_in_{0};
  std::atomic<std::uint64_t> txs_gossip_refused_{0};
};

}  // namespace metanode::node
