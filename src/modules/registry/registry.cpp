#include "modules/registry/registry.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "modules/entries.hpp"

namespace metanode::modules {
namespace {

using core::ErrorCode;
using core::make_error;
using nlohmann::json;

constexpr std::string_view kLeasePrefix = "svc:";
constexpr std::string_view kKindPrefix = "kind:";
constexpr std::string_view kKindsKey = "kinds";
constexpr std::string_view kExpiryPrefix = "exp:";

core::Error malformed(const std::string& why) { return make_error(ErrorCode::kTxMalformed, why); }


core::Bytes expiry_key(std::uint64_t height) {
  core::Bytes key = text_key(kExpiryPrefix);
  for (int i = 7; i >= 0; --i) key.push_back(static_cast<core::Byte>(height >> (8 * i)));
  return key;
}

bool starts_with(core::ByteView key, std::string_view prefix) {
  return key.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), key.begin());
}

bool chars_ok(std::string_view text, std::string_view extra) {
  return std::all_of(text.begin(), text.end(), [&extra](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || extra.find(c) != std::string_view::npos;
  });
}

// Inserts into or erases from the sorted list under `key` (erased when empty).
core::Status edit_list(ledger::ModuleState& state, const core::Bytes& key, const std::string& name, bool insert,
                       std::size_t max, std::string_view what) {
  MN_TRY_ASSIGN(auto found, state.get_as<NameList>(key));
  NameList list = found.value_or(NameList{});
  const auto at = std::lower_bound(list.names.begin(), list.names.end(), name);
  const bool present = at != list.names.end() && *at == name;
  if (insert == present) return {};
  if (insert) {
    if (list.names.size() >= max) {
      return make_error(ErrorCode::kRegistryIndexFull, std::string(what) + " holds " + std::to_string(max) + " leases already");
    }
    list.names.insert(at, name);
  } else {
    list.names.erase(at);
  }
  if (list.names.empty()) return state.erase(key);
  return state.put_as(key, list);
}

core::Status index_kind(ledger::ModuleState& state, const std::string& kind, const std::string& name, bool insert) {
  MN_TRY(edit_list(state, registry_kind_key(kind), name, insert, kLeasesPerIndexMax, "kind '" + kind + "'"));
  MN_TRY_ASSIGN(auto remaining, state.get(registry_kind_key(kind)));
  // The kinds index lists every kind with at least one lease.
  return edit_list(state, registry_kinds_key(), kind, remaining.has_value(), kKindsMax, "the registry's kinds");
}

// Event "registered" | "renewed" | "deregistered" | "expired": the lease as it was left.
ledger::Event lease_event(std::string_view kind, const Lease& lease) {
  return ledger::Event{std::string(kRegistryModule), std::string(kind), core::encode(lease)};
}


}  // namespace

void Lease::encode(core::Writer& w) const {
  w.string(name, kLeaseNameBytesMax);
  w.string(kind, kServiceKindBytesMax);
  w.string(endpoint, kEndpointBytesMax);
  w.string(metadata, kMetadataBytesMax);
  owner.encode(w);
  w.u64(registered_height);
  w.u64(renewed_height);
  w.u64(expiry_height);
  w.u64(renewals);
}
core::Result<Lease> Lease::decode(core::Reader& r) {
  Lease l;
  MN_TRY_ASSIGN(l.name, r.string(kLeaseNameBytesMax));
  MN_TRY_ASSIGN(l.kind, r.string(kServiceKindBytesMax));
  MN_TRY_ASSIGN(l.endpoint, r.string(kEndpointBytesMax));
  MN_TRY_ASSIGN(l.metadata, r.string(kMetadataBytesMax));
  MN_TRY_ASSIGN(l.owner, crypto::Address::decode(r));
  MN_TRY_ASSIGN(l.registered_height, r.u64());
  MN_TRY_ASSIGN(l.renewed_height, r.u64());
  MN_TRY_ASSIGN(l.expiry_height, r.u64());
  MN_TRY_ASSIGN(l.renewals, r.u64());
  return l;
}
json Lease::to_json() const {
  return {{"name", name},
          {"kind", kind},
          {"endpoint", endpoint},
          {"metadata", metadata},
          {"owner", owner.to_string()},
          {"registered_height", registered_height},
          {"renewed_height", renewed_height},
          {"expiry_height", expiry_height},
          {"renewals", renewals}};
}

void NameList::encode(core::Writer& w) const {
  w.vector(names, kLeasesPerIndexMax, [](core::Writer& out, const std::string& n) { out.string(n, kLeaseNameBytesMax); });
}
core::Result<NameList> NameList::decode(core::Reader& r) {
  NameList l;
  MN_TRY_ASSIGN(l.names, r.vector<std::string>(kLeasesPerIndexMax, [](core::Reader& in) { return in.string(kLeaseNameBytesMax); }));
  return l;
}

void LeaseRequest::encode(core::Writer& w) const {
  w.string(name, kLeaseNameBytesMax);
  w.string(kind, kServiceKindBytesMax);
  w.string(endpoint, kEndpointBytesMax);
  w.string(metadata, kMetadataBytesMax);
  w.u64(ttl_blocks);
}
core::Result<LeaseRequest> LeaseRequest::decode(core::Reader& r) {
  LeaseRequest q;
  MN_TRY_ASSIGN(q.name, r.string(kLeaseNameBytesMax));
  MN_TRY_ASSIGN(q.kind, r.string(kServiceKindBytesMax));
  MN_TRY_ASSIGN(q.endpoint, r.string(kEndpointBytesMax));
  MN_TRY_ASSIGN(q.metadata, r.string(kMetadataBytesMax));
  MN_TRY_ASSIGN(q.ttl_blocks, r.u64());
  return q;
}
ledger::Payload register_payload(const LeaseRequest& request) {
  return {std::string(kRegistryModule), std::string(kRegisterKind), core::encode(request)};
}
ledger::Payload renew_payload(const std::string& name, std::uint64_t ttl_blocks) {
  return {std::string(kRegistryModule), std::string(kRenewKind), core::encode(LeaseRequest{name, "", "", "", ttl_blocks})};
}
ledger::Payload deregister_payload(const std::string& name) {
  return {std::string(kRegistryModule), std::string(kDeregisterKind), core::encode(LeaseRequest{name, "", "", "", 0})};
}

core::Status check_service_name(std::string_view name) {
  if (name.empty() || name.size() > kLeaseNameBytesMax || !chars_ok(name, ".-") || name[0] == '.' || name[0] == '-') {
    return malformed("service name '" + std::string(name.substr(0, 80)) + "': 1-64 of a-z, 0-9, '.' and '-', starting with a letter or digit");
  }
  return {};
}
core::Status check_service_kind(std::string_view kind) {
  if (kind.empty() || kind.size() > kServiceKindBytesMax || !chars_ok(kind, "_-")) {
    return malformed("service kind '" + std::string(kind.substr(0, 80)) + "': 1-32 of a-z, 0-9, '_' and '-'");
  }
  return {};
}

core::Bytes registry_lease_key(std::string_view name) { return text_key(kLeasePrefix, name); }
core::Bytes registry_kind_key(std::string_view kind) { return text_key(kKindPrefix, kind); }
core::Bytes registry_kinds_key() { return text_key(kKindsKey); }
core::Result<std::optional<Lease>> read_lease(const ledger::StateReader& state, std::string_view name) {
  return read_entry<Lease>(state, kRegistryModule, registry_lease_key(name), "registry lease");
}
core::Result<std::vector<std::string>> read_kind(const ledger::StateReader& state, std::string_view kind) {
  MN_TRY_ASSIGN(auto list, read_entry<NameList>(state, kRegistryModule, registry_kind_key(kind), "registry kind index"));
  return list ? list->names : std::vector<std::string>{};
}
core::Result<std::vector<std::string>> read_kinds(const ledger::StateReader& state) {
  MN_TRY_ASSIGN(auto list, read_entry<NameList>(state, kRegistryModule, registry_kinds_key(), "registry kinds index"));
  return list ? list->names : std::vector<std::string>{};
}

core::Status RegistryModule::check_payload(const ledger::Payload& payload, const crypto::Address&) const {
  if (payload.kind != kRegisterKind && payload.kind != kRenewKind && payload.kind != kDeregisterKind) {
    return make_error(ErrorCode::kTxUnknownPayload,
                      "the registry module has no payload kind '" + payload.kind + "' (it has: register, renew, deregister)");
  }
  auto q = core::decode<LeaseRequest>(payload.data);
  if (!q.ok()) return malformed("registry " + payload.kind + " payload: " + q.error().to_string());
  MN_TRY(check_service_name(q->name));
  if (payload.kind == kDeregisterKind) {
    if (!q->kind.empty() || !q->endpoint.empty() || !q->metadata.empty() || q->ttl_blocks != 0) {
      return malformed("deregister names the service only");
    }
    return {};
  }
  if (q->ttl_blocks == 0 || q->ttl_blocks > kLeaseBlocksMax) {
    return malformed("ttl_blocks must be from 1 to " + std::to_string(kLeaseBlocksMax));
  }
  if (payload.kind == kRenewKind) {
    if (!q->kind.empty() || !q->endpoint.empty() || !q->metadata.empty()) return malformed("renew names the service and the TTL only");
    return {};
  }
  MN_TRY(check_service_kind(q->kind));
  if (q->endpoint.empty()) return malformed("register needs an endpoint (a URL or host:port)");
  return {};
}

core::Status RegistryModule::apply(const ledger::TxContext& tx, ledger::ModuleState& state, std::vector<ledger::Event>& events) const {
  MN_TRY(check_payload(tx.tx.payload, tx.sender));
  const LeaseRequest q = core::decode<LeaseRequest>(tx.tx.payload.data).value();
  const std::string& kind = tx.tx.payload.kind;
  const core::Bytes key = registry_lease_key(q.name);
  MN_TRY_ASSIGN(auto existing, state.get_as<Lease>(key));
  const std::uint64_t height = tx.block.height;
  if (existing && existing->owner != tx.sender) {
    if (kind == kRegisterKind) {
      return make_error(ErrorCode::kRegistryNameTaken, "'" + q.name + "' is leased by " + existing->owner.to_string() +
                                                           " until height " + std::to_string(existing->expiry_height));
    }
    return make_error(ErrorCode::kRegistryNotOwner, "'" + q.name + "' is leased by " + existing->owner.to_string());
  }
  if (!existing && kind != kRegisterKind) return make_error(ErrorCode::kRegistryUnknownName, "no lease of '" + q.name + "'");
  if (existing) {
    // Out of the indexes it is in; back into the new ones below (or not, when deregistered).
    MN_TRY(edit_list(state, expiry_key(existing->expiry_height), q.name, false, kLeasesPerIndexMax, "expiry height"));
    if (kind == kDeregisterKind || (kind == kRegisterKind && existing->kind != q.kind)) MN_TRY(index_kind(state, existing->kind, q.name, false));
  }
  if (kind == kDeregisterKind) {
    events.push_back(lease_event("deregistered", *existing));
    return state.erase(key);
  }
  Lease lease = existing.value_or(Lease{});
  if (kind == kRegisterKind) {
    if (!existing) lease.registered_height = height;
    lease.name = q.name;
    lease.kind = q.kind;
    lease.endpoint = q.endpoint;
    lease.metadata = q.metadata;
    lease.owner = tx.sender;
  } else {
    lease.renewals += 1;
  }
  lease.renewed_height = height;
  lease.expiry_height = height + q.ttl_blocks;
  MN_TRY(edit_list(state, expiry_key(lease.expiry_height), q.name, true, kLeasesPerIndexMax,
                   "expiry height " + std::to_string(lease.expiry_height)));
  MN_TRY(index_kind(state, lease.kind, q.name, true));
  events.push_back(lease_event(kind == kRegisterKind ? "registered" : "renewed", lease));
  return state.put_as(key, lease);
}

core::Status RegistryModule::end_block(const ledger::BlockEnd& end, ledger::ModuleState& state) const {
  const core::Bytes bucket = expiry_key(end.block.height);
  MN_TRY_ASSIGN(auto due, state.get_as<NameList>(bucket));
  if (!due) return {};
  for (const auto& name : due->names) {
    MN_TRY_ASSIGN(auto lease, state.get_as<Lease>(registry_lease_key(name)));
    if (!lease || lease->expiry_height != end.block.height) continue;  // renewed: in a later bucket
    MN_TRY(index_kind(state, lease->kind, name, false));
    MN_TRY(state.erase(registry_lease_key(name)));
  }
  return state.erase(bucket);
}

core::Result<core::Bytes> RegistryModule::payload_from_json(std::string_view kind, const json& fields) const {
  if (kind != kRegisterKind && kind != kRenewKind && kind != kDeregisterKind) {
    return make_error(ErrorCode::kTxUnknownPayload, "the registry module has no payload kind '" + std::string(kind) + "'");
  }
  LeaseRequest q;
  const auto text = [&fields](const char* name, std::string& out, bool required) -> core::Status {
    if (!fields.contains(name)) return required ? malformed(std::string("payload.") + name + " is missing") : core::Status{};
    if (!fields.at(name).is_string()) return malformed(std::string("payload.") + name + " must be text");
    out = fields.at(name).get<std::string>();
    return {};
  };
  MN_TRY(text("name", q.name, true));
  if (kind == kRegisterKind) {
    MN_TRY(text("service_kind", q.kind, true));  // "kind" is the payload's own
    MN_TRY(text("endpoint", q.endpoint, true));
    MN_TRY(text("metadata", q.metadata, false));
  }
  if (kind != kDeregisterKind) {
    if (!fields.contains("ttl_blocks")) return malformed("payload.ttl_blocks is missing");
    MN_TRY_ASSIGN(q.ttl_blocks, ledger::u64_from_json(fields.at("ttl_blocks"), "payload.ttl_blocks"));
  }
  if (q.name.size() > kLeaseNameBytesMax || q.kind.size() > kServiceKindBytesMax || q.endpoint.size() > kEndpointBytesMax ||
      q.metadata.size() > kMetadataBytesMax) {
    return malformed("a field is over its limit (name 64, kind 32, endpoint 256, metadata 1024 bytes)");
  }
  return core::encode(q);
}

json RegistryModule::payload_to_json(const ledger::Payload& payload) const {
  auto q = core::decode<LeaseRequest>(payload.data);
  if (!q.ok()) return {{"data", core::to_hex(payload.data)}};
  json doc{{"name", q->name}};
  if (payload.kind == kRegisterKind) {
    doc["service_kind"] = q->kind;
    doc["endpoint"] = q->endpoint;
    doc["metadata"] = q->metadata;
  }
  if (payload.kind != kDeregisterKind) doc["ttl_blocks"] = q->ttl_blocks;
  return doc;
}

json RegistryModule::event_to_json(const ledger::Event& event) const {
  auto lease = core::decode<Lease>(event.data);
  if (!lease.ok()) return {{"data", core::to_hex(event.data)}};
  json doc = lease->to_json();
  doc["service_kind"] = doc["kind"];  // "kind" is the event's own
  doc.erase("kind");
  return doc;
}

core::Result<core::Bytes> RegistryModule::key_from_text(std::string_view text) const {
  if (text == kKindsKey) return registry_kinds_key();
  const auto invalid = [](const core::Error& e) { return make_error(ErrorCode::kInvalidArgument, e.message); };
  if (text.starts_with(kLeasePrefix)) {
    if (auto st = check_service_name(text.substr(kLeasePrefix.size())); !st.ok()) return invalid(st.error());
    return registry_lease_key(text.substr(kLeasePrefix.size()));
  }
  if (text.starts_with(kKindPrefix)) {
    if (auto st = check_service_kind(text.substr(kKindPrefix.size())); !st.ok()) return invalid(st.error());
    return registry_kind_key(text.substr(kKindPrefix.size()));
  }
  if (text.starts_with(kExpiryPrefix)) {
    const std::string_view digits = text.substr(kExpiryPrefix.size());
    std::uint64_t height = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), height);
    if (ec == std::errc() && ptr == digits.data() + digits.size() && !digits.empty()) return expiry_key(height);
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "registry key '" + std::string(text.substr(0, 80)) + "': keys are svc:NAME, kind:KIND, kinds, exp:HEIGHT");
}

json RegistryModule::value_to_json(core::ByteView key, core::ByteView value) const {
  if (starts_with(key, kLeasePrefix)) {
    auto l = core::decode<Lease>(value);
    return l.ok() ? l->to_json() : json(nullptr);
  }
  auto list = core::decode<NameList>(value);
  return list.ok() ? json(list->names) : json(nullptr);
}

}  // namespace metanode::modules
