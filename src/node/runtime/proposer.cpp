// The proposer: when the engine asks for a payload, builds it from the auction mempool on the
// committed state plus the nonces of uncommitted ancestors, or waits (idle interval) for more.
#include "node/runtime/consensus_runtime.hpp"
#include "node/runtime/internal.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"

namespace metanode::node {

using consensus::ConsensusPayload;
using consensus::Finality;
using namespace runtime_internal;

namespace {

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

}  // namespace

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
  pipeline_busy = pipeline_busy || (last_tx_height_ > 0 && request.height <= last_tx_height_ + epochs_->commit_spread_blocks());
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
  epochs_->on_payload(request.height, core::encode(payload), now, out);
  process(out);
}

}  // namespace metanode::node
