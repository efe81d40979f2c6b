#include "services/registry/registry_service.hpp"

#include <sstream>

#include "modules/registry/registry.hpp"
#include "services/ledger/ledger_json.hpp"

namespace metanode::services {
namespace {

using api::Request;
using api::Response;
using nlohmann::json;

Response ok(const json& doc, unsigned status = 200) {
  return Response{status, "application/json", doc.dump(-1, ' ', false, json::error_handler_t::replace), {}};
}

}  // namespace

void RegistryService::add_routes(api::Router& router) {
  router.add("GET", "/v1/registry/services", [this](const Request& r) { return list(r); });
  router.add("GET", "/v1/registry/services/{name}", [this](const Request& r) { return lookup(r); });
  // The watch (add_websockets): its upgrades pass the middleware like every request.
  router.add("GET", "/v1/registry/watch", api::websocket_route());
}

// A lease's answer: the lease, how long it has left, its health, each with its proof.
json RegistryService::lease_item(const std::string& name, std::uint64_t height, std::int64_t now_ms) const {
  const ledger::Module* registry = chain_.modules().find(modules::kRegistryModule);
  auto lease = modules::read_lease(chain_, name);
  if (!lease.ok() || !*lease) return nullptr;
  auto proof = state_answer(chain_, *registry, modules::registry_lease_key(name), height);
  auto health = modules::read_health(chain_, name);
  auto health_proof = state_answer(chain_, *registry, modules::registry_health_key(name), height);
  if (!proof.ok() || !health.ok() || !health_proof.ok()) return nullptr;
  const modules::Lease& l = **lease;
  json item = l.to_json();
  if (l.expiry_unix_ms == 0) {
    item["blocks_left"] = l.expiry_height >= height ? l.expiry_height - height : 0;
  } else {
    item["seconds_left"] = l.expiry_unix_ms > now_ms ? (l.expiry_unix_ms - now_ms + 999) / 1000 : 0;
  }
  item["health"] = *health ? (*health)->to_json() : json{{"status", l.health_check.empty() ? "none" : "unknown"}, {"reports", json::array()}};
  item["proof"] = *proof;
  item["health_proof"] = *health_proof;
  return item;
}

Response RegistryService::list(const Request& req) const {
  const ledger::ChainHead head = chain_.head();
  const std::uint64_t height = head.height;
  const std::int64_t now_ms = head.timestamp_unix_ms;
  const ledger::Module* registry = chain_.modules().find(modules::kRegistryModule);
  std::vector<std::string> kinds;
  json index_proofs = json::object();
  if (const auto kind = req.query_param("kind")) {
    if (auto st = modules::check_service_kind(*kind); !st.ok()) return api::error_response(400, "invalid_argument", st.error().message);
    kinds.push_back(std::string(*kind));
  } else {
    auto all = modules::read_kinds(chain_);
    if (!all.ok()) return api::error_response(all.error());
    kinds = *all;
    auto proof = state_answer(chain_, *registry, modules::registry_kinds_key(), height);
    if (!proof.ok()) return api::error_response(proof.error());
    index_proofs["kinds"] = *proof;
  }
  json services = json::array();
  for (const auto& kind : kinds) {
    auto names = modules::read_kind(chain_, kind);
    if (!names.ok()) return api::error_response(names.error());
    auto kind_proof = state_answer(chain_, *registry, modules::registry_kind_key(kind), height);
    if (!kind_proof.ok()) return api::error_response(kind_proof.error());
    index_proofs["kind:" + kind] = *kind_proof;
    for (const auto& name : *names) {
      json item = lease_item(name, height, now_ms);
      if (!item.is_null()) services.push_back(std::move(item));
    }
  }
  return ok({{"height", height}, {"services", services}, {"index_proofs", index_proofs}});
}

Response RegistryService::lookup(const Request& req) const {
  const std::string name = req.params.at("name");
  if (auto st = modules::check_service_name(name); !st.ok()) return api::error_response(400, "invalid_argument", st.error().message);
  const ledger::ChainHead head = chain_.head();
  const std::uint64_t height = head.height;
  const ledger::Module* registry = chain_.modules().find(modules::kRegistryModule);
  auto lease = modules::read_lease(chain_, name);
  if (!lease.ok()) return api::error_response(lease.error());
  if (!*lease) {
    // Absent is an answer too: the proof shows no lease of this name at this height.
    auto proof = state_answer(chain_, *registry, modules::registry_lease_key(name), height);
    if (!proof.ok()) return api::error_response(proof.error());
    return ok({{"code", "not_found"}, {"message", "no lease of '" + name + "'"}, {"name", name}, {"height", height}, {"proof", *proof}}, 404);
  }
  json doc = lease_item(name, height, head.timestamp_unix_ms);
  if (doc.is_null()) return api::error_response(500, "internal", "the lease of '" + name + "' could not be proven at height " + std::to_string(height));
  doc["height"] = height;
  return ok(doc);
}

void RegistryService::publish(const std::string& type, std::uint64_t height, json fields) {
  fields["type"] = type;
  fields["height"] = height;
  watch_.publish(fields.dump(-1, ' ', false, json::error_handler_t::replace));
  ++changes_published_;
}

void RegistryService::on_block(const ledger::ProducedBlock& block) {
  const ledger::Module* registry = chain_.modules().find(modules::kRegistryModule);
  if (registry == nullptr) return;
  const auto& header = block.stored.block.header;
  std::lock_guard lock(mutex_);
  if (!tracking_) {
    // The leases live now: their expiries from here on.
    if (auto kinds = modules::read_kinds(chain_); kinds.ok()) {
      for (const auto& kind : *kinds) {
        auto names = modules::read_kind(chain_, kind);
        if (!names.ok()) continue;
        for (const auto& name : *names) {
          if (auto lease = modules::read_lease(chain_, name); lease.ok() && *lease) {
            expiries_[name] = {(*lease)->expiry_height, (*lease)->expiry_unix_ms};
          }
        }
      }
    }
    tracking_ = true;
  }
  for (const auto& receipt : block.receipts) {
    for (const auto& event : receipt.events) {
      if (event.module != modules::kRegistryModule) continue;
      json fields = registry->event_to_json(event);
      fields["tx_hash"] = core::to_hex(receipt.tx_hash);
      if (event.kind != modules::kHealthKind) {
        if (auto lease = core::decode<modules::Lease>(event.data); lease.ok()) {
          if (event.kind == "deregistered") {
            expiries_.erase(lease->name);
          } else {
            expiries_[lease->name] = {lease->expiry_height, lease->expiry_unix_ms};
          }
        }
      }
      publish(event.kind, header.height, std::move(fields));
    }
  }
  // Due leases that are gone expired at this block's end (or a later one's, when the chain's
  // cursor catches up after a long stop: they stay due here until then).
  for (auto it = expiries_.begin(); it != expiries_.end();) {
    const bool due = it->second.unix_ms == 0 ? it->second.height <= header.height : it->second.unix_ms <= header.timestamp_unix_ms;
    if (!due) {
      ++it;
      continue;
    }
    auto lease = modules::read_lease(chain_, it->first);
    if (!lease.ok() || (*lease && ((*lease)->expiry_height != it->second.height || (*lease)->expiry_unix_ms != it->second.unix_ms))) {
      if (lease.ok()) it->second = {(*lease)->expiry_height, (*lease)->expiry_unix_ms};  // renewed in a block not seen yet
      ++it;
      continue;
    }
    if (*lease) {
      ++it;
      continue;
    }
    publish("expired", header.height,
            {{"name", it->first}, {"expiry_height", it->second.height}, {"expiry_unix_ms", it->second.unix_ms}});
    it = expiries_.erase(it);
  }
}

json RegistryService::health() const {
  auto kinds = modules::read_kinds(chain_);
  json doc = {{"status", kinds.ok() ? "ok" : "degraded"}, {"height", chain_.head().height}};
  if (kinds.ok()) doc["kinds"] = kinds->size();
  else doc["error"] = kinds.error().message;
  return doc;
}

std::string RegistryService::metrics_text() const {
  auto kinds = modules::read_kinds(chain_);
  if (!kinds.ok()) return {};
  std::ostringstream out;
  out << "# HELP metanode_registry_watchers WebSocket subscribers of /v1/registry/watch.\n# TYPE metanode_registry_watchers gauge\n"
      << "metanode_registry_watchers " << watch_.subscribers() << "\n"
      << "# HELP metanode_registry_changes_published_total Changes sent to the watchers.\n"
      << "# TYPE metanode_registry_changes_published_total counter\n"
      << "metanode_registry_changes_published_total " << changes_published_.load() << "\n";
  out << "# HELP metanode_registry_leases Live leases by kind.\n# TYPE metanode_registry_leases gauge\n";
  for (const auto& kind : *kinds) {
    auto names = modules::read_kind(chain_, kind);
    if (names.ok()) out << "metanode_registry_leases{kind=\"" << kind << "\"} " << names->size() << "\n";
  }
  return out.str();
}

json RegistryService::openapi_paths() const {
  const json err = openapi_error_response();
  const auto get = [&err](const std::string& summary, json parameters) {
    return json{{"get",
                 {{"summary", summary},
                  {"parameters", std::move(parameters)},
                  {"responses", {{"200", openapi_json_response("the answer", {{"type", "object"}})}, {"400", err}, {"404", err}}}}}};
  };
  return {
      {"/v1/registry/services",
       get("Live leases, of one kind with ?kind=K: name, kind, endpoint, metadata, owner, expiry height and blocks left, "
           "each with its proof; the kind indexes' proofs in index_proofs",
           json::array({{{"name", "kind"}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}}}))},
      {"/v1/registry/services/{name}",
       get("One lease with its proof and its health (each operator's latest result, with its proof); 404 when there is "
           "none, with the proof of its absence",
           json::array({{{"name", "name"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}}))},
      {"/v1/registry/watch",
       {{"get",
         {{"summary", "WebSocket: one JSON message per change as blocks commit (type registered, renewed, deregistered, "
                      "expired or health; height; the lease or the health result)"},
          {"description", "Connect with Upgrade: websocket; the upgrade passes the Cage like any request."},
          {"responses", {{"101", {{"description", "switching to the WebSocket protocol"}}}, {"400", err}}}}}}},
  };
}

}  // namespace metanode::services
