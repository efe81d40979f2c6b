// The Cage's audit sink as this node has it: the latest decisions in memory (GET
// /v1/audit/decisions, for auditors), refusals in the node log. The audit-trail issue makes this
// a Merkle log in CueDB with signed checkpoints; the interface stays api::cage::AuditSink.
#pragma once

#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>

#include "api/cage/cage.hpp"

namespace metanode::node {

class RecentDecisions final : public api::cage::AuditSink {
 public:
  explicit RecentDecisions(std::size_t capacity = 1'000) : capacity_(capacity) {}
  void record(const api::cage::Decision& decision) override;
  // The newest `limit` decisions, newest first.
  nlohmann::json to_json(std::size_t limit) const;

 private:
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<api::cage::Decision> decisions_;
};

}  // namespace metanode::node
