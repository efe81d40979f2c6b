// The oracle module ("oracle"): external data enters the chain only as the median of a quorum of
// signed observations by the governed oracle operators.
//
// Operators are the holders of the built-in role "oracle" (granted and revoked by the council's
// proposals). A feed (id, sources, decimals, deviation threshold, heartbeat, bounds) is created
// by the council's proposal create_feed (governance keeps its spec). Each operator fetches the
// feed's sources, signs an Observation for the next round (feed, round, value scaled by 10^
// decimals, the time it observed), and sends it to the others; whoever holds observations of at
// least 2f+1 distinct operators (f = (n-1)/3 of the n operators) submits them as a report. The
// module accepts a report only when every observation's signer is an operator, every signature
// verifies for this chain, the round is the feed's next, each observation is fresh (within
// max_age_ms of the block's time) and within the feed's bounds, and the round is due: the
// heartbeat has passed since the last round or the new median deviates from the last by at least
// deviation_bps. It stores the round: the median and every signed observation.
//
// Stable refusals: oracle_unknown_feed, oracle_stale_round (the round is not the next: a replayed
// report), oracle_not_operator, oracle_duplicate_observation, oracle_bad_signature,
// oracle_stale_observation, oracle_out_of_range, oracle_no_quorum, oracle_round_not_due.
//
// State (keys in the "oracle" namespace; the text form GET /v1/state takes is in brackets):
//   "feed:" id                  [feed:ID]         FeedState: the latest round, its median and time
//   "round:" id 0x00 round (BE) [round:ID:N]      RoundRecord: the median and the observations
// Governance keeps the specs: "oracle_feed:" id (FeedSpec) and "oracle_feeds" (the ids, sorted).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crypto/ed25519.hpp"
#include "ledger/module.hpp"
#include "modules/oracle/feed_spec.hpp"

namespace metanode::modules {

inline constexpr std::string_view kOracleModule = "oracle";
inline constexpr std::string_view kOracleReportKind = "report";
// A report is a payload (at most 3,072 bytes: 24 observations of 112 bytes and the rest), so a
// quorum can be carried for up to 34 operators (2f + 1 = 23 at n = 34).
inline constexpr std::size_t kObservationsMax = 24;
// One operator's signed value for one round of one feed.
struct Observation {
  crypto::PublicKey operator_key;
  std::int64_t value = 0;
  std::int64_t observed_unix_ms = 0;
  crypto::Signature signature{};
  bool operator==(const Observation&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<Observation> decode(core::Reader& r);
  nlohmann::json to_json() const;
  static core::Result<Observation> from_json(const nlohmann::json& j);
};
// What an operator signs: bound to the chain (its genesis digest), the feed, the round, the value
// and the time.
core::Hash32 observation_digest(const core::Hash32& genesis_digest, std::string_view feed, std::uint64_t round,
                                std::int64_t value, std::int64_t observed_unix_ms);
Observation sign_observation(const crypto::KeyPair& key, const core::Hash32& genesis_digest, std::string_view feed,
                             std::uint64_t round, std::int64_t value, std::int64_t observed_unix_ms);

// Payload of kind "report".
struct OracleReport {
  std::string feed;
  std::uint64_t round = 0;
  std::vector<Observation> observations;  // 1 to kObservationsMax
  void encode(core::Writer& w) const;
  static core::Result<OracleReport> decode(core::Reader& r);
};
ledger::Payload oracle_report_payload(const OracleReport& report);

struct FeedState {
  std::uint64_t round = 0;  // the latest round (0: none yet)
  std::int64_t median = 0;
  std::int64_t round_unix_ms = 0;  // the block time of the latest round
  std::uint64_t height = 0;        // its block
  void encode(core::Writer& w) const;
  static core::Result<FeedState> decode(core::Reader& r);
  nlohmann::json to_json() const;
};

struct RoundRecord {
  std::uint64_t round = 0;
  std::int64_t median = 0;
  std::uint64_t height = 0;
  std::int64_t unix_ms = 0;
  crypto::Address reporter;
  std::vector<Observation> observations;  // sorted by operator key
  void encode(core::Writer& w) const;
  static core::Result<RoundRecord> decode(core::Reader& r);
  nlohmann::json to_json() const;
};

// The median of the values: the middle one, or the mean of the two middle ones rounded toward
// negative infinity (integers only).
std::int64_t median_of(std::vector<std::int64_t> values);
// A round is due: the feed's first, the heartbeat passed since `last` (by `now_ms`, a block's
// time on chain, an operator's clock off it), or the median moved by deviation_bps of the last.
bool round_due(const FeedSpec& spec, const FeedState& last, std::int64_t median, std::int64_t now_ms);
// Observations a report needs with n operators: 2f + 1, f = (n - 1) / 3.
std::size_t oracle_quorum(std::size_t operators);

core::Bytes oracle_feed_key(std::string_view feed);
core::Bytes oracle_round_key(std::string_view feed, std::uint64_t round);
core::Result<std::vector<std::string>> read_feed_ids(const ledger::StateReader& state);
core::Result<std::optional<FeedSpec>> read_feed_spec(const ledger::StateReader& state, std::string_view feed);
core::Result<std::optional<FeedState>> read_feed_state(const ledger::StateReader& state, std::string_view feed);
core::Result<std::optional<RoundRecord>> read_round(const ledger::StateReader& state, std::string_view feed,
                                                    std::uint64_t round);
// The operators: the holders of role "oracle", sorted.
core::Result<std::vector<crypto::Address>> read_oracle_operators(const ledger::StateReader& state);
// The same inside a module's apply (the governance namespace read through the block's state).
core::Result<std::vector<crypto::Address>> oracle_operators_in(const ledger::ModuleState& state);

class OracleModule final : public ledger::Module {
 public:
  std::string_view name() const override { return kOracleModule; }
  std::vector<std::string_view> payload_kinds() const override { return {kOracleReportKind}; }
  core::Status check_payload(const ledger::Payload& payload, const crypto::Address& sender) const override;
  core::Status apply(const ledger::TxContext& tx, ledger::ModuleState& state,
                     std::vector<ledger::Event>& events) const override;
  core::Result<core::Bytes> payload_from_json(std::string_view kind, const nlohmann::json& fields) const override;
  nlohmann::json payload_to_json(const ledger::Payload& payload) const override;
  nlohmann::json event_to_json(const ledger::Event& event) const override;
  core::Result<core::Bytes> key_from_text(std::string_view text) const override;
  nlohmann::json value_to_json(core::ByteView key, core::ByteView value) const override;
};

}  // namespace metanode::modules
