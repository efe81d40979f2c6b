// Block sync: a node that is behind asks a peer for committed consensus blocks with their
// certificates; the engine verifies them before anything is applied. Also answers such requests.
#include "node/runtime/consensus_runtime.hpp"
#include "node/runtime/internal.hpp"

#include <spdlog/spdlog.h>

namespace metanode::node {

using consensus::ConsensusPayload;
using consensus::Finality;
using namespace runtime_internal;

namespace {

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

}  // namespace metanode::node
