// The economics service (port base + 7, 9007 by default): the economics module's committed state
// (modules/econ/econ.hpp) and the fee market's history, read from the chain. Every value that is
// state comes with its proof (the GET /v1/state answer: the entry, its sparse Merkle proof and
// the signed header it is proven against), so a client holding only the genesis checks it.
//
//   GET /v1/econ/supply               genesis, issued, burned, accrued, treasury, total; proven
//   GET /v1/econ/params               the split ratios, issuance schedule, epoch length; proven
//   GET /v1/econ/validators           each validator: stake, voting power, accrued, paid; proven
//   GET /v1/econ/rewards/{address}    what one validator is owed and was paid, and the address's
//                                     delegations (value, rewards, unbonding); proven
//   GET /v1/econ/payouts?before&limit the epochs' payouts, newest first; proven
//   GET /v1/econ/slashes              every validator slashed for equivocation and why; proven
//   GET /v1/econ/fees?blocks=N        per block: base fee, transactions, fees, tips (min, median,
//                                     max), from the stored blocks and receipts
#pragma once

#include "ledger/chain.hpp"
#include "modules/econ/delegation.hpp"
#include "services/service.hpp"

namespace metanode::services {

class EconService final : public Service {
 public:
  explicit EconService(const ledger::Chain& chain) : chain_(chain) {}

  std::string_view name() const override { return "econ"; }
  std::uint16_t port_offset() const override { return kEconomicsPortOffset; }
  std::string_view description() const override {
    return "The chain's economics: supply (genesis, issued, burned, accrued to validators, treasury), the split of "
           "fees and rewards, validators with stake and voting power, their rewards and each epoch's payout, each "
           "with its state proof; and the fee market's history per block.";
  }
  void add_routes(api::Router& router) override;
  nlohmann::json openapi_paths() const override;
  nlohmann::json health() const override;
  std::string metrics_text() const override;

  api::Response supply(const api::Request& request) const;
  api::Response params(const api::Request& request) const;
  api::Response validators(const api::Request& request) const;
  api::Response rewards(const api::Request& request) const;
  api::Response payouts(const api::Request& request) const;
  api::Response fees(const api::Request& request) const;
  api::Response slashes(const api::Request& request) const;

 private:
  modules::EconReader econ_reader() const;  // the econ namespace of the head's state
  const ledger::Chain& chain_;
};

}  // namespace metanode::services
