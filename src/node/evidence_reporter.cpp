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
  const std::string shown = evidence.to_json().dump();
  report(evidence.epoch, evidence.offender, modules::evidence_payload(evidence), shown);
}

void EvidenceReporter::report(modules::ProposalEvidence evidence) {
  const std::string shown = evidence.to_json().dump();
  report(evidence.epoch, evidence.offender, modules::proposal_evidence_payload(evidence), shown);
}

void EvidenceReporter::report(std::uint64_t epoch, const crypto::PublicKey& offender, ledger::Payload payload, std::string shown) {
  {
    std::lock_guard lock(mutex_);
    if (reported_.size() >= kReportedMax) reported_.clear();
    if (!reported_.emplace(offender, epoch).second) return;
    ++counters_.seen;
  }
  post_([this, epoch, offender, payload = std::move(payload), shown = std::move(shown)] { submit(epoch, offender, payload, shown); });
}

void EvidenceReporter::submit(std::uint64_t epoch, const crypto::PublicKey& offender_key, const ledger::Payload& payload,
                              const std::string& shown) {
  const crypto::Address offender = crypto::Address::from_public_key(offender_key);
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
  tx.payload = payload;
  if (account->balance < tx.max_fee) {
    std::lock_guard lock(mutex_);
    ++counters_.unfunded;
    // Once per offender and epoch (report() keeps them apart), with what anyone needs to submit it.
    spdlog::warn("econ: account {} cannot pay the fee of equivocation evidence (balance {}, fee up to {}); anyone may "
                 "submit it with `metanode econ evidence --file F`, F holding: {}",
                 address_.to_string(), account->balance, tx.max_fee, shown);
    return;
  }
  tx.sign_single(key_, chain_.genesis_digest());
  tx.seal();
  auto results = pool_.admit({std::move(tx)}, TxPool::Source::kClient);
  std::lock_guard lock(mutex_);
  if (results.empty() || !results.front().ok()) {
    ++counters_.refused;
    spdlog::warn("econ: evidence against {} (epoch {}) was not admitted: {}", offender.to_string(), epoch,
                 results.empty() ? std::string("no answer") : results.front().error().to_string());
    return;
  }
  ++counters_.submitted;
  spdlog::warn("econ: submitted evidence ({}) that validator {} equivocated in epoch {}", payload.kind, offender.to_string(), epoch);
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
