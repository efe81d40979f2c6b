// The proof verification service (port base + 6, 9006 by default): stateless checks of every
// kind of proof the chain issues, against the chain's genesis only (services/proofs/proof_check.hpp).
// It holds no state and reads nothing from the node but the genesis, so it answers the same on any
// machine holding that genesis, whatever the node serving it has stored.
//
//   POST /v1/verify        a claim {"kind": ..., ...} -> {"valid": true, "summary"} or
//                          {"valid": false, "code", "reason"}; 400 for a claim that is not one
//   GET  /v1/verify/kinds  the kinds and what each takes
#pragma once

#include <atomic>
#include <map>
#include <mutex>

#include "ledger/genesis.hpp"
#include "services/service.hpp"

namespace metanode::services {

class ProofsService final : public Service {
 public:
  explicit ProofsService(ledger::Genesis genesis) : genesis_(std::move(genesis)) {}

  std::string_view name() const override { return "proofs"; }
  std::uint16_t port_offset() const override { return kProofsPortOffset; }
  std::string_view description() const override {
    return "Stateless verification of the proofs this chain issues (blocks and their certificates, transaction "
           "and state proofs, audit events, checkpoints and their consistency, Ed25519, hybrid Ed25519 + ML-DSA-65 "
           "and multisignatures) against the genesis alone. Each answer says valid, or invalid with the reason.";
  }
  void add_routes(api::Router& router) override;
  api::HttpLimits limits() const override;
  nlohmann::json openapi_paths() const override;
  nlohmann::json health() const override;
  std::string metrics_text() const override;

  // The answer to one claim (what POST /v1/verify returns), for tests and the CLI.
  api::Response verify(const api::Request& request);

 private:
  ledger::Genesis genesis_;
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> outcomes_;  // "kind valid|invalid" -> count
};

}  // namespace metanode::services
