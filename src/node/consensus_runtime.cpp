#include "node/consensus_runtime.hpp"

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "consensus/hotstuff/hotstuff_engine.hpp"
#include "consensus/ibft/ibft_engine.hpp"
#include "core/clock.hpp"
#include "node/parallel.hpp"

namespace metanode::node {
namespace {

using consensus::ConsensusPayload;
using consensus::Finality;

constexpr std::string_view kStateKey = "consensus/state";
constexpr std::string_view kStoredBlockPrefix = "consensus/block/";
constexpr std::size_t kGossipBatchMax = 2'000;
constexpr std::uint64_t kSyncRetryMs = 500;
constexpr std::size_t kSyncRunsMax = 1'024;

core::Bytes stored_block_key(const core::Hash32& id) {
  core::Writer w(kStoredBlockPrefix.size() + id.size());
  w.fixed(core::as_bytes(kStoredBlockPrefix));
  w.fixed(id);
  return std::move(w).take();
}

// Committed state with the nonces of uncommitted ancestors applied, so a proposal continues
// each sender's run after what the pipeline already holds.
class PipelineState final : public ledger::AccountReader {
 public:
  PipelineState(const ledger::AccountReader& base, std::map<crypto::Address, std::uint64_t> next_nonce)
      : base_(base), next_nonce_(std::move(next_nonce)) {}
  core::Result<ledger::Account> account(const crypto::Address& address) const override {
    MN_TRY_ASSIGN(auto account, base_.account(address));
    if (auto it = next_nonce_.find(address); it != next_nonce_.end()) account.nonce = std::max(account.nonce, it->second);
    return account;
  }

 private:
  const ledger::AccountReader& base_;
  std::map<crypto::Address, std::uint64_t> next_nonce_;
};

struct SyncRun {
  std::vector<consensus::Block> blocks;
  consensus::QuorumCert cert;
};

core::Bytes encode_sync_reply(const std::vector<SyncRun>& runs) {
  core::Writer w;
  w.vector(runs, kSyncRunsMax, [](core::Writer& out, const SyncRun& run) {
    out.vector(run.blocks, kSyncRunsMax, [](core::Writer& o, const consensus::Block& b) { b.encode(o); });
    run.cert.encode(out);
  });
  return std::move(w).take();
}

core::Result<std::vector<SyncRun>> decode_sync_reply(core::ByteView bytes) {
  core::Reader r(bytes);
  MN_TRY_ASSIGN(auto runs, r.vector<SyncRun>(kSyncRunsMax, [](core::Reader& in) -> core::Result<SyncRun> {
    SyncRun run;
    MN_TRY_ASSIGN(run.blocks, in.vector<consensus::Block>(kSyncRunsMax, [](core::Reader& i) { return consensus::Block::decode(i); }));
    MN_TRY_ASSIGN(run.cert, consensus::QuorumCert::decode(in));
    return run;
  }));
  MN_TRY(r.finish());
  return runs;
}

}  // namespace

core::Hash32 VerifiedTxs::key_of(const ledger::Transaction& tx) {
  return core::hash(core::Domain::SignatureCache, core::encode(tx));
}

bool VerifiedTxs::contains(const core::Hash32& key) const {
  std::lock_guard lock(mutex_);
  return set_.contains(key);
}

void VerifiedTxs::insert(const core::Hash32& key) {
  std::lock_guard lock(mutex_);
  if (!set_.insert(key).second) return;
  order_.push_back(key);
  if (order_.size() > kRemembered) {
    set_.erase(order_.front());
    order_.pop_front();
  }
}

ConsensusRuntime::ConsensusRuntime(RuntimeConfig config, RuntimeHost& host, ledger::Chain& chain, crypto::KeyPair key,
                                   consensus::ValidatorSet validators)
    : config_(std::move(config)),
      host_(host),
      chain_(chain),
      key_(std::make_shared<const crypto::KeyPair>(std::move(key))),
      validators_(std::move(validators)),
      verifier_(std::make_shared<consensus::CachingVerifier>(1 << 18)),
      engine_timer_(ctx_),
      payload_timer_(ctx_),
      gossip_timer_(ctx_) {
  auto block0 = chain_.block(0);
  chain_id_ = consensus::consensus_chain_id(block0.ok() && block0->has_value() ? (*block0)->block.hash() : core::Hash32{});
}

ConsensusRuntime::~ConsensusRuntime() { stop(); }

std::uint64_t ConsensusRuntime::now_ms() const {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - epoch_).count());
}

core::Result<consensus::EngineStart> ConsensusRuntime::load_start() {
  consensus::EngineStart start;
  start.now_ms = now_ms();
  start.committed = consensus::genesis_block(chain_id_);
  // The engine starts from the newest block whose certificate names it; blocks applied after it
  // (a HotStuff batch cut short by a crash) come back as commits, which apply_commit skips.
  for (std::uint64_t h = chain_.head().height; h > 0; --h) {
    MN_TRY_ASSIGN(auto stored, chain_.block(h));
    if (!stored) return core::make_error(core::ErrorCode::kBlockCorrupt, "block " + std::to_string(h) + " is missing");
    auto finality = core::decode<Finality>(stored->finality);
    if (!finality.ok()) {
      return core::make_error(core::ErrorCode::kBlockCorrupt,
                              "block " + std::to_string(h) + " has no consensus finality proof (was this chain made by a single producer?)");
    }
    if (finality->cert.data.commit && finality->cert.data.commit->height == h) {
      start.committed = finality->block;
      start.committed_cert = finality->cert;
      break;
    }
  }
  MN_TRY_ASSIGN(start.persisted, chain_.db().get(storage::Column::kMeta, core::as_bytes(kStateKey)));
  const core::Bytes prefix(kStoredBlockPrefix.begin(), kStoredBlockPrefix.end());
  std::optional<core::Error> bad;
  MN_TRY(chain_.db().for_each_prefix(storage::Column::kMeta, prefix, [&](core::ByteView, core::ByteView value) {
    auto block = core::decode<consensus::Block>(value);
    if (!block.ok()) {
      bad = block.error();
      return false;
    }
    stored_blocks_[block->id()] = block->height;
    start.stored_blocks.push_back(std::move(*block));
    return true;
  }));
  if (bad) return core::make_error(core::ErrorCode::kStorageCorrupt, "stored consensus block: " + bad->message);
  return start;
}

core::Status ConsensusRuntime::start() {
  consensus::EngineConfig ec;
  ec.chain_id = chain_id_;
  ec.validators = validators_;
  const auto self = validators_.index_of(key_->public_key());
  if (!self) return core::make_error(core::ErrorCode::kInvalidArgument, "this node's key is not in the validator set");
  ec.self = *self;
  ec.key = key_;
  ec.verifier = verifier_;
  ec.timers = config_.timers;
  if (config_.engine == "ibft") {
    engine_ = std::make_unique<consensus::ibft::IbftEngine>(std::move(ec));
  } else if (config_.engine == "hotstuff") {
    engine_ = std::make_unique<consensus::hotstuff::HotStuffEngine>(std::move(ec));
  } else {
    return core::make_error(core::ErrorCode::kInvalidArgument, "unknown consensus engine '" + config_.engine + "'");
  }
  MN_TRY_ASSIGN(auto start, load_start());
  committed_height_ = start.committed.height;

  net::TransportHandler handler;
  handler.on_frame = [this](const crypto::PublicKey& peer, net::Frame frame) { on_frame(peer, std::move(frame)); };
  handler.on_connected = [](const crypto::PublicKey& peer) { spdlog::info("xtmp: linked with {}", peer.to_hex().substr(0, 12)); };
  handler.on_disconnected = [](const crypto::PublicKey& peer) {
    spdlog::info("xtmp: link to {} closed", peer.to_hex().substr(0, 12));
  };
  transport_ = std::make_unique<net::Transport>(config_.transport, std::move(handler));
  MN_TRY(transport_->start());
  started_ = true;
  boost::asio::post(ctx_, [this, start = std::move(start)] {
    consensus::Actions out;
    engine_->start(start, out);
    process(out);
  });
  thread_ = std::thread([this] {
    auto guard = boost::asio::make_work_guard(ctx_);
    ctx_.run();
  });
  return {};
}

void ConsensusRuntime::stop() {
  if (!started_) return;
  started_ = false;
  // Links first: no frame arrives after the consensus thread is gone.
  if (transport_) transport_->stop();
  ctx_.stop();
  if (thread_.joinable()) thread_.join();
  verify_pool_.join();
}

std::uint16_t ConsensusRuntime::xtmp_port() const { return transport_ ? transport_->port() : 0; }

RuntimeStatus ConsensusRuntime::status() const {
  RuntimeStatus s;
  s.committed_height = committed_height_.load();
  s.round = round_.load();
  s.rounds_timed_out = rounds_timed_out_.load();
  s.peers_connected = transport_ ? transport_->connected_count() : 0;
  s.messages_refused = messages_refused_.load();
  s.syncs_applied = syncs_applied_.load();
  s.syncs_refused = syncs_refused_.load();
  s.failed = failed_flag_.load();
  return s;
}

void ConsensusRuntime::on_admitted(const std::vector<ledger::Transaction>& txs) {
  if (!started_) return;
  bool schedule = false;
  {
    std::lock_guard lock(gossip_mutex_);
    if (validators_.size() > 1) gossip_queue_.insert(gossip_queue_.end(), txs.begin(), txs.end());
    if (!gossip_scheduled_ && !gossip_queue_.empty()) {
      gossip_scheduled_ = true;
      schedule = true;
    }
  }
  if (schedule) {
    // A few milliseconds of batching: one frame carries many transactions.
    boost::asio::post(ctx_, [this] {
      gossip_timer_.expires_after(std::chrono::milliseconds(5));
      gossip_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) flush_gossip();
      });
    });
  }
  if (!payload_poke_pending_.exchange(true)) {
    boost::asio::post(ctx_, [this] {
      payload_poke_pending_ = false;
      try_payload();
    });
  }
}

void ConsensusRuntime::flush_gossip() {
  std::vector<ledger::Transaction> txs;
  {
    std::lock_guard lock(gossip_mutex_);
    txs.swap(gossip_queue_);
    gossip_scheduled_ = false;
  }
  for (std::size_t i = 0; i < txs.size(); i += kGossipBatchMax) {
    const std::size_t end = std::min(txs.size(), i + kGossipBatchMax);
    core::Writer w;
    w.u32(static_cast<std::uint32_t>(end - i));
    for (std::size_t k = i; k < end; ++k) txs[k].encode(w);
    transport_->broadcast(net::FrameType::kTxGossip, 0, w.data());
  }
}

void ConsensusRuntime::on_frame(const crypto::PublicKey& peer, net::Frame frame) {
  switch (frame.type) {
    case net::FrameType::kConsensus: {
      const auto from = validators_.index_of(peer);
      if (!from) {
        ++messages_refused_;
        spdlog::warn("consensus message from {}, which is not a validator: dropped", peer.to_hex().substr(0, 12));
        return;
      }
      boost::asio::post(ctx_, [this, from = *from, bytes = std::move(frame.payload)] {
        if (failed_) return;
        consensus::Actions out;
        auto st = engine_->on_message(from, bytes, now_ms(), out);
        if (!st.ok()) {
          ++messages_refused_;
          spdlog::debug("consensus message from validator {} refused: {}", from, st.error().to_string());
        }
        process(out);
      });
      return;
    }
    case net::FrameType::kTxGossip:
      host_.post_work([this, peer, bytes = std::move(frame.payload)] {
        core::Reader r(bytes);
        auto count = r.u32();
        if (!count.ok() || *count > kGossipBatchMax) {
          spdlog::warn("tx gossip from {} malformed: dropped", peer.to_hex().substr(0, 12));
          return;
        }
        std::vector<ledger::Transaction> txs;
        txs.reserve(*count);
        for (std::uint32_t i = 0; i < *count; ++i) {
          auto tx = ledger::Transaction::decode(r);
          if (!tx.ok()) {
            spdlog::warn("tx gossip from {} malformed: {}", peer.to_hex().substr(0, 12), tx.error().message);
            break;
          }
          txs.push_back(std::move(*tx));
        }
        host_.admit_from_peer(std::move(txs));
        if (!payload_poke_pending_.exchange(true)) {
          boost::asio::post(ctx_, [this] {
            payload_poke_pending_ = false;
            try_payload();
          });
        }
      });
      return;
    case net::FrameType::kSyncRequest:
      host_.post_work([this, peer, stream = frame.stream, bytes = std::move(frame.payload)] { answer_sync(peer, stream, bytes); });
      return;
    case net::FrameType::kSyncResponse:
      boost::asio::post(ctx_, [this, peer, bytes = std::move(frame.payload)] { on_sync_reply(peer, bytes); });
      return;
    case net::FrameType::kRequest:
      host_.post_work([this, peer, stream = frame.stream, bytes = std::move(frame.payload)] { answer_client(peer, stream, bytes); });
      return;
    default:
      spdlog::debug("xtmp: unexpected {} frame from {}", net::frame_type_name(frame.type), peer.to_hex().substr(0, 12));
  }
}

bool ConsensusRuntime::flush_writes(storage::WriteBatch& batch) {
  if (batch.empty()) return true;
  auto st = chain_.db().write(std::move(batch), /*sync=*/true);
  batch = storage::WriteBatch();
  if (!st.ok()) {
    // Sending a vote whose safety state is not on disk could make this validator equivocate
    // after a restart: stop taking part instead.
    spdlog::critical("consensus state could not be persisted ({}); this validator stops voting", st.error().to_string());
    failed_ = true;
    failed_flag_ = true;
    return false;
  }
  return true;
}

void ConsensusRuntime::process(consensus::Actions& actions) {
  storage::WriteBatch writes;
  // Commits are applied after the batch, and after this node's own proposal when the batch asks
  // for one: applying a block (execution, state tree, a synced write) takes milliseconds, and the
  // next proposal does not need it (it continues each sender's nonces past the uncommitted
  // ancestors, the committed one included until it is applied). Off the critical path, the
  // next height starts while this one is written. They wait in one queue, drained in order by
  // whichever process() call gets there first, so a commit that the proposal itself produces (a
  // nested call) can never be applied before the ones queued here.
  bool propose_now = false;
  for (auto& action : actions) {
    if (failed_) return;
    if (auto* persist = std::get_if<consensus::PersistState>(&action)) {
      writes.put(storage::Column::kMeta, core::as_bytes(kStateKey), persist->state);
    } else if (auto* store = std::get_if<consensus::StoreBlock>(&action)) {
      writes.put(storage::Column::kMeta, stored_block_key(store->block_id), core::encode(store->block));
      stored_blocks_[store->block_id] = store->block.height;
    } else if (auto* send = std::get_if<consensus::SendTo>(&action)) {
      if (!flush_writes(writes)) return;
      transport_->send(validators_.key(send->to), net::FrameType::kConsensus, 0, *send->message);
    } else if (auto* bcast = std::get_if<consensus::Broadcast>(&action)) {
      if (!flush_writes(writes)) return;
      transport_->broadcast(net::FrameType::kConsensus, 0, *bcast->message);
    } else if (auto* timer = std::get_if<consensus::SetTimer>(&action)) {
      arm_timer(timer->deadline_ms);
    } else if (std::get_if<consensus::CancelTimer>(&action)) {
      engine_timer_.cancel();
    } else if (auto* request = std::get_if<consensus::RequestPayload>(&action)) {
      payload_request_ = *request;
      payload_requested_ms_ = now_ms();
      // After this batch: the proposal may depend on writes still queued above.
      propose_now = true;
    } else if (auto* validate = std::get_if<consensus::ValidatePayload>(&action)) {
      boost::asio::post(ctx_, [this, v = *validate] { validate_payload(v); });
    } else if (auto* commit = std::get_if<consensus::CommitBlock>(&action)) {
      if (!flush_writes(writes)) return;
      commit_queue_.push_back(std::move(*commit));
    } else if (auto* sync = std::get_if<consensus::SyncNeeded>(&action)) {
      request_sync(sync->peer, sync->height);
    }
  }
  if (!flush_writes(writes)) return;
  if (propose_now) try_payload();
  while (!commit_queue_.empty() && !failed_) {
    const consensus::CommitBlock commit = std::move(commit_queue_.front());
    commit_queue_.pop_front();
    apply_commit(commit);
  }
  const auto s = engine_->status();
  round_ = s.round;
  rounds_timed_out_ = s.rounds_timed_out;
}

void ConsensusRuntime::arm_timer(std::uint64_t deadline_ms) {
  const std::uint64_t now = now_ms();
  engine_timer_.expires_after(std::chrono::milliseconds(deadline_ms > now ? deadline_ms - now : 0));
  engine_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || failed_) return;
    consensus::Actions out;
    engine_->on_tick(now_ms(), out);
    process(out);
  });
}

ConsensusRuntime::Inflight ConsensusRuntime::inflight_of(std::uint64_t height, const core::Hash32& parent_id,
                                                         const ConsensusPayload& payload) const {
  Inflight f;
  f.height = height;
  f.parent_id = parent_id;
  f.nonces.reserve(payload.txs.size());
  for (const auto& tx : payload.txs) f.nonces.emplace_back(tx.sender(), tx.nonce);
  return f;
}

void ConsensusRuntime::try_payload() {
  if (!payload_request_ || failed_) return;
  const consensus::RequestPayload request = *payload_request_;
  const std::uint64_t committed = committed_height_.load();
  // Uncommitted ancestors of the block to build (HotStuff pipelines up to three).
  std::map<crypto::Address, std::uint64_t> next_nonce;
  bool pipeline_busy = false;
  core::Hash32 cursor = request.parent_id;
  for (std::uint64_t h = request.height - 1; h > committed; --h) {
    const Inflight* f = nullptr;
    if (auto it = validated_.find(cursor); it != validated_.end()) {
      f = &it->second;
    } else if (auto own = own_proposals_.find(h); own != own_proposals_.end()) {
      f = &own->second;
    }
    if (f == nullptr) break;
    pipeline_busy = pipeline_busy || !f->nonces.empty();
    for (const auto& [sender, nonce] : f->nonces) {
      auto& next = next_nonce[sender];
      next = std::max(next, nonce + 1);
    }
    cursor = f->parent_id;
  }
  // A committed block with transactions whose commit certificate has not travelled yet (HotStuff:
  // it rides in the next blocks) counts too: waiting here would hold its commit back from every
  // other validator, and from the clients watching them, until new load arrived.
  pipeline_busy = pipeline_busy || (last_tx_height_ > 0 && request.height <= last_tx_height_ + engine_->commit_spread_blocks());
  const std::uint64_t now = now_ms();
  const bool idle_wait_left = !pipeline_busy && now < payload_requested_ms_ + config_.idle_block_ms;
  // Nothing includable (an empty pool, or only transactions that must wait, say for a missing
  // nonce): wait for transactions (on_admitted pokes) or the idle interval, so a pool holding
  // only such transactions does not make a stream of empty blocks.
  const auto wait_for_more = [&] {
    payload_timer_.expires_after(std::chrono::milliseconds(payload_requested_ms_ + config_.idle_block_ms - now));
    payload_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) try_payload();
    });
  };
  if (idle_wait_left && !host_.has_pending()) return wait_for_more();
  ConsensusPayload payload;
  payload.timestamp_unix_ms = core::SystemClock().now_unix_ms();
  const std::size_t pipelined_senders = next_nonce.size();
  PipelineState state(chain_, std::move(next_nonce));
  payload.txs = host_.propose(state);
  if (payload.txs.empty() && idle_wait_left) return wait_for_more();
  payload_timer_.cancel();
  payload_request_.reset();
  spdlog::debug("proposing height {}: {} txs ({} senders in uncommitted ancestors)", request.height, payload.txs.size(),
                pipelined_senders);
  own_proposals_[request.height] = inflight_of(request.height, request.parent_id, payload);
  consensus::Actions out;
  engine_->on_payload(request.height, core::encode(payload), now, out);
  process(out);
}

void ConsensusRuntime::validate_payload(const consensus::ValidatePayload& v) {
  if (failed_) return;
  const auto verdict = [this](const core::Hash32& block_id, bool valid) {
    consensus::Actions out;
    engine_->on_payload_verdict(block_id, valid, now_ms(), out);
    process(out);
  };
  const auto refuse = [&](const std::string& why) {
    spdlog::warn("proposal for height {} refused: {}", v.height, why);
    verdict(v.block_id, false);
  };
  auto decoded = core::decode<ConsensusPayload>(*v.payload);
  if (!decoded.ok()) return refuse(decoded.error().message);
  if (decoded->timestamp_unix_ms > core::SystemClock().now_unix_ms() + 10'000) {
    return refuse("timestamp more than 10 s in the future");
  }
  auto payload = std::make_shared<ConsensusPayload>(std::move(*decoded));
  const auto& txs = payload->txs;
  const std::string& chain = chain_.genesis().chain_id;
  std::vector<core::Hash32> hashes(txs.size());
  for (std::size_t i = 0; i < txs.size(); ++i) hashes[i] = txs[i].hash();
  // Signatures this node verified already (pending here, or in an earlier proposal) are not
  // checked again; the rest are checked on the worker threads, in parallel, while the
  // consensus thread goes on with other messages.
  std::vector<char> known = host_.pending_exact(txs, hashes);
  auto unknown = std::make_shared<std::vector<std::pair<std::size_t, core::Hash32>>>();
  for (std::size_t i = 0; i < txs.size(); ++i) {
    if (auto st = txs[i].check_stateless_without_signatures(chain); !st.ok()) {
      return refuse("transaction " + core::to_hex(hashes[i]).substr(0, 16) + ": " + st.error().message);
    }
    if (known[i]) continue;
    const core::Hash32 key = VerifiedTxs::key_of(txs[i]);
    if (!verified_txs_.contains(key)) unknown->emplace_back(i, key);
  }
  Inflight inflight = inflight_of(v.height, v.parent_id, *payload);
  if (unknown->empty()) {
    validated_[v.block_id] = std::move(inflight);
    return verdict(v.block_id, true);
  }
  struct Job {
    std::atomic<std::size_t> chunks_left{0};
    std::atomic<bool> bad{false};
    std::mutex mutex;
    std::string why;
  };
  auto job = std::make_shared<Job>();
  constexpr std::size_t kChunk = 128;
  const std::size_t chunks = (unknown->size() + kChunk - 1) / kChunk;
  job->chunks_left = chunks;
  auto finish = [this, job, unknown, block_id = v.block_id, height = v.height, inflight = std::move(inflight)]() mutable {
    if (failed_) return;
    if (job->bad) {
      spdlog::warn("proposal for height {} refused: {}", height, job->why);
      consensus::Actions out;
      engine_->on_payload_verdict(block_id, false, now_ms(), out);
      process(out);
      return;
    }
    validated_[block_id] = std::move(inflight);
    consensus::Actions out;
    engine_->on_payload_verdict(block_id, true, now_ms(), out);
    process(out);
  };
  auto shared_finish = std::make_shared<decltype(finish)>(std::move(finish));
  for (std::size_t c = 0; c < chunks; ++c) {
    boost::asio::post(verify_pool_, [this, job, unknown, payload, shared_finish, from = c * kChunk] {
      const std::size_t to = std::min(unknown->size(), from + kChunk);
      for (std::size_t k = from; k < to && !job->bad; ++k) {
        const auto& [index, key] = (*unknown)[k];
        if (verified_txs_.contains(key)) continue;  // admission verified it meanwhile
        const auto& tx = payload->txs[index];
        if (auto st = tx.check_signatures(); !st.ok()) {
          std::lock_guard lock(job->mutex);
          if (!job->bad.exchange(true)) job->why = "transaction " + core::to_hex(tx.hash()).substr(0, 16) + ": " + st.error().message;
        } else {
          verified_txs_.insert(key);
        }
      }
      if (job->chunks_left.fetch_sub(1) == 1) boost::asio::post(ctx_, [shared_finish] { (*shared_finish)(); });
    });
  }
}

bool ConsensusRuntime::verify_now(const std::vector<ledger::Transaction>& txs,
                                  const std::vector<std::pair<std::size_t, core::Hash32>>& unknown) {
  constexpr std::size_t kChunk = 128;
  const std::size_t chunks = (unknown.size() + kChunk - 1) / kChunk;
  std::atomic<bool> bad{false};
  // The verification threads never wait for this (the consensus) thread.
  run_chunks_and_wait(verify_pool_, chunks, [&](std::size_t c) {
    const std::size_t to = std::min(unknown.size(), (c + 1) * kChunk);
    for (std::size_t k = c * kChunk; k < to && !bad; ++k) {
      const auto& [index, key] = unknown[k];
      if (verified_txs_.contains(key)) continue;
      if (txs[index].check_signatures().ok()) {
        verified_txs_.insert(key);
      } else {
        bad = true;
      }
    }
  });
  return !bad;
}

void ConsensusRuntime::apply_commit(const consensus::CommitBlock& c) {
  const std::uint64_t height = c.block.height;
  const auto head = chain_.head();
  if (height <= head.height) {
    // Applied before a restart; it must be the very block we hold.
    auto stored = chain_.block(height);
    if (stored.ok() && stored->has_value()) {
      auto finality = core::decode<Finality>((*stored)->finality);
      if (!finality.ok() || finality->block.id() != c.block_id) {
        spdlog::critical("height {} committed as {} but this node applied another block: stopping", height,
                         consensus::short_hex(c.block_id));
        failed_ = true;
        failed_flag_ = true;
      }
    }
    return;
  }
  if (height != head.height + 1) {
    spdlog::critical("commit of height {} does not follow the head {}: stopping", height, head.height);
    failed_ = true;
    failed_flag_ = true;
    return;
  }
  auto payload = core::decode<ConsensusPayload>(c.block.payload);
  ConsensusPayload txs;
  if (payload.ok()) {
    txs = std::move(*payload);
  } else {
    // A quorum committed it, so every honest node applies the same: an empty block.
    spdlog::error("committed payload at height {} does not decode ({}); applied as empty", height, payload.error().message);
  }
  bool all_verified = true;
  {
    std::vector<core::Hash32> hashes(txs.txs.size());
    for (std::size_t i = 0; i < txs.txs.size(); ++i) hashes[i] = txs.txs[i].hash();
    const std::vector<char> pending = host_.pending_exact(txs.txs, hashes);
    std::vector<std::pair<std::size_t, core::Hash32>> unknown;
    for (std::size_t i = 0; i < txs.txs.size(); ++i) {
      if (pending[i]) continue;
      core::Hash32 key = VerifiedTxs::key_of(txs.txs[i]);
      if (!verified_txs_.contains(key)) unknown.emplace_back(i, key);
    }
    // A quorum can commit a block before this node has finished checking it (or without it, if
    // it was behind): check only the signatures not checked yet, in parallel, rather than have
    // the executor check the whole block again on this thread. Should one fail, the executor
    // checks every one and leaves the failures out, as it always has.
    if (!unknown.empty()) all_verified = verify_now(txs.txs, unknown);
  }
  Finality finality{c.block, c.certificate};
  auto produced = chain_.apply_committed(std::move(txs.txs), txs.timestamp_unix_ms, validators_.key(c.block.proposer),
                                         core::encode(finality), all_verified);
  if (!produced.ok()) {
    spdlog::critical("applying committed height {} failed: {}; stopping", height, produced.error().to_string());
    failed_ = true;
    failed_flag_ = true;
    return;
  }
  committed_height_ = height;
  if (produced->stored.block.header.tx_count > 0) last_tx_height_ = height;
  host_.on_applied(*produced);
  // Forget what this height settles.
  std::erase_if(validated_, [height](const auto& kv) { return kv.second.height <= height; });
  std::erase_if(own_proposals_, [height](const auto& kv) { return kv.first <= height; });
  storage::WriteBatch cleanup;
  for (auto it = stored_blocks_.begin(); it != stored_blocks_.end();) {
    if (it->second <= height) {
      cleanup.del(storage::Column::kMeta, stored_block_key(it->first));
      it = stored_blocks_.erase(it);
    } else {
      ++it;
    }
  }
  if (!cleanup.empty()) {
    // Not synced: a block left behind by a crash is skipped at start (below the committed height).
    if (auto st = chain_.db().write(std::move(cleanup), /*sync=*/false); !st.ok()) {
      spdlog::warn("could not delete committed consensus blocks: {}", st.error().to_string());
    }
  }
  const auto& h = produced->stored.block.header;
  spdlog::debug("height {} committed: {} txs, hash {}", height, h.tx_count, core::to_hex(h.hash()).substr(0, 16));
}

void ConsensusRuntime::request_sync(consensus::ValidatorIndex peer, std::uint64_t peer_height) {
  const std::uint64_t now = now_ms();
  if (sync_outstanding_ && now < sync_sent_ms_ + kSyncRetryMs) return;
  const std::uint64_t from = chain_.head().height + 1;
  if (peer_height < from && peer_height != 0) return;
  core::Writer w;
  w.u64(from);
  if (transport_->send(validators_.key(peer), net::FrameType::kSyncRequest, 0, w.data())) {
    sync_outstanding_ = true;
    sync_peer_ = validators_.key(peer);
    sync_sent_ms_ = now;
    spdlog::info("behind: fetching committed blocks from height {} from validator {} (at {})", from, peer, peer_height);
  }
}

void ConsensusRuntime::answer_sync(const crypto::PublicKey& peer, std::uint32_t stream, core::ByteView request) {
  core::Reader r(request);
  auto from = r.u64();
  if (!from.ok() || !r.finish().ok()) {
    spdlog::warn("sync request from {} malformed: dropped", peer.to_hex().substr(0, 12));
    return;
  }
  const std::uint64_t head = chain_.head().height;
  std::vector<SyncRun> runs;
  SyncRun run;
  std::size_t bytes = 0;
  std::size_t blocks = 0;
  for (std::uint64_t h = std::max<std::uint64_t>(*from, 1); h <= head && blocks < config_.sync_blocks_max; ++h) {
    auto stored = chain_.block(h);
    if (!stored.ok() || !stored->has_value()) break;
    auto finality = core::decode<Finality>((*stored)->finality);
    if (!finality.ok()) break;
    bytes += finality->block.payload.size();
    ++blocks;
    run.blocks.push_back(std::move(finality->block));
    if (finality->cert.data.commit && finality->cert.data.commit->height == h) {
      run.cert = std::move(finality->cert);
      runs.push_back(std::move(run));
      run = SyncRun{};
      if (bytes >= config_.sync_bytes_max) break;
    }
  }
  transport_->send(peer, net::FrameType::kSyncResponse, stream, encode_sync_reply(runs));
}

void ConsensusRuntime::on_sync_reply(const crypto::PublicKey& peer, core::ByteView reply) {
  if (!sync_outstanding_ || peer != sync_peer_) {
    ++syncs_refused_;
    spdlog::warn("sync reply from {}, which was not asked: ignored", peer.to_hex().substr(0, 12));
    return;
  }
  sync_outstanding_ = false;
  if (failed_) return;
  auto runs = decode_sync_reply(reply);
  if (!runs.ok()) {
    ++syncs_refused_;
    spdlog::warn("sync reply from {} malformed: {}", peer.to_hex().substr(0, 12), runs.error().message);
    return;
  }
  for (const auto& run : *runs) {
    if (run.blocks.empty() || run.blocks.front().height != chain_.head().height + 1) continue;
    consensus::Actions out;
    auto st = engine_->on_synced_blocks(run.blocks, run.cert, now_ms(), out);
    if (!st.ok()) {
      ++syncs_refused_;
      spdlog::warn("sync reply from {} refused: {}", peer.to_hex().substr(0, 12), st.error().to_string());
      return;
    }
    ++syncs_applied_;
    process(out);
  }
  if (runs->empty() || runs->back().blocks.empty() || chain_.head().height < runs->back().blocks.back().height) return;
  spdlog::info("synced to height {}", chain_.head().height);
  // A full reply: there may be more.
  if (const auto index = validators_.index_of(peer)) request_sync(*index, 0);
}

void ConsensusRuntime::answer_client(const crypto::PublicKey& peer, std::uint32_t stream, core::ByteView request) {
  const std::string method(request.begin(), request.end());
  nlohmann::json reply;
  if (method == "status") {
    const auto head = chain_.head();
    const auto s = status();
    reply = {{"chain_id", chain_.genesis().chain_id},
             {"height", head.height},
             {"block_hash", core::to_hex(head.block_hash)},
             {"round", s.round},
             {"peers_connected", s.peers_connected}};
  } else {
    reply = {{"error", {{"code", "invalid_argument"}, {"message", "unknown method '" + method + "' (try \"status\")"}}}};
  }
  const std::string text = reply.dump();
  transport_->send(peer, net::FrameType::kResponse, stream, core::as_bytes(text));
}

}  // namespace metanode::node
