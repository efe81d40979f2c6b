// The committer: applies each committed consensus block to the chain (executor, state, one synced
// batch) with its finality proof, and forgets what the height settles.
#include "node/runtime/consensus_runtime.hpp"
#include "node/runtime/internal.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace metanode::node {

using consensus::ConsensusPayload;
using consensus::Finality;
using namespace runtime_internal;

void ConsensusRuntime::apply_commit(const consensus::CommitBlock& c) {
  const std::uint64_t height = c.block.height;
  const auto head = chain_.head();
  if (height <= head.height) {
    // Applied before a restart; it must be the very block we hold.
    auto stored = chain_.block(height);
    if (stored.ok() && stored->has_value()) {
      auto finality = core::decode<Finality>((*stored)->finality);
      if (!finality.ok() || finality->block.id() != c.block_id) {
        fail(core::make_error(core::ErrorCode::kStateCorrupt,
                              "height " + std::to_string(height) + " committed as " + consensus::short_hex(c.block_id) +
                                  " but this node applied another block"));
      }
    }
    return;
  }
  if (height != head.height + 1) {
    fail(core::make_error(core::ErrorCode::kStateCorrupt, "commit of height " + std::to_string(height) +
                                                              " does not follow the head " + std::to_string(head.height)));
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
  const bool all_verified = verify_unchecked(txs.txs);
  Finality finality{c.block, c.certificate, c.suffix};
  auto produced = chain_.apply_committed(std::move(txs.txs), txs.timestamp_unix_ms, validators().key(c.block.proposer),
                                         core::encode(finality), all_verified);
  if (!produced.ok()) {
    // Nothing of it was committed (the block is one batch); the node stops rather than go on from
    // a state it cannot trust.
    fail(core::make_error(produced.error().code, "applying committed height " + std::to_string(height) +
                                                     " failed: " + produced.error().message));
    return;
  }
  committed_height_ = height;
  if (produced->stored.block.header.tx_count > 0) last_tx_height_ = height;
  certify_applied(height, produced->stored.block.hash());
  host_.on_applied(*produced);
  forget_settled(height);
  const auto& h = produced->stored.block.header;
  spdlog::debug("height {} committed: {} txs, hash {}", height, h.tx_count, core::to_hex(h.hash()).substr(0, 16));
}

bool ConsensusRuntime::verify_unchecked(const std::vector<ledger::Transaction>& txs) {
  std::vector<core::Hash32> hashes(txs.size());
  for (std::size_t i = 0; i < txs.size(); ++i) hashes[i] = txs[i].hash();
  const std::vector<char> pending = host_.pending_exact(txs, hashes);
  std::vector<SignatureChecks::Item> unknown;
  for (std::size_t i = 0; i < txs.size(); ++i) {
    if (pending[i]) continue;
    const core::Hash32 key = SignatureChecks::key_of(txs[i]);
    if (!signatures_.verified(key)) unknown.push_back({i, key});
  }
  // A quorum can commit a block before this node has finished checking it (or without it, if
  // it was behind): check only the signatures not checked yet, in parallel, rather than have
  // the executor check the whole block again on this thread. Should one fail, the executor
  // checks every one and leaves the failures out, as it always has.
  if (unknown.empty()) return true;
  const auto results = signatures_.verify_and_wait(SignatureChecks::Lane::kConsensus, chain_.genesis_digest(), txs, unknown);
  return std::all_of(results.begin(), results.end(), [](const core::Status& st) { return st.ok(); });
}

void ConsensusRuntime::forget_settled(std::uint64_t height) {
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
}

}  // namespace metanode::node
