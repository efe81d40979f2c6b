#include "node/registry/health_checker.hpp"

#include <algorithm>
#include <sstream>

#include <spdlog/spdlog.h>

#include "core/arith.hpp"
#include "modules/oracle/oracle.hpp"
#include "node/oracle/fetcher.hpp"

namespace metanode::node {
namespace {

constexpr std::uint64_t kHealthBid = 1;

// Error texts carry no counters or times, so the same failure gives the same detail (and no new
// transaction) pass after pass.
std::string detail_of(const core::Status& result) {
  if (result.ok()) return {};
  std::string text = result.error().message;
  if (text.size() > modules::kHealthDetailBytesMax) text.resize(modules::kHealthDetailBytesMax);
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return text;
}

}  // namespace

HealthChecker::HealthChecker(const ledger::Chain& chain, TxPool& pool, const crypto::KeyPair& key, Probe probe, Clock clock,
                             std::int64_t republish_ms)
    : chain_(chain),
      pool_(pool),
      key_(key),
      address_(crypto::Address::from_public_key(key.public_key())),
      probe_(std::move(probe)),
      clock_(std::move(clock)),
      republish_ms_(republish_ms) {}

void HealthChecker::tick() {
  auto operators = modules::read_oracle_operators(chain_);
  if (!operators.ok() || !std::binary_search(operators->begin(), operators->end(), address_)) return;
  auto kinds = modules::read_kinds(chain_);
  if (!kinds.ok()) return;
  std::vector<modules::Lease> leases;
  for (const auto& kind : *kinds) {
    auto names = modules::read_kind(chain_, kind);
    if (!names.ok()) continue;
    for (const auto& name : *names) {
      auto lease = modules::read_lease(chain_, name);
      if (lease.ok() && *lease && !(*lease)->health_check.empty()) leases.push_back(**lease);
    }
  }
  // Probes run without the lock: a slow service delays this pass only.
  std::vector<modules::HealthResult> results;
  for (const auto& lease : leases) {
    const core::Status outcome = probe_(lease.health_check);
    results.push_back({lease.name, outcome.ok(), detail_of(outcome)});
  }
  const std::int64_t now = clock_();
  const std::int64_t chain_now = chain_.head().timestamp_unix_ms;
  modules::HealthBatch batch;
  std::lock_guard lock(mutex_);
  for (const auto& r : results) {
    ++counters_.checks_run;
    if (!r.ok) ++counters_.checks_down;
    auto record = modules::read_health(chain_, r.name);
    if (!record.ok()) continue;
    const modules::HealthReport* mine = nullptr;
    if (*record) {
      for (const auto& h : (*record)->reports) {
        if (h.reporter == address_) mine = &h;
      }
    }
    const bool on_chain = mine != nullptr && mine->ok == r.ok && mine->detail == r.detail;
    if (on_chain && chain_now - mine->unix_ms < republish_ms_) continue;
    const auto sent = sent_.find(r.name);
    if (sent != sent_.end() && sent->second.ok == r.ok && sent->second.detail == r.detail && now - sent->second.at_ms < kResubmitAfterMs) {
      continue;  // sent, not in a block yet
    }
    batch.results.push_back(r);
    sent_[r.name] = {r.ok, r.detail, now};
    if (batch.results.size() == modules::kHealthBatchMax) {
      submit(batch);
      batch.results.clear();
    }
  }
  if (!batch.results.empty()) submit(batch);
  // Leases gone: forget what was sent for them.
  std::erase_if(sent_, [&results](const auto& entry) {
    return std::none_of(results.begin(), results.end(), [&entry](const modules::HealthResult& r) { return r.name == entry.first; });
  });
}

void HealthChecker::submit(const modules::HealthBatch& batch) {
  // Called with mutex_ held; the pool does not call back into this object.
  auto nonce = pool_.next_nonce(address_);
  if (!nonce.ok()) return;
  ledger::Transaction tx;
  tx.chain_id = chain_.genesis().chain_id;
  tx.nonce = *nonce;
  tx.bid = std::max(kHealthBid, pool_.config().bid_min);
  tx.max_fee = core::saturating_add(core::saturating_mul(2, chain_.head().base_fee_next), tx.bid);
  tx.payload = modules::health_payload(batch);
  tx.sign_single(key_, chain_.genesis_digest());
  tx.seal();
  auto results = pool_.admit({std::move(tx)}, TxPool::Source::kClient);
  if (results.empty() || !results.front().ok()) {
    ++counters_.reports_refused;
    spdlog::warn("registry: the health report of {} leases was not admitted: {}", batch.results.size(),
                 results.empty() ? std::string("no answer") : results.front().error().to_string());
    return;
  }
  ++counters_.reports_submitted;
  for (const auto& r : batch.results) {
    spdlog::info("registry: health of '{}' {}{}", r.name, r.ok ? "up" : "down", r.detail.empty() ? "" : ": " + r.detail);
  }
}

HealthCounters HealthChecker::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

std::string HealthChecker::metrics_text() const {
  const HealthCounters c = counters();
  std::ostringstream out;
  const auto counter = [&out](const char* name, const char* help, std::uint64_t value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n" << name << " " << value << "\n";
  };
  counter("metanode_registry_health_checks_total", "Health checks this node ran.", c.checks_run);
  counter("metanode_registry_health_checks_down_total", "Health checks that found the service down.", c.checks_down);
  counter("metanode_registry_health_reports_total", "Health transactions this node submitted.", c.reports_submitted);
  counter("metanode_registry_health_reports_refused_total", "Health transactions the pool refused.", c.reports_refused);
  return out.str();
}

HealthChecker::Probe network_probe(std::chrono::milliseconds timeout) {
  return [timeout](const std::string& check) -> core::Status {
    if (check.starts_with("tcp://")) return probe_tcp(check.substr(6), timeout);
    auto body = fetch_url(check, FetchLimits{timeout, 64 * 1024});
    if (!body.ok()) return body.error();
    return {};
  };
}

}  // namespace metanode::node
