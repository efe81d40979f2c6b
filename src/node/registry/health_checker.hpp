// The registry's health checks (modules/registry/registry.hpp), run by every node whose key holds
// role "oracle": each interval it runs every live lease's check (an http(s) URL must answer 200, a
// tcp://host:port must accept a connection, within a timeout) and publishes what it saw as a
// "health" transaction, in batches of up to 32 leases, when a result differs from the one the
// chain holds for this node or that one is older than the republish interval. The chain keeps each
// operator's latest result and says "up" when most of them agree.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "crypto/ed25519.hpp"
#include "ledger/chain.hpp"
#include "modules/registry/registry.hpp"
#include "node/tx_pool.hpp"

namespace metanode::node {

struct HealthCounters {
  std::uint64_t checks_run = 0;
  std::uint64_t checks_down = 0;
  std::uint64_t reports_submitted = 0;  // transactions, each a batch
  std::uint64_t reports_refused = 0;    // the pool refused (its code is logged)
};

class HealthChecker {
 public:
  static constexpr std::int64_t kResubmitAfterMs = 10'000;  // a result sent but not on chain yet

  // The result of one check: ok, or why not (a test injects a service that is down here).
  using Probe = std::function<core::Status(const std::string& check)>;
  using Clock = std::function<std::int64_t()>;  // unix ms

  HealthChecker(const ledger::Chain& chain, TxPool& pool, const crypto::KeyPair& key, Probe probe, Clock clock,
                std::int64_t republish_ms);

  // One pass over every live lease with a check (the node's health thread calls it each interval).
  void tick();

  HealthCounters counters() const;
  std::string metrics_text() const;

 private:
  struct Sent {
    bool ok = false;
    std::string detail;
    std::int64_t at_ms = 0;
  };
  void submit(const modules::HealthBatch& batch);

  const ledger::Chain& chain_;
  TxPool& pool_;
  const crypto::KeyPair& key_;
  crypto::Address address_;
  Probe probe_;
  Clock clock_;
  std::int64_t republish_ms_;
  mutable std::mutex mutex_;
  std::map<std::string, Sent> sent_;  // by lease: the last result this node submitted
  HealthCounters counters_;
};

// The probe the node uses: fetch_url for http(s) checks, probe_tcp for tcp:// (oracle/fetcher.hpp).
HealthChecker::Probe network_probe(std::chrono::milliseconds timeout);

}  // namespace metanode::node
