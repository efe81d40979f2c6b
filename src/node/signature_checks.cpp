#include "node/signature_checks.hpp"

#include <atomic>
#include <boost/asio/post.hpp>

#include "core/codec.hpp"
#include "core/hash.hpp"
#include "node/parallel.hpp"

namespace metanode::node {

SignatureChecks::SignatureChecks() = default;

SignatureChecks::~SignatureChecks() {
  admission_pool_.join();
  consensus_pool_.join();
}

core::Hash32 SignatureChecks::key_of(const ledger::Transaction& tx) {
  return core::hash(core::Domain::SignatureCache, core::encode(tx));
}

bool SignatureChecks::verified(const core::Hash32& key) const {
  std::lock_guard lock(mutex_);
  return set_.contains(key);
}

void SignatureChecks::mark_verified(const core::Hash32& key) {
  std::lock_guard lock(mutex_);
  if (!set_.insert(key).second) return;
  order_.push_back(key);
  if (order_.size() > kRememberedMax) {
    set_.erase(order_.front());
    order_.pop_front();
  }
}

std::size_t SignatureChecks::chunk_size(std::size_t items) {
  const std::size_t per_thread = (items + kThreadsPerLane - 1) / kThreadsPerLane;
  return std::clamp(per_thread, kChunkTxsMin, kChunkTxsMax);
}

std::vector<core::Status> SignatureChecks::verify_and_wait(Lane lane, const core::Hash32& genesis_digest,
                                                           const std::vector<ledger::Transaction>& txs,
                                                           const std::vector<Item>& items) {
  std::vector<core::Status> results(items.size());
  const auto check_range = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k) {
      const Item& item = items[k];
      if (verified(item.key)) continue;  // another path verified it meanwhile
      results[k] = txs[item.index].check_signatures(genesis_digest);
      if (results[k].ok()) mark_verified(item.key);
    }
  };
  const std::size_t chunk = chunk_size(items.size());
  const std::size_t chunks = (items.size() + chunk - 1) / chunk;
  if (chunks <= 1) {
    check_range(0, items.size());  // not worth a hand-off
  } else {
    // The verification threads never wait for the caller, so this cannot deadlock.
    run_chunks_and_wait(pool(lane), chunks, [&](std::size_t c) {
      check_range(c * chunk, std::min(items.size(), (c + 1) * chunk));
    });
  }
  return results;
}

void SignatureChecks::verify_async(Lane lane, const core::Hash32& genesis_digest,
                                   std::shared_ptr<const std::vector<ledger::Transaction>> txs, std::vector<Item> items,
                                   std::function<void(const std::string& first_failure)> done) {
  struct Job {
    std::vector<Item> items;
    std::shared_ptr<const std::vector<ledger::Transaction>> txs;
    std::function<void(const std::string&)> done;
    std::atomic<std::size_t> chunks_left{0};
    std::atomic<bool> bad{false};
    std::mutex mutex;
    std::string why;
  };
  auto job = std::make_shared<Job>();
  job->items = std::move(items);
  job->txs = std::move(txs);
  job->done = std::move(done);
  const std::size_t chunk = chunk_size(job->items.size());
  const std::size_t chunks = (job->items.size() + chunk - 1) / chunk;
  if (chunks == 0) {
    boost::asio::post(pool(lane), [job] { job->done(""); });
    return;
  }
  job->chunks_left = chunks;
  for (std::size_t c = 0; c < chunks; ++c) {
    boost::asio::post(pool(lane), [this, job, genesis_digest, from = c * chunk,
                                   to = std::min(job->items.size(), (c + 1) * chunk)] {
      for (std::size_t k = from; k < to && !job->bad; ++k) {
        const Item& item = job->items[k];
        if (verified(item.key)) continue;
        const ledger::Transaction& tx = (*job->txs)[item.index];
        if (auto st = tx.check_signatures(genesis_digest); !st.ok()) {
          std::lock_guard lock(job->mutex);
          if (!job->bad.exchange(true)) {
            job->why = "transaction " + core::to_hex(tx.hash()).substr(0, 16) + ": " + st.error().message;
          }
        } else {
          mark_verified(item.key);
        }
      }
      if (job->chunks_left.fetch_sub(1) == 1) job->done(job->bad ? job->why : std::string());
    });
  }
}

}  // namespace metanode::node
