#include "node/ledger_node.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <sstream>

#include "core/clock.hpp"

namespace metanode::node {

LedgerNode::LedgerNode(NodeConfig config, crypto::KeyPair validator_key)
    : config_(std::move(config)), validator_key_(std::move(validator_key)) {}

core::Result<std::unique_ptr<LedgerNode>> LedgerNode::open(NodeConfig config, ledger::Genesis genesis,
                                                           crypto::KeyPair validator_key) {
  std::unique_ptr<LedgerNode> node(new LedgerNode(std::move(config), std::move(validator_key)));
  const auto keys = genesis.validator_keys();
  if (std::find(keys.begin(), keys.end(), node->validator_key_.public_key()) == keys.end()) {
    return core::make_error(core::ErrorCode::kInvalidArgument,
                            "key '" + node->config_.validator_key + "' is not a validator in the genesis file");
  }
  node->config_.mempool.chain_id = genesis.chain_id;
  MN_TRY_ASSIGN(node->chain_, ledger::Chain::open(node->config_.resolve(node->config_.data_dir), genesis, node->bank_));
  node->mempool_ = std::make_unique<mempool::AuctionMempool>(node->config_.mempool);
  return node;
}

LedgerNode::~LedgerNode() { stop(); }

core::Status LedgerNode::start() {
  api::add_ledger_routes(router_, *this, http_metrics_);
  api::HttpLimits limits;
  limits.body_bytes_max = api::kSubmitBodyBytesMax;
  limits.body_bytes_max_by_path["/v1/txs/batch"] = api::kBatchBodyBytesMax;
  server_ = std::make_unique<api::HttpServer>(io_, router_, limits, http_metrics_);
  server_->add_websocket("/v1/events", events_);
  MN_TRY(server_->listen(config_.listen_address, config_.ledger_port()));
  started_ = true;
  for (std::size_t i = 0; i < config_.http_threads; ++i) {
    io_threads_.emplace_back([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
  producer_ = std::thread([this] { producer_loop(); });
  return {};
}

void LedgerNode::stop() {
  if (!started_) return;
  started_ = false;
  stopping_ = true;
  producer_wake_.notify_all();
  if (producer_.joinable()) producer_.join();
  if (server_) server_->stop();
  io_.stop();
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
  server_.reset();
}

core::Result<mempool::AdmitResult> LedgerNode::submit(ledger::Transaction tx) {
  auto results = submit_batch({std::move(tx)});
  return std::move(results.front());
}

std::vector<core::Result<mempool::AdmitResult>> LedgerNode::submit_batch(std::vector<ledger::Transaction> txs) {
  txs_submitted_.fetch_add(txs.size(), std::memory_order_relaxed);
  std::vector<core::Result<mempool::AdmitResult>> results;
  results.reserve(txs.size());
  // Signatures are checked here, on the HTTP threads (in parallel), outside the mempool lock;
  // the mempool and the block producer then trust them.
  std::vector<std::optional<core::Error>> stateless(txs.size());
  for (std::size_t i = 0; i < txs.size(); ++i) {
    if (auto st = txs[i].check_stateless(chain_->genesis().chain_id); !st.ok()) stateless[i] = std::move(st).error();
  }
  const std::uint64_t base_fee = chain_->head().base_fee_next;
  std::lock_guard lock(mempool_mutex_);
  for (std::size_t i = 0; i < txs.size(); ++i) {
    if (stateless[i]) {
      txs_rejected_.fetch_add(1, std::memory_order_relaxed);
      results.emplace_back(std::move(*stateless[i]));
      continue;
    }
    results.push_back(admit_locked(std::move(txs[i]), base_fee));
  }
  return results;
}

core::Result<mempool::AdmitResult> LedgerNode::admit_locked(ledger::Transaction tx, std::uint64_t base_fee) {
  auto admitted = mempool_->admit(std::move(tx), *chain_, base_fee, /*signature_verified=*/true);
  if (!admitted.ok()) {
    txs_rejected_.fetch_add(1, std::memory_order_relaxed);
    return admitted;
  }
  for (const auto& evicted : admitted->evicted) {
    remember_dropped(evicted, core::make_error(core::ErrorCode::kMempoolEvicted,
                                               "evicted from a full mempool by a higher bid"));
  }
  return admitted;
}

void LedgerNode::remember_dropped(const core::Hash32& hash, core::Error error) {
  if (dropped_.size() >= kDroppedRemembered && !dropped_order_.empty()) {
    dropped_.erase(dropped_order_.front());
    dropped_order_.pop_front();
  }
  if (dropped_.insert_or_assign(hash, std::move(error)).second) dropped_order_.push_back(hash);
}

core::Result<std::uint64_t> LedgerNode::next_nonce(const crypto::Address& address) const {
  std::lock_guard lock(mempool_mutex_);
  return mempool_->next_nonce(address, *chain_);
}

std::optional<ledger::Transaction> LedgerNode::pending(const core::Hash32& hash) const {
  std::lock_guard lock(mempool_mutex_);
  return mempool_->get(hash);
}

std::optional<core::Error> LedgerNode::dropped(const core::Hash32& hash) const {
  std::lock_guard lock(mempool_mutex_);
  auto it = dropped_.find(hash);
  if (it == dropped_.end()) return std::nullopt;
  return it->second;
}

api::MempoolStatus LedgerNode::mempool_status(std::size_t levels_max) const {
  api::MempoolStatus s;
  s.base_fee = chain_->head().base_fee_next;
  s.bid_min = config_.mempool.bid_min;
  std::lock_guard lock(mempool_mutex_);
  s.pending = mempool_->size();
  s.bytes = mempool_->bytes();
  s.ladder = mempool_->bid_ladder(levels_max);
  return s;
}

std::string LedgerNode::metrics_text() const {
  const auto head = chain_->head();
  std::size_t pending = 0;
  std::size_t bytes = 0;
  {
    std::lock_guard lock(mempool_mutex_);
    pending = mempool_->size();
    bytes = mempool_->bytes();
  }
  std::ostringstream out;
  auto gauge = [&out](const char* name, const char* help, const char* type, auto value) {
    out << "# HELP metanode_" << name << " " << help << "\n# TYPE metanode_" << name << " " << type << "\n"
        << "metanode_" << name << " " << value << "\n";
  };
  gauge("block_height", "Height of the latest committed block.", "gauge", head.height);
  gauge("base_fee", "Base fee of the next block.", "gauge", head.base_fee_next);
  gauge("txs_committed_total", "Transactions committed in blocks by this node.", "counter", txs_committed_.load());
  gauge("txs_submitted_total", "Transactions submitted to this node.", "counter", txs_submitted_.load());
  gauge("txs_rejected_total", "Submissions refused at admission.", "counter", txs_rejected_.load());
  gauge("blocks_produced_total", "Blocks produced by this node.", "counter", blocks_produced_.load());
  gauge("mempool_size", "Pending transactions.", "gauge", pending);
  gauge("mempool_bytes", "Bytes of pending transactions.", "gauge", bytes);
  gauge("event_subscribers", "WebSocket subscribers of /v1/events.", "gauge", events_.subscribers());
  return out.str();
}

core::Result<std::optional<ledger::ProducedBlock>> LedgerNode::produce_once() {
  std::lock_guard produce_lock(produce_mutex_);
  const auto head = chain_->head();
  std::vector<ledger::Transaction> candidates;
  {
    std::lock_guard lock(mempool_mutex_);
    candidates = mempool_->propose(config_.block_txs_max, config_.block_bytes_max, *chain_, head.base_fee_next);
  }
  if (candidates.empty() && !config_.empty_blocks) return std::optional<ledger::ProducedBlock>{};
  MN_TRY_ASSIGN(auto produced, chain_->produce_block(std::move(candidates), core::SystemClock().now_unix_ms(),
                                                     validator_key_, /*signatures_verified=*/true));
  {
    std::lock_guard lock(mempool_mutex_);
    mempool_->remove_committed(produced.stored.block.txs, *chain_);
    // Candidates the executor left out (say, a fee the balance no longer covers) leave the pool
    // with their reason, so submitters can see why.
    for (const auto& [hash, error] : produced.rejected) {
      mempool_->remove(hash);
      remember_dropped(hash, error);
    }
  }
  blocks_produced_.fetch_add(1, std::memory_order_relaxed);
  txs_committed_.fetch_add(produced.stored.block.txs.size(), std::memory_order_relaxed);
  const auto& h = produced.stored.block.header;
  nlohmann::json event = {{"type", "block"},
                          {"height", h.height},
                          {"hash", core::to_hex(produced.stored.commit.block_hash)},
                          {"tx_count", h.tx_count},
                          {"timestamp_unix_ms", h.timestamp_unix_ms},
                          {"state_root", core::to_hex(h.state_root)},
                          {"base_fee", h.base_fee}};
  events_.publish(event.dump());
  return std::optional<ledger::ProducedBlock>{std::move(produced)};
}

void LedgerNode::producer_loop() {
  auto next = std::chrono::steady_clock::now();
  while (!stopping_) {
    next += std::chrono::milliseconds(config_.block_interval_ms);
    {
      std::unique_lock lock(producer_mutex_);
      producer_wake_.wait_until(lock, next, [this] { return stopping_.load(); });
    }
    if (stopping_) break;
    auto produced = produce_once();
    if (!produced.ok()) {
      spdlog::error("block production failed: {}", produced.error().to_string());
      continue;
    }
    if (produced->has_value()) {
      const auto& h = (*produced)->stored.block.header;
      spdlog::info("block {} committed: {} txs, hash {}", h.height, h.tx_count,
                   core::to_hex((*produced)->stored.commit.block_hash).substr(0, 16));
    }
    // Do not try to catch up missed ticks in a burst after a slow block.
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;
  }
}

}  // namespace metanode::node
