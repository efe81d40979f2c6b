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
  if (peer >= validators().size()) return;  // an index of another epoch's set: never a crash
  if (!sync_.should_request(peer, peer_height, head, now_ms())) return;
  if (!transport_->send(validators().key(peer), net::FrameType::kSyncRequest, 0, consensus::encode_sync_request(head + 1))) {
    sync_.reset();  // no link to that peer: ask again at the next chance
    return;
  }
  if (peer_height > 0) {
    spdlog::info("behind: fetching committed blocks from height {} from validator {} (at {})", head + 1, peer, peer_height);
  }
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
    return consensus::CommittedBlock{std::move(finality->block), std::move(finality->cert), std::move(finality->suffix)};
  };
  const consensus::SyncLimits limits{config_.sync_blocks_max, config_.sync_bytes_max};
  const auto runs = consensus::answer_sync(*from, chain_.head().height, committed_at, limits);
  transport_->send(peer, net::FrameType::kSyncResponse, stream, consensus::encode_sync_reply(runs));
}

void ConsensusRuntime::on_sync_reply(const crypto::PublicKey& peer, core::ByteView reply) {
  const auto index = validators().index_of(peer);
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
  const std::uint64_t before = chain_.head().height;
  const auto outcome = consensus::SyncClient::apply(
      *epochs_, *runs, [this] { return chain_.head().height; }, now_ms(), [this](consensus::Actions& out) { process(out); });
  syncs_applied_ += outcome.runs_applied;
  if (outcome.refused) {
    ++syncs_refused_;
    spdlog::warn("sync reply from {} refused: {}", peer.to_hex().substr(0, 12), outcome.refused->to_string());
    return;
  }
  if (chain_.head().height == before) return;
  spdlog::log(epochs_->voting() ? spdlog::level::info : spdlog::level::debug, "synced to height {}", chain_.head().height);
  // A full reply, or one that ended an epoch: there may be more. Asked of the peer by its index
  // in the set in force now: the reply may have ended an epoch, and the next set numbers its
  // members anew (or leaves the peer out: the stall tick then asks the members in turn).
  if (!runs->empty() && !runs->back().blocks.empty() && chain_.head().height + 1 >= runs->back().blocks.front().height) {
    if (const auto now_index = validators().index_of(peer)) request_sync(*now_index, 0);
  }
}

}  // namespace metanode::node
