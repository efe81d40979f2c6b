#include "node/ledger_node.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <sstream>

#include "core/clock.hpp"
#include "node/parallel.hpp"

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
  if (config_.single_producer) {
    producer_ = std::thread([this] { producer_loop(); });
    return {};
  }
  MN_TRY_ASSIGN(auto runtime_config, this->runtime_config());
  MN_TRY_ASSIGN(auto validators, consensus::ValidatorSet::create(chain_->genesis().validator_keys()));
  runtime_ = std::make_unique<ConsensusRuntime>(std::move(runtime_config), static_cast<RuntimeHost&>(*this), *chain_, validator_key_, std::move(validators));
  if (auto st = runtime_->start(); !st.ok()) {
    stop();
    return st;
  }
  return {};
}

core::Result<RuntimeConfig> LedgerNode::runtime_config() const {
  const auto bad = [](std::string why) { return core::make_error(core::ErrorCode::kInvalidArgument, std::move(why)); };
  RuntimeConfig rc;
  rc.engine = chain_->genesis().consensus;
  rc.timers.base_ms = config_.round_timeout_ms;
  rc.timers.cap_ms = config_.round_timeout_cap_ms;
  // An idle leader proposes its empty block well before anyone's round timer gives up on it.
  rc.idle_block_ms = std::min(config_.block_interval_ms, config_.round_timeout_ms / 2);
  net::TransportConfig& t = rc.transport;
  t.seed = validator_key_.seed();
  t.listen_host = config_.xtmp_listen;
  t.listen_port = config_.xtmp_port();
  t.post_quantum = config_.post_quantum;
  for (const auto& key : chain_->genesis().validator_keys()) t.allowed.insert(key);
  for (const auto& text : config_.full_nodes) {
    auto key = crypto::PublicKey::from_hex(text);
    if (!key.ok()) return bad("[network] full_nodes: '" + text + "': " + key.error().message);
    t.allowed.insert(*key);
  }
  for (const auto& text : config_.peers) {
    const auto at = text.find('@');
    const auto colon = text.rfind(':');
    if (at == std::string::npos || colon == std::string::npos || colon < at) {
      return bad("[network] peers: '" + text + "' is not <key hex>@host:port");
    }
    auto key = crypto::PublicKey::from_hex(text.substr(0, at));
    if (!key.ok()) return bad("[network] peers: '" + text + "': " + key.error().message);
    if (!t.allowed.contains(*key)) return bad("[network] peers: " + text.substr(0, 16) + "… is not a validator in genesis");
    if (*key == validator_key_.public_key()) continue;
    net::PeerEndpoint peer;
    peer.key = *key;
    peer.host = text.substr(at + 1, colon - at - 1);
    int port = 0;
    try {
      port = std::stoi(text.substr(colon + 1));
    } catch (const std::exception&) {
      port = 0;
    }
    if (port <= 0 || port > 65535) return bad("[network] peers: '" + text + "' has no valid port");
    peer.port = static_cast<std::uint16_t>(port);
    t.peers.push_back(std::move(peer));
  }
  return rc;
}

void LedgerNode::stop() {
  if (!started_) return;
  started_ = false;
  stopping_ = true;
  producer_wake_.notify_all();
  if (producer_.joinable()) producer_.join();
  if (runtime_) runtime_->stop();
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
  return admit_batch(std::move(txs), /*from_peer=*/false);
}

void LedgerNode::admit_from_peer(std::vector<ledger::Transaction> txs) {
  txs_gossiped_in_.fetch_add(txs.size(), std::memory_order_relaxed);
  const auto results = admit_batch(std::move(txs), /*from_peer=*/true);
  // Refusals that say a peer sent something no honest node admits (not merely a transaction
  // committed or pending already) are counted and logged.
  for (const auto& r : results) {
    if (r.ok()) continue;
    const auto code = r.error().code;
    if (code == core::ErrorCode::kMempoolDuplicate || code == core::ErrorCode::kTxNonceTooLow) continue;
    txs_gossip_refused_.fetch_add(1, std::memory_order_relaxed);
    if (code == core::ErrorCode::kBadSignature || code == core::ErrorCode::kTxMalformed || code == core::ErrorCode::kTxWrongChain) {
      spdlog::warn("gossiped transaction refused: {}", r.error().to_string());
    }
  }
}

void LedgerNode::post_work(std::function<void()> work) { boost::asio::post(io_, std::move(work)); }

std::vector<core::Result<mempool::AdmitResult>> LedgerNode::admit_batch(std::vector<ledger::Transaction> txs,
                                                                        bool from_peer) {
  std::vector<core::Result<mempool::AdmitResult>> results;
  results.reserve(txs.size());
  // Signatures are checked here, on the HTTP threads (in parallel), outside the mempool lock;
  // the mempool and the block producer then trust them. Each transaction's signatures are
  // verified once per node: not again when the very same transaction is pending already or was
  // verified in a proposal (gossip often arrives after the proposal that carries it), and not at
  // all for a nonce that is used already (it would be refused anyway).
  const std::string& chain_id = chain_->genesis().chain_id;
  std::vector<core::Hash32> hashes(txs.size());
  for (std::size_t i = 0; i < txs.size(); ++i) hashes[i] = txs[i].hash();
  std::vector<char> known = pending_exact(txs, hashes);
  std::vector<std::optional<core::Error>> stateless(txs.size());
  std::vector<core::Hash32> keys(txs.size());
  std::vector<std::size_t> to_verify;
  for (std::size_t i = 0; i < txs.size(); ++i) {
    const ledger::Transaction& tx = txs[i];
    if (!known[i] && runtime_) {
      keys[i] = VerifiedTxs::key_of(tx);
      if (runtime_->verified(keys[i])) known[i] = 1;
    }
    if (!known[i]) {
      const auto account = chain_->account(tx.sender());
      if (account.ok() && account->nonce > tx.nonce) {
        stateless[i] = core::make_error(core::ErrorCode::kTxNonceTooLow,
                                        "nonce " + std::to_string(tx.nonce) + " is used already: account nonce is " +
                                            std::to_string(account->nonce));
        continue;
      }
    }
    if (auto st = tx.check_stateless_without_signatures(chain_id); !st.ok()) {
      stateless[i] = std::move(st).error();
    } else if (!known[i]) {
      to_verify.push_back(i);
    }
  }
  // Signatures: a batch is split over the verification threads, so its transactions reach the
  // mempool (and the other validators) in a fraction of the time one thread would take.
  const auto verify_range = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k) {
      const std::size_t i = to_verify[k];
      // Looked up again just before verifying: a proposal carrying the same transaction may have
      // been checked in the meantime.
      if (runtime_ && runtime_->verified(keys[i])) continue;
      if (auto st = txs[i].check_signatures(); !st.ok()) {
        stateless[i] = std::move(st).error();
      } else if (runtime_) {
        runtime_->mark_verified(keys[i]);
      }
    }
  };
  const std::size_t chunks = std::min<std::size_t>(kVerifyThreads, to_verify.size() / kVerifyChunkTxsMin);
  if (chunks <= 1) {
    verify_range(0, to_verify.size());
  } else {
    const std::size_t per_chunk = (to_verify.size() + chunks - 1) / chunks;
    run_chunks_and_wait(verify_pool_, chunks, [&](std::size_t c) {
      verify_range(c * per_chunk, std::min(to_verify.size(), (c + 1) * per_chunk));
    });
  }
  const std::uint64_t base_fee = chain_->head().base_fee_next;
  // Admitted transactions go on to the other validators (not those a peer sent: it sent them to
  // everyone already).
  std::vector<ledger::Transaction> admitted;
  {
    std::lock_guard lock(mempool_mutex_);
    for (std::size_t i = 0; i < txs.size(); ++i) {
      if (stateless[i]) {
        if (!from_peer) txs_rejected_.fetch_add(1, std::memory_order_relaxed);
        results.emplace_back(std::move(*stateless[i]));
        continue;
      }
      if (!runtime_ || from_peer) {
        results.push_back(admit_locked(std::move(txs[i]), base_fee));
        continue;
      }
      ledger::Transaction copy = txs[i];
      results.push_back(admit_locked(std::move(txs[i]), base_fee));
      if (results.back().ok()) admitted.push_back(std::move(copy));
    }
  }
  if (runtime_) runtime_->on_admitted(admitted);
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
  gauge("txs_gossiped_in_total", "Transactions received from peers.", "counter", txs_gossiped_in_.load());
  gauge("ed25519_verifications_total", "Ed25519 signature verifications done by this process.", "counter",
        crypto::verifications_total());
  gauge("txs_gossip_refused_total", "Gossiped transactions refused (bad signature, malformed, mempool full, ...).",
        "counter", txs_gossip_refused_.load());
  if (runtime_) {
    const auto rs = runtime_->status();
    gauge("consensus_round", "Current IBFT round or HotStuff view.", "gauge", rs.round);
    gauge("consensus_rounds_timed_out_total", "Rounds or views that timed out.", "counter", rs.rounds_timed_out);
    gauge("consensus_messages_refused_total", "Consensus messages refused (bad signature, malformed, ...).", "counter",
          rs.messages_refused);
    gauge("sync_replies_refused_total", "Block sync replies refused (e.g. a forged certificate).", "counter",
          rs.syncs_refused);
    gauge("peers_connected", "Authenticated XTMP links.", "gauge", rs.peers_connected);
    gauge("consensus_failed", "1 when storage failed and the validator stopped voting.", "gauge", rs.failed ? 1 : 0);
  }
  return out.str();
}

core::Result<std::optional<ledger::ProducedBlock>> LedgerNode::produce_once() {
  if (!config_.single_producer) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "blocks are decided by consensus on this node");
  }
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
  on_applied(produced);
  return std::optional<ledger::ProducedBlock>{std::move(produced)};
}

void LedgerNode::on_applied(const ledger::ProducedBlock& produced) {
  {
    std::lock_guard lock(mempool_mutex_);
    mempool_->remove_committed(produced.stored.block.txs, *chain_);
    // Candidates the executor left out (say, a fee the balance no longer covers) leave the pool
    // with their reason, so submitters can see why. A nonce gap is not final: under consensus
    // a proposal may skip a sender's earlier transaction, which a later block includes.
    for (const auto& [hash, error] : produced.rejected) {
      if (error.code == core::ErrorCode::kTxNonceGap) continue;
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
}

std::vector<ledger::Transaction> LedgerNode::propose(const ledger::AccountReader& state) {
  const std::uint64_t base_fee = chain_->head().base_fee_next;
  std::lock_guard lock(mempool_mutex_);
  return mempool_->propose(config_.block_txs_max, config_.block_bytes_max, state, base_fee);
}

bool LedgerNode::has_pending() const {
  std::lock_guard lock(mempool_mutex_);
  return mempool_->size() > 0;
}

std::vector<char> LedgerNode::pending_exact(const std::vector<ledger::Transaction>& txs,
                                            const std::vector<core::Hash32>& hashes) const {
  std::vector<char> out(txs.size(), 0);
  std::lock_guard lock(mempool_mutex_);
  for (std::size_t i = 0; i < txs.size(); ++i) out[i] = mempool_->holds(txs[i], hashes[i]) ? 1 : 0;
  return out;
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
