// The node's pending transactions: the auction mempool behind one lock, what recently left it and
// why, and admission. Admission runs in named stages, cheapest first, and every refusal says
// whether a consensus rule (the transaction can never be in a block as it is) or this node's
// policy (the mempool's choice: room, bids, quotas) refused it:
//
//   known      the exact transaction is pending, or its signatures were verified here already
//   stateless  chain id, sizes, the payload's module checks               (consensus)
//   nonce      a nonce the account has used already, before any signature work (consensus)
//   signature  on the admission lane of SignatureChecks                   (consensus)
//   pool       the auction mempool's policy; then what the sender can pay (policy / consensus)
//
// Thread-safe.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ledger/chain.hpp"
#include "mempool/auction_mempool.hpp"
#include "mempool/refusal.hpp"
#include "node/signature_checks.hpp"

namespace metanode::node {

struct TxPoolLimits {
  std::size_t block_txs_max = 20'000;       // a proposal's transactions
  std::size_t block_bytes_max = 8u << 20;   // a proposal's encoded bytes
};

class TxPool {
 public:
  enum class Source { kClient, kPeer };

  TxPool(mempool::MempoolConfig config, TxPoolLimits limits, const ledger::Chain& chain, SignatureChecks& signatures);

  // Admits a batch (submitted or gossiped); one result per transaction, in order. Admitted
  // client transactions go to `on_admitted` (gossip), not those a peer sent (it sent them to
  // everyone already).
  std::vector<core::Result<mempool::AdmitResult>> admit(std::vector<ledger::Transaction> txs, Source source);
  void set_on_admitted(std::function<void(const std::vector<ledger::Transaction>&)> on_admitted) {
    on_admitted_ = std::move(on_admitted);
  }

  // Block listener: committed transactions leave the pool; candidates the executor left out
  // leave it with their reason (but a nonce gap, which a later block may fill).
  void on_block(const ledger::ProducedBlock& produced);

  // The best transactions for a block on `state`.
  std::vector<ledger::Transaction> propose(const ledger::AccountReader& state) const;
  bool has_pending() const;
  // For each transaction: whether this exact transaction (signatures included) is pending, so
  // its signatures were verified on admission. hashes[i] is txs[i].hash().
  std::vector<char> pending_exact(const std::vector<ledger::Transaction>& txs,
                                  const std::vector<core::Hash32>& hashes) const;

  core::Result<std::uint64_t> next_nonce(const crypto::Address& address) const;
  std::optional<ledger::Transaction> pending(const core::Hash32& hash) const;
  // Up to count_max pending transactions, by sender and nonce (AuctionMempool::in_nonce_order).
  std::vector<ledger::Transaction> pending_in_nonce_order(std::size_t count_max) const;
  // Why a transaction left the pool (evicted, left out of a block), if it did so recently.
  std::optional<core::Error> dropped(const core::Hash32& hash) const;

  struct Status {
    std::size_t pending = 0;
    std::size_t bytes = 0;
    std::vector<mempool::BidLevel> ladder;
  };
  Status status(std::size_t levels_max) const;
  const mempool::MempoolConfig& config() const { return config_; }
  // Prometheus text of the pool's gauges and counters.
  std::string metrics_text() const;

 private:
  // Stages known .. signature for the batch: per transaction, the refusal or nothing.
  std::vector<std::optional<core::Error>> check_before_pool(const std::vector<ledger::Transaction>& txs);
  core::Result<mempool::AdmitResult> admit_locked(ledger::Transaction tx, std::uint64_t base_fee);
  void remember_dropped(const core::Hash32& hash, core::Error error);
  void count_peer_refusals(const std::vector<core::Result<mempool::AdmitResult>>& results);

  const mempool::MempoolConfig config_;
  const TxPoolLimits limits_;
  const ledger::Chain& chain_;
  SignatureChecks& signatures_;
  std::function<void(const std::vector<ledger::Transaction>&)> on_admitted_;

  mutable std::mutex mutex_;
  mempool::AuctionMempool mempool_;
  static constexpr std::size_t kDroppedRememberedMax = 100'000;
  std::unordered_map<core::Hash32, core::Error, mempool::Hash32Hasher> dropped_;
  std::deque<core::Hash32> dropped_order_;

  std::atomic<std::uint64_t> submitted_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> gossiped_in_{0};
  std::atomic<std::uint64_t> gossip_refused_{0};
};

}  // namespace metanode::node
