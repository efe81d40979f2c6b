#include "modules/registry/registry.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "modules/entries.hpp"
#include "modules/oracle/oracle.hpp"

namespace metanode::modules {
namespace {

using core::ErrorCode;
using core::make_error;
using nlohmann::json;

constexpr std::string_view kLeasePrefix = "svc:";
constexpr std::string_view kKindPrefix = "kind:";
constexpr std::string_view kKindsKey = "kinds";
constexpr std::string_view kExpiryPrefix = "exp:";
constexpr std::string_view kTimeExpiryPrefix = "expt:";
constexpr std::string_view kHealthPrefix = "health:";
constexpr std::string_view kCursorKey = "expt_cursor";

core::Error malformed(const std::string& why) { return make_error(ErrorCode::kTxMalformed, why); }


core::Bytes numbered_key(std::string_view prefix, std::uint64_t n) {
  core::Bytes key = text_key(prefix);
  for (int i = 7; i >= 0; --i) key.push_back(static_cast<core::Byte>(n >> (8 * i)));
  return key;
}
core::Bytes expiry_key(std::uint64_t height) { return numbered_key(kExpiryPrefix, height); }
core::Bytes time_expiry_key(std::uint64_t second) { return numbered_key(kTimeExpiryPrefix, second); }
std::uint64_t second_of(std::int64_t unix_ms) { return unix_ms <= 0 ? 0 : static_cast<std::uint64_t>(unix_ms) / 1000; }

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

// Event "registered" | "renewed" | "deregistered": the lease as it was left.
ledger::Event lease_event(std::string_view kind, const Lease& lease) {
  return ledger::Event{std::string(kRegistryModule), std::string(kind), core::encode(lease)};
}

// Event "health": one operator's result that changed, and the lease's status after it.
struct HealthChange {
  std::string name;
  HealthReport report;
  std::string status;
  void encode(core::Writer& w) const {
    w.string(name, kLeaseNameBytesMax);
    report.encode(w);
    w.string(status, 16);
  }
  static core::Result<HealthChange> decode(core::Reader& r) {
    HealthChange c;
    MN_TRY_ASSIGN(c.name, r.string(kLeaseNameBytesMax));
    MN_TRY_ASSIGN(c.report, HealthReport::decode(r));
    MN_TRY_ASSIGN(c.status, r.string(16));
    return c;
  }
};

bool printable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

// Out of the expiry index the lease is in (and the count of time-TTL leases).
core::Status unindex_expiry(ledger::ModuleState& state, const Lease& lease) {
  if (lease.expiry_unix_ms == 0) {
    return edit_list(state, expiry_key(lease.expiry_height), lease.name, false, kLeasesPerIndexMax, "expiry height");
  }
  MN_TRY(edit_list(state, time_expiry_key(second_of(lease.expiry_unix_ms)), lease.name, false, kLeasesPerIndexMax, "expiry second"));
  MN_TRY_ASSIGN(auto cursor, state.get_as<TimeCursor>(text_key(kCursorKey)));
  if (!cursor || cursor->live == 0) return make_error(ErrorCode::kStateCorrupt, "the registry's time cursor does not count '" + lease.name + "'");
  cursor->live -= 1;
  if (cursor->live == 0) return state.erase(text_key(kCursorKey));
  return state.put_as(text_key(kCursorKey), *cursor);
}

core::Status index_expiry(ledger::ModuleState& state, const Lease& lease, std::int64_t now_ms) {
  if (lease.expiry_unix_ms == 0) {
    return edit_list(state, expiry_key(lease.expiry_height), lease.name, true, kLeasesPerIndexMax,
                     "expiry height " + std::to_string(lease.expiry_height));
  }
  MN_TRY(edit_list(state, time_expiry_key(second_of(lease.expiry_unix_ms)), lease.name, true, kLeasesPerIndexMax,
                   "expiry second " + std::to_string(second_of(lease.expiry_unix_ms))));
  MN_TRY_ASSIGN(auto cursor, state.get_as<TimeCursor>(text_key(kCursorKey)));
  // A new cursor starts at this block's second: no time-TTL lease lives, so every bucket is empty.
  TimeCursor next = cursor.value_or(TimeCursor{second_of(now_ms), 0});
  next.live += 1;
  return state.put_as(text_key(kCursorKey), next);
}

// A lease gone (expired): out of its kind and with its health.
core::Status remove_lease(ledger::ModuleState& state, const Lease& lease) {
  MN_TRY(index_kind(state, lease.kind, lease.name, false));
  MN_TRY(state.erase(registry_health_key(lease.name)));
  return state.erase(registry_lease_key(lease.name));
}


}  // namespace

void Lease::encode(core::Writer& w) const {
  w.string(name, kLeaseNameBytesMax);
  w.string(kind, kServiceKindBytesMax);
  w.string(endpoint, kEndpointBytesMax);
  w.string(metadata, kMetadataBytesMax);
  w.string(health_check, kHealthCheckBytesMax);
  owner.encode(w);
  w.u64(registered_height);
  w.u64(renewed_height);
  w.u64(expiry_height);
  w.i64(expiry_unix_ms);
  w.u64(renewals);
}
core::Result<Lease> Lease::decode(core::Reader& r) {
  Lease l;
  MN_TRY_ASSIGN(l.name, r.string(kLeaseNameBytesMax));
  MN_TRY_ASSIGN(l.kind, r.string(kServiceKindBytesMax));
  MN_TRY_ASSIGN(l.endpoint, r.string(kEndpointBytesMax));
  MN_TRY_ASSIGN(l.metadata, r.string(kMetadataBytesMax));
  MN_TRY_ASSIGN(l.health_check, r.string(kHealthCheckBytesMax));
  MN_TRY_ASSIGN(l.owner, crypto::Address::decode(r));
  MN_TRY_ASSIGN(l.registered_height, r.u64());
  MN_TRY_ASSIGN(l.renewed_height, r.u64());
  MN_TRY_ASSIGN(l.expiry_height, r.u64());
  MN_TRY_ASSIGN(l.expiry_unix_ms, r.i64());
  MN_TRY_ASSIGN(l.renewals, r.u64());
  return l;
}
json Lease::to_json() const {
  return {{"name", name},
          {"kind", kind},
          {"endpoint", endpoint},
          {"metadata", metadata},
          {"health_check", health_check},
          {"owner", owner.to_string()},
          {"registered_height", registered_height},
          {"renewed_height", renewed_height},
          {"expiry_height", expiry_height},
          {"expiry_unix_ms", expiry_unix_ms},
          {"ttl", expiry_unix_ms == 0 ? "blocks" : "seconds"},
          {"renewals", renewals}};
}

void HealthReport::encode(core::Writer& w) const {
  reporter.encode(w);
  w.u8(ok ? 1 : 0);
  w.string(detail, kHealthDetailBytesMax);
  w.u64(height);
  w.i64(unix_ms);
}
core::Result<HealthReport> HealthReport::decode(core::Reader& r) {
  HealthReport h;
  MN_TRY_ASSIGN(h.reporter, crypto::Address::decode(r));
  MN_TRY_ASSIGN(const auto ok, r.u8());
  if (ok > 1) return malformed("a health report's ok is 0 or 1");
  h.ok = ok == 1;
  MN_TRY_ASSIGN(h.detail, r.string(kHealthDetailBytesMax));
  MN_TRY_ASSIGN(h.height, r.u64());
  MN_TRY_ASSIGN(h.unix_ms, r.i64());
  return h;
}
json HealthReport::to_json() const {
  return {{"reporter", reporter.to_string()}, {"ok", ok}, {"detail", detail}, {"height", height}, {"unix_ms", unix_ms}};
}
std::string HealthRecord::status() const {
  const auto up = static_cast<std::size_t>(std::count_if(reports.begin(), reports.end(), [](const HealthReport& h) { return h.ok; }));
  if (reports.empty()) return "unknown";
  return up * 2 > reports.size() ? "up" : "down";
}
void HealthRecord::encode(core::Writer& w) const {
  w.vector(reports, kHealthReportersMax, [](core::Writer& out, const HealthReport& h) { h.encode(out); });
}
core::Result<HealthRecord> HealthRecord::decode(core::Reader& r) {
  HealthRecord h;
  MN_TRY_ASSIGN(h.reports, r.vector<HealthReport>(kHealthReportersMax, [](core::Reader& in) { return HealthReport::decode(in); }));
  return h;
}
json HealthRecord::to_json() const {
  json list = json::array();
  for (const auto& h : reports) list.push_back(h.to_json());
  return {{"status", status()}, {"reports", list}};
}

void TimeCursor::encode(core::Writer& w) const {
  w.u64(second);
  w.u64(live);
}
core::Result<TimeCursor> TimeCursor::decode(core::Reader& r) {
  TimeCursor c;
  MN_TRY_ASSIGN(c.second, r.u64());
  MN_TRY_ASSIGN(c.live, r.u64());
  return c;
}

void HealthBatch::encode(core::Writer& w) const {
  w.vector(results, kHealthBatchMax, [](core::Writer& out, const HealthResult& h) {
    out.string(h.name, kLeaseNameBytesMax);
    out.u8(h.ok ? 1 : 0);
    out.string(h.detail, kHealthDetailBytesMax);
  });
}
core::Result<HealthBatch> HealthBatch::decode(core::Reader& r) {
  HealthBatch b;
  MN_TRY_ASSIGN(b.results, r.vector<HealthResult>(kHealthBatchMax, [](core::Reader& in) -> core::Result<HealthResult> {
    HealthResult h;
    MN_TRY_ASSIGN(h.name, in.string(kLeaseNameBytesMax));
    MN_TRY_ASSIGN(const auto ok, in.u8());
    if (ok > 1) return malformed("a health result's ok is 0 or 1");
    h.ok = ok == 1;
    MN_TRY_ASSIGN(h.detail, in.string(kHealthDetailBytesMax));
    return h;
  }));
  return b;
}
ledger::Payload health_payload(const HealthBatch& batch) {
  return {std::string(kRegistryModule), std::string(kHealthKind), core::encode(batch)};
}

core::Status check_health_check(std::string_view check) {
  if (check.size() > kHealthCheckBytesMax || !printable(check) || check.find(' ') != std::string_view::npos) {
    return malformed("a health check is at most 256 printable bytes without spaces");
  }
  for (const std::string_view scheme : {"http://", "https://", "tcp://"}) {
    if (check.starts_with(scheme) && check.size() > scheme.size()) {
      if (scheme == "tcp://") {
        const std::string_view rest = check.substr(scheme.size());
        const auto colon = rest.rfind(':');
        std::uint32_t port = 0;
        const std::string_view digits = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
        const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (colon == 0 || colon == std::string_view::npos || digits.empty() || ec != std::errc() ||
            ptr != digits.data() + digits.size() || port == 0 || port > 65535 || rest.find('/') != std::string_view::npos) {
          return malformed("the health check '" + std::string(check) + "' is not tcp://HOST:PORT (a port 1-65535, no path)");
        }
      }
      return {};
    }
  }
  return malformed("the health check '" + std::string(check.substr(0, 80)) + "' is not http://…, https://… or tcp://HOST:PORT");
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
  w.u64(ttl_seconds);
  w.string(health_check, kHealthCheckBytesMax);
}
core::Result<LeaseRequest> LeaseRequest::decode(core::Reader& r) {
  LeaseRequest q;
  MN_TRY_ASSIGN(q.name, r.string(kLeaseNameBytesMax));
  MN_TRY_ASSIGN(q.kind, r.string(kServiceKindBytesMax));
  MN_TRY_ASSIGN(q.endpoint, r.string(kEndpointBytesMax));
  MN_TRY_ASSIGN(q.metadata, r.string(kMetadataBytesMax));
  MN_TRY_ASSIGN(q.ttl_blocks, r.u64());
  MN_TRY_ASSIGN(q.ttl_seconds, r.u64());
  MN_TRY_ASSIGN(q.health_check, r.string(kHealthCheckBytesMax));
  return q;
}
ledger::Payload register_payload(const LeaseRequest& request) {
  return {std::string(kRegistryModule), std::string(kRegisterKind), core::encode(request)};
}
ledger::Payload renew_payload(const std::string& name, std::uint64_t ttl_blocks, std::uint64_t ttl_seconds) {
  LeaseRequest q;
  q.name = name;
  q.ttl_blocks = ttl_blocks;
  q.ttl_seconds = ttl_seconds;
  return {std::string(kRegistryModule), std::string(kRenewKind), core::encode(q)};
}
ledger::Payload deregister_payload(const std::string& name) {
  LeaseRequest q;
  q.name = name;
  return {std::string(kRegistryModule), std::string(kDeregisterKind), core::encode(q)};
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
core::Bytes registry_health_key(std::string_view name) { return text_key(kHealthPrefix, name); }
core::Result<std::optional<Lease>> read_lease(const ledger::StateReader& state, std::string_view name) {
  return read_entry<Lease>(state, kRegistryModule, registry_lease_key(name), "registry lease");
}
core::Result<std::optional<HealthRecord>> read_health(const ledger::StateReader& state, std::string_view name) {
  return read_entry<HealthRecord>(state, kRegistryModule, registry_health_key(name), "registry health");
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
  if (payload.kind == kHealthKind) {
    auto batch = core::decode<HealthBatch>(payload.data);
    if (!batch.ok()) return malformed("registry health payload: " + batch.error().to_string());
    if (batch->results.empty()) return malformed("a health payload reports at least one lease");
    std::vector<std::string> names;
    for (const auto& r : batch->results) {
      MN_TRY(check_service_name(r.name));
      if (!printable(r.detail)) return malformed("a health result's detail is printable text");
      names.push_back(r.name);
    }
    std::sort(names.begin(), names.end());
    if (std::adjacent_find(names.begin(), names.end()) != names.end()) return malformed("a health payload names each lease once");
    return {};
  }
  if (payload.kind != kRegisterKind && payload.kind != kRenewKind && payload.kind != kDeregisterKind) {
    return make_error(ErrorCode::kTxUnknownPayload,
                      "the registry module has no payload kind '" + payload.kind + "' (it has: register, renew, deregister, health)");
  }
  auto q = core::decode<LeaseRequest>(payload.data);
  if (!q.ok()) return malformed("registry " + payload.kind + " payload: " + q.error().to_string());
  MN_TRY(check_service_name(q->name));
  if (payload.kind == kDeregisterKind) {
    if (!q->kind.empty() || !q->endpoint.empty() || !q->metadata.empty() || !q->health_check.empty() || q->ttl_blocks != 0 ||
        q->ttl_seconds != 0) {
      return malformed("deregister names the service only");
    }
    return {};
  }
  if ((q->ttl_blocks == 0) == (q->ttl_seconds == 0)) return malformed("a lease has one TTL: ttl_blocks or ttl_seconds");
  if (q->ttl_blocks > kLeaseBlocksMax) return malformed("ttl_blocks must be from 1 to " + std::to_string(kLeaseBlocksMax));
  if (q->ttl_seconds > kLeaseSecondsMax) return malformed("ttl_seconds must be from 1 to " + std::to_string(kLeaseSecondsMax));
  if (payload.kind == kRenewKind) {
    if (!q->kind.empty() || !q->endpoint.empty() || !q->metadata.empty() || !q->health_check.empty()) {
      return malformed("renew names the service and the TTL only");
    }
    return {};
  }
  MN_TRY(check_service_kind(q->kind));
  if (q->endpoint.empty()) return malformed("register needs an endpoint (a URL or host:port)");
  if (!printable(q->endpoint) || !printable(q->metadata)) return malformed("endpoint and metadata are printable text");
  if (!q->health_check.empty()) MN_TRY(check_health_check(q->health_check));
  return {};
}

namespace {

core::Status apply_health(const ledger::TxContext& tx, ledger::ModuleState& state, std::vector<ledger::Event>& events) {
  MN_TRY_ASSIGN(const auto operators, oracle_operators_in(state));
  if (!std::binary_search(operators.begin(), operators.end(), tx.sender)) {
    return make_error(ErrorCode::kOracleNotOperator,
                      tx.sender.to_string() + " does not hold role 'oracle' (the oracle's operators report health)");
  }
  const HealthBatch batch = core::decode<HealthBatch>(tx.tx.payload.data).value();
  for (const auto& result : batch.results) {
    MN_TRY_ASSIGN(auto lease, state.get_as<Lease>(registry_lease_key(result.name)));
    // A lease gone or without a check since the node looked: nothing to record, not an error.
    if (!lease || lease->health_check.empty()) continue;
    MN_TRY_ASSIGN(auto found, state.get_as<HealthRecord>(registry_health_key(result.name)));
    HealthRecord record = found.value_or(HealthRecord{});
    // Reports of keys no longer operators leave the record here.
    std::erase_if(record.reports, [&operators](const HealthReport& h) {
      return !std::binary_search(operators.begin(), operators.end(), h.reporter);
    });
    const std::string before = record.status();
    HealthReport report{tx.sender, result.ok, result.detail, tx.block.height, tx.block.timestamp_unix_ms};
    const auto at = std::lower_bound(record.reports.begin(), record.reports.end(), tx.sender,
                                     [](const HealthReport& h, const crypto::Address& a) { return h.reporter < a; });
    const bool changed = at == record.reports.end() || at->reporter != tx.sender || at->ok != result.ok || at->detail != result.detail;
    if (at != record.reports.end() && at->reporter == tx.sender) {
      *at = report;
    } else {
      if (record.reports.size() >= kHealthReportersMax) {
        return make_error(ErrorCode::kRegistryIndexFull, "'" + result.name + "' holds the results of " +
                                                             std::to_string(kHealthReportersMax) + " operators already");
      }
      record.reports.insert(at, report);
    }
    if (changed || record.status() != before) {
      events.push_back(ledger::Event{std::string(kRegistryModule), std::string(kHealthKind),
                                     core::encode(HealthChange{result.name, report, record.status()})});
    }
    MN_TRY(state.put_as(registry_health_key(result.name), record));
  }
  return {};
}

}  // namespace

core::Status RegistryModule::apply(const ledger::TxContext& tx, ledger::ModuleState& state, std::vector<ledger::Event>& events) const {
  MN_TRY(check_payload(tx.tx.payload, tx.sender));
  const std::string& kind = tx.tx.payload.kind;
  if (kind == kHealthKind) return apply_health(tx, state, events);
  const LeaseRequest q = core::decode<LeaseRequest>(tx.tx.payload.data).value();
  const core::Bytes key = registry_lease_key(q.name);
  MN_TRY_ASSIGN(auto existing, state.get_as<Lease>(key));
  const std::uint64_t height = tx.block.height;
  const std::int64_t now = tx.block.timestamp_unix_ms;
  if (existing && existing->owner != tx.sender) {
    if (kind == kRegisterKind) {
      return make_error(ErrorCode::kRegistryNameTaken, "'" + q.name + "' is leased by " + existing->owner.to_string() +
                                                           (existing->expiry_unix_ms == 0
                                                                ? " until height " + std::to_string(existing->expiry_height)
                                                                : " until unix ms " + std::to_string(existing->expiry_unix_ms)));
    }
    return make_error(ErrorCode::kRegistryNotOwner, "'" + q.name + "' is leased by " + existing->owner.to_string());
  }
  if (!existing && kind != kRegisterKind) return make_error(ErrorCode::kRegistryUnknownName, "no lease of '" + q.name + "'");
  if (existing) {
    // Out of the indexes it is in; back into the new ones below (or not, when deregistered).
    MN_TRY(unindex_expiry(state, *existing));
    if (kind == kDeregisterKind || (kind == kRegisterKind && existing->kind != q.kind)) MN_TRY(index_kind(state, existing->kind, q.name, false));
  }
  if (kind == kDeregisterKind) {
    events.push_back(lease_event("deregistered", *existing));
    MN_TRY(state.erase(registry_health_key(q.name)));
    return state.erase(key);
  }
  Lease lease = existing.value_or(Lease{});
  if (kind == kRegisterKind) {
    if (!existing) lease.registered_height = height;
    // Another check (or endpoint) makes what the operators saw of the old one moot.
    if (existing && (existing->health_check != q.health_check || existing->endpoint != q.endpoint)) {
      MN_TRY(state.erase(registry_health_key(q.name)));
    }
    lease.name = q.name;
    lease.kind = q.kind;
    lease.endpoint = q.endpoint;
    lease.metadata = q.metadata;
    lease.health_check = q.health_check;
    lease.owner = tx.sender;
  } else {
    lease.renewals += 1;
  }
  lease.renewed_height = height;
  lease.expiry_height = q.ttl_blocks == 0 ? 0 : height + q.ttl_blocks;
  lease.expiry_unix_ms = q.ttl_seconds == 0 ? 0 : std::max<std::int64_t>(now, 0) + static_cast<std::int64_t>(q.ttl_seconds) * 1000;
  MN_TRY(index_expiry(state, lease, now));
  MN_TRY(index_kind(state, lease.kind, q.name, true));
  events.push_back(lease_event(kind == kRegisterKind ? "registered" : "renewed", lease));
  return state.put_as(key, lease);
}

core::Status RegistryModule::end_block(const ledger::BlockEnd& end, ledger::ModuleState& state) const {
  const core::Bytes bucket = expiry_key(end.block.height);
  MN_TRY_ASSIGN(auto due, state.get_as<NameList>(bucket));
  if (due) {
    for (const auto& name : due->names) {
      MN_TRY_ASSIGN(auto lease, state.get_as<Lease>(registry_lease_key(name)));
      if (!lease || lease->expiry_unix_ms != 0 || lease->expiry_height != end.block.height) continue;  // renewed: elsewhere
      MN_TRY(remove_lease(state, *lease));
    }
    MN_TRY(state.erase(bucket));
  }
  // Time-TTL leases: the buckets after the cursor, up to this block's second.
  MN_TRY_ASSIGN(auto cursor, state.get_as<TimeCursor>(text_key(kCursorKey)));
  if (!cursor) return {};
  const std::int64_t now = end.block.timestamp_unix_ms;
  const std::uint64_t now_second = second_of(now);
  const std::uint64_t last = std::min(now_second, cursor->second + kTimeBucketsPerBlock);
  std::uint64_t emptied = cursor->second;
  const std::uint64_t live_before = cursor->live;
  for (std::uint64_t second = cursor->second + 1; second <= last && cursor->live > 0; ++second) {
    const core::Bytes key = time_expiry_key(second);
    MN_TRY_ASSIGN(auto names, state.get_as<NameList>(key));
    NameList kept;
    if (names) {
      for (const auto& name : names->names) {
        MN_TRY_ASSIGN(auto lease, state.get_as<Lease>(registry_lease_key(name)));
        if (!lease || lease->expiry_unix_ms == 0 || second_of(lease->expiry_unix_ms) != second) continue;  // stale entry
        if (lease->expiry_unix_ms > now) {
          kept.names.push_back(name);  // later in this very second
          continue;
        }
        MN_TRY(remove_lease(state, *lease));
        cursor->live -= 1;
      }
      if (kept.names.empty()) {
        MN_TRY(state.erase(key));
      } else if (kept.names != names->names) {
        MN_TRY(state.put_as(key, kept));
      }
    }
    if (!kept.names.empty()) break;  // this second is not over: the cursor stays before it
    emptied = second;
  }
  if (cursor->live == 0) return state.erase(text_key(kCursorKey));
  if (emptied == cursor->second && cursor->live == live_before) return {};
  cursor->second = emptied;
  return state.put_as(text_key(kCursorKey), *cursor);
}

core::Result<core::Bytes> RegistryModule::payload_from_json(std::string_view kind, const json& fields) const {
  if (kind != kRegisterKind && kind != kRenewKind && kind != kDeregisterKind && kind != kHealthKind) {
    return make_error(ErrorCode::kTxUnknownPayload, "the registry module has no payload kind '" + std::string(kind) + "'");
  }
  const auto text = [](const json& object, const char* name, std::string& out, bool required, std::size_t max) -> core::Status {
    if (!object.contains(name)) return required ? malformed(std::string("payload.") + name + " is missing") : core::Status{};
    if (!object.at(name).is_string()) return malformed(std::string("payload.") + name + " must be text");
    out = object.at(name).get<std::string>();
    if (out.size() > max) return malformed(std::string("payload.") + name + " is over its " + std::to_string(max) + " bytes");
    return {};
  };
  if (kind == kHealthKind) {
    if (!fields.contains("results") || !fields.at("results").is_array()) return malformed("payload.results must be a list");
    if (fields.at("results").size() > kHealthBatchMax) return malformed("payload.results holds at most 32 leases");
    HealthBatch batch;
    for (const auto& item : fields.at("results")) {
      if (!item.is_object()) return malformed("each of payload.results is an object");
      HealthResult r;
      MN_TRY(text(item, "name", r.name, true, kLeaseNameBytesMax));
      MN_TRY(text(item, "detail", r.detail, false, kHealthDetailBytesMax));
      if (!item.contains("ok") || !item.at("ok").is_boolean()) return malformed("payload.results[].ok must be true or false");
      r.ok = item.at("ok").get<bool>();
      batch.results.push_back(std::move(r));
    }
    return core::encode(batch);
  }
  LeaseRequest q;
  MN_TRY(text(fields, "name", q.name, true, kLeaseNameBytesMax));
  if (kind == kRegisterKind) {
    MN_TRY(text(fields, "service_kind", q.kind, true, kServiceKindBytesMax));  // "kind" is the payload's own
    MN_TRY(text(fields, "endpoint", q.endpoint, true, kEndpointBytesMax));
    MN_TRY(text(fields, "metadata", q.metadata, false, kMetadataBytesMax));
    MN_TRY(text(fields, "health_check", q.health_check, false, kHealthCheckBytesMax));
  }
  if (kind != kDeregisterKind) {
    if (fields.contains("ttl_blocks")) {
      MN_TRY_ASSIGN(q.ttl_blocks, ledger::u64_from_json(fields.at("ttl_blocks"), "payload.ttl_blocks"));
    }
    if (fields.contains("ttl_seconds")) {
      MN_TRY_ASSIGN(q.ttl_seconds, ledger::u64_from_json(fields.at("ttl_seconds"), "payload.ttl_seconds"));
    }
    if (!fields.contains("ttl_blocks") && !fields.contains("ttl_seconds")) return malformed("payload.ttl_blocks or payload.ttl_seconds is missing");
  }
  return core::encode(q);
}

json RegistryModule::payload_to_json(const ledger::Payload& payload) const {
  if (payload.kind == kHealthKind) {
    auto batch = core::decode<HealthBatch>(payload.data);
    if (!batch.ok()) return {{"data", core::to_hex(payload.data)}};
    json results = json::array();
    for (const auto& r : batch->results) results.push_back({{"name", r.name}, {"ok", r.ok}, {"detail", r.detail}});
    return {{"results", results}};
  }
  auto q = core::decode<LeaseRequest>(payload.data);
  if (!q.ok()) return {{"data", core::to_hex(payload.data)}};
  json doc{{"name", q->name}};
  if (payload.kind == kRegisterKind) {
    doc["service_kind"] = q->kind;
    doc["endpoint"] = q->endpoint;
    doc["metadata"] = q->metadata;
    doc["health_check"] = q->health_check;
  }
  if (payload.kind != kDeregisterKind) {
    if (q->ttl_blocks != 0) doc["ttl_blocks"] = q->ttl_blocks;
    if (q->ttl_seconds != 0) doc["ttl_seconds"] = q->ttl_seconds;
  }
  return doc;
}

json RegistryModule::event_to_json(const ledger::Event& event) const {
  if (event.kind == kHealthKind) {
    auto change = core::decode<HealthChange>(event.data);
    if (!change.ok()) return {{"data", core::to_hex(event.data)}};
    json doc = change->report.to_json();
    doc["name"] = change->name;
    doc["status"] = change->status;
    return doc;
  }
  auto lease = core::decode<Lease>(event.data);
  if (!lease.ok()) return {{"data", core::to_hex(event.data)}};
  json doc = lease->to_json();
  doc["service_kind"] = doc["kind"];  // "kind" is the event's own
  doc.erase("kind");
  return doc;
}

core::Result<core::Bytes> RegistryModule::key_from_text(std::string_view text) const {
  if (text == kKindsKey) return registry_kinds_key();
  if (text == kCursorKey) return text_key(kCursorKey);
  const auto invalid = [](const core::Error& e) { return make_error(ErrorCode::kInvalidArgument, e.message); };
  if (text.starts_with(kLeasePrefix)) {
    if (auto st = check_service_name(text.substr(kLeasePrefix.size())); !st.ok()) return invalid(st.error());
    return registry_lease_key(text.substr(kLeasePrefix.size()));
  }
  if (text.starts_with(kKindPrefix)) {
    if (auto st = check_service_kind(text.substr(kKindPrefix.size())); !st.ok()) return invalid(st.error());
    return registry_kind_key(text.substr(kKindPrefix.size()));
  }
  if (text.starts_with(kHealthPrefix)) {
    if (auto st = check_service_name(text.substr(kHealthPrefix.size())); !st.ok()) return invalid(st.error());
    return registry_health_key(text.substr(kHealthPrefix.size()));
  }
  for (const std::string_view prefix : {kExpiryPrefix, kTimeExpiryPrefix}) {
    if (!text.starts_with(prefix)) continue;
    const std::string_view digits = text.substr(prefix.size());
    std::uint64_t n = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec == std::errc() && ptr == digits.data() + digits.size() && !digits.empty()) return numbered_key(prefix, n);
  }
  return make_error(ErrorCode::kInvalidArgument, "registry key '" + std::string(text.substr(0, 80)) +
                                                     "': keys are svc:NAME, health:NAME, kind:KIND, kinds, exp:HEIGHT, expt:SECOND, expt_cursor");
}

json RegistryModule::value_to_json(core::ByteView key, core::ByteView value) const {
  if (starts_with(key, kLeasePrefix)) {
    auto l = core::decode<Lease>(value);
    return l.ok() ? l->to_json() : json(nullptr);
  }
  if (starts_with(key, kHealthPrefix)) {
    auto h = core::decode<HealthRecord>(value);
    return h.ok() ? h->to_json() : json(nullptr);
  }
  if (key.size() == kCursorKey.size() && starts_with(key, kCursorKey)) {
    auto c = core::decode<TimeCursor>(value);
    return c.ok() ? json{{"second", c->second}, {"live", c->live}} : json(nullptr);
  }
  auto list = core::decode<NameList>(value);
  return list.ok() ? json(list->names) : json(nullptr);
}

}  // namespace metanode::modules
