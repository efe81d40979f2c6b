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
}

Response RegistryService::list(const Request& req) const {
  const std::uint64_t height = chain_.head().height;
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
      auto lease = modules::read_lease(chain_, name);
      if (!lease.ok()) return api::error_response(lease.error());
      if (!*lease) continue;
      auto proof = state_answer(chain_, *registry, modules::registry_lease_key(name), height);
      if (!proof.ok()) return api::error_response(proof.error());
      json item = (*lease)->to_json();
      item["blocks_left"] = (*lease)->expiry_height >= height ? (*lease)->expiry_height - height : 0;
      item["proof"] = *proof;
      services.push_back(std::move(item));
    }
  }
  return ok({{"height", height}, {"services", services}, {"index_proofs", index_proofs}});
}

Response RegistryService::lookup(const Request& req) const {
  const std::string name = req.params.at("name");
  if (auto st = modules::check_service_name(name); !st.ok()) return api::error_response(400, "invalid_argument", st.error().message);
  const std::uint64_t height = chain_.head().height;
  const ledger::Module* registry = chain_.modules().find(modules::kRegistryModule);
  auto lease = modules::read_lease(chain_, name);
  if (!lease.ok()) return api::error_response(lease.error());
  auto proof = state_answer(chain_, *registry, modules::registry_lease_key(name), height);
  if (!proof.ok()) return api::error_response(proof.error());
  if (!*lease) {
    // Absent is an answer too: the proof shows no lease of this name at this height.
    return ok({{"code", "not_found"}, {"message", "no lease of '" + name + "'"}, {"name", name}, {"height", height}, {"proof", *proof}}, 404);
  }
  json doc = (*lease)->to_json();
  doc["height"] = height;
  doc["blocks_left"] = (*lease)->expiry_height >= height ? (*lease)->expiry_height - height : 0;
  doc["proof"] = *proof;
  return ok(doc);
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
       get("One lease with its proof; 404 when there is none, with the proof of its absence",
           json::array({{{"name", "name"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}}))},
  };
}

}  // namespace metanode::services
