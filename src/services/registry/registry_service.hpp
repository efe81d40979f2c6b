// The registry service (port base + 3, 9003 by default): the registry module's leases
// (modules/registry/registry.hpp), read from the chain, each with its state proof.
//
//   GET /v1/registry/services[?kind=K]   live leases (of one kind), each proven with its health; the kind's index proven
//   GET /v1/registry/services/{name}      one lease and its health, proven (or proven absent: 404 with the proof)
//   GET /v1/registry/watch (WebSocket)    every change as it commits: registered, renewed, deregistered,
//                                         expired, health (a status or an operator's result that changed)
#pragma once

#include <atomic>
#include <map>
#include <mutex>

#include "api/http/http_server.hpp"
#include "ledger/chain.hpp"
#include "services/service.hpp"

namespace metanode::services {

class RegistryService final : public Service {
 public:
  explicit RegistryService(const ledger::Chain& chain) : chain_(chain) {}

  std::string_view name() const override { return "registry"; }
  std::uint16_t port_offset() const override { return kRegistryPortOffset; }
  std::string_view description() const override {
    return "Service discovery on chain: leases of a name with its kind, endpoint and metadata, renewed by their owners "
           "and expiring at a height every node agrees on; each with its state proof.";
  }
  void add_routes(api::Router& router) override;
  nlohmann::json openapi_paths() const override;
  nlohmann::json health() const override;
  std::string metrics_text() const override;

  void add_websockets(api::HttpServer& server) override { server.add_websocket("/v1/registry/watch", watch_); }

  api::Response list(const api::Request& request) const;
  api::Response lookup(const api::Request& request) const;

  // A block listener (node/setup.cpp): the block's registry events, and the leases it expired, to
  // the watchers. Expiry leaves no event on chain (it happens at the block's end); the service
  // keeps each live lease's expiry and says "expired" when one that is due is gone.
  void on_block(const ledger::ProducedBlock& block);

 private:
  struct Expiry {
    std::uint64_t height = 0;
    std::int64_t unix_ms = 0;
  };
  nlohmann::json lease_item(const std::string& name, std::uint64_t height, std::int64_t now_ms) const;
  void publish(const std::string& type, std::uint64_t height, nlohmann::json fields);

  const ledger::Chain& chain_;
  api::EventHub watch_;
  std::mutex mutex_;
  bool tracking_ = false;
  std::map<std::string, Expiry> expiries_;  // the live leases this service has seen, by name
  std::atomic<std::uint64_t> changes_published_{0};
};

}  // namespace metanode::services
