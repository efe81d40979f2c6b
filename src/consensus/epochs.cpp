#include "consensus/epochs.hpp"

#include "consensus/sync.hpp"
#include "core/codec.hpp"

namespace metanode::consensus {

EpochEngine::EpochEngine(EngineConfig base, Factory make) : base_(std::move(base)), make_(std::move(make)) {}

void EpochEngine::start(Epoch epoch, EngineStart start, Actions& out) {
  // Persisted state of another epoch is moot: that epoch is over.
  if (start.persisted) {
    core::Reader r(*start.persisted);
    auto tagged = r.u64();
    if (tagged.ok() && *tagged == epoch.number) {
      auto rest = r.fixed(r.remaining());
      start.persisted = rest.ok() ? std::optional<core::Bytes>(core::Bytes(rest->begin(), rest->end())) : std::nullopt;
    } else {
      start.persisted.reset();
    }
  }
  enter(std::move(epoch), std::move(start), out);
}

void EpochEngine::begin_epoch(Epoch next, const Block& root, std::uint64_t now_ms, Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  EngineStart start;
  start.committed = root;
  start.epoch_root = true;
  start.now_ms = now_ms_;
  enter(std::move(next), std::move(start), out);
}

void EpochEngine::enter(Epoch epoch, EngineStart start, Actions& out) {
  if (engine_) timed_out_before_ += engine_->status().rounds_timed_out;
  engine_.reset();
  now_ms_ = std::max(now_ms_, start.now_ms);
  epoch_ = std::move(epoch);
  epoch_chain_id_ = epoch_chain_id(base_.chain_id, epoch_.number);
  ended_ = false;
  committed_height_ = start.committed.height;
  committed_id_ = start.committed.id();
  progress_ms_ = now_ms_;
  const auto self = epoch_.validators.index_of(base_.key->public_key());
  if (self) {
    EngineConfig config = base_;
    config.chain_id = epoch_chain_id_;
    config.validators = epoch_.validators;
    config.self = *self;
    engine_ = make_(std::move(config));
    Actions inner;
    engine_->start(start, inner);
    forward(std::move(inner), out);
  } else {
    follow_tick(now_ms_, out);
  }
  // Messages that arrived early for this epoch; older ones are moot.
  std::deque<Future> waiting;
  waiting.swap(future_);
  for (auto& f : waiting) {
    if (f.epoch > epoch_.number) {
      future_.push_back(std::move(f));
    } else if (f.epoch == epoch_.number && !ended_) {
      (void)on_message(f.from, f.epoch, f.message, now_ms_, out);
    }
  }
}

core::Status EpochEngine::on_message(const crypto::PublicKey& from, std::uint64_t epoch, core::ByteView message,
                                     std::uint64_t now_ms, Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  if (epoch < epoch_.number || (epoch == epoch_.number && ended_)) {
    ++stale_messages_;
    return {};
  }
  const auto index = epoch_.validators.index_of(from);
  if (epoch > epoch_.number) {
    if (future_.size() >= kFutureMessagesMax) future_.pop_front();
    future_.push_back(Future{from, epoch, core::Bytes(message.begin(), message.end())});
    // The sender is an epoch ahead: this node is behind (or about to apply the block that ends
    // its epoch, and then the sync asks for nothing). It asks the sender when the sender is in
    // this epoch's set; otherwise the stall (or follow) tick asks the members in turn. (Turning
    // the members here too would let the two turns cancel out, one member asked for ever.)
    if (!ended_ && index) out.push_back(SyncNeeded{*index, 0});
    return {};
  }
  if (!engine_) return {};  // a follower has no vote; it follows by sync
  if (!index) {
    return core::make_error(core::ErrorCode::kConsensusUnknownSigner, "message from a key outside epoch " +
                                                                          std::to_string(epoch_.number) + "'s validators");
  }
  Actions inner;
  auto st = engine_->on_message(*index, message, now_ms_, inner);
  forward(std::move(inner), out);
  return st;
}

void EpochEngine::on_tick(std::uint64_t now_ms, Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  if (ended_) return;
  if (!engine_) return follow_tick(now_ms_, out);
  Actions inner;
  engine_->on_tick(now_ms_, inner);
  forward(std::move(inner), out);
  // Nothing committed for a while: perhaps the others finished this epoch and left it (they
  // answer no message of it any more). Ask the members in turn for blocks this node lacks; a
  // member with none answers nothing.
  if (!ended_ && now_ms_ >= progress_ms_ + kStallSyncMs && now_ms_ >= stall_sync_ms_ + kStallSyncMs &&
      epoch_.validators.size() > 1) {
    stall_sync_ms_ = now_ms_;
    follow_peer_ = (follow_peer_ + 1) % epoch_.validators.size();
    if (epoch_.validators.key(static_cast<ValidatorIndex>(follow_peer_)) == base_.key->public_key()) {
      follow_peer_ = (follow_peer_ + 1) % epoch_.validators.size();
    }
    out.push_back(SyncNeeded{static_cast<ValidatorIndex>(follow_peer_), 0});
  }
}

void EpochEngine::follow_tick(std::uint64_t now_ms, Actions& out) {
  if (epoch_.validators.size() > 0) {
    follow_peer_ = (follow_peer_ + 1) % epoch_.validators.size();
    out.push_back(SyncNeeded{static_cast<ValidatorIndex>(follow_peer_), 0});
  }
  out.push_back(SetTimer{now_ms + kFollowRetryMs});
}

void EpochEngine::on_payload(std::uint64_t height, core::Bytes payload, std::uint64_t now_ms, Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  if (ended_ || !engine_) return;
  if (height > epoch_.last_height) payload.clear();  // past the epoch: never applied, so carries nothing
  Actions inner;
  engine_->on_payload(height, std::move(payload), now_ms_, inner);
  forward(std::move(inner), out);
}

void EpochEngine::on_payload_verdict(const core::Hash32& block_id, bool valid, std::uint64_t now_ms, Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  if (ended_ || !engine_) return;
  Actions inner;
  engine_->on_payload_verdict(block_id, valid, now_ms_, inner);
  forward(std::move(inner), out);
}

core::Status EpochEngine::on_synced_blocks(const std::vector<Block>& blocks, const QuorumCert& cert, std::uint64_t now_ms,
                                           Actions& out) {
  now_ms_ = std::max(now_ms_, now_ms);
  if (ended_ || blocks.empty() || blocks.front().height > epoch_.last_height) return {};
  Actions inner;
  if (engine_) {
    MN_TRY(engine_->on_synced_blocks(blocks, cert, now_ms_, inner));
  } else {
    MN_TRY_ASSIGN(const auto ids, check_sync_run(blocks, cert, committed_height_, committed_id_, epoch_.validators,
                                                 epoch_chain_id_, *base_.verifier));
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      CommitBlock c;
      c.block = blocks[i];
      c.block_id = ids[i];
      c.certificate = cert;
      inner.push_back(std::move(c));
    }
  }
  forward(std::move(inner), out);
  return {};
}

void EpochEngine::forward(Actions inner, Actions& out) {
  std::deque<Actions> batches;
  batches.push_back(std::move(inner));
  std::optional<std::size_t> last_commit;  // where in `out` the epoch's last block went
  while (!batches.empty()) {
    Actions batch = std::move(batches.front());
    batches.pop_front();
    for (auto& action : batch) {
      if (auto* commit = std::get_if<CommitBlock>(&action)) {
        if (commit->block.height <= epoch_.last_height && !ended_) {
          committed_height_ = commit->block.height;
          committed_id_ = commit->block_id;
          progress_ms_ = now_ms_;
          out.push_back(std::move(*commit));
          if (committed_height_ == epoch_.last_height) {
            ended_ = true;
            last_commit = out.size() - 1;
          }
        } else if (last_commit) {
          auto& last = std::get<CommitBlock>(out[*last_commit]);
          last.suffix.push_back(std::move(commit->block));
          last.certificate = commit->certificate;
        }
        continue;
      }
      if (ended_) continue;  // the epoch is over: nothing else of it goes out
      if (auto* persist = std::get_if<PersistState>(&action)) {
        core::Writer w(persist->state.size() + 8);
        w.u64(epoch_.number);
        w.fixed(persist->state);
        persist->state = std::move(w).take();
      } else if (auto* request = std::get_if<RequestPayload>(&action); request && request->height > epoch_.last_height) {
        Actions more;
        engine_->on_payload(request->height, {}, now_ms_, more);
        batches.push_back(std::move(more));
        continue;
      } else if (auto* validate = std::get_if<ValidatePayload>(&action); validate && validate->height > epoch_.last_height) {
        Actions more;
        engine_->on_payload_verdict(validate->block_id, validate->payload->empty(), now_ms_, more);
        batches.push_back(std::move(more));
        continue;
      }
      out.push_back(std::move(action));
    }
  }
}

EngineStatus EpochEngine::status() const {
  EngineStatus s;
  if (engine_) s = engine_->status();
  s.committed_height = committed_height_;
  if (!engine_) s.height = committed_height_ + 1;
  s.rounds_timed_out += timed_out_before_;
  return s;
}

}  // namespace metanode::consensus
