// The node's one signature-check path. A bounded set remembers the transactions whose signatures
// this node verified (keyed by the hash of their whole encoding, signatures included: the
// transaction hash leaves them out), and one chunked verifier runs the checks on verification
// threads. Admission, proposal checks and blocks committed before this node checked them all go
// through it, so a transaction is verified once per node, whichever path sees it first: the set
// is consulted again just before each verification and each success is recorded at once.
//
// Two lanes with their own threads: a proposal checked late times its round out, so proposal
// and commit checks never queue behind a flood of submissions and gossip.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "consensus/types.hpp"
#include "core/result.hpp"
#include "ledger/transaction.hpp"

namespace metanode::node {

class SignatureChecks {
 public:
  enum class Lane { kAdmission, kConsensus };

  // Transactions remembered as verified; older ones are forgotten first.
  static constexpr std::size_t kRememberedMax = 400'000;
  // Verification threads per lane.
  static constexpr std::size_t kThreadsPerLane = 2;
  // A chunk is one task on a verification thread: at most this many transactions (so a bad
  // signature stops a big proposal's check early and lanes interleave), at least the minimum
  // (so a small batch is not spread thinner than a thread hand-off is worth).
  static constexpr std::size_t kChunkTxsMax = 128;
  static constexpr std::size_t kChunkTxsMin = 16;

  SignatureChecks();
  ~SignatureChecks();
  SignatureChecks(const SignatureChecks&) = delete;
  SignatureChecks& operator=(const SignatureChecks&) = delete;

  static core::Hash32 key_of(const ledger::Transaction& tx);
  // Thread-safe.
  bool verified(const core::Hash32& key) const;
  void mark_verified(const core::Hash32& key);

  // One transaction to check: its position in the caller's vector and its key_of.
  struct Item {
    std::size_t index = 0;
    core::Hash32 key{};
  };

  // Checks txs[item.index] for every item on `lane`'s threads and waits; results[k] is item k's
  // outcome. Signatures must sign for the chain of genesis_digest (Transaction::check_signatures).
  // The caller must not be a verification thread.
  std::vector<core::Status> verify_and_wait(Lane lane, const core::Hash32& genesis_digest,
                                            const std::vector<ledger::Transaction>& txs,
                                            const std::vector<Item>& items);

  // The same without waiting: `done` runs once, on a verification thread, after the last chunk,
  // with an empty string when every signature verified or the first failure otherwise (checks
  // stop at the first failure).
  void verify_async(Lane lane, const core::Hash32& genesis_digest,
                    std::shared_ptr<const std::vector<ledger::Transaction>> txs, std::vector<Item> items,
                    std::function<void(const std::string& first_failure)> done);

 private:
  static std::size_t chunk_size(std::size_t items);
  boost::asio::thread_pool& pool(Lane lane) { return lane == Lane::kAdmission ? admission_pool_ : consensus_pool_; }

  mutable std::mutex mutex_;
  std::unordered_set<core::Hash32, consensus::Hash32Hash> set_;
  std::deque<core::Hash32> order_;
  boost::asio::thread_pool admission_pool_{kThreadsPerLane};
  boost::asio::thread_pool consensus_pool_{kThreadsPerLane};
};

}  // namespace metanode::node
