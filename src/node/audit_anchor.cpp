#include "node/audit_anchor.hpp"

#include <spdlog/spdlog.h>

#include "core/arith.hpp"

#include "modules/audit/audit.hpp"
#include "node/metric_text.hpp"

namespace metanode::node {

namespace {
// An anchor still neither committed nor refused this many blocks after it was sent is given up
// (dropped from a full pool, say) and the next interval sends a fresh one.
constexpr std::uint64_t kInFlightBlocksMax = 20;
constexpr std::uint64_t kAnchorBid = 1;
}  // namespace

AuditAnchorer::AuditAnchorer(const ledger::Chain& chain, storage::AuditLog& log, TxPool& pool,
                             const crypto::KeyPair& key, std::uint64_t interval_blocks, Post post)
    : post_(std::move(post)),
      chain_(chain),
      log_(log),
      pool_(pool),
      key_(key),
      address_(crypto::Address::from_public_key(key.public_key())),
      interval_(interval_blocks) {}

void AuditAnchorer::on_block(const ledger::ProducedBlock& block) {
  if (interval_ == 0) return;
  const std::uint64_t height = block.stored.block.header.height;
  {
    std::lock_guard lock(mutex_);
    if (in_flight_) {
      for (const auto& receipt : block.receipts) {
        if (receipt.tx_hash != *in_flight_) continue;
        if (receipt.status == ledger::ReceiptStatus::kSuccess) {
          ++counters_.anchored;
          counters_.anchored_size = in_flight_size_;
        } else {
          ++counters_.refused;
          const auto code = static_cast<core::ErrorCode>(receipt.error_code);
          if (code == core::ErrorCode::kAuditAnchorInconsistent || code == core::ErrorCode::kAuditAnchorStale) {
            halt_locked(receipt.error_message);
          } else {
            spdlog::warn("audit: the chain refused this node's anchor: {} ({})", core::error_code_name(code),
                         receipt.error_message);
          }
        }
        in_flight_.reset();
      }
      if (in_flight_ && height >= in_flight_since_ + kInFlightBlocksMax) in_flight_.reset();
    }
    if (halted_ || in_flight_ || sending_ || height % interval_ != 0) return;
    sending_ = true;
  }
  post_([this, height] {
    send_anchor(height);
    std::lock_guard lock(mutex_);
    sending_ = false;
  });
}

core::Result<NextAnchor> next_anchor(const storage::AuditLog& log, const std::optional<modules::AnchorRecord>& anchored) {
  NextAnchor next;
  const auto checkpoint = log.latest_checkpoint();
  if (!checkpoint) return next;
  const std::uint64_t anchored_size = anchored ? anchored->size : 0;
  if (anchored) {
    auto root = log.root_at(anchored->size);
    if (!root.ok() || *root != anchored->root) {
      next.halt = "the chain anchors " + std::to_string(anchored->size) + " events of this log (block " +
                  std::to_string(anchored->height) + "), which the log " +
                  (root.ok() ? "holds with another root" : "no longer has");
      return next;
    }
  }
  if (checkpoint->body.size <= anchored_size) return next;
  modules::AuditAnchor anchor;
  anchor.size = checkpoint->body.size;
  anchor.root = checkpoint->body.root;
  anchor.checkpoint_unix_ms = checkpoint->body.unix_ms().value_or(0);
  if (anchored_size > 0) {
    auto proof = log.consistency_proof(anchored_size, anchor.size);
    if (!proof.ok()) {
      return core::make_error(proof.error().code, "no consistency proof from the anchored " + std::to_string(anchored_size) +
                                                      " events to " + std::to_string(anchor.size) + ": " +
                                                      proof.error().message);
    }
    anchor.consistency = std::move(proof->path);
  }
  next.anchor = std::move(anchor);
  return next;
}

void AuditAnchorer::send_anchor(std::uint64_t height) {
  auto anchored = modules::read_anchor(chain_, address_);
  if (!anchored.ok()) {
    spdlog::warn("audit: cannot read this node's anchor: {}", anchored.error().to_string());
    return;
  }
  {
    std::lock_guard lock(mutex_);
    counters_.anchored_size = anchored->has_value() ? (*anchored)->size : 0;
  }
  auto next = next_anchor(log_, *anchored);
  if (!next.ok()) {
    spdlog::warn("audit: no anchor to send: {}", next.error().to_string());
    return;
  }
  if (next->halt) {
    // A node that can never anchor again must not spend fees finding that out.
    std::lock_guard lock(mutex_);
    halt_locked(*next->halt);
    return;
  }
  if (!next->anchor) return;
  const modules::AuditAnchor& anchor = *next->anchor;

  auto account = chain_.account(address_);
  if (!account.ok()) return;
  ledger::Transaction tx;
  tx.chain_id = chain_.genesis().chain_id;
  tx.nonce = account->nonce;
  tx.bid = std::max(kAnchorBid, pool_.config().bid_min);
  tx.max_fee = core::saturating_add(core::saturating_mul(2, chain_.head().base_fee_next), tx.bid);
  tx.payload = modules::audit_anchor_payload(anchor);
  if (account->balance < tx.max_fee) {
    std::lock_guard lock(mutex_);
    ++counters_.unfunded;
    if (!warned_unfunded_) {
      spdlog::warn("audit: account {} cannot pay an anchor's fee (balance {}, fee up to {}): the audit log is not "
                   "anchored on chain until it is funded",
                   address_.to_string(), account->balance, tx.max_fee);
      warned_unfunded_ = true;
    }
    return;
  }
  tx.sign_single(key_, chain_.genesis_digest());
  tx.seal();
  const core::Hash32 hash = tx.hash();
  auto results = pool_.admit({std::move(tx)}, TxPool::Source::kClient);
  std::lock_guard lock(mutex_);
  if (results.empty() || !results.front().ok()) {
    ++counters_.refused;
    spdlog::warn("audit: this node's anchor was not admitted: {}",
                 results.empty() ? std::string("no answer") : results.front().error().to_string());
    return;
  }
  ++counters_.submitted;
  warned_unfunded_ = false;
  in_flight_ = hash;
  in_flight_since_ = height;
  in_flight_size_ = anchor.size;
}

void AuditAnchorer::halt_locked(const std::string& why) {
  if (halted_) return;
  halted_ = true;
  spdlog::error("audit: this node's audit log does not extend the one it anchored on chain ({}): its data was reset or "
                "its history rewritten; it anchors no more (`metanode audit verify` shows the same)",
                why);
}

AnchorCounters AuditAnchorer::counters() const {
  std::lock_guard lock(mutex_);
  AnchorCounters c = counters_;
  c.halted = halted_;
  return c;
}

std::string AuditAnchorer::metrics_text() const {
  const AnchorCounters c = counters();
  return metric_text("metanode_audit_anchors_submitted_total", "Anchors of the audit log this node sent.", c.submitted) +
         metric_text("metanode_audit_anchors_committed_total", "Anchors the chain kept.", c.anchored) +
         metric_text("metanode_audit_anchors_refused_total", "Anchors refused at admission or by the audit module.", c.refused) +
         metric_text("metanode_audit_anchors_unfunded_total",
                     "Anchor intervals skipped: the node's account cannot pay the fee.", c.unfunded) +
         metric_text("metanode_audit_anchored_events", "Events covered by this node's newest anchor on chain.",
                     c.anchored_size) +
         metric_text("metanode_audit_anchoring_halted",
                     "1 when this node's log no longer extends its anchor (reset or rewritten).", c.halted ? 1 : 0);
}

}  // namespace metanode::node
