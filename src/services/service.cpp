#include "services/service.hpp"

namespace metanode::services {

using nlohmann::json;

json openapi_json_response(const std::string& description, const json& schema) {
  return {{"description", description}, {"content", {{"application/json", {{"schema", schema}}}}}};
}

json openapi_error_response() {
  return openapi_json_response("error with a stable code", {{"$ref", "#/components/schemas/Error"}});
}

namespace {

json query_param(const char* name, const char* description, const char* type = "integer") {
  return {{"name", name}, {"in", "query"}, {"description", description}, {"schema", {{"type", type}}}};
}

json path_param(const char* name, const char* description) {
  return {{"name", name}, {"in", "path"}, {"required", true}, {"description", description}, {"schema", {{"type", "integer"}}}};
}

json audit_route(const char* summary, const char* description, json parameters) {
  return {{"summary", std::string(summary) + " (roles: auditor, admin; a signed request)"},
          {"description", description},
          {"parameters", std::move(parameters)},
          {"security", json::array({{{"rfc9421", json::array()}}})},
          {"responses", {{"200", openapi_json_response("ok", {{"type", "object"}})},
                         {"400", openapi_error_response()},
                         {"401", openapi_error_response()},
                         {"403", openapi_error_response()},
                         {"404", openapi_error_response()}}}};
}

// The audit trail's routes, served on every port of a node (README: the audit trail).
void add_audit_openapi(json& doc) {
  json& paths = doc["paths"];
  paths["/v1/audit/checkpoint"]["get"] = audit_route(
      "The newest signed checkpoint of the node's audit log",
      "origin (<chain id>/<node address>/audit), size, root (hex), unix_ms, log_size, and note: the C2SP "
      "tlog-checkpoint as a C2SP signed note with an Ed25519 line and an ML-DSA-65 line (type 0xff, \"ML-DSA-65\"). "
      "The root is this project's RFC 9162-shaped tree with domain-separated BLAKE3; a leaf is "
      "hash(merkle-leaf, hash(audit-event, event bytes)). cosigned_note, once witnesses answered: the note with "
      "the other validators' C2SP tlog-cosignature lines (<chain id>/<address>/witness; Ed25519 type 0x04 and "
      "ML-DSA-65 as type 0xff \"ML-DSA-65-cosignature/v1\").",
      json::array());
  paths["/v1/audit/checkpoints"]["get"] =
      audit_route("Sizes of the stored checkpoints", "{\"sizes\": [...]} ascending, from..to, at most limit.",
                  json::array({query_param("from", "smallest size (default 0)"), query_param("to", "largest size"),
                               query_param("limit", "1-1000 (default 100)")}));
  paths["/v1/audit/checkpoints/{size}"]["get"] = audit_route(
      "One checkpoint, by the number of events it covers", "As /v1/audit/checkpoint; 404 when none has that size.",
      json::array({path_param("size", "tree size")}));
  paths["/v1/audit/events"]["get"] = audit_route(
      "Audit events, oldest first, each with its inclusion proof to a signed checkpoint",
      "Each: index, unix_ms, action (http.request, block.commit, governance.KIND, node.start, node.stop, "
      "xtmp.refused), actor, source, subject, outcome, detail, status, digest, jurisdictions, bytes (the signed "
      "encoding, hex), leaf_hash, proof {index, tree_size, path} or null for events newer than the checkpoint. "
      "Also: checkpoint (what the proofs are to), log_size, next_cursor (pass as cursor for the next page, or null).",
      json::array({query_param("from_ms", "events at or after this time (unix ms)"),
                   query_param("to_ms", "events at or before this time"),
                   query_param("actor", "only this actor", "string"),
                   query_param("action", "only this action; a trailing * matches a prefix", "string"),
                   query_param("jurisdiction", "only events tagged with it", "string"),
                   query_param("cursor", "start at this index (next_cursor of the page before)"),
                   query_param("limit", "1-500 (default 100)"),
                   query_param("tree_size", "prove against the checkpoint of this size (default: the newest)")}));
  paths["/v1/audit/events/{index}"]["get"] = audit_route(
      "One audit event with its inclusion proof", "As an item of /v1/audit/events, with the checkpoint.",
      json::array({path_param("index", "event index"),
                   query_param("tree_size", "prove against the checkpoint of this size (default: the newest)")}));
  paths["/v1/audit/consistency"]["get"] = audit_route(
      "Proof that the log of `to` events extends the log of `from` events (RFC 9162 consistency)",
      "old_size, new_size, path (hex), and the two roots as this node computes them (check against signed "
      "checkpoints, not these).",
      json::array({query_param("from", "older tree size"), query_param("to", "newer tree size")}));
  paths["/v1/audit/witness"]["get"] = audit_route(
      "What this validator witnessed of the other validators' audit logs",
      "witness (its cosignature key name), logs [{node, validator, size, root, cosigned_unix_ms, note}]: the newest "
      "checkpoint of each log it cosigned; conflicts [{node, validator, unix_ms, why, refused_note, held_note}]: "
      "checkpoints it refused because they do not extend the one it had cosigned (a rewritten or forked log), with "
      "both signed notes as evidence. 404 on a full node.",
      json::array());
}

}  // namespace

json openapi_document(const Service& service) {
  json doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = {{"title", "Metanode " + std::string(service.name()) + " API"},
                 {"version", "1"},
                 {"description", std::string(service.description())}};
  doc["paths"] = service.openapi_paths();
  doc["paths"]["/v1/openapi.json"]["get"] = {{"summary", "This document"},
                                             {"responses", {{"200", {{"description", "OpenAPI 3"}}}}}};
  doc["paths"]["/health"]["get"] = {
      {"summary", "Liveness: status and what the service depends on"},
      {"responses", {{"200", openapi_json_response("ok", {{"type", "object"}})}}}};
  doc["paths"]["/metrics"]["get"] = {{"summary", "Prometheus metrics"},
                                     {"responses", {{"200", {{"description", "text exposition format"}}}}}};
  doc["paths"]["/v1/audit/decisions"]["get"] = {
      {"summary", "The node's latest Cage decisions, newest first (roles: auditor, admin; a signed request)"},
      {"description", "Each: unix_ms, identity (the signer's address) or null, client_address, method, route, allowed, "
                      "reason (public, role:NAME, or the refusal code), status, request_digest (sha-256 hex of method, "
                      "target and body). Refusals: 401 auth_* (with Accept-Signature), 403 auth_forbidden, 429 "
                      "rate_limited (with Retry-After), 503 auth_busy."},
      {"parameters", json::array({{{"name", "limit"}, {"in", "query"}, {"description", "1-1000 (default 100)"},
                                   {"schema", {{"type", "integer"}}}}})},
      {"security", json::array({{{"rfc9421", json::array()}}})},
      {"responses", {{"200", openapi_json_response("decisions", {{"type", "object"}})},
                     {"401", openapi_error_response()},
                     {"403", openapi_error_response()}}}};
  add_audit_openapi(doc);
  doc["components"]["schemas"] = service.openapi_schemas();
  // How a route that needs a role is called (README: "Signed requests, from any language").
  doc["components"]["securitySchemes"]["rfc9421"] = {
      {"type", "apiKey"},
      {"in", "header"},
      {"name", "Signature"},
      {"description",
       "An RFC 9421 signed request, alg=\"ed25519\": Signature-Input sig1=(\"@method\" \"@target-uri\" "
       "\"metanode-key\" [\"content-digest\"]);created;nonce;keyid=<the signer's mn1 address>;alg;"
       "tag=\"metanode:<genesis_digest from /health, hex>\" (binds it to this chain), Signature, "
       "Metanode-Key (the Ed25519 public key, hex) and, with a body, Content-Digest (RFC 9530). The Cage lets it in "
       "when the signer holds one of the route's roles. Ask for the node's signature on the answer with "
       "Accept-Signature (it carries the same tag). Refusals: 401 auth_* (with Accept-Signature; "
       "auth_wrong_chain for another chain's tag), 403 auth_forbidden, 429 rate_limited, "
       "503 auth_busy; from the HTTP layer 408, 413, 429 too_many_connections, 431, 503 server_busy."}};
  doc["components"]["schemas"]["Error"] = {
      {"type", "object"},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"properties", {{"code", {{"type", "string"}}}, {"number", {{"type", "integer"}}},
                          {"message", {{"type", "string"}}}}}}}}}};
  return doc;
}

ServiceHost::ServiceHost(boost::asio::io_context& io, std::shared_ptr<Service> service)
    : io_(io),
      service_(std::move(service)),
      limits_(service_->limits()),
      openapi_text_(openapi_document(*service_).dump()) {
  service_->add_routes(router_);
  router_.add("GET", "/v1/openapi.json", [this](const api::Request&) {
    return api::Response{200, "application/json", openapi_text_, {}};
  });
  router_.add("GET", "/health", [this](const api::Request&) {
    json body = service_->health();
    body["service"] = std::string(service_->name());
    return api::Response{200, "application/json", body.dump(), {}};
  });
  router_.add("GET", "/metrics", [this](const api::Request&) {
    std::string text = service_->metrics_text() + metrics_.render("metanode");
    for (const auto& extra : extra_metrics_) text += extra();
    if (server_) {
      text += "# HELP metanode_http_connections Open HTTP and WebSocket connections of this listener.\n"
              "# TYPE metanode_http_connections gauge\nmetanode_http_connections " +
              std::to_string(server_->connections()) +
              "\n# HELP metanode_http_connections_refused_total Connections closed at accept: the listener "
              "was full or the client address held its share.\n"
              "# TYPE metanode_http_connections_refused_total counter\nmetanode_http_connections_refused_total " +
              std::to_string(server_->connections_refused()) + "\n";
    }
    return api::Response{200, "text/plain; version=0.0.4", std::move(text), {}};
  });
}

ServiceHost::~ServiceHost() { stop(); }

core::Status ServiceHost::listen(const std::string& address, std::uint16_t port) {
  server_ = std::make_unique<api::HttpServer>(io_, router_, limits_, metrics_);
  service_->add_websockets(*server_);
  if (auto st = server_->listen(address, port); !st.ok()) {
    server_.reset();
    return core::make_error(st.error().code, std::string(service_->name()) + " service: " + st.error().message);
  }
  return {};
}

void ServiceHost::stop() {
  if (server_) server_->stop();
}

}  // namespace metanode::services
