#include "node/tx_pool.hpp"

#include <spdlog/spdlog.h>

#include <sstream>

namespace metanode::node {

TxPool::TxPool(mempool::MempoolConfig config, TxPoolLimits limits, const ledger::Chain& chain,
               SignatureChecks& signatures)
    : config_(config), limits_(limits), chain_(chain), signatures_(signatures), mempool_(std::move(config)) {}

std::vector<std::optional<core::Error>> TxPool::check_before_pool(const std::vector<ledger::Transaction>& txs) {
  // Stage "known": each transaction's signatures are verified once per node, not again when the
  // very same transaction is pending already or was verified in a proposal (gossip often arrives
  // after the proposal that carries it).
  std::vector<core::Hash32> hashes(txs.size());
  for (std::size_t i = 0; i < txs.size(); ++i) hashes[i] = txs[i].hash();
  std::vector<char> known = pending_exact(txs, hashes);
  std::vector<std::optional<core::Error>> refused(txs.size());
  std::vector<SignatureChecks::Item> to_verify;
  const ledger::ChainBinding chain = chain_.binding();
  for (std::size_t i = 0; i < txs.size(); ++i) {
    const ledger::Transaction& tx = txs[i];
    core::Hash32 key{};
    if (!known[i]) {
      key = SignatureChecks::key_of(tx);
      known[i] = signatures_.verified(key) ? 1 : 0;
    }
    const crypto::Address sender = tx.sender();
    // Stage "stateless".
    if (auto st = chain_.modules().check_stateless(tx, sender, chain, /*verify_signatures=*/false); !st.ok()) {
      refused[i] = std::move(st).error();
      continue;
    }
    if (known[i]) continue;
    // Stage "nonce": a used nonce would be refused anyway; refuse it before the signature work.
    const auto account = chain_.account(sender);
    if (account.ok() && account->nonce > tx.nonce) {
      refused[i] = core::make_error(core::ErrorCode::kTxNonceTooLow, "nonce " + std::to_string(tx.nonce) +
                                                                         " is used already: account nonce is " +
                                                                         std::to_string(account->nonce));
      continue;
    }
    to_verify.push_back({i, key});
  }
  // Stage "signature": a batch is spread over the admission lane's threads, so its transactions
  // reach the mempool (and the other validators) in a fraction of the time one thread takes.
  const auto verified = signatures_.verify_and_wait(SignatureChecks::Lane::kAdmission, chain_.genesis_digest(), txs, to_verify);
  for (std::size_t k = 0; k < to_verify.size(); ++k) {
    if (!verified[k].ok()) refused[to_verify[k].index] = verified[k].error();
  }
  return refused;
}

std::vector<core::Result<mempool::AdmitResult>> TxPool::admit(std::vector<ledger::Transaction> txs, Source source) {
  const bool from_peer = source == Source::kPeer;
  (from_peer ? gossiped_in_ : submitted_).fetch_add(txs.size(), std::memory_order_relaxed);
  std::vector<std::optional<core::Error>> refused = check_before_pool(txs);
  std::vector<core::Result<mempool::AdmitResult>> results;
  results.reserve(txs.size());
  std::vector<ledger::Transaction> admitted;
  const std::uint64_t base_fee = chain_.head().base_fee_next;
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < txs.size(); ++i) {
      if (refused[i]) {
        if (!from_peer) rejected_.fetch_add(1, std::memory_order_relaxed);
        results.emplace_back(std::move(*refused[i]));
        continue;
      }
      // Stage "pool".
      if (from_peer || !on_admitted_) {
        results.push_back(admit_locked(std::move(txs[i]), base_fee));
        continue;
      }
      ledger::Transaction copy = txs[i];
      results.push_back(admit_locked(std::move(txs[i]), base_fee));
      if (results.back().ok()) admitted.push_back(std::move(copy));
    }
  }
  if (from_peer) count_peer_refusals(results);
  if (on_admitted_ && !from_peer) on_admitted_(admitted);
  return results;
}

void TxPool::count_peer_refusals(const std::vector<core::Result<mempool::AdmitResult>>& results) {
  // Refusals that say a peer sent something no honest node admits (not merely a transaction
  // committed or pending already) are counted and logged.
  for (const auto& r : results) {
    if (r.ok()) continue;
    const auto code = r.error().code;
    if (code == core::ErrorCode::kMempoolDuplicate || code == core::ErrorCode::kTxNonceTooLow) continue;
    gossip_refused_.fetch_add(1, std::memory_order_relaxed);
    if (mempool::refusal_of(code).rule == "consensus" && code != core::ErrorCode::kTxFeeTooLow) {
      spdlog::warn("gossiped transaction refused: {}", r.error().to_string());
    }
  }
}

core::Result<mempool::AdmitResult> TxPool::admit_locked(ledger::Transaction tx, std::uint64_t base_fee) {
  // check_before_pool ran the stateless stage and the signatures on every transaction that gets here.
  auto admitted = mempool_.admit(std::move(tx), chain_, base_fee, /*signature_verified=*/true, /*stateless_checked=*/true);
  if (!admitted.ok()) {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    return admitted;
  }
  for (const auto& evicted : admitted->evicted) {
    remember_dropped(evicted, core::make_error(core::ErrorCode::kMempoolEvicted,
                                               "evicted from a full mempool by a higher bid"));
  }
  return admitted;
}

void TxPool::remember_dropped(const core::Hash32& hash, core::Error error) {
  if (dropped_.size() >= kDroppedRememberedMax && !dropped_order_.empty()) {
    dropped_.erase(dropped_order_.front());
    dropped_order_.pop_front();
  }
  if (dropped_.insert_or_assign(hash, std::move(error)).second) dropped_order_.push_back(hash);
}

void TxPool::on_block(const ledger::ProducedBlock& produced) {
  std::lock_guard lock(mutex_);
  mempool_.remove_committed(produced.stored.block.txs, chain_);
  // Candidates the executor left out (say, a fee the balance no longer covers) leave the pool
  // with their reason, so submitters can see why. A nonce gap is not final: under consensus a
  // proposal may skip a sender's earlier transaction, which a later block includes.
  for (const auto& [hash, error] : produced.rejected) {
    if (error.code == core::ErrorCode::kTxNonceGap) continue;
    mempool_.remove(hash);
    remember_dropped(hash, error);
  }
}

std::vector<ledger::Transaction> TxPool::propose(const ledger::AccountReader& state) const {
  const std::uint64_t base_fee = chain_.head().base_fee_next;
  std::lock_guard lock(mutex_);
  return mempool_.propose(limits_.block_txs_max, limits_.block_bytes_max, state, base_fee);
}

bool TxPool::has_pending() const {
  std::lock_guard lock(mutex_);
  return mempool_.size() > 0;
}

std::vector<char> TxPool::pending_exact(const std::vector<ledger::Transaction>& txs,
                                        const std::vector<core::Hash32>& hashes) const {
  std::vector<char> out(txs.size(), 0);
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < txs.size(); ++i) out[i] = mempool_.holds(txs[i], hashes[i]) ? 1 : 0;
  return out;
}

core::Result<std::uint64_t> TxPool::next_nonce(const crypto::Address& address) const {
  std::lock_guard lock(mutex_);
  return mempool_.next_nonce(address, chain_);
}

std::vector<ledger::Transaction> TxPool::pending_in_nonce_order(std::size_t count_max) const {
  std::lock_guard lock(mutex_);
  return mempool_.in_nonce_order(count_max);
}

std::optional<ledger::Transaction> TxPool::pending(const core::Hash32& hash) const {
  std::lock_guard lock(mutex_);
  return mempool_.get(hash);
}

std::optional<core::Error> TxPool::dropped(const core::Hash32& hash) const {
  std::lock_guard lock(mutex_);
  auto it = dropped_.find(hash);
  if (it == dropped_.end()) return std::nullopt;
  return it->second;
}

TxPool::Status TxPool::status(std::size_t levels_max) const {
  Status s;
  std::lock_guard lock(mutex_);
  s.pending = mempool_.size();
  s.bytes = mempool_.bytes();
  s.ladder = mempool_.bid_ladder(levels_max);
  return s;
}

std::string TxPool::metrics_text() const {
  const Status s = status(0);
  std::ostringstream out;
  auto gauge = [&out](const char* name, const char* help, const char* type, auto value) {
    out << "# HELP metanode_" << name << " " << help << "\n# TYPE metanode_" << name << " " << type << "\n"
        << "metanode_" << name << " " << value << "\n";
  };
  gauge("txs_submitted_total", "Transactions submitted to this node.", "counter", submitted_.load());
  gauge("txs_rejected_total", "Submissions refused at admission.", "counter", rejected_.load());
  gauge("mempool_size", "Pending transactions.", "gauge", s.pending);
  gauge("mempool_bytes", "Bytes of pending transactions.", "gauge", s.bytes);
  gauge("txs_gossiped_in_total", "Transactions received from peers.", "counter", gossiped_in_.load());
  gauge("txs_gossip_refused_total", "Gossiped transactions refused (bad signature, malformed, mempool full, ...).",
        "counter", gossip_refused_.load());
  return out.str();
}

}  // namespace metanode::node
