// Tests only: makes blocks for a node that runs no consensus (NodeConfig::run_consensus false),
// from its transaction pool, signed by its validator key, and tells its block listeners, as
// the runtime's committer does. Calls are serialised (two blocks built at once would extend the
// same parent). Optionally makes one every interval on its own thread.
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "node/node.hpp"

namespace metanode::testing {

class SingleProducer {
 public:
  explicit SingleProducer(node::Node& node) : node_(node) {}
  ~SingleProducer() { stop(); }

  // One block now from the pool; nullopt when there is nothing to include (and the node's
  // config does not ask for empty blocks).
  core::Result<std::optional<ledger::ProducedBlock>> produce_once() {
    std::lock_guard lock(produce_mutex_);
    std::vector<ledger::Transaction> candidates = node_.tx_pool().propose(node_.chain());
    if (candidates.empty() && !node_.config().empty_blocks) return std::optional<ledger::ProducedBlock>{};
    MN_TRY_ASSIGN(auto produced, node_.chain().produce_block(std::move(candidates), core::SystemClock().now_unix_ms(),
                                                             node_.validator_key(), /*signatures_verified=*/true));
    node_.block_listeners().notify(produced);
    return std::optional<ledger::ProducedBlock>{std::move(produced)};
  }

  // A block every `interval` on a thread of its own, until stop().
  void start(std::chrono::milliseconds interval) {
    thread_ = std::thread([this, interval] {
      auto next = std::chrono::steady_clock::now();
      while (!stopping_) {
        next += interval;
        {
          std::unique_lock lock(wake_mutex_);
          wake_.wait_until(lock, next, [this] { return stopping_.load(); });
        }
        if (stopping_) break;
        if (auto produced = produce_once(); !produced.ok()) {
          spdlog::error("block production failed: {}", produced.error().to_string());
        }
        const auto now = std::chrono::steady_clock::now();
        if (next < now) next = now;  // no burst to catch up after a slow block
      }
    });
  }
  void stop() {
    stopping_ = true;
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  node::Node& node_;
  std::mutex produce_mutex_;
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace metanode::testing
