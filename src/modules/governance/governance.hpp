// The governance module ("gov"): roles bound to addresses on chain, changed only by an m-of-n
// admin council. Genesis names the council and may grant roles; after that, granting, revoking
// and creating a role are proposals that take effect in the transaction that brings the m-th
// distinct council approval, if that lands at or before the proposal's expiry height. Every
// refusal is a failed receipt with a stable code (gov_*), every decision an event, and every
// record a state entry with inclusion and non-inclusion proofs (GET /v1/state/gov/{key}).
//
// State (keys in the "gov" namespace; the text form GET /v1/state takes is in brackets):
//   "council"                 [council]           Council: threshold and sorted members
//   "role:" name              [role:NAME]         RoleRecord: description, built-in, sorted holders
//   "holder:" address (32)    [holder:ADDRESS]    HolderRecord: the sorted roles of one address
//   "proposal:" id (u64 BE)   [proposal:ID]       GovProposal
//   "next_proposal"           [next_proposal]     u64: the id the next proposal gets (from 1)
//   "roles"                   [roles]             RoleIndex: every role's name, sorted
//   "jurisdiction:" address   [jurisdiction:ADDRESS]       Jurisdictions of an account
//   "service_jurisdiction:" name [service_jurisdiction:NAME] Jurisdictions of a service (ledger, proofs, ...)
//   "econ_ratios"             [econ_ratios]       EconRatios the council set last (the econ module adopts
//                                                 them at its next epoch's end)
//
// Jurisdiction tags (regulatory reports, `metanode audit report --jurisdiction`) are set by a
// proposal too (set_jurisdictions); the audit trail tags each event with its actor's.
//
// The Cage reads the committed role table through roles_of(); nothing else grants authority.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ledger/module.hpp"
#include "modules/econ/econ.hpp"
#include "modules/oracle/feed_spec.hpp"

namespace metanode::modules {

inline constexpr std::string_view kGovModule = "gov";
inline constexpr std::string_view kGovProposeKind = "propose";
inline constexpr std::string_view kGovApproveKind = "approve";
inline constexpr std::string_view kGovEconRatiosKey = "econ_ratios";

// The built-in roles, present on every chain from block 0.
inline constexpr std::string_view kRoleAdmin = "admin";
inline constexpr std::string_view kRoleOperator = "operator";
inline constexpr std::string_view kRoleAuditor = "auditor";
inline constexpr std::string_view kRoleValidator = "validator";
inline constexpr std::string_view kRoleUser = "user";
// A full node admitted to XTMP links with the validators (`metanode install` proposes it).
inline constexpr std::string_view kRoleNode = "node";
std::vector<std::string_view> builtin_roles();

inline constexpr std::size_t kCouncilMembersMax = 32;
inline constexpr std::size_t kRoleNameBytesMax = 32;
inline constexpr std::size_t kRoleDescriptionBytesMax = 200;
inline constexpr std::size_t kRoleHoldersMax = 100;   // a role record stays well under the 4 KiB value limit
inline constexpr std::size_t kRolesPerHolderMax = 32;
inline constexpr std::size_t kRolesMax = 64;          // built-in and custom together
inline constexpr std::uint64_t kProposalExpiryBlocksMax = 1'000'000;
inline constexpr std::uint64_t kProposalExpiryBlocksDefault = 1'000;
inline constexpr std::size_t kJurisdictionsMax = 8;
inline constexpr std::size_t kJurisdictionBytesMax = 16;
inline constexpr std::size_t kServiceNameBytesMax = 32;

// A jurisdiction tag: 1-16 of [A-Z0-9-], starting with a letter ("EU", "US-NY", "SG").
core::Status check_jurisdiction(std::string_view tag);

// A role name: 1-32 of [a-z0-9_-], starting with a letter.
core::Status check_role_name(std::string_view name);

struct Council {
  std::uint32_t threshold = 0;            // m
  std::vector<crypto::Address> members;   // n, sorted, distinct
  bool contains(const crypto::Address& a) const;
  void encode(core::Writer& w) const;
  static core::Result<Council> decode(core::Reader& r);
};

struct RoleRecord {
  std::string description;
  bool builtin = false;
  std::vector<crypto::Address> holders;  // sorted, distinct
  void encode(core::Writer& w) const;
  static core::Result<RoleRecord> decode(core::Reader& r);
};

struct RoleIndex {
  std::vector<std::string> names;  // sorted, distinct
  void encode(core::Writer& w) const;
  static core::Result<RoleIndex> decode(core::Reader& r);
};

struct HolderRecord {
  std::vector<std::string> roles;  // sorted, distinct
  void encode(core::Writer& w) const;
  static core::Result<HolderRecord> decode(core::Reader& r);
};

enum class GovAction : std::uint8_t {
  kGrant = 1,
  kRevoke = 2,
  kCreateRole = 3,
  kSetJurisdictions = 4,
  kSetEconRatios = 5,
  kAdmitValidator = 6,
  kCreateFeed = 7,
};
std::string_view gov_action_name(GovAction action);
std::optional<GovAction> gov_action_from_name(std::string_view name);

enum class ProposalStatus : std::uint8_t {
  kOpen = 0,      // collecting approvals (an open proposal past its expiry height is expired)
  kExecuted = 1,  // took effect
  kFailed = 2,    // reached its threshold but could not take effect (the reason is kept)
};

// Payload of kind "propose": what to do, and for how many blocks approvals are taken. The
// proposer (a council member) approves it by proposing.
struct GovProposal {
  GovAction action = GovAction::kGrant;
  std::string role;
  crypto::Address subject;        // grant and revoke: whose role; create_role: zero
  std::string description;        // create_role: the new role's description
  std::uint64_t expiry_blocks = kProposalExpiryBlocksDefault;
  // set_jurisdictions (encoded only for it): an account (subject) or a service (by name) gets
  // exactly these tags, sorted and distinct; none clears them.
  std::string service;
  std::vector<std::string> jurisdictions;
  // set_econ_ratios (encoded only for it): the economics module's split ratios and epoch length,
  // applied from the end of the epoch in progress (modules/econ/econ.hpp).
  EconRatios econ;
  // admit_validator (encoded only for it): the candidate's name and keys; `subject` is the
  // address of its Ed25519 key. It becomes a validator once it bonds stake (modules/econ).
  ValidatorCandidate candidate;
  // create_feed (encoded only for it): an oracle feed's spec (modules/oracle/feed_spec.hpp), kept
  // under "oracle_feed:" id, its id added to "oracle_feeds".
  FeedSpec feed;
  void encode(core::Writer& w) const;
  static core::Result<GovProposal> decode(core::Reader& r);
};

// Payload of kind "approve".
struct GovApproval {
  std::uint64_t id = 0;
  void encode(core::Writer& w) const;
  static core::Result<GovApproval> decode(core::Reader& r);
};

// A proposal as stored.
struct ProposalRecord {
  std::uint64_t id = 0;
  GovProposal proposal;
  crypto::Address proposer;
  std::uint64_t created_height = 0;
  std::uint64_t expiry_height = 0;          // last height at which an approval counts
  std::vector<crypto::Address> approvals;   // in the order they came
  ProposalStatus status = ProposalStatus::kOpen;
  std::uint64_t decided_height = 0;         // executed or failed at
  std::string failure;                      // kFailed: why ("gov_role_exists: ...")
  // "open", "expired" (open past its expiry at `height`), "executed" or "failed".
  std::string status_at(std::uint64_t height) const;
  void encode(core::Writer& w) const;
  static core::Result<ProposalRecord> decode(core::Reader& r);
};

ledger::Payload gov_propose_payload(const GovProposal& proposal);
ledger::Payload gov_approve_payload(std::uint64_t id);

// State keys.
core::Bytes gov_council_key();
core::Bytes gov_role_key(std::string_view role);
core::Bytes gov_holder_key(const crypto::Address& address);
core::Bytes gov_proposal_key(std::uint64_t id);
core::Bytes gov_next_proposal_key();
core::Bytes gov_roles_key();
core::Bytes gov_jurisdiction_key(const crypto::Address& address);
core::Bytes gov_service_jurisdiction_key(std::string_view service);

// Read-only views of committed governance state (for the Cage, the API and the CLI).
core::Result<std::optional<Council>> read_council(const ledger::StateReader& state);
core::Result<std::vector<std::string>> roles_of(const ledger::StateReader& state, const crypto::Address& address);
core::Result<std::optional<RoleRecord>> read_role(const ledger::StateReader& state, std::string_view role);
core::Result<std::optional<ProposalRecord>> read_proposal(const ledger::StateReader& state, std::uint64_t id);
// The id the next proposal will get (1 on a chain without proposals).
core::Result<std::uint64_t> next_proposal_id(const ledger::StateReader& state);
// The jurisdiction tags governance set on an account or a service (none: empty).
core::Result<std::vector<std::string>> jurisdictions_of(const ledger::StateReader& state, const crypto::Address& address);
core::Result<std::vector<std::string>> service_jurisdictions(const ledger::StateReader& state, std::string_view service);
// The tags of a stored jurisdiction entry (its value bytes, as a state answer proves them).
core::Result<std::vector<std::string>> decode_jurisdictions(core::ByteView value);
// Every role's name (built-in and custom), sorted.
core::Result<std::vector<std::string>> role_names(const ledger::StateReader& state);

// A proposal as the API shows it, with its status at the head height.
nlohmann::json gov_proposal_to_json(const ProposalRecord& record, std::uint64_t head_height);

// Genesis section "gov":
//   {"council": {"threshold": M, "members": [ADDRESS, ...]},
//    "grants": {ADDRESS: [ROLE, ...], ...},          optional
//    "roles": {NAME: DESCRIPTION, ...}}              optional custom roles
// Without a section the chain has the built-in roles, no holders and no council (so no role can
// ever be granted): `metanode init` and `metanode up` always write one.
struct GovGenesis {
  Council council;
  std::vector<std::pair<crypto::Address, std::vector<std::string>>> grants;
  std::vector<std::pair<std::string, std::string>> custom_roles;
  static core::Result<GovGenesis> from_json(const nlohmann::json& section);
  nlohmann::json to_json() const;
};

class Governance final : public ledger::Module {
 public:
  std::string_view name() const override { return kGovModule; }
  std::vector<std::string_view> payload_kinds() const override { return {kGovProposeKind, kGovApproveKind}; }
  core::Status check_payload(const ledger::Payload& payload, const crypto::Address& sender) const override;
  core::Status apply(const ledger::TxContext& tx, ledger::ModuleState& state,
                     std::vector<ledger::Event>& events) const override;
  core::Status init_genesis(const ledger::Genesis& genesis, ledger::ModuleState& state) const override;

  core::Result<core::Bytes> payload_from_json(std::string_view kind, const nlohmann::json& fields) const override;
  nlohmann::json payload_to_json(const ledger::Payload& payload) const override;
  nlohmann::json event_to_json(const ledger::Event& event) const override;
  core::Result<core::Bytes> key_from_text(std::string_view text) const override;
  nlohmann::json value_to_json(core::ByteView key, core::ByteView value) const override;
};

}  // namespace metanode::modules
