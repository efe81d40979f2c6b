#include "consensus/sync.hpp"

#include "core/codec.hpp"

namespace metanode::consensus {

core::Bytes encode_sync_request(std::uint64_t from_height) {
  core::Writer w(8);
  w.u64(from_height);
  return std::move(w).take();
}

core::Result<std::uint64_t> decode_sync_request(core::ByteView bytes) {
  core::Reader r(bytes);
  MN_TRY_ASSIGN(const std::uint64_t from, r.u64());
  MN_TRY(r.finish());
  return from;
}

core::Bytes encode_sync_reply(const std::vector<SyncRun>& runs) {
  core::Writer w;
  w.vector(runs, kSyncRunsMax, [](core::Writer& out, const SyncRun& run) {
    out.vector(run.blocks, kSyncRunsMax, [](core::Writer& o, const Block& b) { b.encode(o); });
    run.cert.encode(out);
  });
  return std::move(w).take();
}

core::Result<std::vector<SyncRun>> decode_sync_reply(core::ByteView bytes) {
  core::Reader r(bytes);
  MN_TRY_ASSIGN(auto runs, r.vector<SyncRun>(kSyncRunsMax, [](core::Reader& in) -> core::Result<SyncRun> {
    SyncRun run;
    MN_TRY_ASSIGN(run.blocks, in.vector<Block>(kSyncRunsMax, [](core::Reader& i) { return Block::decode(i); }));
    MN_TRY_ASSIGN(run.cert, QuorumCert::decode(in));
    return run;
  }));
  MN_TRY(r.finish());
  return runs;
}

std::vector<SyncRun> answer_sync(std::uint64_t from, std::uint64_t head, const CommittedAt& committed,
                                 const SyncLimits& limits) {
  std::vector<SyncRun> runs;
  SyncRun run;
  std::size_t bytes = 0;
  std::size_t blocks = 0;
  for (std::uint64_t h = std::max<std::uint64_t>(from, 1); h <= head && blocks < limits.blocks_max; ++h) {
    auto c = committed(h);
    if (!c) break;
    bytes += c->block.payload.size();
    ++blocks;
    run.blocks.push_back(std::move(c->block));
    const std::uint64_t closes = c->suffix.empty() ? h : c->suffix.back().height;
    for (auto& b : c->suffix) run.blocks.push_back(std::move(b));
    if (c->cert.data.commit && c->cert.data.commit->height == closes) {
      run.cert = std::move(c->cert);
      runs.push_back(std::move(run));
      run = SyncRun{};
      if (bytes >= limits.payload_bytes_max || runs.size() >= kSyncRunsMax) break;
    }
  }
  return runs;
}

core::Result<std::vector<core::Hash32>> check_sync_run(const std::vector<Block>& blocks, const QuorumCert& cert,
                                                       std::uint64_t committed_height, const core::Hash32& committed_id,
                                                       const ValidatorSet& validators, const core::Hash32& chain_id,
                                                       SignatureVerifier& verifier) {
  if (blocks.empty()) return core::make_error(core::ErrorCode::kInvalidArgument, "no blocks to sync");
  if (blocks.front().height != committed_height + 1) {
    return core::make_error(core::ErrorCode::kConsensusWrongHeight, "synced blocks start at height " +
                                                                       std::to_string(blocks.front().height) + ", expected " +
                                                                       std::to_string(committed_height + 1));
  }
  std::vector<core::Hash32> ids;
  ids.reserve(blocks.size());
  core::Hash32 parent = committed_id;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].height != committed_height + 1 + i || blocks[i].parent_id != parent) {
      return core::make_error(core::ErrorCode::kConsensusInvalidMessage, "synced blocks do not form a chain");
    }
    ids.push_back(blocks[i].id());
    parent = ids.back();
  }
  MN_TRY(verify_commit_certificate(cert, blocks.back().height, ids.back(), validators, chain_id, verifier));
  return ids;
}

core::Status SyncFollower::follow(const std::vector<SyncRun>& runs, const std::function<void(Actions&)>& process) {
  for (const auto& run : runs) {
    if (run.blocks.empty() || run.blocks.front().height != committed_height_ + 1) continue;
    MN_TRY_ASSIGN(const auto ids,
                  check_sync_run(run.blocks, run.cert, committed_height_, committed_id_, validators_, chain_id_, *verifier_));
    Actions out;
    for (std::size_t i = 0; i < run.blocks.size(); ++i) out.push_back(CommitBlock{run.blocks[i], ids[i], run.cert, {}});
    committed_height_ = run.blocks.back().height;
    committed_id_ = ids.back();
    process(out);
  }
  return {};
}

bool SyncClient::should_request(ValidatorIndex peer, std::uint64_t peer_height, std::uint64_t head,
                                std::uint64_t now_ms) {
  if (outstanding_ && now_ms < sent_ms_ + retry_ms_) return false;
  if (peer_height != 0 && peer_height <= head) return false;  // the peer has nothing we lack
  outstanding_ = true;
  peer_ = peer;
  sent_ms_ = now_ms;
  return true;
}

bool SyncClient::take_reply(ValidatorIndex peer) {
  if (!outstanding_ || peer != peer_) return false;
  outstanding_ = false;
  return true;
}

}  // namespace metanode::consensus
