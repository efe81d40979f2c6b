#include "modules/governance/governance.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace metanode::modules {
namespace {
using core::ErrorCode;
using core::make_error;
using nlohmann::json;

constexpr std::string_view kCouncilKey = "council";
constexpr std::string_view kRolePrefix = "role:";
constexpr std::string_view kHolderPrefix = "holder:";
constexpr std::string_view kProposalPrefix = "proposal:";
constexpr std::string_view kNextProposalKey = "next_proposal";
constexpr std::string_view kJurisdictionPrefix = "jurisdiction:";
constexpr std::string_view kServiceJurisdictionPrefix = "service_jurisdiction:";

// The tags of one account or service (sorted, distinct).
struct Jurisdictions {
  std::vector<std::string> tags;
  void encode(core::Writer& w) const {
    w.vector(tags, kJurisdictionsMax, [](core::Writer& out, const std::string& t) { out.string(t, kJurisdictionBytesMax); });
  }
  static core::Result<Jurisdictions> decode(core::Reader& r) {
    Jurisdictions j;
    MN_TRY_ASSIGN(j.tags, r.vector<std::string>(kJurisdictionsMax, [](core::Reader& in) { return in.string(kJurisdictionBytesMax); }));
    return j;
  }
};
constexpr std::size_t kFailureBytesMax = 300;

// A u64 state value (the next proposal id).
struct U64Value {
  std::uint64_t value = 0;
  void encode(core::Writer& w) const { w.u64(value); }
  static core::Result<U64Value> decode(core::Reader& r) {
    MN_TRY_ASSIGN(const std::uint64_t v, r.u64());
    return U64Value{v};
  }
};

core::Error malformed(std::string why) { return make_error(ErrorCode::kTxMalformed, std::move(why)); }

core::Bytes key_of(std::string_view prefix, core::ByteView rest = {}) {
  core::Bytes key(prefix.begin(), prefix.end());
  key.insert(key.end(), rest.begin(), rest.end());
  return key;
}

bool starts_with(core::ByteView key, std::string_view prefix) {
  return key.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), key.begin());
}

std::string as_text(core::ByteView bytes) { return std::string(bytes.begin(), bytes.end()); }

template <typename T>
bool sorted_distinct(const std::vector<T>& items) {
  return std::adjacent_find(items.begin(), items.end(), [](const T& a, const T& b) { return !(a < b); }) == items.end();
}

void encode_addresses(core::Writer& w, const std::vector<crypto::Address>& list, std::size_t max) {
  w.vector(list, max, [](core::Writer& out, const crypto::Address& a) { a.encode(out); });
}
core::Result<std::vector<crypto::Address>> decode_addresses(core::Reader& r, std::size_t max) {
  return r.vector<crypto::Address>(max, [](core::Reader& in) { return crypto::Address::decode(in); });
}

// Event data of every governance event: which proposal, what it does, who acted, and how many
// approvals it holds of how many it needs.
struct GovEvent {
  std::uint64_t id = 0;
  GovAction action = GovAction::kGrant;
  std::string role;
  crypto::Address subject;
  crypto::Address actor;
  std::uint32_t approvals = 0;
  std::uint32_t threshold = 0;
  std::string detail;  // "failed": why
  void encode(core::Writer& w) const {
    w.u64(id);
    w.u8(static_cast<std::uint8_t>(action));
    w.string(role, kRoleNameBytesMax);
    subject.encode(w);
    actor.encode(w);
    w.u32(approvals);
    w.u32(threshold);
    w.string(detail, kFailureBytesMax);
  }
  static core::Result<GovEvent> decode(core::Reader& r) {
    GovEvent e;
    MN_TRY_ASSIGN(e.id, r.u64());
    MN_TRY_ASSIGN(const std::uint8_t action, r.u8());
    if (!gov_action_name(static_cast<GovAction>(action)).size()) {
      return make_error(ErrorCode::kDecodeInvalidValue, "unknown governance action");
    }
    e.action = static_cast<GovAction>(action);
    MN_TRY_ASSIGN(e.role, r.string(kRoleNameBytesMax));
    MN_TRY_ASSIGN(e.subject, crypto::Address::decode(r));
    MN_TRY_ASSIGN(e.actor, crypto::Address::decode(r));
    MN_TRY_ASSIGN(e.approvals, r.u32());
    MN_TRY_ASSIGN(e.threshold, r.u32());
    MN_TRY_ASSIGN(e.detail, r.string(kFailureBytesMax));
    return e;
  }
};

ledger::Event gov_event(std::string_view kind, const ProposalRecord& p, const crypto::Address& actor,
                        std::uint32_t threshold, std::string detail = {}) {
  GovEvent e{p.id, p.proposal.action, p.proposal.role, p.proposal.subject, actor,
             static_cast<std::uint32_t>(p.approvals.size()), threshold, std::move(detail)};
  if (e.detail.size() > kFailureBytesMax) e.detail.resize(kFailureBytesMax);
  return ledger::Event{std::string(kGovModule), std::string(kind), core::encode(e)};
}

json addresses_json(const std::vector<crypto::Address>& list) {
  json out = json::array();
  for (const auto& a : list) out.push_back(a.to_string());
  return out;
}

json proposal_json(const ProposalRecord& p) {
  json doc{{"id", p.id},
           {"action", gov_action_name(p.proposal.action)},
           {"role", p.proposal.role},
           {"proposer", p.proposer.to_string()},
           {"created_height", p.created_height},
           {"expiry_height", p.expiry_height},
           {"approvals", addresses_json(p.approvals)},
           {"status", p.status_at(p.status == ProposalStatus::kOpen ? 0 : p.decided_height)}};
  if (p.proposal.action != GovAction::kCreateRole && p.proposal.action != GovAction::kSetEconRatios &&
      p.proposal.action != GovAction::kCreateFeed && p.proposal.service.empty()) {
    doc["subject"] = p.proposal.subject.to_string();
  }
  if (p.proposal.action == GovAction::kSetEconRatios) doc["ratios"] = p.proposal.econ.to_json();
  if (p.proposal.action == GovAction::kAdmitValidator) doc["candidate"] = p.proposal.candidate.to_json();
  if (p.proposal.action == GovAction::kCreateFeed) doc["feed"] = p.proposal.feed.to_json();
  if (!p.proposal.service.empty()) doc["service"] = p.proposal.service;
  if (p.proposal.action == GovAction::kSetJurisdictions) doc["jurisdictions"] = p.proposal.jurisdictions;
  if (!p.proposal.description.empty()) doc["description"] = p.proposal.description;
  if (p.status != ProposalStatus::kOpen) doc["decided_height"] = p.decided_height;
  if (p.status == ProposalStatus::kFailed) doc["failure"] = p.failure;
  return doc;
}

// ---- state access within the module ----

core::Result<Council> council_in(const ledger::ModuleState& state) {
  MN_TRY_ASSIGN(auto council, state.get_as<Council>(gov_council_key()));
  return council.value_or(Council{});
}

core::Result<RoleIndex> roles_in(const ledger::ModuleState& state) {
  MN_TRY_ASSIGN(auto index, state.get_as<RoleIndex>(gov_roles_key()));
  return index.value_or(RoleIndex{});
}

core::Status add_role(ledger::ModuleState& state, const std::string& name, RoleRecord record) {
  MN_TRY_ASSIGN(RoleIndex index, roles_in(state));
  const auto at = std::lower_bound(index.names.begin(), index.names.end(), name);
  if (at != index.names.end() && *at == name) {
    return make_error(ErrorCode::kGovRoleExists, "role '" + name + "' exists already");
  }
  if (index.names.size() >= kRolesMax) {
    return make_error(ErrorCode::kGovLimit, "a chain has at most " + std::to_string(kRolesMax) + " roles");
  }
  index.names.insert(at, name);
  MN_TRY(state.put_as(gov_roles_key(), index));
  return state.put_as(gov_role_key(name), record);
}

core::Status require_member(const Council& council, const crypto::Address& who) {
  if (!council.contains(who)) {
    return make_error(ErrorCode::kGovNotCouncilMember, who.to_string() + " is not a member of the admin council");
  }
  return {};
}

// Grants or revokes `role` for `subject`, keeping the role's holder list and the holder's role
// list in step.
core::Status set_holding(ledger::ModuleState& state, const std::string& role_name, const crypto::Address& subject,
                         bool grant) {
  MN_TRY_ASSIGN(auto role, state.get_as<RoleRecord>(gov_role_key(role_name)));
  if (!role) return make_error(ErrorCode::kGovUnknownRole, "no role '" + role_name + "' on this chain");
  MN_TRY_ASSIGN(auto holder_record, state.get_as<HolderRecord>(gov_holder_key(subject)));
  HolderRecord holder = holder_record.value_or(HolderRecord{});
  auto& holders = role->holders;
  const auto at = std::lower_bound(holders.begin(), holders.end(), subject);
  const bool holds = at != holders.end() && *at == subject;
  const auto role_at = std::lower_bound(holder.roles.begin(), holder.roles.end(), role_name);
  if (grant) {
    if (holds) return make_error(ErrorCode::kGovRoleAlreadyHeld, subject.to_string() + " holds '" + role_name + "' already");
    if (holders.size() >= kRoleHoldersMax) {
      return make_error(ErrorCode::kGovLimit, "role '" + role_name + "' has the most holders a role can have (" +
                                                  std::to_string(kRoleHoldersMax) + ")");
    }
    if (holder.roles.size() >= kRolesPerHolderMax) {
      return make_error(ErrorCode::kGovLimit, subject.to_string() + " holds the most roles an address can hold (" +
                                                  std::to_string(kRolesPerHolderMax) + ")");
    }
    holders.insert(at, subject);
    holder.roles.insert(role_at, role_name);
  } else {
    if (!holds) return make_error(ErrorCode::kGovRoleNotHeld, subject.to_string() + " does not hold '" + role_name + "'");
    holders.erase(at);
    if (role_at != holder.roles.end() && *role_at == role_name) holder.roles.erase(role_at);
  }
  MN_TRY(state.put_as(gov_role_key(role_name), *role));
  if (holder.roles.empty()) return state.erase(gov_holder_key(subject));
  return state.put_as(gov_holder_key(subject), holder);
}

// The effect of a proposal that reached its threshold. An error here fails the proposal (it is
// recorded as failed, with the error), not the transaction that approved it.
core::Status execute(const GovProposal& p, ledger::ModuleState& state) {
  switch (p.action) {
    case GovAction::kCreateRole:
      return add_role(state, p.role, RoleRecord{p.description, false, {}});
    case GovAction::kGrant:
      return set_holding(state, p.role, p.subject, true);
    case GovAction::kRevoke:
      return set_holding(state, p.role, p.subject, false);
    case GovAction::kSetJurisdictions: {
      const core::Bytes key =
          p.service.empty() ? gov_jurisdiction_key(p.subject) : gov_service_jurisdiction_key(p.service);
      if (p.jurisdictions.empty()) return state.erase(key);
      return state.put_as(key, Jurisdictions{p.jurisdictions});
    }
    case GovAction::kSetEconRatios:
      return state.put_as(key_of(kGovEconRatiosKey), p.econ);
    case GovAction::kAdmitValidator:
      return state.put_as(gov_candidate_key(p.subject), p.candidate);
    case GovAction::kCreateFeed: {
      MN_TRY_ASSIGN(auto existing, state.get(gov_feed_key(p.feed.id)));
      if (existing) return make_error(ErrorCode::kAlreadyExists, "feed '" + p.feed.id + "' exists already");
      MN_TRY_ASSIGN(auto index, state.get_as<FeedIndex>(gov_feeds_key()));
      FeedIndex ids = index.value_or(FeedIndex{});
      if (ids.ids.size() >= kFeedsMax) return make_error(ErrorCode::kGovLimit, "the chain has " + std::to_string(kFeedsMax) + " feeds");
      ids.ids.insert(std::lower_bound(ids.ids.begin(), ids.ids.end(), p.feed.id), p.feed.id);
      MN_TRY(state.put_as(gov_feeds_key(), ids));
      return state.put_as(gov_feed_key(p.feed.id), p.feed);
    }
  }
  return make_error(ErrorCode::kInternal, "unknown governance action");
}

// A proposal with its m-th approval: takes effect, or fails with the reason. Writes the record.
core::Status decide(ProposalRecord& record, const ledger::TxContext& tx, const Council& council,
                    ledger::ModuleState& state, std::vector<ledger::Event>& events) {
  record.decided_height = tx.block.height;
  // A failed effect leaves nothing half-done.
  const core::Status effect =
      state.all_or_nothing([&record](ledger::ModuleState& window) { return execute(record.proposal, window); });
  if (effect.ok()) {
    record.status = ProposalStatus::kExecuted;
    events.push_back(gov_event("executed", record, tx.sender, council.threshold));
  } else {
    record.status = ProposalStatus::kFailed;
    record.failure = effect.error().to_string();
    if (record.failure.size() > kFailureBytesMax) record.failure.resize(kFailureBytesMax);
    events.push_back(gov_event("failed", record, tx.sender, council.threshold, record.failure));
  }
  return state.put_as(gov_proposal_key(record.id), record);
}

core::Status apply_propose(const GovProposal& proposal, const ledger::TxContext& tx, ledger::ModuleState& state,
                           std::vector<ledger::Event>& events) {
  MN_TRY_ASSIGN(const Council council, council_in(state));
  MN_TRY(require_member(council, tx.sender));
  // What can be known now is refused now (the same checks run again when it takes effect).
  if (proposal.action == GovAction::kCreateFeed) {
    MN_TRY_ASSIGN(auto existing, state.get(gov_feed_key(proposal.feed.id)));
    if (existing) return make_error(ErrorCode::kAlreadyExists, "feed '" + proposal.feed.id + "' exists already");
  }
  if (proposal.action != GovAction::kSetJurisdictions && proposal.action != GovAction::kSetEconRatios &&
      proposal.action != GovAction::kAdmitValidator && proposal.action != GovAction::kCreateFeed) {
    MN_TRY_ASSIGN(auto role, state.get_as<RoleRecord>(gov_role_key(proposal.role)));
    if (proposal.action == GovAction::kCreateRole && role) {
      return make_error(ErrorCode::kGovRoleExists, "role '" + proposal.role + "' exists already");
    }
    if (proposal.action != GovAction::kCreateRole && !role) {
      return make_error(ErrorCode::kGovUnknownRole, "no role '" + proposal.role + "' on this chain");
    }
  }
  MN_TRY_ASSIGN(auto next, state.get_as<U64Value>(gov_next_proposal_key()));
  ProposalRecord record;
  record.id = next ? next->value : 1;
  record.proposal = proposal;
  record.proposer = tx.sender;
  record.created_height = tx.block.height;
  record.expiry_height = tx.block.height + proposal.expiry_blocks;
  record.approvals = {tx.sender};
  MN_TRY(state.put_as(gov_next_proposal_key(), U64Value{record.id + 1}));
  events.push_back(gov_event("proposed", record, tx.sender, council.threshold));
  if (record.approvals.size() >= council.threshold) return decide(record, tx, council, state, events);
  return state.put_as(gov_proposal_key(record.id), record);
}

core::Status apply_approve(const GovApproval& approval, const ledger::TxContext& tx, ledger::ModuleState& state,
                           std::vector<ledger::Event>& events) {
  MN_TRY_ASSIGN(auto found, state.get_as<ProposalRecord>(gov_proposal_key(approval.id)));
  if (!found) return make_error(ErrorCode::kGovUnknownProposal, "no proposal " + std::to_string(approval.id));
  ProposalRecord record = std::move(*found);
  if (record.status != ProposalStatus::kOpen) {
    return make_error(ErrorCode::kGovProposalClosed, "proposal " + std::to_string(record.id) + " was decided at height " +
                                                         std::to_string(record.decided_height) + " (" +
                                                         record.status_at(record.decided_height) + ")");
  }
  if (tx.block.height > record.expiry_height) {
    return make_error(ErrorCode::kGovProposalExpired, "proposal " + std::to_string(record.id) + " expired at height " +
                                                          std::to_string(record.expiry_height));
  }
  MN_TRY_ASSIGN(const Council council, council_in(state));
  MN_TRY(require_member(council, tx.sender));
  if (std::find(record.approvals.begin(), record.approvals.end(), tx.sender) != record.approvals.end()) {
    return make_error(ErrorCode::kGovDuplicateApproval, tx.sender.to_string() + " approved proposal " +
                                                            std::to_string(record.id) + " already");
  }
  record.approvals.push_back(tx.sender);
  events.push_back(gov_event("approved", record, tx.sender, council.threshold));
  if (record.approvals.size() >= council.threshold) return decide(record, tx, council, state, events);
  return state.put_as(gov_proposal_key(record.id), record);
}

core::Result<GovProposal> proposal_of(const ledger::Payload& payload) {
  auto p = core::decode<GovProposal>(payload.data);
  if (!p.ok()) return malformed("gov propose payload: " + p.error().to_string());
  return p;
}

core::Result<GovApproval> approval_of(const ledger::Payload& payload) {
  auto a = core::decode<GovApproval>(payload.data);
  if (!a.ok()) return malformed("gov approve payload: " + a.error().to_string());
  return a;
}

core::Error unknown_kind(std::string_view kind) {
  return make_error(ErrorCode::kTxUnknownPayload,
                    "the gov module has no payload kind '" + std::string(kind) + "' (it has: propose, approve)");
}

core::Result<std::optional<core::Bytes>> read_raw(const ledger::StateReader& state, core::ByteView key) {
  return state.get(ledger::state_tree_key(kGovModule, key));
}

template <typename T>
core::Result<std::optional<T>> read_as(const ledger::StateReader& state, core::ByteView key) {
  MN_TRY_ASSIGN(auto bytes, read_raw(state, key));
  if (!bytes) return std::optional<T>{};
  auto value = core::decode<T>(*bytes);
  if (!value.ok()) {
    return make_error(ErrorCode::kStateCorrupt, "gov entry does not decode: " + value.error().to_string());
  }
  return std::optional<T>{std::move(value).value()};
}

}  // namespace

std::vector<std::string_view> builtin_roles() {
  return {kRoleAdmin, kRoleAuditor, kRoleNode, kRoleOperator, kRoleOracle, kRoleUser, kRoleValidator};
}

core::Status check_role_name(std::string_view name) {
  const bool ok_chars = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (name.empty() || name.size() > kRoleNameBytesMax || !ok_chars || !(name[0] >= 'a' && name[0] <= 'z')) {
    return malformed("role name '" + std::string(name.substr(0, 64)) +
                     "': 1-32 of a-z, 0-9, '_' and '-', starting with a letter");
  }
  return {};
}

core::Status check_jurisdiction(std::string_view tag) {
  const bool ok_chars = std::all_of(tag.begin(), tag.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
  if (tag.empty() || tag.size() > kJurisdictionBytesMax || !ok_chars || !(tag[0] >= 'A' && tag[0] <= 'Z')) {
    return malformed("jurisdiction '" + std::string(tag.substr(0, 64)) + "': 1-16 of A-Z, 0-9 and '-', starting with a letter");
  }
  return {};
}

bool Council::contains(const crypto::Address& a) const { return std::binary_search(members.begin(), members.end(), a); }

void Council::encode(core::Writer& w) const {
  w.u32(threshold);
  encode_addresses(w, members, kCouncilMembersMax);
}

core::Result<Council> Council::decode(core::Reader& r) {
  Council c;
  MN_TRY_ASSIGN(c.threshold, r.u32());
  MN_TRY_ASSIGN(c.members, decode_addresses(r, kCouncilMembersMax));
  if (!sorted_distinct(c.members) || c.threshold > c.members.size()) {
    return make_error(ErrorCode::kDecodeInvalidValue, "council members must be sorted and distinct, threshold <= members");
  }
  return c;
}

void RoleRecord::encode(core::Writer& w) const {
  w.string(description, kRoleDescriptionBytesMax);
  w.u8(builtin ? 1 : 0);
  encode_addresses(w, holders, kRoleHoldersMax);
}

core::Result<RoleRecord> RoleRecord::decode(core::Reader& r) {
  RoleRecord role;
  MN_TRY_ASSIGN(role.description, r.string(kRoleDescriptionBytesMax));
  MN_TRY_ASSIGN(const std::uint8_t builtin, r.u8());
  if (builtin > 1) return make_error(ErrorCode::kDecodeInvalidValue, "role built-in flag is 0 or 1");
  role.builtin = builtin == 1;
  MN_TRY_ASSIGN(role.holders, decode_addresses(r, kRoleHoldersMax));
  if (!sorted_distinct(role.holders)) return make_error(ErrorCode::kDecodeInvalidValue, "role holders must be sorted and distinct");
  return role;
}

void RoleIndex::encode(core::Writer& w) const {
  w.vector(names, kRolesMax, [](core::Writer& out, const std::string& n) { out.string(n, kRoleNameBytesMax); });
}

core::Result<RoleIndex> RoleIndex::decode(core::Reader& r) {
  RoleIndex index;
  MN_TRY_ASSIGN(index.names, r.vector<std::string>(kRolesMax, [](core::Reader& in) { return in.string(kRoleNameBytesMax); }));
  if (!sorted_distinct(index.names)) return make_error(ErrorCode::kDecodeInvalidValue, "role names must be sorted and distinct");
  return index;
}

void HolderRecord::encode(core::Writer& w) const {
  w.vector(roles, kRolesPerHolderMax, [](core::Writer& out, const std::string& n) { out.string(n, kRoleNameBytesMax); });
}

core::Result<HolderRecord> HolderRecord::decode(core::Reader& r) {
  HolderRecord h;
  MN_TRY_ASSIGN(h.roles, r.vector<std::string>(kRolesPerHolderMax, [](core::Reader& in) { return in.string(kRoleNameBytesMax); }));
  if (!sorted_distinct(h.roles)) return make_error(ErrorCode::kDecodeInvalidValue, "a holder's roles must be sorted and distinct");
  return h;
}

std::string_view gov_action_name(GovAction action) {
  switch (action) {
    case GovAction::kGrant: return "grant";
    case GovAction::kRevoke: return "revoke";
    case GovAction::kCreateRole: return "create_role";
    case GovAction::kSetJurisdictions: return "set_jurisdictions";
    case GovAction::kSetEconRatios: return "set_econ_ratios";
    case GovAction::kAdmitValidator: return "admit_validator";
    case GovAction::kCreateFeed: return "create_feed";
  }
  return "";
}

std::optional<GovAction> gov_action_from_name(std::string_view name) {
  for (GovAction a : {GovAction::kGrant, GovAction::kRevoke, GovAction::kCreateRole, GovAction::kSetJurisdictions,
                      GovAction::kSetEconRatios, GovAction::kAdmitValidator, GovAction::kCreateFeed}) {
    if (gov_action_name(a) == name) return a;
  }
  return std::nullopt;
}

void GovProposal::encode(core::Writer& w) const {
  w.u8(static_cast<std::uint8_t>(action));
  w.string(role, kRoleNameBytesMax);
  subject.encode(w);
  w.string(description, kRoleDescriptionBytesMax);
  w.u64(expiry_blocks);
  if (action == GovAction::kSetJurisdictions) {
    w.string(service, kServiceNameBytesMax);
    w.vector(jurisdictions, kJurisdictionsMax,
             [](core::Writer& out, const std::string& t) { out.string(t, kJurisdictionBytesMax); });
  }
  if (action == GovAction::kSetEconRatios) econ.encode(w);
  if (action == GovAction::kAdmitValidator) candidate.encode(w);
  if (action == GovAction::kCreateFeed) feed.encode(w);
}

core::Result<GovProposal> GovProposal::decode(core::Reader& r) {
  GovProposal p;
  MN_TRY_ASSIGN(const std::uint8_t action, r.u8());
  if (gov_action_name(static_cast<GovAction>(action)).empty()) {
    return make_error(ErrorCode::kDecodeInvalidValue, "unknown governance action " + std::to_string(action));
  }
  p.action = static_cast<GovAction>(action);
  MN_TRY_ASSIGN(p.role, r.string(kRoleNameBytesMax));
  MN_TRY_ASSIGN(p.subject, crypto::Address::decode(r));
  MN_TRY_ASSIGN(p.description, r.string(kRoleDescriptionBytesMax));
  MN_TRY_ASSIGN(p.expiry_blocks, r.u64());
  if (p.action == GovAction::kSetJurisdictions) {
    MN_TRY_ASSIGN(p.service, r.string(kServiceNameBytesMax));
    MN_TRY_ASSIGN(p.jurisdictions,
                  r.vector<std::string>(kJurisdictionsMax, [](core::Reader& in) { return in.string(kJurisdictionBytesMax); }));
  }
  if (p.action == GovAction::kSetEconRatios) {
    MN_TRY_ASSIGN(p.econ, EconRatios::decode(r));
  }
  if (p.action == GovAction::kAdmitValidator) {
    MN_TRY_ASSIGN(p.candidate, ValidatorCandidate::decode(r));
  }
  if (p.action == GovAction::kCreateFeed) {
    MN_TRY_ASSIGN(p.feed, FeedSpec::decode(r));
  }
  return p;
}

void GovApproval::encode(core::Writer& w) const { w.u64(id); }

core::Result<GovApproval> GovApproval::decode(core::Reader& r) {
  GovApproval a;
  MN_TRY_ASSIGN(a.id, r.u64());
  return a;
}

std::string ProposalRecord::status_at(std::uint64_t height) const {
  switch (status) {
    case ProposalStatus::kExecuted: return "executed";
    case ProposalStatus::kFailed: return "failed";
    case ProposalStatus::kOpen: break;
  }
  return height > expiry_height ? "expired" : "open";
}

void ProposalRecord::encode(core::Writer& w) const {
  w.u64(id);
  proposal.encode(w);
  proposer.encode(w);
  w.u64(created_height);
  w.u64(expiry_height);
  encode_addresses(w, approvals, kCouncilMembersMax);
  w.u8(static_cast<std::uint8_t>(status));
  w.u64(decided_height);
  w.string(failure, kFailureBytesMax);
}

core::Result<ProposalRecord> ProposalRecord::decode(core::Reader& r) {
  ProposalRecord p;
  MN_TRY_ASSIGN(p.id, r.u64());
  MN_TRY_ASSIGN(p.proposal, GovProposal::decode(r));
  MN_TRY_ASSIGN(p.proposer, crypto::Address::decode(r));
  MN_TRY_ASSIGN(p.created_height, r.u64());
  MN_TRY_ASSIGN(p.expiry_height, r.u64());
  MN_TRY_ASSIGN(p.approvals, decode_addresses(r, kCouncilMembersMax));
  MN_TRY_ASSIGN(const std::uint8_t status, r.u8());
  if (status > 2) return make_error(ErrorCode::kDecodeInvalidValue, "unknown proposal status");
  p.status = static_cast<ProposalStatus>(status);
  MN_TRY_ASSIGN(p.decided_height, r.u64());
  MN_TRY_ASSIGN(p.failure, r.string(kFailureBytesMax));
  return p;
}

ledger::Payload gov_propose_payload(const GovProposal& proposal) {
  return ledger::Payload{std::string(kGovModule), std::string(kGovProposeKind), core::encode(proposal)};
}

ledger::Payload gov_approve_payload(std::uint64_t id) {
  return ledger::Payload{std::string(kGovModule), std::string(kGovApproveKind), core::encode(GovApproval{id})};
}

core::Bytes gov_council_key() { return key_of(kCouncilKey); }
core::Bytes gov_role_key(std::string_view role) { return key_of(kRolePrefix, core::as_bytes(role)); }
core::Bytes gov_holder_key(const crypto::Address& address) { return key_of(kHolderPrefix, address.bytes); }
core::Bytes gov_proposal_key(std::uint64_t id) {
  core::ByteArray<8> be{};
  for (std::size_t i = 0; i < 8; ++i) be[i] = static_cast<core::Byte>(id >> (8 * (7 - i)));
  return key_of(kProposalPrefix, be);
}
core::Bytes gov_next_proposal_key() { return key_of(kNextProposalKey); }
core::Bytes gov_roles_key() { return key_of("roles"); }
core::Bytes gov_jurisdiction_key(const crypto::Address& address) { return key_of(kJurisdictionPrefix, address.bytes); }
core::Bytes gov_service_jurisdiction_key(std::string_view service) {
  return key_of(kServiceJurisdictionPrefix, core::as_bytes(service));
}

core::Result<std::vector<std::string>> jurisdictions_of(const ledger::StateReader& state, const crypto::Address& address) {
  MN_TRY_ASSIGN(auto record, read_as<Jurisdictions>(state, gov_jurisdiction_key(address)));
  return record ? std::move(record->tags) : std::vector<std::string>{};
}

core::Result<std::vector<std::string>> decode_jurisdictions(core::ByteView value) {
  MN_TRY_ASSIGN(auto record, core::decode<Jurisdictions>(value));
  return std::move(record.tags);
}

core::Result<std::vector<std::string>> service_jurisdictions(const ledger::StateReader& state, std::string_view service) {
  MN_TRY_ASSIGN(auto record, read_as<Jurisdictions>(state, gov_service_jurisdiction_key(service)));
  return record ? std::move(record->tags) : std::vector<std::string>{};
}

core::Result<std::optional<Council>> read_council(const ledger::StateReader& state) {
  return read_as<Council>(state, gov_council_key());
}

core::Result<std::vector<std::string>> roles_of(const ledger::StateReader& state, const crypto::Address& address) {
  MN_TRY_ASSIGN(auto holder, read_as<HolderRecord>(state, gov_holder_key(address)));
  if (!holder) return std::vector<std::string>{};
  return std::move(holder->roles);
}

core::Result<std::optional<RoleRecord>> read_role(const ledger::StateReader& state, std::string_view role) {
  return read_as<RoleRecord>(state, gov_role_key(role));
}

core::Result<std::optional<ProposalRecord>> read_proposal(const ledger::StateReader& state, std::uint64_t id) {
  return read_as<ProposalRecord>(state, gov_proposal_key(id));
}

core::Result<std::uint64_t> next_proposal_id(const ledger::StateReader& state) {
  MN_TRY_ASSIGN(auto next, read_as<U64Value>(state, gov_next_proposal_key()));
  return next ? next->value : 1;
}

core::Result<std::vector<std::string>> role_names(const ledger::StateReader& state) {
  MN_TRY_ASSIGN(auto index, read_as<RoleIndex>(state, gov_roles_key()));
  if (!index) return std::vector<std::string>{};
  return std::move(index->names);
}

core::Result<GovGenesis> GovGenesis::from_json(const json& section) {
  auto invalid = [](std::string why) { return make_error(ErrorCode::kGenesisInvalid, "modules.gov: " + std::move(why)); };
  GovGenesis g;
  if (!section.is_object()) return invalid("must be an object");
  for (const auto& [field, value] : section.items()) {
    if (field != "council" && field != "grants" && field != "roles") return invalid("unknown field '" + field + "'");
  }
  if (section.contains("roles")) {
    const json& roles = section.at("roles");
    if (!roles.is_object()) return invalid("roles must map role names to descriptions");
    for (const auto& [name, description] : roles.items()) {
      if (auto st = check_role_name(name); !st.ok()) return invalid(st.error().message);
      if (!description.is_string() || description.get<std::string>().size() > kRoleDescriptionBytesMax) {
        return invalid("roles." + name + " must be a description of at most 200 bytes");
      }
      const auto builtin = builtin_roles();
      if (std::find(builtin.begin(), builtin.end(), name) != builtin.end()) return invalid("role '" + name + "' is built in");
      g.custom_roles.emplace_back(name, description.get<std::string>());
    }
  }
  if (!section.contains("council") || !section.at("council").is_object()) {
    return invalid("council must be {\"threshold\": M, \"members\": [ADDRESS, ...]}");
  }
  const json& council = section.at("council");
  if (!council.contains("members") || !council.at("members").is_array()) return invalid("council.members must be a list of addresses");
  for (const json& m : council.at("members")) {
    if (!m.is_string()) return invalid("council.members must be a list of addresses");
    auto address = crypto::Address::parse(m.get<std::string>());
    if (!address.ok()) return invalid("council.members: " + address.error().message);
    g.council.members.push_back(*address);
  }
  std::sort(g.council.members.begin(), g.council.members.end());
  if (std::adjacent_find(g.council.members.begin(), g.council.members.end()) != g.council.members.end()) {
    return invalid("council.members repeats an address");
  }
  if (g.council.members.empty() || g.council.members.size() > kCouncilMembersMax) {
    return invalid("council.members must name 1 to " + std::to_string(kCouncilMembersMax) + " addresses");
  }
  if (!council.contains("threshold") || !council.at("threshold").is_number_unsigned()) {
    return invalid("council.threshold must be a number from 1 to the number of members");
  }
  const auto threshold = council.at("threshold").get<std::uint64_t>();
  if (threshold < 1 || threshold > g.council.members.size()) {
    return invalid("council.threshold must be from 1 to the number of members (" +
                   std::to_string(g.council.members.size()) + ")");
  }
  g.council.threshold = static_cast<std::uint32_t>(threshold);
  if (section.contains("grants")) {
    const json& grants = section.at("grants");
    if (!grants.is_object()) return invalid("grants must map addresses to lists of roles");
    for (const auto& [text, roles] : grants.items()) {
      auto address = crypto::Address::parse(text);
      if (!address.ok()) return invalid("grants: " + address.error().message);
      if (!roles.is_array()) return invalid("grants." + text + " must be a list of roles");
      std::vector<std::string> names;
      for (const json& r : roles) {
        if (!r.is_string()) return invalid("grants." + text + " must be a list of roles");
        names.push_back(r.get<std::string>());
      }
      g.grants.emplace_back(*address, std::move(names));
    }
  }
  return g;
}

json GovGenesis::to_json() const {
  json grants_doc = json::object();
  for (const auto& [address, roles] : grants) grants_doc[address.to_string()] = roles;
  json doc{{"council", {{"threshold", council.threshold}, {"members", addresses_json(council.members)}}}};
  if (!grants.empty()) doc["grants"] = grants_doc;
  if (!custom_roles.empty()) {
    json roles_doc = json::object();
    for (const auto& [name, description] : custom_roles) roles_doc[name] = description;
    doc["roles"] = roles_doc;
  }
  return doc;
}

core::Status Governance::check_payload(const ledger::Payload& payload, const crypto::Address&) const {
  if (payload.kind == kGovApproveKind) {
    MN_TRY_ASSIGN(const GovApproval approval, approval_of(payload));
    if (approval.id == 0) return malformed("proposal ids start at 1");
    return {};
  }
  if (payload.kind != kGovProposeKind) return unknown_kind(payload.kind);
  MN_TRY_ASSIGN(const GovProposal p, proposal_of(payload));
  if (p.expiry_blocks < 1 || p.expiry_blocks > kProposalExpiryBlocksMax) {
    return malformed("expiry_blocks must be from 1 to " + std::to_string(kProposalExpiryBlocksMax));
  }
  if (p.action == GovAction::kSetEconRatios) {
    if (!p.role.empty() || !p.description.empty() || p.subject != crypto::Address{}) {
      return malformed("set_econ_ratios names no role, subject or description");
    }
    return p.econ.check();
  }
  if (p.action == GovAction::kCreateFeed) {
    if (!p.role.empty() || !p.description.empty() || !p.service.empty() || p.subject != crypto::Address{}) {
      return malformed("create_feed names no role, subject, service or description");
    }
    if (auto st = p.feed.check(); !st.ok()) return malformed(st.error().message);
    return {};
  }
  if (p.action == GovAction::kAdmitValidator) {
    if (!p.role.empty() || !p.description.empty() || !p.service.empty()) {
      return malformed("admit_validator names no role, service or description");
    }
    if (p.subject != crypto::Address::from_public_key(p.candidate.key)) {
      return malformed("admit_validator's subject must be the address of the candidate's public key");
    }
    return p.candidate.check();
  }
  if (p.action == GovAction::kSetJurisdictions) {
    if (!p.role.empty() || !p.description.empty()) return malformed("set_jurisdictions names no role and no description");
    if (p.service.empty() == (p.subject == crypto::Address{})) {
      return malformed("set_jurisdictions names either a subject address or a service, not both");
    }
    if (!p.service.empty() && !check_role_name(p.service).ok()) {
      return malformed("service name '" + p.service.substr(0, 64) + "': 1-32 of a-z, 0-9, '_' and '-'");
    }
    for (const auto& tag : p.jurisdictions) MN_TRY(check_jurisdiction(tag));
    if (!sorted_distinct(p.jurisdictions)) return malformed("jurisdictions must be sorted and distinct");
    return {};
  }
  MN_TRY(check_role_name(p.role));
  if (p.action == GovAction::kCreateRole) {
    if (p.subject != crypto::Address{}) return malformed("create_role names no subject");
  } else {
    if (p.subject == crypto::Address{}) return malformed(std::string(gov_action_name(p.action)) + " needs a subject address");
    if (!p.description.empty()) return malformed("only create_role carries a description");
  }
  return {};
}

core::Status Governance::apply(const ledger::TxContext& tx, ledger::ModuleState& state,
                               std::vector<ledger::Event>& events) const {
  if (tx.tx.payload.kind == kGovApproveKind) {
    MN_TRY_ASSIGN(const GovApproval approval, approval_of(tx.tx.payload));
    return apply_approve(approval, tx, state, events);
  }
  MN_TRY_ASSIGN(const GovProposal proposal, proposal_of(tx.tx.payload));
  return apply_propose(proposal, tx, state, events);
}

core::Status Governance::init_genesis(const ledger::Genesis& genesis, ledger::ModuleState& state) const {
  for (std::string_view name : builtin_roles()) {
    MN_TRY(add_role(state, std::string(name), RoleRecord{"built-in role", true, {}}));
  }
  json section;
  if (!genesis.module_section(kGovModule, section)) return {};
  MN_TRY_ASSIGN(const GovGenesis g, GovGenesis::from_json(section));
  for (const auto& [name, description] : g.custom_roles) MN_TRY(add_role(state, name, RoleRecord{description, false, {}}));
  MN_TRY(state.put_as(gov_council_key(), g.council));
  for (const auto& [address, roles] : g.grants) {
    for (const auto& role : roles) {
      if (auto st = set_holding(state, role, address, true); !st.ok()) {
        return make_error(ErrorCode::kGenesisInvalid, "modules.gov.grants: " + st.error().message);
      }
    }
  }
  return {};
}

core::Result<core::Bytes> Governance::payload_from_json(std::string_view kind, const json& fields) const {
  if (kind == kGovApproveKind) {
    if (!fields.contains("id")) return malformed("payload.id is missing");
    MN_TRY_ASSIGN(const std::uint64_t id, ledger::u64_from_json(fields.at("id"), "payload.id"));
    return core::encode(GovApproval{id});
  }
  if (kind != kGovProposeKind) return unknown_kind(kind);
  GovProposal p;
  if (!fields.contains("action") || !fields.at("action").is_string()) {
    return malformed("payload.action must be grant, revoke or create_role");
  }
  const auto action = gov_action_from_name(fields.at("action").get<std::string>());
  if (!action) {
    return malformed("payload.action must be grant, revoke, create_role, set_jurisdictions, set_econ_ratios, admit_validator or create_feed");
  }
  p.action = *action;
  if (p.action == GovAction::kCreateFeed) {
    if (!fields.contains("feed")) return malformed("payload.feed is missing");
    auto feed = FeedSpec::from_json(fields.at("feed"));
    if (!feed.ok()) return malformed("payload." + feed.error().message);
    p.feed = std::move(feed).value();
  } else if (p.action == GovAction::kAdmitValidator) {
    const json c = fields.contains("candidate") ? fields.at("candidate") : json();
    if (!c.is_object() || !c.contains("name") || !c.at("name").is_string() || !c.contains("public_key") ||
        !c.at("public_key").is_string() || !c.contains("mldsa_public_key") || !c.at("mldsa_public_key").is_string()) {
      return malformed("payload.candidate must hold name, public_key (hex) and mldsa_public_key (hex)");
    }
    p.candidate.name = c.at("name").get<std::string>();
    auto key = crypto::PublicKey::from_hex(c.at("public_key").get<std::string>());
    if (!key.ok()) return malformed("payload.candidate.public_key: " + key.error().message);
    p.candidate.key = *key;
    auto mldsa = core::from_hex(c.at("mldsa_public_key").get<std::string>());
    if (!mldsa.ok() || mldsa->size() != crypto::kMldsaPublicKeyBytes) {
      return malformed("payload.candidate.mldsa_public_key must be " + std::to_string(crypto::kMldsaPublicKeyBytes) +
                       " bytes in hex");
    }
    std::copy(mldsa->begin(), mldsa->end(), p.candidate.mldsa.bytes.begin());
    p.subject = crypto::Address::from_public_key(p.candidate.key);
  } else if (p.action == GovAction::kSetEconRatios) {
    if (!fields.contains("ratios")) return malformed("payload.ratios is missing");
    MN_TRY_ASSIGN(p.econ, EconRatios::from_json(fields.at("ratios")));
  } else if (p.action == GovAction::kSetJurisdictions) {
    if (fields.contains("service")) {
      if (!fields.at("service").is_string()) return malformed("payload.service must be a service name");
      p.service = fields.at("service").get<std::string>();
      if (p.service.size() > kServiceNameBytesMax) return malformed("payload.service is longer than 32 bytes");
    }
    const json& tags = fields.contains("jurisdictions") ? fields.at("jurisdictions") : json::array();
    if (!tags.is_array() || tags.size() > kJurisdictionsMax) {
      return malformed("payload.jurisdictions must be a list of at most " + std::to_string(kJurisdictionsMax) + " tags");
    }
    for (const json& t : tags) {
      if (!t.is_string() || t.get<std::string>().size() > kJurisdictionBytesMax) {
        return malformed("payload.jurisdictions: each tag is 1-16 of A-Z, 0-9 and '-'");
      }
      p.jurisdictions.push_back(t.get<std::string>());
    }
    std::sort(p.jurisdictions.begin(), p.jurisdictions.end());
    p.jurisdictions.erase(std::unique(p.jurisdictions.begin(), p.jurisdictions.end()), p.jurisdictions.end());
  } else {
    if (!fields.contains("role") || !fields.at("role").is_string()) return malformed("payload.role must be a role name");
    p.role = fields.at("role").get<std::string>();
    if (p.role.size() > kRoleNameBytesMax) return malformed("payload.role is longer than 32 bytes");
  }
  if (fields.contains("subject")) {
    if (!fields.at("subject").is_string()) return malformed("payload.subject must be an address");
    auto subject = crypto::Address::parse(fields.at("subject").get<std::string>());
    if (!subject.ok()) return malformed("payload.subject: " + subject.error().message);
    p.subject = *subject;
  }
  if (fields.contains("description")) {
    if (!fields.at("description").is_string()) return malformed("payload.description must be text");
    p.description = fields.at("description").get<std::string>();
    if (p.description.size() > kRoleDescriptionBytesMax) return malformed("payload.description is longer than 200 bytes");
  }
  if (fields.contains("expiry_blocks")) {
    MN_TRY_ASSIGN(p.expiry_blocks, ledger::u64_from_json(fields.at("expiry_blocks"), "payload.expiry_blocks"));
  }
  return core::encode(p);
}

json Governance::payload_to_json(const ledger::Payload& payload) const {
  if (payload.kind == kGovApproveKind) {
    if (auto a = core::decode<GovApproval>(payload.data); a.ok()) return {{"id", a->id}};
  } else if (payload.kind == kGovProposeKind) {
    if (auto p = core::decode<GovProposal>(payload.data); p.ok()) {
      json doc{{"action", gov_action_name(p->action)}, {"role", p->role}, {"expiry_blocks", p->expiry_blocks}};
      if (p->action != GovAction::kCreateRole && p->action != GovAction::kSetEconRatios &&
          p->action != GovAction::kCreateFeed && p->service.empty()) {
        doc["subject"] = p->subject.to_string();
      }
      if (p->action == GovAction::kSetEconRatios) doc["ratios"] = p->econ.to_json();
      if (p->action == GovAction::kCreateFeed) doc["feed"] = p->feed.to_json();
      if (p->action == GovAction::kAdmitValidator) doc["candidate"] = p->candidate.to_json();
      if (p->action == GovAction::kSetJurisdictions) {
        if (!p->service.empty()) doc["service"] = p->service;
        doc["jurisdictions"] = p->jurisdictions;
      }
      if (!p->description.empty()) doc["description"] = p->description;
      return doc;
    }
  }
  return {{"data", core::to_hex(payload.data)}};
}

json Governance::event_to_json(const ledger::Event& event) const {
  auto e = core::decode<GovEvent>(event.data);
  if (!e.ok()) return Module::event_to_json(event);
  json doc{{"proposal", e->id},
           {"action", gov_action_name(e->action)},
           {"role", e->role},
           {"by", e->actor.to_string()},
           {"approvals", e->approvals},
           {"threshold", e->threshold}};
  if (e->action != GovAction::kCreateRole) doc["subject"] = e->subject.to_string();
  if (!e->detail.empty()) doc["reason"] = e->detail;
  return doc;
}

core::Result<core::Bytes> Governance::key_from_text(std::string_view text) const {
  auto bad = [&](std::string why) {
    return make_error(ErrorCode::kInvalidArgument, "gov key '" + std::string(text.substr(0, 80)) + "': " + std::move(why));
  };
  if (text == kCouncilKey || text == kNextProposalKey || text == "roles" || text == kGovEconRatiosKey) return key_of(text);
  if (text.starts_with(kRolePrefix)) {
    const std::string_view name = text.substr(kRolePrefix.size());
    if (auto st = check_role_name(name); !st.ok()) return bad(st.error().message);
    return gov_role_key(name);
  }
  if (text.starts_with(kHolderPrefix)) {
    auto address = crypto::Address::parse(text.substr(kHolderPrefix.size()));
    if (!address.ok()) return bad(address.error().message);
    return gov_holder_key(*address);
  }
  if (text.starts_with(kJurisdictionPrefix)) {
    auto address = crypto::Address::parse(text.substr(kJurisdictionPrefix.size()));
    if (!address.ok()) return bad(address.error().message);
    return gov_jurisdiction_key(*address);
  }
  if (text.starts_with(kServiceJurisdictionPrefix)) {
    const std::string_view name = text.substr(kServiceJurisdictionPrefix.size());
    if (!check_role_name(name).ok()) return bad("a service name is 1-32 of a-z, 0-9, '_' and '-'");
    return gov_service_jurisdiction_key(name);
  }
  if (text.starts_with(kProposalPrefix)) {
    const std::string_view digits = text.substr(kProposalPrefix.size());
    std::uint64_t id = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) return bad("the id must be a number");
    return gov_proposal_key(id);
  }
  return bad("keys are council, roles, next_proposal, role:NAME, holder:ADDRESS, proposal:ID, jurisdiction:ADDRESS or "
             "service_jurisdiction:NAME");
}

json Governance::value_to_json(core::ByteView key, core::ByteView value) const {
  if (starts_with(key, kCouncilKey) && key.size() == kCouncilKey.size()) {
    if (auto c = core::decode<Council>(value); c.ok()) {
      return {{"threshold", c->threshold}, {"members", addresses_json(c->members)}};
    }
  } else if (starts_with(key, kRolePrefix)) {
    if (auto r = core::decode<RoleRecord>(value); r.ok()) {
      return {{"role", as_text(key.subspan(kRolePrefix.size()))},
              {"description", r->description},
              {"builtin", r->builtin},
              {"holders", addresses_json(r->holders)}};
    }
  } else if (starts_with(key, kHolderPrefix)) {
    if (auto h = core::decode<HolderRecord>(value); h.ok()) return {{"roles", h->roles}};
  } else if (starts_with(key, kProposalPrefix)) {
    if (auto p = core::decode<ProposalRecord>(value); p.ok()) return proposal_json(*p);
  } else if (starts_with(key, kJurisdictionPrefix) || starts_with(key, kServiceJurisdictionPrefix)) {
    if (auto j = core::decode<Jurisdictions>(value); j.ok()) return {{"jurisdictions", j->tags}};
  } else if (starts_with(key, kGovEconRatiosKey) && key.size() == kGovEconRatiosKey.size()) {
    if (auto r = core::decode<EconRatios>(value); r.ok()) return r->to_json();
  } else if (starts_with(key, kNextProposalKey)) {
    if (auto n = core::decode<U64Value>(value); n.ok()) return {{"next_proposal", n->value}};
  } else if (starts_with(key, "roles")) {
    if (auto i = core::decode<RoleIndex>(value); i.ok()) return {{"roles", i->names}};
  }
  return nullptr;
}

json gov_proposal_to_json(const ProposalRecord& record, std::uint64_t head_height) {
  json doc = proposal_json(record);
  doc["status"] = record.status_at(record.status == ProposalStatus::kOpen ? head_height : record.decided_height);
  return doc;
}

}  // namespace metanode::modules
