// The engine driver: owns the engine on the consensus thread, loads its start from disk, carries
// out its actions in order (persisting before any send), arms its timer, and registers every
// job's XTMP frame handlers with the transport.
#include "node/runtime/consensus_runtime.hpp"
#include "node/runtime/internal.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "consensus/hotstuff/hotstuff_engine.hpp"
#include "consensus/ibft/ibft_engine.hpp"
#include "consensus/reputation.hpp"
#include "modules/econ/econ.hpp"

namespace metanode::node {

using consensus::ConsensusPayload;
using consensus::Finality;
using namespace runtime_internal;

ConsensusRuntime::ConsensusRuntime(RuntimeConfig config, RuntimeHost& host, ledger::Chain& chain,
                                   SignatureChecks& signatures, crypto::KeyPair key,
                                   std::vector<crypto::PublicKey> genesis_validators)
    : config_(std::move(config)),
      host_(host),
      chain_(chain),
      signatures_(signatures),
      key_(std::make_shared<const crypto::KeyPair>(std::move(key))),
      sets_(chain_, std::move(genesis_validators)),
      verifier_(std::make_shared<consensus::CachingVerifier>(1 << 18)),
      engine_timer_(ctx_),
      payload_timer_(ctx_),
      gossip_timer_(ctx_),
      certifier_timer_(ctx_),
      divergence_timer_(ctx_) {
  chain_id_ = consensus::consensus_chain_id(chain_.genesis_digest());
}

ConsensusRuntime::~ConsensusRuntime() { stop(); }

std::uint64_t ConsensusRuntime::now_ms() const {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - epoch_).count());
}

core::Result<consensus::EngineStart> ConsensusRuntime::load_start(consensus::Epoch& epoch) {
  consensus::EngineStart start;
  start.now_ms = now_ms();
  start.committed = consensus::genesis_block(chain_id_);
  const std::uint64_t head = chain_.head().height;
  MN_TRY_ASSIGN(epoch, sets_.at_height(head + 1));
  const auto finality_at = [this](std::uint64_t h) -> core::Result<Finality> {
    MN_TRY_ASSIGN(auto stored, chain_.block(h));
    if (!stored) return core::make_error(core::ErrorCode::kBlockCorrupt, "block " + std::to_string(h) + " is missing");
    auto finality = core::decode<Finality>(stored->finality);
    if (!finality.ok()) {
      return core::make_error(core::ErrorCode::kBlockCorrupt,
                              "block " + std::to_string(h) + " has no consensus finality proof (was this chain made by a single producer?)");
    }
    return std::move(finality).value();
  };
  // The engine starts from the newest block of the epoch whose certificate names it; blocks
  // applied after it (a HotStuff batch cut short by a crash) come back as commits, which
  // apply_commit skips. None in the epoch yet: from the epoch's root (the last block of the one
  // before), as from genesis.
  bool found = false;
  for (std::uint64_t h = head; h >= std::max<std::uint64_t>(epoch.first_height, 1) && h > 0; --h) {
    MN_TRY_ASSIGN(auto finality, finality_at(h));
    if (finality.cert.data.commit && finality.cert.data.commit->height == h) {
      start.committed = std::move(finality.block);
      start.committed_cert = std::move(finality.cert);
      found = true;
      break;
    }
  }
  if (!found && epoch.first_height > 1) {
    MN_TRY_ASSIGN(auto root, finality_at(epoch.first_height - 1));
    start.committed = std::move(root.block);
    start.epoch_root = true;
  }
  // The epoch's blocks before it, for HotStuff's leader reputation (who proposed and signed lately).
  const std::uint64_t history = std::min<std::uint64_t>(consensus::LeaderReputation::window_for(epoch.validators.size()) + 32,
                                                        consensus::EngineStart::kHistoryBlocksMax);
  const std::uint64_t top = start.committed.height;
  const std::uint64_t from = std::max<std::uint64_t>({top > history ? top - history : 1, epoch.first_height, 1});
  for (std::uint64_t h = from; h < top; ++h) {
    MN_TRY_ASSIGN(auto stored, chain_.block(h));
    if (!stored) continue;
    auto finality = core::decode<Finality>(stored->finality);
    if (finality.ok()) start.history.push_back(std::move(finality->block));
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

core::Status ConsensusRuntime::make_engine() {
  consensus::EngineConfig ec;
  ec.chain_id = chain_id_;
  ec.key = key_;
  ec.verifier = verifier_;
  ec.timers = config_.timers;
  ec.leader_reputation = config_.leader_reputation;
  consensus::EpochEngine::Factory factory;
  if (config_.engine == "ibft") {
    factory = [](consensus::EngineConfig c) -> std::unique_ptr<consensus::Engine> {
      return std::make_unique<consensus::ibft::IbftEngine>(std::move(c));
    };
  } else if (config_.engine == "hotstuff") {
    factory = [](consensus::EngineConfig c) -> std::unique_ptr<consensus::Engine> {
      return std::make_unique<consensus::hotstuff::HotStuffEngine>(std::move(c));
    };
  } else {
    return core::make_error(core::ErrorCode::kInvalidArgument, "unknown consensus engine '" + config_.engine + "'");
  }
  epochs_ = std::make_unique<consensus::EpochEngine>(std::move(ec), std::move(factory));
  return {};
}

void ConsensusRuntime::note_epoch() {
  const consensus::Epoch& epoch = epochs_->epoch();
  const bool voting = epochs_->voting();
  if (epoch_number_.load() != epoch.number || full_node_.load() == voting || epoch_size_.load() == 0) {
    if (voting) {
      spdlog::info("epoch {} from height {}: {} validators; this node votes", epoch.number, epoch.first_height,
                   epoch.validators.size());
    } else {
      spdlog::info("epoch {} from height {}: {} validators; this node's key is not one: it follows the chain as a full node",
                   epoch.number, epoch.first_height, epoch.validators.size());
    }
  }
  full_node_ = !voting;
  epoch_number_ = epoch.number;
  epoch_size_ = epoch.validators.size();
}

void ConsensusRuntime::follow_epochs() {
  if (failed_ || !epochs_) return;
  const std::uint64_t current = epochs_->epoch().number;
  // A newer set published: this epoch ends just before it begins.
  auto latest = modules::read_latest_epoch_set(chain_);
  if (latest.ok() && *latest > current && *latest != published_set_) {
    published_set_ = *latest;
    auto next = sets_.epoch(current + 1);
    if (next.ok() && *next) {
      epochs_->set_last_height((*next)->first_height - 1);
      spdlog::info("validator set {} published: {} validators from height {}", current + 1, (*next)->validators.size(),
                   (*next)->first_height);
    }
  }
  if (!epochs_->ended() || committed_height_.load() < epochs_->epoch().last_height) return;
  // The epoch's last block is applied: the next set takes over, on it.
  auto next = sets_.epoch(current + 1);
  auto root = chain_.block(epochs_->epoch().last_height);
  if (!next.ok() || !*next || !root.ok() || !*root) {
    fail(core::make_error(core::ErrorCode::kStateCorrupt, "epoch " + std::to_string(current) + " ended at height " +
                                                              std::to_string(epochs_->epoch().last_height) +
                                                              " but the next validator set cannot be read"));
    return;
  }
  auto finality = core::decode<Finality>((*root)->finality);
  if (!finality.ok()) {
    fail(core::make_error(core::ErrorCode::kBlockCorrupt, "the last block of epoch " + std::to_string(current) +
                                                              " has no finality proof"));
    return;
  }
  consensus::Actions out;
  epochs_->begin_epoch(std::move(**next), finality->block, now_ms(), out);
  note_epoch();
  process(out);
}

core::Status ConsensusRuntime::start() {
  MN_TRY(make_engine());
  consensus::Epoch epoch;
  MN_TRY_ASSIGN(auto start, load_start(epoch));
  committed_height_ = start.committed.height;
  full_node_ = !epoch.validators.index_of(key_->public_key()).has_value();
  if (full_node_) spdlog::info("this node's key is not a validator's: it follows the chain as a full node");

  // Each job registers the frames it handles.
  net::TransportHandler handler;
  handler.by_type[net::FrameType::kConsensus] = [this](const crypto::PublicKey& peer, net::Frame frame) {
    on_consensus_frame(peer, std::move(frame));
  };
  handler.by_type[net::FrameType::kTxGossip] = [this](const crypto::PublicKey& peer, net::Frame frame) {
    on_gossip_frame(peer, std::move(frame));
  };
  handler.by_type[net::FrameType::kSyncRequest] = [this](const crypto::PublicKey& peer, net::Frame frame) {
    host_.post_work([this, peer, stream = frame.stream, bytes = std::move(frame.payload)] { answer_sync(peer, stream, bytes); });
  };
  handler.by_type[net::FrameType::kSyncResponse] = [this](const crypto::PublicKey& peer, net::Frame frame) {
    boost::asio::post(ctx_, [this, peer, bytes = std::move(frame.payload)] { on_sync_reply(peer, bytes); });
  };
  handler.by_type[net::FrameType::kRequest] = [this](const crypto::PublicKey& peer, net::Frame frame) {
    host_.post_work([this, peer, stream = frame.stream, bytes = std::move(frame.payload)] { answer_client(peer, stream, bytes); });
  };
  handler.by_type[net::FrameType::kHeaderSignatures] = [this](const crypto::PublicKey& peer, net::Frame frame) {
    on_header_signatures(peer, std::move(frame));
  };
  handler.by_type[net::FrameType::kCertRequest] = [this](const crypto::PublicKey& peer, net::Frame frame) {
    host_.post_work([this, peer, stream = frame.stream, bytes = std::move(frame.payload)] {
      answer_cert_request(peer, stream, bytes);
    });
  };
  handler.by_type[net::FrameType::kCertReply] = [this](const crypto::PublicKey& peer, net::Frame frame) {
    boost::asio::post(ctx_, [this, peer, bytes = std::move(frame.payload)] { on_cert_reply(peer, bytes); });
  };
  handler.by_type[net::FrameType::kHeaderRequest] = [this](const crypto::PublicKey& peer, net::Frame frame) {
    host_.post_work([this, peer, stream = frame.stream, bytes = std::move(frame.payload)] {
      answer_header_request(peer, stream, bytes);
    });
  };
  handler.by_type[net::FrameType::kHeaderReply] = [this](const crypto::PublicKey& peer, net::Frame frame) {
    boost::asio::post(ctx_, [this, peer, bytes = std::move(frame.payload)] { on_header_reply(peer, bytes); });
  };
  for (const auto& [type, extra] : config_.extra_handlers) handler.by_type[type] = extra;
  handler.on_connected = [this](const crypto::PublicKey& peer) {
    spdlog::info("xtmp: linked with {}", peer.to_hex().substr(0, 12));
    host_.post_work([this, peer] { gossip_pool_to(peer); });
  };
  handler.on_disconnected = [](const crypto::PublicKey& peer) {
    spdlog::info("xtmp: link to {} closed", peer.to_hex().substr(0, 12));
  };
  transport_ = std::make_unique<net::Transport>(config_.transport, std::move(handler));
  MN_TRY(transport_->start());
  xtmp_port_ = transport_->port();
  started_ = true;
  boost::asio::post(ctx_, [this, start = std::move(start), epoch = std::move(epoch)]() mutable {
    consensus::Actions out;
    epochs_->start(std::move(epoch), std::move(start), out);
    note_epoch();
    start_certifier();
    process(out);
    follow_epochs();  // a set published before the restart
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
  // Proposal checks still running post their verdicts into ctx_: wait for them before ctx_ can go.
  std::unique_lock lock(async_checks_mutex_);
  async_checks_done_.wait(lock, [this] { return async_checks_ == 0; });
}

std::uint16_t ConsensusRuntime::xtmp_port() const { return xtmp_port_.load(); }

bool ConsensusRuntime::send(const crypto::PublicKey& peer, net::FrameType type, core::ByteView payload) {
  return transport_ && transport_->send(peer, type, 0, payload);
}

RuntimeStatus ConsensusRuntime::status() const {
  RuntimeStatus s;
  s.committed_height = committed_height_.load();
  s.round = round_.load();
  s.rounds_timed_out = rounds_timed_out_.load();
  s.peers_connected = transport_ ? transport_->connected_count() : 0;
  s.messages_refused = messages_refused_.load();
  s.messages_from_non_validators = messages_from_non_validators_.load();
  s.equivocations_seen = equivocations_seen_.load();
  s.syncs_applied = syncs_applied_.load();
  s.syncs_refused = syncs_refused_.load();
  s.failed = failed_flag_.load();
  s.certified_height = certified_height_.load();
  s.certificates_gathered = certificates_gathered_.load();
  s.header_signatures_refused = header_signatures_refused_.load();
  s.full_node = full_node_.load();
  s.epoch = epoch_number_.load();
  s.validators = epoch_size_.load();
  s.xtmp_port = xtmp_port_.load();
  return s;
}

// A consensus frame's stream field carries the epoch its message belongs to (consensus/epochs.hpp).
void ConsensusRuntime::on_consensus_frame(const crypto::PublicKey& peer, net::Frame frame) {
  boost::asio::post(ctx_, [this, peer, epoch = frame.stream, bytes = std::move(frame.payload)] {
    if (failed_) return;
    consensus::Actions out;
    auto st = epochs_->on_message(peer, epoch, bytes, now_ms(), out);
    if (!st.ok()) {
      ++messages_refused_;
      if (st.error().code == core::ErrorCode::kConsensusUnknownSigner) {
        ++messages_from_non_validators_;
        spdlog::warn("consensus message from {}, which is not a validator: dropped (epoch {})", peer.to_hex().substr(0, 12),
                     epoch);
      } else {
        spdlog::debug("consensus message from {} refused: {}", peer.to_hex().substr(0, 12), st.error().to_string());
      }
    }
    process(out);
  });
}

bool ConsensusRuntime::flush_writes(storage::WriteBatch& batch) {
  if (batch.empty()) return true;
  auto st = chain_.db().write(std::move(batch), /*sync=*/true);
  batch = storage::WriteBatch();
  if (!st.ok()) {
    // Sending a vote whose safety state is not on disk could make this validator equivocate
    // after a restart: stop taking part instead.
    fail(core::make_error(st.error().code, "consensus state could not be persisted: " + st.error().message));
    return false;
  }
  return true;
}

void ConsensusRuntime::fail(core::Error why) {
  if (fault_reported_) return;
  fault_reported_ = true;
  failed_ = true;
  failed_flag_ = true;
  spdlog::critical("{}; this node stops (run `metanode verify`; `metanode node --help` says how to recover)",
                   why.to_string());
  host_.on_fault(why);
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
      transport_->send(validators().key(send->to), net::FrameType::kConsensus, epoch_stream(), *send->message);
      if (config_.fault_equivocate) send_conflicting_vote(*send->message, validators().key(send->to));
    } else if (auto* bcast = std::get_if<consensus::Broadcast>(&action)) {
      if (!flush_writes(writes)) return;
      // To every other member of the epoch's set (the transport's broadcast reaches only the
      // configured peers; a member that joined later is linked but not configured).
      for (const auto& member : validators().keys()) {
        if (member != key_->public_key()) transport_->send(member, net::FrameType::kConsensus, epoch_stream(), *bcast->message);
      }
      if (config_.fault_equivocate) send_conflicting_vote(*bcast->message, std::nullopt);
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
    } else if (auto* proposals = std::get_if<consensus::ProposalEquivocationSeen>(&action)) {
      ++equivocations_seen_;
      const crypto::PublicKey& leader = validators().key(proposals->signer);
      host_.on_proposal_equivocation(epochs_->epoch().number, leader, *proposals);
      spdlog::warn("validator {} of epoch {} proposed two blocks in round {} ({} and {})", leader.to_hex().substr(0, 12),
                   epochs_->epoch().number, proposals->first.round, consensus::short_hex(proposals->first.block_id),
                   consensus::short_hex(proposals->second.block_id));
    } else if (auto* equivocation = std::get_if<consensus::EquivocationSeen>(&action)) {
      ++equivocations_seen_;
      host_.on_equivocation(epochs_->epoch().number, validators().key(equivocation->first.signature.signer), *equivocation);
      const auto& d = equivocation->first.data;
      spdlog::warn("validator {} of epoch {} signed two conflicting {} votes at height {} round {} ({} and {})",
                   validators().key(equivocation->first.signature.signer).to_hex().substr(0, 12), epochs_->epoch().number,
                   consensus::vote_kind_name(d.kind), d.height, d.round, consensus::short_hex(d.block_id),
                   consensus::short_hex(equivocation->second.data.block_id));
    }
  }
  if (!flush_writes(writes)) return;
  if (propose_now) try_payload();
  bool applied = false;
  while (!commit_queue_.empty() && !failed_) {
    const consensus::CommitBlock commit = std::move(commit_queue_.front());
    commit_queue_.pop_front();
    apply_commit(commit);
    applied = true;
  }
  const auto s = epochs_->status();
  round_ = s.round;
  rounds_timed_out_ = s.rounds_timed_out;
  if (applied) follow_epochs();
}

void ConsensusRuntime::send_conflicting_vote(const core::Bytes& message, std::optional<crypto::PublicKey> to) {
  const auto conflicting = [this](consensus::SignedVote vote) {
    const core::Hash32 other = core::hash(core::Domain::Test, vote.data.block_id);
    if (vote.data.commit && vote.data.commit->block_id == vote.data.block_id) vote.data.commit->block_id = other;
    vote.data.block_id = other;
    vote.signature.signature = key_->sign_digest(vote.data.signing_digest(epochs_->chain_id()));
    return vote;
  };
  std::optional<core::Bytes> bytes;
  if (config_.engine == "hotstuff") {
    auto m = consensus::hotstuff::decode_message(message);
    if (!m.ok()) return;
    if (auto* v = std::get_if<consensus::hotstuff::Vote>(&*m)) {
      bytes = consensus::hotstuff::encode_message(consensus::hotstuff::Vote{conflicting(v->vote)});
    }
  } else {
    auto m = consensus::ibft::decode_message(message);
    if (!m.ok()) return;
    if (auto* p = std::get_if<consensus::ibft::Prepare>(&*m)) bytes = consensus::ibft::encode_message(consensus::ibft::Prepare{conflicting(p->vote)});
    if (auto* c = std::get_if<consensus::ibft::Commit>(&*m)) bytes = consensus::ibft::encode_message(consensus::ibft::Commit{conflicting(c->vote)});
  }
  if (!bytes) return;
  for (const auto& member : validators().keys()) {
    if (member == key_->public_key() || (to && member != *to)) continue;
    transport_->send(member, net::FrameType::kConsensus, epoch_stream(), *bytes);
  }
}

void ConsensusRuntime::arm_timer(std::uint64_t deadline_ms) {
  const std::uint64_t now = now_ms();
  engine_timer_.expires_after(std::chrono::milliseconds(deadline_ms > now ? deadline_ms - now : 0));
  engine_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || failed_) return;
    consensus::Actions out;
    epochs_->on_tick(now_ms(), out);
    process(out);
  });
}

}  // namespace metanode::node
