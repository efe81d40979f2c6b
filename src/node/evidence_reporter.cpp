#include "node/evidence_reporter.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/arith.hpp"
#include "node/metric_text.hpp"

namespace metanode::node {
namespace {
constexpr std::uint64_t kEvidenceBid = 1;
constexpr std::size_t kReportedMax = 4'096;  // a set of 256 validators over many epochs; forgets the oldest half past it
}  // namespace

EvidenceReporter::EvidenceReporter(const ledger::Chain& chain, TxPool& pool, const crypto::KeyPair& key, Post post)
    : post_(std::move(post)), chain_(chain), pool_(pool), key_(key), address_(crypto::Address::from_public_key(key.public_key())) {}

void EvidenceReporter::report(modules::EquivocationEvidence evidence) {
  {
    std::lock_guard lock(mutex_);
    if (reported_.size() >= kReportedMax) reported_.clear();
    if (!reported_.emplace(evidence.offender, evidence.epoch).second) return;
    ++counters_.seen;
  }
  post_([this, evidence = std::move(evidence)] { submit(evidence); });
}

void EvidenceReporter::submit(const modules::EquivocationEvidence& evidence) {
  const crypto::Address offender = crypto::Address::from_public_key(evidence.offender);
  auto record = modules::read_validator_econ(chain_, offender);
  if (record.ok() && record->has_value() && (*record)->slashed) {
    std::lock_guard lock(mutex_);
    ++counters_.already;
    return;
  }
  auto account = chain_.account(address_);
  auto nonce = pool_.next_nonce(address_);
  if (!account.ok() || !nonce.ok()) return;
  ledger::Transaction tx;
  tx.chain_id = chain_.genesis().chain_id;
  tx.nonce = *nonce;
  tx.bid = std::max(kEvidenceBid, pool_.config().bid_min);
  tx.max_fee = core::saturating_add(core::saturating_mul(2, chain_.head().base_fee_next), tx.bid);
  tx.payload = modules::evidence_payload(evidence);
  if (account->balance < tx.max_fee) {
    std::lock_guard lock(mutex_);
    ++counters_.unfunded;
    // Once per offender and epoch (report() keeps them apart), with what anyone needs to submit it.
    spdlog::warn("econ: account {} cannot pay the fee of equivocation evidence (balance {}, fee up to {}); anyone may "
                 "submit it with `metanode econ evidence --file F`, F holding: {}",
                 address_.to_string(), account->balance, tx.max_fee, evidence.to_json().dump());
    return;
  }
  tx.sign_single(key_, chain_.genesis_digest());
  tx.seal();
  auto results = pool_.admit({std::move(tx)}, TxPool::Source::kClient);
  std::lock_guard lock(mutex_);
  if (results.empty() || !results.front().ok()) {
    ++counters_.refused;
    spdlog::warn("econ: evidence against {} (epoch {}) was not admitted: {}", offender.to_string(), evidence.epoch,
                 results.empty() ? std::string("no answer") : results.front().error().to_string());
    return;
  }
  ++counters_.submitted;
  spdlog::warn("econ: submitted evidence that validator {} equivocated in epoch {} (two {} messages at height {} round {})",
               offender.to_string(), evidence.epoch, crypto::vote_kind_name(evidence.first.kind), evidence.first.height,
               evidence.first.round);
}

EvidenceCounters EvidenceReporter::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

std::string EvidenceReporter::metrics_text() const {
  const EvidenceCounters c = counters();
  return metric_text("metanode_econ_evidence_seen_total", "Validators this node saw equivocate (per epoch).", c.seen) +
         metric_text("metanode_econ_evidence_submitted_total", "Equivocation evidence this node submitted.", c.submitted) +
         metric_text("metanode_econ_evidence_refused_total", "Evidence the pool refused.", c.refused) +
         metric_text("metanode_econ_evidence_unfunded_total", "Evidence not sent: the node's account could not pay.", c.unfunded);
}

}  // namespace metanode::node
