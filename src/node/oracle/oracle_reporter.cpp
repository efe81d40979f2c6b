#include "node/oracle/oracle_reporter.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

#include "core/arith.hpp"
#include "node/oracle/fetcher.hpp"

namespace metanode::node {
namespace {

constexpr std::uint64_t kReportBid = 1;

bool is_operator(const std::vector<crypto::Address>& operators, const crypto::Address& a) {
  return std::binary_search(operators.begin(), operators.end(), a);
}

}  // namespace

void ObservationMessage::encode(core::Writer& w) const {
  w.string(feed, modules::kFeedIdBytesMax);
  w.u64(round);
  observation.encode(w);
}
core::Result<ObservationMessage> ObservationMessage::decode(core::Reader& r) {
  ObservationMessage m;
  MN_TRY_ASSIGN(m.feed, r.string(modules::kFeedIdBytesMax));
  MN_TRY_ASSIGN(m.round, r.u64());
  MN_TRY_ASSIGN(m.observation, modules::Observation::decode(r));
  return m;
}

OracleReporter::OracleReporter(const ledger::Chain& chain, TxPool& pool, const crypto::KeyPair& key, Fetch fetch, Send send,
                               Peers peers, Clock clock)
    : chain_(chain),
      pool_(pool),
      key_(key),
      address_(crypto::Address::from_public_key(key.public_key())),
      fetch_(std::move(fetch)),
      send_(std::move(send)),
      peers_(std::move(peers)),
      clock_(std::move(clock)) {}

void OracleReporter::tick() {
  auto operators = modules::read_oracle_operators(chain_);
  if (!operators.ok() || !is_operator(*operators, address_)) return;
  auto ids = modules::read_feed_ids(chain_);
  if (!ids.ok()) return;
  for (const auto& id : *ids) {
    auto spec = modules::read_feed_spec(chain_, id);
    if (spec.ok() && *spec) tick_feed(**spec, *operators);
  }
}

void OracleReporter::tick_feed(const modules::FeedSpec& spec, const std::vector<crypto::Address>& operators) {
  auto last = modules::read_feed_state(chain_, spec.id);
  if (!last.ok()) return;
  const std::uint64_t next = (*last ? (*last)->round : 0) + 1;
  const std::int64_t now = clock_();
  {
    std::lock_guard lock(mutex_);
    Round& r = rounds_[spec.id];
    if (r.round != next) r = Round{next, {}, 0, 0, 0};
  }
  {  // Every pass observes anew: a move shows in the next pass, and nothing goes stale.
    auto value = fetch_(spec);  // outside the lock: it blocks on the network
    if (!value.ok()) {
      std::lock_guard lock(mutex_);
      ++counters_.fetch_failures;
      spdlog::warn("oracle: feed '{}': {}", spec.id, value.error().to_string());
    } else {
      const modules::Observation mine =
          modules::sign_observation(key_, chain_.genesis_digest(), spec.id, next, *value, clock_());
      {
        std::lock_guard lock(mutex_);
        Round& r = rounds_[spec.id];
        if (r.round == next) {
          r.observations[key_.public_key()] = mine;
          r.observed_ms = now;
        }
        ++counters_.observations_signed;
      }
      const core::Bytes message = core::encode(ObservationMessage{spec.id, next, mine});
      for (const auto& peer : peers_()) {
        if (peer != key_.public_key() && is_operator(operators, crypto::Address::from_public_key(peer))) send_(peer, message);
      }
    }
  }
  // A due quorum of fresh observations: the leader submits, the others after a grace period.
  std::vector<modules::Observation> fresh;
  std::lock_guard lock(mutex_);
  Round& r = rounds_[spec.id];
  if (r.round != next) return;
  for (const auto& [key, o] : r.observations) {
    const std::int64_t age = now - o.observed_unix_ms;
    if (age < static_cast<std::int64_t>(spec.max_age_ms) - kFreshnessMarginMs && -age < kFreshnessMarginMs) fresh.push_back(o);
  }
  if (fresh.size() < modules::oracle_quorum(operators.size())) return;
  std::vector<std::int64_t> values;
  for (const auto& o : fresh) values.push_back(o.value);
  if (!modules::round_due(spec, last->value_or(modules::FeedState{}), modules::median_of(values), now)) return;
  if (r.quorum_since_ms == 0) r.quorum_since_ms = now;
  const bool leader = operators[next % operators.size()] == address_;
  if (!leader && now - r.quorum_since_ms < kBackupAfterMs) return;
  if (r.submitted_ms != 0 && now - r.submitted_ms < kResubmitAfterMs) return;
  if (fresh.size() > modules::kObservationsMax) fresh.resize(modules::kObservationsMax);
  submit(spec, r, fresh);
}

void OracleReporter::submit(const modules::FeedSpec& spec, Round& round, const std::vector<modules::Observation>& observations) {
  // Called with mutex_ held; the pool does not call back into this object.
  auto nonce = pool_.next_nonce(address_);
  if (!nonce.ok()) return;
  ledger::Transaction tx;
  tx.chain_id = chain_.genesis().chain_id;
  tx.nonce = *nonce;
  tx.bid = std::max(kReportBid, pool_.config().bid_min);
  tx.max_fee = core::saturating_add(core::saturating_mul(2, chain_.head().base_fee_next), tx.bid);
  tx.payload = modules::oracle_report_payload(modules::OracleReport{spec.id, round.round, observations});
  tx.sign_single(key_, chain_.genesis_digest());
  tx.seal();
  round.submitted_ms = clock_();
  auto results = pool_.admit({std::move(tx)}, TxPool::Source::kClient);
  if (results.empty() || !results.front().ok()) {
    ++counters_.reports_refused;
    spdlog::warn("oracle: the report of feed '{}' round {} was not admitted: {}", spec.id, round.round,
                 results.empty() ? std::string("no answer") : results.front().error().to_string());
    return;
  }
  ++counters_.reports_submitted;
  spdlog::info("oracle: submitted feed '{}' round {} ({} observations)", spec.id, round.round, observations.size());
}

void OracleReporter::on_message(const crypto::PublicKey& peer, core::ByteView bytes) {
  auto m = core::decode<ObservationMessage>(bytes);
  const auto refuse = [this, &peer](const std::string& why) {
    std::lock_guard lock(mutex_);
    ++counters_.observations_refused;
    spdlog::debug("oracle: observation from {} refused: {}", peer.to_hex().substr(0, 12), why);
  };
  if (!m.ok()) return refuse(m.error().to_string());
  auto operators = modules::read_oracle_operators(chain_);
  if (!operators.ok() || !is_operator(*operators, crypto::Address::from_public_key(m->observation.operator_key))) {
    return refuse("its signer does not hold role oracle");
  }
  auto last = modules::read_feed_state(chain_, m->feed);
  if (!last.ok()) return refuse(last.error().to_string());
  if (m->round != (*last ? (*last)->round : 0) + 1) return refuse("round " + std::to_string(m->round) + " is not the feed's next");
  const auto& o = m->observation;
  const core::Hash32 digest = modules::observation_digest(chain_.genesis_digest(), m->feed, m->round, o.value, o.observed_unix_ms);
  if (!crypto::verify_digest(o.operator_key, digest, o.signature)) return refuse("bad signature");
  std::lock_guard lock(mutex_);
  Round& r = rounds_[m->feed];
  if (r.round != m->round) r = Round{m->round, {}, 0, 0, 0};
  auto& held = r.observations[o.operator_key];
  if (held.observed_unix_ms <= o.observed_unix_ms) held = o;
  ++counters_.observations_received;
}

OracleCounters OracleReporter::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

std::string OracleReporter::metrics_text() const {
  const OracleCounters c = counters();
  std::ostringstream out;
  const auto counter = [&out](const char* name, const char* help, std::uint64_t value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n" << name << " " << value << "\n";
  };
  counter("metanode_oracle_fetch_failures_total", "Source fetches that gave no number.", c.fetch_failures);
  counter("metanode_oracle_observations_signed_total", "Observations this node signed.", c.observations_signed);
  counter("metanode_oracle_observations_received_total", "Valid observations received from other operators.", c.observations_received);
  counter("metanode_oracle_observations_refused_total", "Observations refused (signature, signer, round).", c.observations_refused);
  counter("metanode_oracle_reports_submitted_total", "Reports this node submitted.", c.reports_submitted);
  counter("metanode_oracle_reports_refused_total", "Reports the pool refused.", c.reports_refused);
  return out.str();
}

OracleReporter::Fetch http_fetch(std::chrono::milliseconds timeout, std::size_t response_bytes_max) {
  return [timeout, response_bytes_max](const modules::FeedSpec& spec) -> core::Result<std::int64_t> {
    std::vector<std::int64_t> values;
    std::string errors;
    for (const auto& source : spec.sources) {
      auto body = fetch_url(source.url, FetchLimits{timeout, response_bytes_max});
      auto value = body.ok() ? read_scaled(*body, source.pointer, spec.decimals) : core::Result<std::int64_t>(body.error());
      if (value.ok()) {
        values.push_back(*value);
      } else {
        errors += (errors.empty() ? "" : "; ") + source.url + ": " + value.error().message;
      }
    }
    if (values.empty()) return core::make_error(core::ErrorCode::kIo, "no source answered: " + errors);
    return modules::median_of(std::move(values));
  };
}

}  // namespace metanode::node
