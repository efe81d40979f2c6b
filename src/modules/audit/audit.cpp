#include "modules/audit/audit.hpp"

#include <nlohmann/json.hpp>

#include "ledger/audit_proofs.hpp"
#include "merkle/merkle_tree.hpp"

namespace metanode::modules {
namespace {
using core::ErrorCode;
using core::make_error;
using nlohmann::json;

constexpr std::string_view kAnchorPrefix = "anchor:";

core::Error malformed(std::string why) { return make_error(ErrorCode::kTxMalformed, std::move(why)); }

core::Error unknown_kind(std::string_view kind) {
  return make_error(ErrorCode::kTxUnknownPayload,
                    "the audit module has no payload kind '" + std::string(kind) + "' (it has: anchor)");
}

core::Result<AuditAnchor> anchor_of(const ledger::Payload& payload) {
  auto anchor = core::decode<AuditAnchor>(payload.data);
  if (!anchor.ok()) return malformed("audit anchor payload: " + anchor.error().to_string());
  return std::move(anchor).value();
}

// Event "anchored": whose log, and the record as stored.
struct AnchorEvent {
  crypto::Address node;
  AnchorRecord record;
  void encode(core::Writer& w) const {
    node.encode(w);
    record.encode(w);
  }
  static core::Result<AnchorEvent> decode(core::Reader& r) {
    AnchorEvent e;
    MN_TRY_ASSIGN(e.node, crypto::Address::decode(r));
    MN_TRY_ASSIGN(e.record, AnchorRecord::decode(r));
    return e;
  }
};

core::Result<core::Hash32> hash_from_json(const json& fields, std::string_view name) {
  const std::string field = "payload." + std::string(name);
  if (!fields.contains(name) || !fields.at(name).is_string()) return malformed(field + " must be 64 hex digits");
  auto hash = core::array_from_hex<32>(fields.at(name).get<std::string>());
  if (!hash.ok()) return malformed(field + " must be 64 hex digits");
  return *hash;
}

}  // namespace

void AuditAnchor::encode(core::Writer& w) const {
  w.u64(size);
  w.array(root);
  w.i64(checkpoint_unix_ms);
  w.vector(consistency, kAnchorProofHashesMax, [](core::Writer& out, const core::Hash32& h) { out.array(h); });
}

core::Result<AuditAnchor> AuditAnchor::decode(core::Reader& r) {
  AuditAnchor a;
  MN_TRY_ASSIGN(a.size, r.u64());
  MN_TRY_ASSIGN(a.root, r.array<32>());
  MN_TRY_ASSIGN(a.checkpoint_unix_ms, r.i64());
  MN_TRY_ASSIGN(a.consistency, r.vector<core::Hash32>(kAnchorProofHashesMax, [](core::Reader& in) { return in.array<32>(); }));
  return a;
}

void AnchorRecord::encode(core::Writer& w) const {
  w.u64(size);
  w.array(root);
  w.i64(checkpoint_unix_ms);
  w.u64(height);
  w.u64(count);
}

core::Result<AnchorRecord> AnchorRecord::decode(core::Reader& r) {
  AnchorRecord a;
  MN_TRY_ASSIGN(a.size, r.u64());
  MN_TRY_ASSIGN(a.root, r.array<32>());
  MN_TRY_ASSIGN(a.checkpoint_unix_ms, r.i64());
  MN_TRY_ASSIGN(a.height, r.u64());
  MN_TRY_ASSIGN(a.count, r.u64());
  return a;
}

json AnchorRecord::to_json() const {
  return {{"size", size},
          {"root", core::to_hex(root)},
          {"checkpoint_unix_ms", checkpoint_unix_ms},
          {"height", height},
          {"count", count}};
}

ledger::Payload audit_anchor_payload(const AuditAnchor& anchor) {
  return ledger::Payload{std::string(kAuditModule), std::string(kAuditAnchorKind), core::encode(anchor)};
}

core::Bytes audit_anchor_key(const crypto::Address& node) {
  core::Writer w(kAnchorPrefix.size() + node.bytes.size());
  w.fixed(core::as_bytes(kAnchorPrefix));
  w.array(node.bytes);
  return std::move(w).take();
}

core::Result<std::optional<AnchorRecord>> read_anchor(const ledger::StateReader& state, const crypto::Address& node) {
  MN_TRY_ASSIGN(auto bytes, state.get(ledger::state_tree_key(kAuditModule, audit_anchor_key(node))));
  if (!bytes) return std::optional<AnchorRecord>{};
  auto record = core::decode<AnchorRecord>(*bytes);
  if (!record.ok()) return make_error(ErrorCode::kStateCorrupt, "audit anchor does not decode: " + record.error().to_string());
  return std::optional<AnchorRecord>{std::move(record).value()};
}

core::Status AuditModule::init_genesis(const ledger::Genesis& genesis, ledger::ModuleState&) const {
  if (auto logs = ledger::registered_audit_logs(genesis); !logs.ok()) {
    return core::make_error(core::ErrorCode::kGenesisInvalid, logs.error().message);
  }
  return {};
}

core::Status AuditModule::check_payload(const ledger::Payload& payload, const crypto::Address&) const {
  if (payload.kind != kAuditAnchorKind) return unknown_kind(payload.kind);
  MN_TRY_ASSIGN(const AuditAnchor anchor, anchor_of(payload));
  if (anchor.size == 0) return malformed("an anchor names a checkpoint of at least one event");
  return {};
}

core::Status AuditModule::apply(const ledger::TxContext& tx, ledger::ModuleState& state,
                                std::vector<ledger::Event>& events) const {
  MN_TRY_ASSIGN(const AuditAnchor anchor, anchor_of(tx.tx.payload));
  const core::Bytes key = audit_anchor_key(tx.sender);
  MN_TRY_ASSIGN(const auto previous, state.get_as<AnchorRecord>(key));
  AnchorRecord record{anchor.size, anchor.root, anchor.checkpoint_unix_ms, tx.block.height, 1};
  if (previous) {
    if (anchor.size < previous->size || (anchor.size == previous->size && anchor.root == previous->root)) {
      return make_error(ErrorCode::kAuditAnchorStale,
                        "this log is anchored at " + std::to_string(previous->size) + " events (block " +
                            std::to_string(previous->height) + "); an anchor must add events, this one has " +
                            std::to_string(anchor.size));
    }
    const merkle::ConsistencyProof proof{previous->size, anchor.size, anchor.consistency};
    if (anchor.size == previous->size || !merkle::verify_consistency(proof, previous->root, anchor.root).ok()) {
      return make_error(ErrorCode::kAuditAnchorInconsistent,
                        "the tree of " + std::to_string(anchor.size) + " events does not extend the one of " +
                            std::to_string(previous->size) + " anchored at block " + std::to_string(previous->height) +
                            ": this log was rewritten or truncated");
    }
    record.count = previous->count + 1;
  } else if (!anchor.consistency.empty()) {
    return make_error(ErrorCode::kAuditAnchorInconsistent,
                      "this node has no anchor yet: a first anchor carries no consistency proof");
  }
  MN_TRY(state.put_as(key, record));
  events.push_back(ledger::Event{std::string(kAuditModule), "anchored", core::encode(AnchorEvent{tx.sender, record})});
  return {};
}

core::Result<core::Bytes> AuditModule::payload_from_json(std::string_view kind, const json& fields) const {
  if (kind != kAuditAnchorKind) return unknown_kind(kind);
  AuditAnchor a;
  if (!fields.contains("size")) return malformed("payload.size is missing");
  MN_TRY_ASSIGN(a.size, ledger::u64_from_json(fields.at("size"), "payload.size"));
  MN_TRY_ASSIGN(a.root, hash_from_json(fields, "root"));
  if (fields.contains("checkpoint_unix_ms")) {
    if (!fields.at("checkpoint_unix_ms").is_number_integer()) return malformed("payload.checkpoint_unix_ms must be an integer");
    a.checkpoint_unix_ms = fields.at("checkpoint_unix_ms").get<std::int64_t>();
  }
  if (fields.contains("consistency")) {
    const json& list = fields.at("consistency");
    if (!list.is_array() || list.size() > kAnchorProofHashesMax) {
      return malformed("payload.consistency must be a list of at most " + std::to_string(kAnchorProofHashesMax) + " hashes");
    }
    for (const json& item : list) {
      MN_TRY_ASSIGN(auto h, hash_from_json(json{{"consistency[]", item}}, "consistency[]"));
      a.consistency.push_back(h);
    }
  }
  return core::encode(a);
}

json AuditModule::payload_to_json(const ledger::Payload& payload) const {
  if (payload.kind == kAuditAnchorKind) {
    if (auto a = core::decode<AuditAnchor>(payload.data); a.ok()) {
      json proof = json::array();
      for (const auto& h : a->consistency) proof.push_back(core::to_hex(h));
      return {{"size", a->size},
              {"root", core::to_hex(a->root)},
              {"checkpoint_unix_ms", a->checkpoint_unix_ms},
              {"consistency", proof}};
    }
  }
  return {{"data", core::to_hex(payload.data)}};
}

json AuditModule::event_to_json(const ledger::Event& event) const {
  auto e = core::decode<AnchorEvent>(event.data);
  if (!e.ok()) return Module::event_to_json(event);
  json doc = e->record.to_json();
  doc["node"] = e->node.to_string();
  return doc;
}

core::Result<core::Bytes> AuditModule::key_from_text(std::string_view text) const {
  if (text.starts_with(kAnchorPrefix)) {
    auto address = crypto::Address::parse(text.substr(kAnchorPrefix.size()));
    if (address.ok()) return audit_anchor_key(*address);
    return make_error(ErrorCode::kInvalidArgument, "audit key '" + std::string(text.substr(0, 80)) + "': " + address.error().message);
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "audit key '" + std::string(text.substr(0, 80)) + "': keys are anchor:ADDRESS");
}

json AuditModule::value_to_json(core::ByteView key, core::ByteView value) const {
  if (key.size() == kAnchorPrefix.size() + 32 && std::equal(kAnchorPrefix.begin(), kAnchorPrefix.end(), key.begin())) {
    if (auto r = core::decode<AnchorRecord>(value); r.ok()) return r->to_json();
  }
  return nullptr;
}

}  // namespace metanode::modules
