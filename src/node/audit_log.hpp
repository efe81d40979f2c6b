// The node's audit trail (storage/audit_log.hpp is the log itself): what goes into it and how it
// is read over HTTP.
//
// Recorded: every Cage decision (time, who, from where, route, allowed or why refused, status,
// the request's digest; never bodies or secrets), every committed block, every governance
// transaction and its result, the node's start (with its configuration file's digest) and stop,
// and every XTMP peer refused at the handshake. A Cage decision's answer is held until its event
// is on disk (AuditSink::when_durable).
#pragma once

#include <deque>
#include <functional>
#include <unordered_map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "api/cage/cage.hpp"
#include "api/http/http_server.hpp"
#include "ledger/block.hpp"
#include "ledger/chain.hpp"
#include "ledger/module.hpp"
#include "storage/audit_log.hpp"

namespace metanode::node {

class AuditTrail final : public api::cage::AuditSink {
 public:
  AuditTrail(storage::AuditLog& log, const ledger::ModuleSet& modules) : log_(log), modules_(modules) {}

  std::uint64_t record(const api::cage::Decision& decision) override;
  void when_durable(std::uint64_t ticket, std::function<void(bool)> then) override;

  void on_block(const ledger::ProducedBlock& block);
  // "node.start" / "node.stop" (BPCI: "bpci.start" / "bpci.stop"), with the configuration file's
  // digest.
  void lifecycle(std::string_view action, const core::Hash32& config_digest, std::string_view node_address,
                 std::string_view subject = "node");
  void peer_refused(const crypto::PublicKey& key, std::string_view why);

  storage::AuditLog& log() { return log_; }

  // The jurisdiction tags governance set on an actor (an address as text; none for anything
  // else), read from committed state. Set before requests arrive; looked up once per actor until
  // a block applies a governance transaction.
  void set_jurisdictions(std::function<std::vector<std::string>(const std::string& actor)> lookup) {
    jurisdictions_ = std::move(lookup);
  }
  // The same for the service that took a request ("ledger", "proofs", ...): a request event
  // carries its actor's tags and its service's, merged.
  void set_service_jurisdictions(std::function<std::vector<std::string>(const std::string& service)> lookup) {
    service_jurisdictions_ = std::move(lookup);
  }

  // The audit routes (auditor and admin roles, services/route_table.cpp):
  //   GET /v1/audit/checkpoint                 the newest signed checkpoint
  //   GET /v1/audit/checkpoints?from&to&limit  sizes of stored checkpoints
  //   GET /v1/audit/checkpoints/{size}         one checkpoint
  //   GET /v1/audit/events?from_ms&to_ms&actor&action&jurisdiction&cursor&limit&tree_size
  //                                            events, each with its inclusion proof to a checkpoint
  //   GET /v1/audit/events/{index}?tree_size   one event with its proof
  //   GET /v1/audit/consistency?from&to        consistency proof between two tree sizes
  //   GET /v1/audit/decisions?limit            the newest Cage decisions (the `audit decisions` view)
  api::Response checkpoint(const api::Request& request) const;
  api::Response checkpoints(const api::Request& request) const;
  api::Response checkpoint_of_size(const api::Request& request) const;
  api::Response events(const api::Request& request) const;
  api::Response event(const api::Request& request) const;
  api::Response consistency(const api::Request& request) const;
  api::Response decisions(const api::Request& request) const;

 private:
  // A checkpoint as served: audit_checkpoint_to_json plus "cosigned_note" (the note with every
  // witness cosignature line that came for it) when there is any.
  nlohmann::json checkpoint_json(const storage::AuditCheckpoint& checkpoint) const;
  // An actor's tags, or (service) a service's; cached until a governance block.
  std::vector<std::string> tags_of(const std::string& actor, bool service = false);

  storage::AuditLog& log_;
  const ledger::ModuleSet& modules_;
  std::function<std::vector<std::string>(const std::string& actor)> jurisdictions_;
  std::function<std::vector<std::string>(const std::string& service)> service_jurisdictions_;
  std::mutex tags_mutex_;
  std::unordered_map<std::string, std::vector<std::string>> tags_cache_;
};

// The latest decisions in memory, for a process without a data directory of its own (BPCI's
// console): GET /v1/audit/decisions there, refusals in the log. Nothing durable.
class RecentDecisions final : public api::cage::AuditSink {
 public:
  explicit RecentDecisions(std::size_t capacity = 1'000) : capacity_(capacity) {}
  std::uint64_t record(const api::cage::Decision& decision) override;
  // The newest `limit` decisions, newest first.
  nlohmann::json to_json(std::size_t limit) const;

 private:
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<api::cage::Decision> decisions_;
  std::uint64_t recorded_ = 0;
};

// An event as the API shows it.
nlohmann::json audit_event_to_json(const storage::StoredAuditEvent& stored);
nlohmann::json audit_checkpoint_to_json(const storage::AuditCheckpoint& checkpoint);

}  // namespace metanode::node
