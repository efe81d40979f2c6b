// The oracle service (port base + 2, 9002 by default): the oracle module's feeds and rounds
// (modules/oracle/oracle.hpp), read from the chain, each with its state proof so a client holding
// only the genesis checks it.
//
//   GET /v1/feeds                     every feed: its spec (governance's entry) and latest round; proven
//   GET /v1/feeds/{id}/latest         the latest round: median and every signed observation; proven
//   GET /v1/feeds/{id}/rounds/{n}     round n; proven
#pragma once

#include "ledger/chain.hpp"
#include "services/service.hpp"

namespace metanode::services {

class OracleService final : public Service {
 public:
  explicit OracleService(const ledger::Chain& chain) : chain_(chain) {}

  std::string_view name() const override { return "oracle"; }
  std::uint16_t port_offset() const override { return kOraclePortOffset; }
  std::string_view description() const override {
    return "External data on chain: each feed's specification, and its rounds, each the median of at least 2f+1 "
           "observations signed by the governed oracle operators, with every observation and its state proof.";
  }
  void add_routes(api::Router& router) override;
  nlohmann::json openapi_paths() const override;
  nlohmann::json health() const override;
  std::string metrics_text() const override;

  api::Response feeds(const api::Request& request) const;
  api::Response latest(const api::Request& request) const;
  api::Response round(const api::Request& request) const;

 private:
  // The round's answer: the record as JSON, the observations' values scaled back, its proof.
  api::Response round_answer(const std::string& feed, std::uint64_t round) const;
  const ledger::Chain& chain_;
};

}  // namespace metanode::services
