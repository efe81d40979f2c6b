// The registry module ("registry"): services find each other through leases on chain. A service's
// owner registers a name with its kind, endpoint and metadata for a number of blocks (a TTL) and
// renews it by heartbeat transactions; a lease nobody renewed is removed at the end of its expiry
// height, on every node alike. Lookups by name or by kind answer with state proofs.
//
// Stable refusals: registry_name_taken (another owner's live lease), registry_not_owner,
// registry_unknown_name, registry_index_full (a kind or an expiry height holds kLeasesPerIndexMax).
//
// State (keys in the "registry" namespace; the text form GET /v1/state takes is in brackets):
//   "svc:" name                 [svc:NAME]      Lease
//   "kind:" kind                [kind:KIND]     NameList: the live leases of a kind, sorted
//   "kinds"                     [kinds]         NameList: every kind with a live lease, sorted
//   "exp:" height (u64 BE)      [exp:HEIGHT]    NameList: the leases that expire at that height
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
inline constexpr std::uint64_t kLeaseBlocksMax = 1'000'000;

struct Lease {
  std::string name;
  std::string kind;
  std::string endpoint;
  std::string metadata;
  crypto::Address owner;
  std::uint64_t registered_height = 0;
  std::uint64_t renewed_height = 0;
  std::uint64_t expiry_height = 0;  // removed at the end of this block unless renewed
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

// Payloads: "register" (all fields), "renew" (name, ttl_blocks), "deregister" (name).
struct LeaseRequest {
  std::string name;
  std::string kind;
  std::string endpoint;
  std::string metadata;
  std::uint64_t ttl_blocks = 0;
  void encode(core::Writer& w) const;
  static core::Result<LeaseRequest> decode(core::Reader& r);
};
ledger::Payload register_payload(const LeaseRequest& request);
ledger::Payload renew_payload(const std::string& name, std::uint64_t ttl_blocks);
ledger::Payload deregister_payload(const std::string& name);

// A name: 1-64 of [a-z0-9.-], starting with a letter or digit; a kind: 1-32 of [a-z0-9_-].
core::Status check_service_name(std::string_view name);
core::Status check_service_kind(std::string_view kind);

core::Bytes registry_lease_key(std::string_view name);
core::Bytes registry_kind_key(std::string_view kind);
core::Bytes registry_kinds_key();
core::Result<std::optional<Lease>> read_lease(const ledger::StateReader& state, std::string_view name);
core::Result<std::vector<std::string>> read_kind(const ledger::StateReader& state, std::string_view kind);
core::Result<std::vector<std::string>> read_kinds(const ledger::StateReader& state);

class RegistryModule final : public ledger::Module {
 public:
  std::string_view name() const override { return kRegistryModule; }
  std::vector<std::string_view> payload_kinds() const override { return {kRegisterKind, kRenewKind, kDeregisterKind}; }
  core::Status check_payload(const ledger::Payload& payload, const crypto::Address& sender) const override;
  core::Status apply(const ledger::TxContext& tx, ledger::ModuleState& state,
                     std::vector<ledger::Event>& events) const override;
  // Leases that expire at this height are removed (event "expired").
  core::Status end_block(const ledger::BlockEnd& end, ledger::ModuleState& state) const override;
  core::Result<core::Bytes> payload_from_json(std::string_view kind, const nlohmann::json& fields) const override;
  nlohmann::json payload_to_json(const ledger::Payload& payload) const override;
  nlohmann::json event_to_json(const ledger::Event& event) const override;
  core::Result<core::Bytes> key_from_text(std::string_view text) const override;
  nlohmann::json value_to_json(core::ByteView key, core::ByteView value) const override;
};

}  // namespace metanode::modules
