// The registry module ("registry"): services find each other through leases on chain. A service's
// owner registers a name with its kind, endpoint, metadata and an optional health check for a TTL
// and renews it by heartbeat transactions; a lease nobody renewed is removed at a point every node
// computes alike. A TTL is in blocks (removed at the end of height registered + ttl_blocks) or in
// seconds of chain time (removed at the end of the first block whose timestamp reaches the block's
// timestamp + ttl_seconds). Lookups by name or by kind answer with state proofs.
//
// Health: the oracle's operators' nodes run each lease's check (http(s)://... answers 200, or
// tcp://host:port accepts) and publish what they saw ("health" payloads, a batch of names); each
// operator's latest result is kept per lease, and the lease is "up" when most of them say so.
//
// Time-TTL leases sit in buckets by the second they expire in; a cursor (the last second whose
// bucket was emptied) advances at each block's end, at most kTimeBucketsPerBlock seconds a block,
// so a chain that resumes after a long stop catches up over a few blocks instead of one long one.
//
// Stable refusals: registry_name_taken (another owner's live lease), registry_not_owner,
// registry_unknown_name, registry_index_full (a kind or an expiry bucket holds kLeasesPerIndexMax),
// oracle_not_operator (a health report from a key without role oracle).
//
// State (keys in the "registry" namespace; the text form GET /v1/state takes is in brackets):
//   "svc:" name                 [svc:NAME]      Lease
//   "health:" name              [health:NAME]   HealthRecord: each operator's latest result
//   "kind:" kind                [kind:KIND]     NameList: the live leases of a kind, sorted
//   "kinds"                     [kinds]         NameList: every kind with a live lease, sorted
//   "exp:" height (u64 BE)      [exp:HEIGHT]    NameList: the block-TTL leases that expire at that height
//   "expt:" second (u64 BE)     [expt:SECOND]   NameList: the time-TTL leases that expire in that second
//   "expt_cursor"               [expt_cursor]   TimeCursor: the last second emptied, and how many
//                                                time-TTL leases live (erased at none)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ledger/module.hpp"

namespace metanode::modules {

inline constexpr std::string_view kRegistryModule = "registry";
inline constexpr std::string_view kRegisterKind = "register";
inline constexpr std::string_view kRenewKind = "renew";
inline constexpr std::string_view kDeregisterKind = "deregister";
inline constexpr std::size_t kLeaseNameBytesMax = 64;
inline constexpr std::size_t kServiceKindBytesMax = 32;
inline constexpr std::size_t kEndpointBytesMax = 256;
inline constexpr std::size_t kMetadataBytesMax = 1024;
inline constexpr std::size_t kLeasesPerIndexMax = 64;  // a name list stays within a state value
inline constexpr std::size_t kKindsMax = 64;
inline constexpr std::string_view kHealthKind = "health";
inline constexpr std::size_t kHealthCheckBytesMax = 256;
inline constexpr std::size_t kHealthDetailBytesMax = 128;
inline constexpr std::size_t kHealthBatchMax = 32;      // names in one health payload
inline constexpr std::size_t kHealthReportersMax = 64;  // operators' results kept per lease
inline constexpr std::uint64_t kLeaseBlocksMax = 1'000'000;
inline constexpr std::uint64_t kLeaseSecondsMax = 30ull * 24 * 3600;
inline constexpr std::uint64_t kTimeBucketsPerBlock = 4'096;

struct Lease {
  std::string name;
  std::string kind;
  std::string endpoint;
  std::string metadata;
  std::string health_check;  // "" (none), http(s)://host[:port]/path or tcp://host:port
  crypto::Address owner;
  std::uint64_t registered_height = 0;
  std::uint64_t renewed_height = 0;
  std::uint64_t expiry_height = 0;   // block TTL: removed at the end of this block unless renewed (0: time TTL)
  std::int64_t expiry_unix_ms = 0;   // time TTL: removed at the end of the first block at or past it (0: block TTL)
  std::uint64_t renewals = 0;
  bool operator==(const Lease&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<Lease> decode(core::Reader& r);
  nlohmann::json to_json() const;
};

struct NameList {
  std::vector<std::string> names;  // sorted, distinct
  void encode(core::Writer& w) const;
  static core::Result<NameList> decode(core::Reader& r);
};

// One operator's latest result for a lease.
struct HealthReport {
  crypto::Address reporter;
  bool ok = false;
  std::string detail;  // why not (or what answered), at most kHealthDetailBytesMax
  std::uint64_t height = 0;
  std::int64_t unix_ms = 0;  // the block's timestamp
  bool operator==(const HealthReport&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<HealthReport> decode(core::Reader& r);
  nlohmann::json to_json() const;
};
struct HealthRecord {
  std::vector<HealthReport> reports;  // by reporter, sorted
  // "up" when more reports say ok than not, "down" when at least as many do not, "unknown" without any.
  std::string status() const;
  void encode(core::Writer& w) const;
  static core::Result<HealthRecord> decode(core::Reader& r);
  nlohmann::json to_json() const;
};

struct TimeCursor {
  std::uint64_t second = 0;  // every bucket up to this second is empty
  std::uint64_t live = 0;    // time-TTL leases
  void encode(core::Writer& w) const;
  static core::Result<TimeCursor> decode(core::Reader& r);
};

// Payloads: "register" (all fields), "renew" (name and one TTL), "deregister" (name). Exactly one of
// ttl_blocks and ttl_seconds is set on register and renew.
struct LeaseRequest {
  std::string name;
  std::string kind;
  std::string endpoint;
  std::string metadata;
  std::uint64_t ttl_blocks = 0;
  std::uint64_t ttl_seconds = 0;
  std::string health_check;
  void encode(core::Writer& w) const;
  static core::Result<LeaseRequest> decode(core::Reader& r);
};
ledger::Payload register_payload(const LeaseRequest& request);
ledger::Payload renew_payload(const std::string& name, std::uint64_t ttl_blocks, std::uint64_t ttl_seconds = 0);
ledger::Payload deregister_payload(const std::string& name);

// Payload "health": what one operator's node saw of each lease's check.
struct HealthResult {
  std::string name;
  bool ok = false;
  std::string detail;
};
struct HealthBatch {
  std::vector<HealthResult> results;  // 1 to kHealthBatchMax, distinct names
  void encode(core::Writer& w) const;
  static core::Result<HealthBatch> decode(core::Reader& r);
};
ledger::Payload health_payload(const HealthBatch& batch);

// A check: http://, https:// (a 200 answer is up) or tcp://host:port (a connection is up).
core::Status check_health_check(std::string_view check);

// A name: 1-64 of [a-z0-9.-], starting with a letter or digit; a kind: 1-32 of [a-z0-9_-].
core::Status check_service_name(std::string_view name);
core::Status check_service_kind(std::string_view kind);

core::Bytes registry_lease_key(std::string_view name);
core::Bytes registry_kind_key(std::string_view kind);
core::Bytes registry_kinds_key();
core::Bytes registry_health_key(std::string_view name);
core::Result<std::optional<Lease>> read_lease(const ledger::StateReader& state, std::string_view name);
core::Result<std::optional<HealthRecord>> read_health(const ledger::StateReader& state, std::string_view name);
core::Result<std::vector<std::string>> read_kind(const ledger::StateReader& state, std::string_view kind);
core::Result<std::vector<std::string>> read_kinds(const ledger::StateReader& state);

class RegistryModule final : public ledger::Module {
 public:
  std::string_view name() const override { return kRegistryModule; }
  std::vector<std::string_view> payload_kinds() const override { return {kRegisterKind, kRenewKind, kDeregisterKind, kHealthKind}; }
  core::Status check_payload(const ledger::Payload& payload, const crypto::Address& sender) const override;
  core::Status apply(const ledger::TxContext& tx, ledger::ModuleState& state,
                     std::vector<ledger::Event>& events) const override;
  // Leases that expire at this height, or by this block's time, are removed (event "expired").
  core::Status end_block(const ledger::BlockEnd& end, ledger::ModuleState& state) const override;
  core::Result<core::Bytes> payload_from_json(std::string_view kind, const nlohmann::json& fields) const override;
  nlohmann::json payload_to_json(const ledger::Payload& payload) const override;
  nlohmann::json event_to_json(const ledger::Event& event) const override;
  core::Result<core::Bytes> key_from_text(std::string_view text) const override;
  nlohmann::json value_to_json(core::ByteView key, core::ByteView value) const override;
};

}  // namespace metanode::modules
