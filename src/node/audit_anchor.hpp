// Anchors this node's audit log on chain (modules/audit/audit.hpp): every N committed blocks,
// if the newest signed checkpoint holds events the chain's anchor does not, a transaction from
// the node's key carries its size and root with a consistency proof from the anchored size. One
// anchor is in flight at a time; a refused one is logged with its code and counted. A node whose
// log no longer holds the anchored tree (its data was reset, or its history rewritten) stops
// anchoring, says so once, and shows it in /metrics: no fee is spent on an anchor that must fail.
#pragma once

#include <functional>
#include <string>
#include <mutex>
#include <optional>

#include "crypto/ed25519.hpp"
#include "ledger/chain.hpp"
#include "modules/audit/audit.hpp"
#include "node/tx_pool.hpp"
#include "storage/audit_log.hpp"

namespace metanode::node {

struct AnchorCounters {
  std::uint64_t submitted = 0;
  std::uint64_t anchored = 0;   // committed and kept by the module
  std::uint64_t refused = 0;    // refused at admission or failed in a block
  std::uint64_t unfunded = 0;   // intervals skipped: the node's account cannot pay the fee
  std::uint64_t anchored_size = 0;  // events covered by the newest committed anchor
  bool halted = false;              // the log no longer extends its anchor: no more anchors
};

// What a log anchors next, given the chain's anchor of it (nullopt: none yet). `halt` says why
// the log can never anchor again (it no longer holds the anchored tree: its data was reset or its
// history rewritten); otherwise `anchor` is its newest checkpoint with the consistency proof from
// the anchored size, or nullopt when that checkpoint adds no event. An error: no proof could be
// made (try again later). Shared by a node's anchorer and BPCI's (bpci/audit_anchor.hpp).
struct NextAnchor {
  std::optional<modules::AuditAnchor> anchor;
  std::optional<std::string> halt;
};
core::Result<NextAnchor> next_anchor(const storage::AuditLog& log, const std::optional<modules::AnchorRecord>& anchored);

class AuditAnchorer {
 public:
  // Runs work off the consensus thread (the node's io threads); must outlive nothing posted.
  using Post = std::function<void(std::function<void()>)>;
  AuditAnchorer(const ledger::Chain& chain, storage::AuditLog& log, TxPool& pool, const crypto::KeyPair& key,
                std::uint64_t interval_blocks, Post post);

  // Block listener (the consensus thread): settles the anchor in flight and, on an interval's
  // block, posts the sending of the next one (a state read, a proof, a signature, admission).
  void on_block(const ledger::ProducedBlock& block);

  AnchorCounters counters() const;
  std::string metrics_text() const;

 private:
  void send_anchor(std::uint64_t height);
  // Stops anchoring for good (until restart), saying why once.
  void halt_locked(const std::string& why);

  Post post_;
  const ledger::Chain& chain_;
  storage::AuditLog& log_;
  TxPool& pool_;
  const crypto::KeyPair& key_;
  crypto::Address address_;
  std::uint64_t interval_;

  mutable std::mutex mutex_;
  std::optional<core::Hash32> in_flight_;
  std::uint64_t in_flight_since_ = 0;  // height it was sent at
  std::uint64_t in_flight_size_ = 0;   // events it anchors
  bool halted_ = false;
  AnchorCounters counters_;
  bool warned_unfunded_ = false;
  bool sending_ = false;
};

}  // namespace metanode::node
