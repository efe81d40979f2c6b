// Anchors BPCI's own audit log on chain (modules/audit/audit.hpp) through the fleet's nodes:
// BPCI is not a node, so it reads its anchor (checked against the chain's certified header with
// only the genesis), its account and the base fee from a node's API, and submits the anchor
// transaction there, signed with its key. The same rules as a node's anchorer
// (node/audit_anchor.hpp): one anchor in flight; a log that no longer holds the anchored tree
// stops anchoring for good and says so once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "crypto/ed25519.hpp"
#include "ledger/genesis.hpp"
#include "storage/audit_log.hpp"

namespace metanode::bpci {

class HttpAnchorer {
 public:
  // A call to a node of the fleet: its parsed JSON answer, or the node's error.
  using Call = std::function<core::Result<nlohmann::json>(const std::string& method, const std::string& target,
                                                          const std::string& body)>;
  HttpAnchorer(storage::AuditLog& log, const ledger::Genesis& genesis, const crypto::KeyPair& key, Call call,
               std::chrono::milliseconds interval);
  ~HttpAnchorer();

  // A thread that runs anchor_once every interval until stop() (none for an interval of 0).
  void start();
  void stop();
  // One round: reads the chain's anchor and, when the newest checkpoint holds more events and no
  // anchor is in flight, submits one. Errors are what a round could not do (no node, refused).
  core::Status anchor_once();

  nlohmann::json status_json() const;
  std::string metrics_text() const;

 private:
  storage::AuditLog& log_;
  const ledger::Genesis& genesis_;
  const crypto::KeyPair& key_;
  crypto::Address address_;
  Call call_;
  std::chrono::milliseconds interval_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  // The anchor in flight: its size and when it was sent (steady clock); resent after a minute.
  std::optional<std::pair<std::uint64_t, std::chrono::steady_clock::time_point>> in_flight_;
  std::uint64_t submitted_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t anchored_size_ = 0;
  std::uint64_t anchored_height_ = 0;
  bool halted_ = false;
  std::string last_error_;
};

}  // namespace metanode::bpci
