// The ledger service's HTTP API (port base+1): submit transactions, read blocks, transactions,
// accounts with proofs, the mempool's bid ladder, health, metrics, an event stream and the
// OpenAPI document that describes all of it.
#pragma once

#include <optional>
#include <string>

#include "api/http_server.hpp"
#include "ledger/chain.hpp"
#include "mempool/auction_mempool.hpp"

namespace metanode::api {

struct MempoolStatus {
  std::size_t pending = 0;
  std::size_t bytes = 0;
  std::uint64_t base_fee = 0;
  std::uint64_t bid_min = 0;
  std::vector<mempool::BidLevel> ladder;
};

// What the node gives the routes. Implementations are thread-safe.
class LedgerBackend {
 public:
  virtual ~LedgerBackend() = default;
  virtual const ledger::Chain& chain() const = 0;
  virtual core::Result<mempool::AdmitResult> submit(ledger::Transaction tx) = 0;
  // Many at once: signatures checked on the calling thread, one mempool lock for all.
  virtual std::vector<core::Result<mempool::AdmitResult>> submit_batch(std::vector<ledger::Transaction> txs) = 0;
  virtual core::Result<std::uint64_t> next_nonce(const crypto::Address& address) const = 0;
  virtual std::optional<ledger::Transaction> pending(const core::Hash32& hash) const = 0;
  // The error a transaction left the pool with (evicted, rejected at block building), if recent.
  virtual std::optional<core::Error> dropped(const core::Hash32& hash) const = 0;
  virtual MempoolStatus mempool_status(std::size_t levels_max) const = 0;
  // Node gauges in Prometheus text (height, transactions committed, mempool size, ...).
  virtual std::string metrics_text() const = 0;
};

inline constexpr std::size_t kSubmitBodyBytesMax = 64 * 1024;
// POST /v1/txs/batch: application/octet-stream, u32 count then each transaction as u32 length +
// canonical bytes (the codec's vector of byte strings).
inline constexpr std::size_t kBatchTxsMax = 10'000;
inline constexpr std::size_t kBatchBodyBytesMax = 16 << 20;

// Adds the ledger routes to `router`; `metrics` is rendered at /metrics with the backend's gauges.
void add_ledger_routes(Router& router, LedgerBackend& backend, const HttpMetrics& metrics);

// The OpenAPI 3 document of the ledger service.
const std::string& ledger_openapi_json();

}  // namespace metanode::api
