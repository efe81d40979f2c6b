// The registry service (port base + 3, 9003 by default): the registry module's leases
// (modules/registry/registry.hpp), read from the chain, each with its state proof.
//
//   GET /v1/registry/services[?kind=K]   live leases (of one kind), each proven; the kind's index proven
//   GET /v1/registry/services/{name}      one lease, proven (or proven absent: 404 with the proof)
#pragma once

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

  api::Response list(const api::Request& request) const;
  api::Response lookup(const api::Request& request) const;

 private:
  const ledger::Chain& chain_;
};

}  // namespace metanode::services
