// The oracle's off-chain half, run by every node whose key holds role "oracle" (modules/oracle/
// oracle.hpp): each interval it fetches each feed's sources (their median, scaled to the feed's
// decimals), signs an observation for the feed's next round and sends it over XTMP to the other
// operators' nodes. Whoever holds fresh observations of a quorum of distinct operators, for a
// round that is due (deviation or heartbeat), submits them as the report: the round's leader
// (operators[round % n]) first, any other operator after kBackupAfterMs, so a leader that is down
// does not stop rounds. The chain checks everything again; duplicates are refused there
// (oracle_stale_round) and cost only their fee.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "crypto/ed25519.hpp"
#include "ledger/chain.hpp"
#include "modules/oracle/oracle.hpp"
#include "node/tx_pool.hpp"

namespace metanode::node {

// Frame kOracleObservation: one signed observation for a feed's round.
struct ObservationMessage {
  std::string feed;
  std::uint64_t round = 0;
  modules::Observation observation;
  void encode(core::Writer& w) const;
  static core::Result<ObservationMessage> decode(core::Reader& r);
};

struct OracleCounters {
  std::uint64_t fetch_failures = 0;    // a source that did not answer a number
  std::uint64_t observations_signed = 0;
  std::uint64_t observations_received = 0;  // valid ones from other operators
  std::uint64_t observations_refused = 0;   // bad signature, not an operator, another round
  std::uint64_t reports_submitted = 0;
  std::uint64_t reports_refused = 0;        // the pool refused (its code is logged)
};

class OracleReporter {
 public:
  static constexpr std::int64_t kBackupAfterMs = 3'000;   // others submit when the leader has not
  static constexpr std::int64_t kResubmitAfterMs = 6'000;  // nor its report landed
  static constexpr std::int64_t kFreshnessMarginMs = 3'000;  // an observation must outlive its block's inclusion

  // The value of one feed now: its sources' median, scaled (a test injects a liar here).
  using Fetch = std::function<core::Result<std::int64_t>(const modules::FeedSpec& spec)>;
  using Send = std::function<bool(const crypto::PublicKey& peer, core::Bytes message)>;
  using Peers = std::function<std::vector<crypto::PublicKey>()>;  // the keys of the nodes this one links to
  using Clock = std::function<std::int64_t()>;                      // unix ms

  OracleReporter(const ledger::Chain& chain, TxPool& pool, const crypto::KeyPair& key, Fetch fetch, Send send, Peers peers,
                 Clock clock);

  // One pass over every feed (the node's oracle thread calls it each interval).
  void tick();
  void on_message(const crypto::PublicKey& peer, core::ByteView bytes);

  OracleCounters counters() const;
  std::string metrics_text() const;

 private:
  struct Round {
    std::uint64_t round = 0;
    std::map<crypto::PublicKey, modules::Observation> observations;  // by operator
    std::int64_t observed_ms = 0;      // when this node last observed (for the logs and metrics)
    std::int64_t quorum_since_ms = 0;  // when a due quorum was first held
    std::int64_t submitted_ms = 0;
  };
  void tick_feed(const modules::FeedSpec& spec, const std::vector<crypto::Address>& operators);
  void submit(const modules::FeedSpec& spec, Round& round, const std::vector<modules::Observation>& observations);

  const ledger::Chain& chain_;
  TxPool& pool_;
  const crypto::KeyPair& key_;
  crypto::Address address_;
  Fetch fetch_;
  Send send_;
  Peers peers_;
  Clock clock_;
  mutable std::mutex mutex_;
  std::map<std::string, Round> rounds_;  // by feed: the next round's observations
  OracleCounters counters_;
};

// The fetcher the node uses: each source fetched (fetcher.hpp) and the median of those that
// answered; an error when none did.
OracleReporter::Fetch http_fetch(std::chrono::milliseconds timeout, std::size_t response_bytes_max);

}  // namespace metanode::node
