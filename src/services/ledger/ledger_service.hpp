// The ledger service (port base+1): submit transactions, read blocks, transactions, accounts
// and any module's state with proofs, the mempool's bid ladder, and a stream of new blocks.
#pragma once

#include <optional>
#include <string>

#include "api/http/http_server.hpp"
#include "services/service.hpp"
#include "ledger/chain.hpp"
#include "mempool/auction_mempool.hpp"

namespace metanode::services {

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
  // Who answers, for GET /health: its XTMP identity key, role ("validator" or "full") and XTMP
  // port, so an installer can list the validators a new node links to.
  virtual nlohmann::json node_identity() const { return nlohmann::json::object(); }
};

inline constexpr std::size_t kSubmitBodyBytesMax = 64 * 1024;
// POST /v1/txs/batch: application/octet-stream, u32 count then each transaction as u32 length +
// canonical bytes (the codec's vector of byte strings).
inline constexpr std::size_t kBatchTxsMax = 10'000;
inline constexpr std::size_t kBatchBodyBytesMax = 16 << 20;

// The OpenAPI 3 paths and schemas of the ledger routes.
nlohmann::json ledger_openapi_paths();
nlohmann::json ledger_openapi_schemas();

class LedgerService final : public Service {
 public:
  explicit LedgerService(LedgerBackend& backend) : backend_(backend) {}

  std::string_view name() const override { return "ledger"; }
  std::uint16_t port_offset() const override { return kLedgerPortOffset; }
  std::string_view description() const override {
    return "Submit signed transactions, read blocks, transactions, accounts and module state with Merkle proofs, "
           "watch the fee auction and stream new blocks. Amounts, balances, fees and nonces (u64) are decimal "
           "strings, so no JSON parser rounds them; heights, counts and times are numbers. Every transaction, "
           "header, receipt, certificate and proof also comes as its canonical bytes (`encoded`, hex).";
  }
  void add_routes(api::Router& router) override;
  void add_websockets(api::HttpServer& server) override { server.add_websocket("/v1/events", events_); }
  api::HttpLimits limits() const override;
  nlohmann::json openapi_paths() const override { return ledger_openapi_paths(); }
  nlohmann::json openapi_schemas() const override { return ledger_openapi_schemas(); }
  nlohmann::json health() const override;
  std::string metrics_text() const override;

  // Subscribers of GET /v1/events (WebSocket): one JSON message per committed block.
  api::EventHub& events() { return events_; }

 private:
  LedgerBackend& backend_;
  api::EventHub events_;
};

}  // namespace metanode::services
