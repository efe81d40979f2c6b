// Block sync over XTMP: the shared sans-IO piece (consensus/sync.hpp, which the simulator runs
// too) decides what to ask, what to answer and what to feed the engine; this file carries its
// bytes. A node that is behind asks a peer for committed consensus blocks with their
// certificates; the engine verifies them before anything is applied.
#include <spdlog/spdlog.h>

#include "consensus/sync.hpp"
#include "node/runtime/consensus_runtime.hpp"
#include "node/runtime/internal.hpp"

namespace metanode::node {

using consensus::Finality;

void ConsensusRuntime::request_sync(consensus::ValidatorIndex peer, std::uint64_t peer_height) {
  const std::uint64_t head = chain_.head().height;
  if (!sync_.should_request(peer, peer_height, head, now_ms())) return;
  if (!transport_->send(validators_.key(peer), net::FrameType::kSyncRequest, 0, consensus::encode_sync_request(head + 1))) {
    sync_.reset();  // no link to that peer: ask again at the next chance
    return;
  }
  spdlog::info("behind: fetching committed blocks from height {} from validator {} (at {})", head + 1, peer, peer_height);
}

void ConsensusRuntime::answer_sync(const crypto::PublicKey& peer, std::uint32_t stream, core::ByteView request) {
  auto from = consensus::decode_sync_request(request);
  if (!from.ok()) {
    spdlog::warn("sync request from {} malformed: dropped", peer.to_hex().substr(0, 12));
    return;
  }
  const auto committed_at = [this](std::uint64_t height) -> std::optional<consensus::CommittedBlock> {
    auto stored = chain_.block(height);
    if (!stored.ok() || !stored->has_value()) return std::nullopt;
    auto finality = core::decode<Finality>((*stored)->finality);
    if (!finality.ok()) return std::nullopt;
    return consensus::CommittedBlock{std::move(finality->block), std::move(finality->cert), {}};
  };
  const consensus::SyncLimits limits{config_.sync_blocks_max, config_.sync_bytes_max};
  const auto runs = consensus::answer_sync(*from, chain_.head().height, committed_at, limits);
  transport_->send(peer, net::FrameType::kSyncResponse, stream, consensus::encode_sync_reply(runs));
}

void ConsensusRuntime::on_sync_reply(const crypto::PublicKey& peer, core::ByteView reply) {
  const auto index = validators_.index_of(peer);
  if (!index || !sync_.take_reply(*index)) {
    ++syncs_refused_;
    spdlog::warn("sync reply from {}, which was not asked: ignored", peer.to_hex().substr(0, 12));
    return;
  }
  if (failed_) return;
  auto runs = consensus::decode_sync_reply(reply);
  if (!runs.ok()) {
    ++syncs_refused_;
    spdlog::warn("sync reply from {} malformed: {}", peer.to_hex().substr(0, 12), runs.error().message);
    return;
  }
  if (full_node_) {
    const std::uint64_t before = follower_->committed_height();
    auto followed = follower_->follow(*runs, [this](consensus::Actions& out) { process(out); });
    if (!followed.ok()) {
      ++syncs_refused_;
      spdlog::warn("sync reply from {} refused: {}", peer.to_hex().substr(0, 12), followed.error().to_string());
      return;
    }
    if (follower_->committed_height() == before) return;
    ++syncs_applied_;
    spdlog::debug("followed to height {}", follower_->committed_height());
    request_follow();  // there may be more
    return;
  }
  const auto outcome = consensus::SyncClient::apply(
      *engine_, *runs, [this] { return chain_.head().height; }, now_ms(), [this](consensus::Actions& out) { process(out); });
  syncs_applied_ += outcome.runs_applied;
  if (outcome.refused) {
    ++syncs_refused_;
    spdlog::warn("sync reply from {} refused: {}", peer.to_hex().substr(0, 12), outcome.refused->to_string());
    return;
  }
  if (runs->empty() || runs->back().blocks.empty() || chain_.head().height < runs->back().blocks.back().height) return;
  spdlog::info("synced to height {}", chain_.head().height);
  // A full reply: there may be more.
  request_sync(*index, 0);
}

void ConsensusRuntime::request_follow() {
  if (failed_ || !follower_ || validators_.size() == 0) return;
  for (std::size_t tried = 0; tried < validators_.size(); ++tried) {
    follow_peer_ = (follow_peer_ + 1) % validators_.size();
    const auto peer = static_cast<consensus::ValidatorIndex>(follow_peer_);
    // One request outstanding; an unanswered one is asked again of the next validator.
    if (!sync_.should_request(peer, 0, follower_->committed_height(), now_ms())) return;
    if (transport_->send(validators_.key(peer), net::FrameType::kSyncRequest, 0,
                         consensus::encode_sync_request(follower_->committed_height() + 1))) {
      return;
    }
    sync_.reset();  // no link to that one: the next
  }
}

void ConsensusRuntime::arm_follow_timer() {
  follow_timer_.expires_after(std::chrono::milliseconds(kFollowTickMs));
  follow_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || failed_) return;
    request_follow();
    arm_follow_timer();
  });
}

}  // namespace metanode::node
