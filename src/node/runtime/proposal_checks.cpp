// Proposal checks: decoding, limits and the stateless checks of every transaction of a proposed
// payload, and the signatures not verified here yet (on the consensus lane, off this thread),
// before the engine may vote for it.
#include "node/runtime/consensus_runtime.hpp"
#include "node/runtime/internal.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"

namespace metanode::node {

using consensus::ConsensusPayload;
using consensus::Finality;
using namespace runtime_internal;

void ConsensusRuntime::validate_payload(const consensus::ValidatePayload& v) {
  if (failed_) return;
  const auto verdict = [this](const core::Hash32& block_id, bool valid) {
    consensus::Actions out;
    epochs_->on_payload_verdict(block_id, valid, now_ms(), out);
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
  const ledger::ChainBinding chain = chain_.binding();
  std::vector<core::Hash32> hashes(txs.size());
  for (std::size_t i = 0; i < txs.size(); ++i) hashes[i] = txs[i].hash();
  // Signatures this node verified already (pending here, or in an earlier proposal) are not
  // checked again; the rest are checked on the worker threads, in parallel, while the
  // consensus thread goes on with other messages.
  std::vector<char> known = host_.pending_exact(txs, hashes);
  std::vector<SignatureChecks::Item> unknown;
  for (std::size_t i = 0; i < txs.size(); ++i) {
    if (auto st = chain_.modules().check_stateless(txs[i], chain, /*verify_signatures=*/false); !st.ok()) {
      return refuse("transaction " + core::to_hex(hashes[i]).substr(0, 16) + ": " + st.error().message);
    }
    if (known[i]) continue;
    const core::Hash32 key = SignatureChecks::key_of(txs[i]);
    if (!signatures_.verified(key)) unknown.push_back({i, key});
  }
  Inflight inflight = inflight_of(v.height, v.parent_id, *payload);
  if (unknown.empty()) {
    validated_[v.block_id] = std::move(inflight);
    return verdict(v.block_id, true);
  }
  // Checked on the consensus lane's threads while this thread goes on with other messages; the
  // verdict comes back here.
  auto finish = [this, block_id = v.block_id, height = v.height, inflight = std::move(inflight)](
                    const std::string& why) mutable {
    if (failed_) return;
    if (!why.empty()) spdlog::warn("proposal for height {} refused: {}", height, why);
    if (why.empty()) validated_[block_id] = std::move(inflight);
    consensus::Actions out;
    epochs_->on_payload_verdict(block_id, why.empty(), now_ms(), out);
    process(out);
  };
  auto shared_finish = std::make_shared<decltype(finish)>(std::move(finish));
  const std::shared_ptr<const std::vector<ledger::Transaction>> checked(payload, &payload->txs);
  {
    std::lock_guard lock(async_checks_mutex_);
    ++async_checks_;
  }
  signatures_.verify_async(SignatureChecks::Lane::kConsensus, chain_.genesis_digest(), checked, std::move(unknown),
                           [this, shared_finish](const std::string& why) {
                             boost::asio::post(ctx_, [shared_finish, why] { (*shared_finish)(why); });
                             std::lock_guard lock(async_checks_mutex_);
                             if (--async_checks_ == 0) async_checks_done_.notify_all();
                           });
}

}  // namespace metanode::node
