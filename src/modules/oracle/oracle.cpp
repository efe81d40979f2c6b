#include "modules/oracle/oracle.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "modules/entries.hpp"
#include "modules/governance/governance.hpp"

namespace metanode::modules {
namespace {

using core::ErrorCode;
using core::make_error;
using nlohmann::json;
__extension__ typedef __int128 I128;

constexpr std::string_view kFeedPrefix = "feed:";
constexpr std::string_view kRoundPrefix = "round:";

core::Error malformed(const std::string& why) { return make_error(ErrorCode::kTxMalformed, why); }

core::Result<OracleReport> report_of(const ledger::Payload& payload) {
  auto report = core::decode<OracleReport>(payload.data);
  if (!report.ok()) return malformed("oracle report payload: " + report.error().to_string());
  return std::move(report).value();
}

bool starts_with(core::ByteView key, std::string_view prefix) {
  return key.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), key.begin());
}


// Event "round": the feed, its round and median.
struct RoundEvent {
  std::string feed;
  std::uint64_t round = 0;
  std::int64_t median = 0;
  void encode(core::Writer& w) const {
    w.string(feed, kFeedIdBytesMax);
    w.u64(round);
    w.i64(median);
  }
  static core::Result<RoundEvent> decode(core::Reader& r) {
    RoundEvent e;
    MN_TRY_ASSIGN(e.feed, r.string(kFeedIdBytesMax));
    MN_TRY_ASSIGN(e.round, r.u64());
    MN_TRY_ASSIGN(e.median, r.i64());
    return e;
  }
};

}  // namespace

void Observation::encode(core::Writer& w) const {
  w.array(operator_key.bytes);
  w.i64(value);
  w.i64(observed_unix_ms);
  signature.encode(w);
}
core::Result<Observation> Observation::decode(core::Reader& r) {
  Observation o;
  MN_TRY_ASSIGN(o.operator_key.bytes, r.array<32>());
  MN_TRY_ASSIGN(o.value, r.i64());
  MN_TRY_ASSIGN(o.observed_unix_ms, r.i64());
  MN_TRY_ASSIGN(o.signature, crypto::Signature::decode(r));
  return o;
}
json Observation::to_json() const {
  return {{"operator", operator_key.to_hex()},
          {"address", crypto::Address::from_public_key(operator_key).to_string()},
          {"value", std::to_string(value)},
          {"observed_unix_ms", observed_unix_ms},
          {"signature", signature.to_hex()}};
}
core::Result<Observation> Observation::from_json(const json& j) {
  if (!j.is_object()) return malformed("an observation must be an object");
  Observation o;
  if (!j.contains("operator") || !j.at("operator").is_string()) return malformed("observation.operator (64 hex digits) is missing");
  auto key = crypto::PublicKey::from_hex(j.at("operator").get<std::string>());
  if (!key.ok()) return malformed("observation.operator: " + key.error().message);
  o.operator_key = *key;
  const auto integer = [&j](const char* name) -> core::Result<std::int64_t> {
    if (!j.contains(name)) return malformed(std::string("observation.") + name + " is missing");
    const json& v = j.at(name);
    if (v.is_number_integer()) return v.get<std::int64_t>();
    if (v.is_string()) {
      const std::string text = v.get<std::string>();
      std::int64_t n = 0;
      const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec == std::errc() && ptr == text.data() + text.size() && !text.empty()) return n;
    }
    return malformed(std::string("observation.") + name + " must be an integer");
  };
  MN_TRY_ASSIGN(o.value, integer("value"));
  MN_TRY_ASSIGN(o.observed_unix_ms, integer("observed_unix_ms"));
  if (!j.contains("signature") || !j.at("signature").is_string()) return malformed("observation.signature is missing");
  auto signature = crypto::Signature::from_hex(j.at("signature").get<std::string>());
  if (!signature.ok()) return malformed("observation.signature must be 128 hex digits");
  o.signature = *signature;
  return o;
}

core::Hash32 observation_digest(const core::Hash32& genesis_digest, std::string_view feed, std::uint64_t round,
                                std::int64_t value, std::int64_t observed_unix_ms) {
  core::Writer w;
  w.array(genesis_digest);
  w.string(feed, kFeedIdBytesMax);
  w.u64(round);
  w.i64(value);
  w.i64(observed_unix_ms);
  return core::hash(core::Domain::OracleObservation, std::move(w).take());
}

Observation sign_observation(const crypto::KeyPair& key, const core::Hash32& genesis_digest, std::string_view feed,
                             std::uint64_t round, std::int64_t value, std::int64_t observed_unix_ms) {
  Observation o;
  o.operator_key = key.public_key();
  o.value = value;
  o.observed_unix_ms = observed_unix_ms;
  o.signature = key.sign_digest(observation_digest(genesis_digest, feed, round, value, observed_unix_ms));
  return o;
}

void OracleReport::encode(core::Writer& w) const {
  w.string(feed, kFeedIdBytesMax);
  w.u64(round);
  w.vector(observations, kObservationsMax, [](core::Writer& out, const Observation& o) { o.encode(out); });
}
core::Result<OracleReport> OracleReport::decode(core::Reader& r) {
  OracleReport report;
  MN_TRY_ASSIGN(report.feed, r.string(kFeedIdBytesMax));
  MN_TRY_ASSIGN(report.round, r.u64());
  MN_TRY_ASSIGN(report.observations, r.vector<Observation>(kObservationsMax, Observation::decode));
  return report;
}
ledger::Payload oracle_report_payload(const OracleReport& report) {
  return {std::string(kOracleModule), std::string(kOracleReportKind), core::encode(report)};
}

void FeedState::encode(core::Writer& w) const {
  w.u64(round);
  w.i64(median);
  w.i64(round_unix_ms);
  w.u64(height);
}
core::Result<FeedState> FeedState::decode(core::Reader& r) {
  FeedState s;
  MN_TRY_ASSIGN(s.round, r.u64());
  MN_TRY_ASSIGN(s.median, r.i64());
  MN_TRY_ASSIGN(s.round_unix_ms, r.i64());
  MN_TRY_ASSIGN(s.height, r.u64());
  return s;
}
json FeedState::to_json() const {
  return {{"round", round}, {"median", std::to_string(median)}, {"round_unix_ms", round_unix_ms}, {"height", height}};
}

void RoundRecord::encode(core::Writer& w) const {
  w.u64(round);
  w.i64(median);
  w.u64(height);
  w.i64(unix_ms);
  reporter.encode(w);
  w.vector(observations, kObservationsMax, [](core::Writer& out, const Observation& o) { o.encode(out); });
}
core::Result<RoundRecord> RoundRecord::decode(core::Reader& r) {
  RoundRecord rec;
  MN_TRY_ASSIGN(rec.round, r.u64());
  MN_TRY_ASSIGN(rec.median, r.i64());
  MN_TRY_ASSIGN(rec.height, r.u64());
  MN_TRY_ASSIGN(rec.unix_ms, r.i64());
  MN_TRY_ASSIGN(rec.reporter, crypto::Address::decode(r));
  MN_TRY_ASSIGN(rec.observations, r.vector<Observation>(kObservationsMax, Observation::decode));
  return rec;
}
json RoundRecord::to_json() const {
  json list = json::array();
  for (const auto& o : observations) list.push_back(o.to_json());
  return {{"round", round},     {"median", std::to_string(median)}, {"height", height},
          {"unix_ms", unix_ms}, {"reporter", reporter.to_string()},  {"observations", list}};
}

std::int64_t median_of(std::vector<std::int64_t> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  if (values.size() % 2 == 1) return values[mid];
  const I128 sum = I128(values[mid - 1]) + values[mid];
  // floor((a + b) / 2): the division truncates toward zero, so a negative odd sum goes one lower.
  return static_cast<std::int64_t>(sum >= 0 || sum % 2 == 0 ? sum / 2 : sum / 2 - 1);
}

bool round_due(const FeedSpec& spec, const FeedState& last, std::int64_t median, std::int64_t now_ms) {
  if (last.round == 0) return true;
  if (I128(now_ms) - last.round_unix_ms >= I128(spec.heartbeat_ms)) return true;
  const I128 moved = I128(median) - last.median;
  const I128 magnitude = moved < 0 ? -moved : moved;
  const I128 base = last.median < 0 ? -I128(last.median) : I128(last.median);
  if (base == 0) return magnitude != 0;
  return magnitude * 10'000 >= base * spec.deviation_bps;
}

std::size_t oracle_quorum(std::size_t operators) { return operators == 0 ? 1 : 2 * ((operators - 1) / 3) + 1; }

core::Bytes oracle_feed_key(std::string_view feed) { return text_key(kFeedPrefix, feed); }
core::Bytes oracle_round_key(std::string_view feed, std::uint64_t round) {
  core::Bytes key = text_key(kRoundPrefix, feed);
  key.push_back(0);  // no id contains a zero byte: the round starts after it
  for (int i = 7; i >= 0; --i) key.push_back(static_cast<core::Byte>(round >> (8 * i)));
  return key;
}

core::Result<std::vector<std::string>> read_feed_ids(const ledger::StateReader& state) {
  MN_TRY_ASSIGN(auto index, read_entry<FeedIndex>(state, kGovModule, gov_feeds_key(), "oracle feed index"));
  return index ? index->ids : std::vector<std::string>{};
}
core::Result<std::optional<FeedSpec>> read_feed_spec(const ledger::StateReader& state, std::string_view feed) {
  return read_entry<FeedSpec>(state, kGovModule, gov_feed_key(feed), "oracle feed spec");
}
core::Result<std::optional<FeedState>> read_feed_state(const ledger::StateReader& state, std::string_view feed) {
  return read_entry<FeedState>(state, kOracleModule, oracle_feed_key(feed), "oracle feed state");
}
core::Result<std::optional<RoundRecord>> read_round(const ledger::StateReader& state, std::string_view feed,
                                                    std::uint64_t round) {
  return read_entry<RoundRecord>(state, kOracleModule, oracle_round_key(feed, round), "oracle round");
}
core::Result<std::vector<crypto::Address>> read_oracle_operators(const ledger::StateReader& state) {
  MN_TRY_ASSIGN(auto role, read_role(state, kRoleOracle));
  return role ? role->holders : std::vector<crypto::Address>{};
}

core::Result<std::vector<crypto::Address>> oracle_operators_in(const ledger::ModuleState& state) {
  MN_TRY_ASSIGN(auto role_bytes, state.get_in(kGovModule, gov_role_key(kRoleOracle)));
  if (!role_bytes) return std::vector<crypto::Address>{};
  auto role = core::decode<RoleRecord>(*role_bytes);
  if (!role.ok()) return make_error(ErrorCode::kStateCorrupt, "the oracle role does not decode: " + role.error().to_string());
  return role->holders;
}

core::Status OracleModule::check_payload(const ledger::Payload& payload, const crypto::Address&) const {
  if (payload.kind != kOracleReportKind) {
    return make_error(ErrorCode::kTxUnknownPayload, "the oracle module has no payload kind '" + payload.kind + "' (it has: report)");
  }
  MN_TRY_ASSIGN(const OracleReport report, report_of(payload));
  MN_TRY(check_feed_id(report.feed));
  if (report.observations.empty()) return make_error(ErrorCode::kOracleNoQuorum, "a report without observations");
  std::vector<crypto::PublicKey> keys;
  for (const auto& o : report.observations) keys.push_back(o.operator_key);
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.bytes < b.bytes; });
  if (std::adjacent_find(keys.begin(), keys.end()) != keys.end()) {
    return make_error(ErrorCode::kOracleDuplicateObservation, "two observations of one operator in a report");
  }
  return {};
}

core::Status OracleModule::apply(const ledger::TxContext& tx, ledger::ModuleState& state, std::vector<ledger::Event>& events) const {
  MN_TRY(check_payload(tx.tx.payload, tx.sender));
  OracleReport report = report_of(tx.tx.payload).value();
  MN_TRY_ASSIGN(auto spec_bytes, state.get_in(kGovModule, gov_feed_key(report.feed)));
  if (!spec_bytes) {
    return make_error(ErrorCode::kOracleUnknownFeed, "no feed '" + report.feed + "' (the council creates feeds: create_feed)");
  }
  auto spec = core::decode<FeedSpec>(*spec_bytes);
  if (!spec.ok()) return make_error(ErrorCode::kStateCorrupt, "oracle feed spec does not decode: " + spec.error().to_string());
  MN_TRY_ASSIGN(auto last_record, state.get_as<FeedState>(oracle_feed_key(report.feed)));
  const FeedState last = last_record.value_or(FeedState{});
  if (report.round != last.round + 1) {
    return make_error(ErrorCode::kOracleStaleRound, "feed '" + report.feed + "' round " + std::to_string(report.round) +
                                                        " is not its next (" + std::to_string(last.round + 1) + ")");
  }
  MN_TRY_ASSIGN(const auto operators, oracle_operators_in(state));
  const std::int64_t now = tx.block.timestamp_unix_ms;
  std::vector<std::int64_t> values;
  for (const auto& o : report.observations) {
    const crypto::Address who = crypto::Address::from_public_key(o.operator_key);
    const std::string name = who.to_string();
    if (!std::binary_search(operators.begin(), operators.end(), who)) {
      return make_error(ErrorCode::kOracleNotOperator, name + " does not hold role 'oracle'");
    }
    const core::Hash32 digest = observation_digest(tx.block.chain.genesis_digest, report.feed, report.round, o.value, o.observed_unix_ms);
    if (!crypto::verify_digest(o.operator_key, digest, o.signature)) {
      return make_error(ErrorCode::kOracleBadSignature, "the observation of " + name + " is not signed by it for feed '" +
                                                            report.feed + "' round " + std::to_string(report.round) + " on this chain");
    }
    const I128 age = I128(now) - o.observed_unix_ms;
    if (age > I128(spec->max_age_ms) || -age > I128(spec->max_age_ms)) {
      return make_error(ErrorCode::kOracleStaleObservation, "the observation of " + name + " was made " +
                                                                std::to_string(static_cast<long long>(age)) +
                                                                " ms from the block's time (at most " +
                                                                std::to_string(spec->max_age_ms) + ")");
    }
    if (o.value < spec->min_value || o.value > spec->max_value) {
      return make_error(ErrorCode::kOracleOutOfRange, "the observation of " + name + " (" + std::to_string(o.value) +
                                                          ") is outside the feed's bounds [" + std::to_string(spec->min_value) +
                                                          ", " + std::to_string(spec->max_value) + "]");
    }
    values.push_back(o.value);
  }
  const std::size_t quorum = oracle_quorum(operators.size());
  if (values.size() < quorum) {
    return make_error(ErrorCode::kOracleNoQuorum, std::to_string(values.size()) + " observations; " + std::to_string(quorum) +
                                                      " of the " + std::to_string(operators.size()) + " operators are needed");
  }
  const std::int64_t median = median_of(values);
  if (!round_due(*spec, last, median, now)) {
    return make_error(ErrorCode::kOracleRoundNotDue,
                      "feed '" + report.feed + "' is not due: the median " + std::to_string(median) + " moved less than " +
                          std::to_string(spec->deviation_bps) + " bps from " + std::to_string(last.median) +
                          " and the heartbeat (" + std::to_string(spec->heartbeat_ms) + " ms) has not passed");
  }
  RoundRecord record;
  record.round = report.round;
  record.median = median;
  record.height = tx.block.height;
  record.unix_ms = now;
  record.reporter = tx.sender;
  record.observations = std::move(report.observations);
  std::sort(record.observations.begin(), record.observations.end(),
            [](const Observation& a, const Observation& b) { return a.operator_key.bytes < b.operator_key.bytes; });
  MN_TRY(state.put_as(oracle_round_key(report.feed, report.round), record));
  MN_TRY(state.put_as(oracle_feed_key(report.feed), FeedState{report.round, median, now, tx.block.height}));
  events.push_back(ledger::Event{std::string(kOracleModule), "round", core::encode(RoundEvent{report.feed, report.round, median})});
  return {};
}

core::Result<core::Bytes> OracleModule::payload_from_json(std::string_view kind, const json& fields) const {
  if (kind != kOracleReportKind) {
    return make_error(ErrorCode::kTxUnknownPayload, "the oracle module has no payload kind '" + std::string(kind) + "' (it has: report)");
  }
  OracleReport report;
  if (!fields.contains("feed") || !fields.at("feed").is_string()) return malformed("payload.feed is missing");
  report.feed = fields.at("feed").get<std::string>();
  if (!fields.contains("round")) return malformed("payload.round is missing");
  MN_TRY_ASSIGN(report.round, ledger::u64_from_json(fields.at("round"), "payload.round"));
  if (!fields.contains("observations") || !fields.at("observations").is_array()) return malformed("payload.observations must be a list");
  if (fields.at("observations").size() > kObservationsMax) return malformed("at most " + std::to_string(kObservationsMax) + " observations");
  for (const json& o : fields.at("observations")) {
    MN_TRY_ASSIGN(auto observation, Observation::from_json(o));
    report.observations.push_back(observation);
  }
  return core::encode(report);
}

json OracleModule::payload_to_json(const ledger::Payload& payload) const {
  auto report = core::decode<OracleReport>(payload.data);
  if (!report.ok()) return {{"data", core::to_hex(payload.data)}};
  json list = json::array();
  for (const auto& o : report->observations) list.push_back(o.to_json());
  return {{"feed", report->feed}, {"round", report->round}, {"observations", list}};
}

json OracleModule::event_to_json(const ledger::Event& event) const {
  auto e = core::decode<RoundEvent>(event.data);
  if (!e.ok()) return {{"data", core::to_hex(event.data)}};
  return {{"feed", e->feed}, {"round", e->round}, {"median", std::to_string(e->median)}};
}

core::Result<core::Bytes> OracleModule::key_from_text(std::string_view text) const {
  const auto bad = [&text](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument, "oracle key '" + std::string(text.substr(0, 80)) + "': " + why);
  };
  if (text.starts_with(kFeedPrefix)) {
    const std::string_view id = text.substr(kFeedPrefix.size());
    if (auto st = check_feed_id(id); !st.ok()) return bad(st.error().message);
    return oracle_feed_key(id);
  }
  if (text.starts_with(kRoundPrefix)) {
    const std::string_view rest = text.substr(kRoundPrefix.size());
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return bad("round:FEED:N");
    const std::string_view id = rest.substr(0, colon), digits = rest.substr(colon + 1);
    if (auto st = check_feed_id(id); !st.ok()) return bad(st.error().message);
    std::uint64_t round = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), round);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty()) return bad("not a round number after the feed");
    return oracle_round_key(id, round);
  }
  return bad("keys are feed:ID and round:ID:N");
}

json OracleModule::value_to_json(core::ByteView key, core::ByteView value) const {
  if (starts_with(key, kFeedPrefix)) {
    auto s = core::decode<FeedState>(value);
    return s.ok() ? s->to_json() : json(nullptr);
  }
  if (starts_with(key, kRoundPrefix)) {
    auto r = core::decode<RoundRecord>(value);
    return r.ok() ? r->to_json() : json(nullptr);
  }
  return nullptr;
}

}  // namespace metanode::modules
