#include "bpci/console_service.hpp"

#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <spdlog/spdlog.h>
#include <sstream>

#include "api/cage/request_auth.hpp"
#include "api/http/http_client.hpp"
#include "core/clock.hpp"
#include "crypto/random.hpp"
#include "ledger/audit_proofs.hpp"
#include "modules/module_set.hpp"

namespace metanode::bpci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The console's pages may run their own scripts and styles and talk to this origin (HTTP and the
// live WebSocket); nothing from elsewhere, never framed.
constexpr const char* kPageCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::string content_type_of(const fs::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".woff2") return "font/woff2";
  return "application/octet-stream";
}

json json_ok(const std::string& description, const json& schema) { return services::openapi_json_response(description, schema); }

}  // namespace

core::Result<WebAssets> WebAssets::load(const fs::path& dir) {
  if (!fs::exists(dir / "index.html")) {
    return core::make_error(core::ErrorCode::kNotFound,
                            "the console is not built: no " + (dir / "index.html").string() +
                                " (scripts/setup.sh builds it: npm ci && npm run build in web/; or give --web DIR)");
  }
  WebAssets assets;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string path = "/" + fs::relative(entry.path(), dir).generic_string();
    api::Response r{200, content_type_of(entry.path()), std::move(body), {}};
    // Built asset names carry their content hash: cache them for good. Pages are always fresh.
    const bool hashed = path.rfind("/assets/", 0) == 0;
    r.headers.emplace_back("Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
    r.headers.emplace_back("Content-Security-Policy", kPageCsp);
    assets.files_.emplace(path, std::move(r));
  }
  return assets;
}

const api::Response* WebAssets::find(const std::string& path) const {
  const auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

std::vector<std::string> tail_lines(const fs::path& file, std::size_t lines, std::size_t bytes_max) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const auto size = static_cast<std::size_t>(in.tellg());
  const std::size_t start = size > bytes_max ? size - bytes_max : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string text(size - start, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  std::vector<std::string> out;
  std::size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;
  while (out.size() < lines && end > 0) {
    const std::size_t nl = text.rfind('\n', end - 1);
    const std::size_t begin = nl == std::string::npos ? 0 : nl + 1;
    // A line cut by the read window's start is not shown half.
    if (nl == std::string::npos && start > 0) break;
    out.push_back(text.substr(begin, end - begin));
    if (nl == std::string::npos) break;
    end = nl;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

fs::path default_web_dir() {
  if (const char* env = std::getenv("METANODE_WEB_DIR"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "metanode" / "web";
    if (fs::exists(installed / "index.html")) return installed;
  }
#ifdef METANODE_SOURCE_WEB_DIR
  return METANODE_SOURCE_WEB_DIR;
#else
  return "web/dist";
#endif
}

const std::vector<std::string>& ConsoleService::page_paths() {
  // One line per page: its folder is web/src/pages/<name>/ (README, "A console page").
  static const std::vector<std::string> pages = {"/",       "/fleet", "/fleet/{node}", "/blocks", "/blocks/{height}",
                                                 "/txs/{hash}", "/accounts/{address}", "/mempool", "/consensus", "/send", "/governance",
                                                 "/installer", "/proofs", "/audit", "/economics", "/oracle", "/registry"};
  return pages;
}

ConsoleService::ConsoleService(FleetMonitor& fleet, WebAssets assets, InstallerOptions installer)
    : fleet_(fleet),
      assets_(std::move(assets)),
      installer_(fleet, std::move(installer)),
      genesis_text_(fleet.genesis().to_json()) {}

const std::vector<std::string>& ConsoleService::chain_routes() {
  static const std::vector<std::string> routes = {
      "/blocks/{height}", "/txs/{hash}", "/accounts/{address}", "/state/{module}/{key}", "/mempool",
      "/gov/roles", "/gov/roles/{address}", "/gov/proposals", "/gov/proposals/{id}"};
  return routes;
}

api::Response ConsoleService::proxy(const api::Request& request) const {
  const std::string target = "/v1" + request.path.substr(std::string_view("/v1/chain").size());
  std::string query;
  std::optional<std::string> wanted = request.query_param("node");
  // The node's own query, without BPCI's `node` parameter.
  for (std::size_t at = 0; at < request.query.size();) {
    std::size_t end = request.query.find('&', at);
    if (end == std::string::npos) end = request.query.size();
    const std::string part = request.query.substr(at, end - at);
    if (!part.empty() && part.rfind("node=", 0) != 0) query += (query.empty() ? "" : "&") + part;
    at = end + 1;
  }
  const std::string full = query.empty() ? target : target + "?" + query;
  return forward(wanted, request.method, full, request.body,
                 request.content_type.empty() ? "application/json" : request.content_type, {});
}

const std::vector<ConsoleService::PassedRoute>& ConsoleService::service_routes() {
  static const std::vector<PassedRoute> routes = {
      {"/v1/econ/supply", services::kEconomicsPortOffset, "economics"},
      {"/v1/econ/params", services::kEconomicsPortOffset, "economics"},
      {"/v1/econ/validators", services::kEconomicsPortOffset, "economics"},
      {"/v1/econ/rewards/{address}", services::kEconomicsPortOffset, "economics"},
      {"/v1/econ/payouts", services::kEconomicsPortOffset, "economics"},
      {"/v1/econ/fees", services::kEconomicsPortOffset, "economics"},
      {"/v1/econ/slashes", services::kEconomicsPortOffset, "economics"},
      {"/v1/feeds", services::kOraclePortOffset, "oracle"},
      {"/v1/feeds/{id}/latest", services::kOraclePortOffset, "oracle"},
      {"/v1/feeds/{id}/rounds/{round}", services::kOraclePortOffset, "oracle"},
      {"/v1/registry/services", services::kRegistryPortOffset, "registry"},
      {"/v1/registry/services/{name}", services::kRegistryPortOffset, "registry"},
  };
  return routes;
}

const std::vector<std::string>& ConsoleService::own_audit_routes() {
  static const std::vector<std::string> routes = {
      "/bpci/v1/audit/checkpoint",       "/bpci/v1/audit/checkpoints", "/bpci/v1/audit/checkpoints/{size}",
      "/bpci/v1/audit/events",           "/bpci/v1/audit/events/{index}", "/bpci/v1/audit/consistency",
      "/bpci/v1/audit/decisions"};
  return routes;
}

core::Result<json> ConsoleService::node_call(const std::string& method, const std::string& target,
                                             const std::string& body) const {
  const api::Response r = forward(std::nullopt, method, target, body, "application/json", {});
  json doc = json::parse(r.body, nullptr, false);
  if (r.status >= 200 && r.status < 300 && !doc.is_discarded()) return doc;
  std::string why = "HTTP " + std::to_string(r.status);
  if (!doc.is_discarded() && doc.contains("error")) {
    why = doc["error"].value("message", why) + " [" + doc["error"].value("code", why) + "]";
  }
  return core::make_error(r.status == 503 ? core::ErrorCode::kIo : core::ErrorCode::kInvalidArgument,
                          method + " " + target + ": " + why);
}

const std::vector<std::string>& ConsoleService::audit_routes() {
  static const std::vector<std::string> routes = {"/v1/audit/checkpoint", "/v1/audit/checkpoints",
                                                  "/v1/audit/checkpoints/{size}", "/v1/audit/events",
                                                  "/v1/audit/events/{index}", "/v1/audit/consistency", "/v1/audit/witness"};
  return routes;
}

api::Response ConsoleService::proxy_audit(const api::Request& request) const {
  api::HeaderList headers;
  for (const char* name : {"signature-input", "signature", "metanode-key", "content-digest"}) {
    if (auto value = request.header(name)) headers.emplace_back(name, std::string(*value));
  }
  std::optional<std::string> wanted;
  if (auto node = request.header("metanode-node")) wanted = std::string(*node);
  const std::string target = request.query.empty() ? request.path : request.path + "?" + request.query;
  return forward(wanted, "GET", target, "", "application/json", headers);
}

// The URL of a node's service at `offset` (econ 7), from its ledger API's (base + 1).
std::string ConsoleService::service_url(const std::string& api, std::uint16_t offset) {
  const auto colon = api.rfind(':');
  unsigned port = 0;
  if (colon == std::string::npos ||
      std::from_chars(api.data() + colon + 1, api.data() + api.size(), port).ec != std::errc() || port < 1) {
    return api;
  }
  return api.substr(0, colon + 1) + std::to_string(port - 1 + offset);
}

api::Response ConsoleService::forward(const std::optional<std::string>& wanted, const std::string& method,
                                      const std::string& target, const std::string& body, const std::string& content_type,
                                      const api::HeaderList& headers, std::uint16_t service_offset) const {
  std::string tried;
  for (const NodeView& node : fleet_.nodes()) {
    if (wanted ? node.name != *wanted : !node.up) continue;
    const std::string url = service_offset == 1 ? node.api : service_url(node.api, service_offset);
    auto reply = api::http_request(url, method, target, body, content_type, std::chrono::milliseconds(3'000), headers);
    if (!reply.ok()) {
      tried += (tried.empty() ? "" : ", ") + node.name + " (" + reply.error().message + ")";
      continue;
    }
    api::Response r{reply->status, api::find_header(reply->headers, "content-type").value_or("application/json"),
                    std::move(reply->body), {}};
    r.headers.emplace_back("Metanode-Node", node.name);  // which node answered
    return r;
  }
  if (wanted && tried.empty()) return api::error_response(404, "not_found", "no node named '" + *wanted + "' in the fleet");
  return api::error_response(503, "no_node_up",
                             tried.empty() ? "no node of the fleet is up" : "no node answered: " + tried);
}

std::string_view ConsoleService::description() const {
  return "BPCI Enterprise: the control plane over a fleet of Metanode nodes, read from their public APIs, and the web "
         "console.";
}

void ConsoleService::add_routes(api::Router& router) {
  router.add("GET", "/v1/fleet", [this](const api::Request&) {
    return api::Response{200, "application/json", fleet_.snapshot_json().dump(-1, ' ', false, json::error_handler_t::replace), {}};
  });
  router.add("GET", "/v1/fleet/nodes/{name}", [this](const api::Request& request) {
    const json node = fleet_.node_json(request.params.at("name"));
    if (node.is_null()) {
      return api::error_response(404, "not_found", "no node named '" + request.params.at("name") + "' in the fleet");
    }
    return api::Response{200, "application/json", node.dump(-1, ' ', false, json::error_handler_t::replace), {}};
  });
  router.add("GET", "/v1/live", api::websocket_route());
  router.add("GET", "/v1/fleet/nodes/{name}/logs", [this](const api::Request& request) { return log_tail(request); });
  router.add("GET", "/v1/genesis", [this](const api::Request&) {
    return api::Response{200, "application/json", genesis_text_, {}};
  });
  for (const auto& route : chain_routes()) {
    router.add("GET", "/v1/chain" + route, [this](const api::Request& request) { return proxy(request); });
  }
  router.add("POST", "/v1/chain/txs", [this](const api::Request& request) { return proxy(request); });
  for (const auto& route : audit_routes()) {
    router.add("GET", route, [this](const api::Request& request) { return proxy_audit(request); });
  }
  // The economics, oracle and registry services' routes, from the node's port for the service, as
  // it answered (its name in Metanode-Node): every value that is state carries its proof, which the
  // console's pages check.
  for (const auto& passed : service_routes()) {
    router.add("GET", passed.route, [this, offset = passed.port_offset](const api::Request& request) {
      std::optional<std::string> wanted = request.query_param("node");
      return forward(wanted, "GET", request.query.empty() ? request.path : request.path + "?" + request.query, "",
                     "application/json", {}, offset);
    });
  }
  if (own_audit_ != nullptr) {
    node::AuditTrail& a = *own_audit_;
    router.add("GET", "/bpci/v1/audit/checkpoint", [&a](const api::Request& r) { return a.checkpoint(r); });
    router.add("GET", "/bpci/v1/audit/checkpoints", [&a](const api::Request& r) { return a.checkpoints(r); });
    router.add("GET", "/bpci/v1/audit/checkpoints/{size}", [&a](const api::Request& r) { return a.checkpoint_of_size(r); });
    router.add("GET", "/bpci/v1/audit/events", [&a](const api::Request& r) { return a.events(r); });
    router.add("GET", "/bpci/v1/audit/events/{index}", [&a](const api::Request& r) { return a.event(r); });
    router.add("GET", "/bpci/v1/audit/consistency", [&a](const api::Request& r) { return a.consistency(r); });
    router.add("GET", "/bpci/v1/audit/decisions", [&a](const api::Request& r) { return a.decisions(r); });
    // What a client signing for BPCI's log reads first (its chain and genesis digest).
    router.add("GET", "/bpci/health", [this](const api::Request&) {
      return api::Response{200, "application/json", health().dump(), {}};
    });
    router.add("GET", "/bpci/v1/state/{module}/{key}", [this](const api::Request& request) {
      const std::string target = request.path.substr(std::string_view("/bpci").size());
      return forward(std::nullopt, "GET", request.query.empty() ? target : target + "?" + request.query, "",
                     "application/json", {});
    });
  }
  installer_.add_routes(router);
  router.add("GET", "/v1/session/challenge", [this](const api::Request&) { return challenge(); });
  router.add("POST", "/v1/session", [this](const api::Request& request) { return session(request); });
  for (const auto& page : page_paths()) {
    router.add("GET", page, [this](const api::Request&) { return assets_.index(); });
  }
  router.add("GET", "/assets/{file}", [this](const api::Request& request) {
    if (const api::Response* file = assets_.find(request.path)) return *file;
    return api::error_response(404, "not_found", "no console asset " + request.path);
  });
  router.add("GET", "/favicon.svg", [this](const api::Request& request) {
    if (const api::Response* file = assets_.find(request.path)) return *file;
    return api::error_response(404, "not_found", "no favicon");
  });
}

namespace {
constexpr std::int64_t kChallengeLifetimeMs = 120'000;
constexpr std::size_t kChallengesMax = 10'000;
constexpr std::int64_t kRolesCacheMs = 3'000;
}  // namespace

api::Response ConsoleService::log_tail(const api::Request& request) const {
  const std::string& name = request.params.at("name");
  const auto member = fleet_.member(name);
  if (!member) return api::error_response(404, "not_found", "no node named '" + name + "' in the fleet");
  if (member->log_file.empty()) {
    return api::error_response(404, "no_log", "the fleet file gives no log file for " + name +
                                                  " (log = \"PATH\" in its [[nodes]] entry, readable where BPCI runs)");
  }
  std::size_t lines = 200;
  if (auto text = request.query_param("lines")) {
    const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), lines);
    if (ec != std::errc() || ptr != text->data() + text->size() || lines < 1 || lines > 2'000) {
      return api::error_response(400, "invalid_argument", "lines must be 1-2000");
    }
  }
  std::error_code ec;
  if (!fs::exists(member->log_file, ec)) {
    return api::error_response(404, "no_log", member->log_file.string() + " does not exist (yet)");
  }
  const json body = {{"name", name}, {"file", member->log_file.string()}, {"lines", tail_lines(member->log_file, lines)}};
  return api::Response{200, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace), {}};
}

api::Response ConsoleService::challenge() {
  const std::int64_t now = core::SystemClock().now_unix_ms();
  const std::string text = core::to_hex(crypto::random_array<32>());
  {
    std::lock_guard lock(mutex_);
    std::erase_if(challenges_, [now](const auto& c) { return c.second < now; });
    if (challenges_.size() >= kChallengesMax) {
      return api::error_response(503, "busy", "too many logins in progress; retry in a minute");
    }
    challenges_[text] = now + kChallengeLifetimeMs;
  }
  const json body = {{"challenge", text}, {"expires_unix_ms", now + kChallengeLifetimeMs},
                     {"sign_with", "POST /v1/session {\"challenge\": ...} as an RFC 9421 signed request, tag=\"metanode:" +
                                       core::to_hex(fleet_.genesis().digest()) + "\""}};
  return api::Response{200, "application/json", body.dump(), {}};
}

api::Response ConsoleService::session(const api::Request& request) {
  if (request.identity.empty()) {
    return api::error_response(401, "auth_unsigned", "sign the login with your wallet key (RFC 9421, as the CLI does)");
  }
  const json doc = json::parse(request.body, nullptr, false);
  if (!doc.is_object() || !doc.contains("challenge") || !doc["challenge"].is_string()) {
    return api::error_response(400, "bad_request", "the body is {\"challenge\": \"<from GET /v1/session/challenge>\"}");
  }
  const std::int64_t now = core::SystemClock().now_unix_ms();
  {
    std::lock_guard lock(mutex_);
    const auto it = challenges_.find(doc["challenge"].get<std::string>());
    if (it == challenges_.end() || it->second < now) {
      return api::error_response(401, "auth_challenge", "unknown or expired challenge: ask for a new one");
    }
    challenges_.erase(it);  // each challenge logs in once
  }
  return api::Response{200, "application/json",
                       json{{"address", request.identity}, {"roles", roles_of(request.identity)}}.dump(), {}};
}

std::vector<std::string> ConsoleService::roles_of(const std::string& address) const {
  const std::int64_t now = core::SystemClock().now_unix_ms();
  {
    std::lock_guard lock(mutex_);
    const auto it = roles_cache_.find(address);
    if (it != roles_cache_.end() && it->second.first > now) return it->second.second;
  }
  std::vector<std::string> roles;
  for (const NodeView& node : fleet_.nodes()) {
    if (!node.up) continue;
    auto reply = api::http_request(node.api, "GET", "/v1/gov/roles/" + address, "", "application/json",
                                   std::chrono::milliseconds(2'000));
    if (!reply.ok() || reply->status != 200) continue;
    const json doc = json::parse(reply->body, nullptr, false);
    if (doc.is_object() && doc.contains("roles") && doc["roles"].is_array()) {
      for (const auto& r : doc["roles"]) {
        if (r.is_string()) roles.push_back(r.get<std::string>());
      }
    }
    break;
  }
  std::lock_guard lock(mutex_);
  if (roles_cache_.size() > 10'000) roles_cache_.clear();
  roles_cache_[address] = {now + kRolesCacheMs, roles};
  return roles;
}

void ConsoleService::add_websockets(api::HttpServer& server) { server.add_websocket("/v1/live", live_); }

void ConsoleService::publish() {
  if (live_.subscribers() == 0) return;
  live_.publish(fleet_.snapshot_json().dump(-1, ' ', false, json::error_handler_t::replace));
}

json ConsoleService::openapi_schemas() const {
  const json str = {{"type", "string"}};
  const json integer = {{"type", "integer"}};
  json node = {{"type", "object"},
               {"properties",
                {{"name", str}, {"api", str}, {"up", {{"type", "boolean"}}}, {"error", str},
                 {"checked_unix_ms", integer}, {"last_seen_unix_ms", integer}, {"down_since_unix_ms", integer},
                 {"version", str}, {"role", str}, {"node_key", str}, {"xtmp_port", integer}, {"height", integer}, {"certified_height", integer}, {"round", integer},
                 {"rounds_timed_out", integer}, {"base_fee", str}, {"peers", integer},
                 {"txs_committed", integer}, {"mempool_pending", integer}, {"consensus_failed", {{"type", "boolean"}}},
                 {"leader", str}, {"last_commit_unix_ms", integer}, {"commit_latency_ms", integer},
                 {"cpu_percent", {{"type", "number"}}}, {"rss_bytes", integer}}}};
  json fleet = {{"type", "object"},
                {"properties",
                 {{"type", str}, {"chain_id", str}, {"genesis_digest", str}, {"consensus", str}, {"validators", integer},
                  {"updated_unix_ms", integer}, {"nodes", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/FleetNode"}}}}}}}};
  return {{"FleetNode", node}, {"Fleet", fleet}};
}

json ConsoleService::openapi_paths() const {
  json paths = ConsoleInstaller::openapi_paths();
  for (const auto& passed : service_routes()) {
    json parameters = json::array({{{"name", "node"}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}}});
    for (std::size_t open = passed.route.find('{'); open != std::string::npos; open = passed.route.find('{', open + 1)) {
      const std::string name = passed.route.substr(open + 1, passed.route.find('}', open) - open - 1);
      parameters.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    paths[passed.route]["get"] = {
        {"summary", "The " + passed.service + " service's GET " + passed.route + " from the first node up or ?node=NAME, as "
                    "it answered (its name in Metanode-Node); each value that is state carries its proof (see the node's " +
                    passed.service + " OpenAPI document on base port + " + std::to_string(passed.port_offset) + ")"},
        {"parameters", parameters},
        {"responses", {{"200", {{"description", "The node's answer"}}}, {"400", services::openapi_error_response()},
                       {"404", services::openapi_error_response()}, {"503", services::openapi_error_response()}}}};
  }
  paths.update(json{
      {"/v1/fleet",
       {{"get",
         {{"summary", "Every node of the fleet: up or down and why, height, round, leader, peers, version, commit age and "
                      "latency, CPU and memory"},
          {"responses", {{"200", json_ok("The fleet", {{"$ref", "#/components/schemas/Fleet"}})}}}}}}},
      {"/v1/fleet/nodes/{name}",
       {{"get",
         {{"summary", "One node with its recent history (a sample a poll: height, commit latency, CPU)"},
          {"parameters", json::array({{{"name", "name"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}})},
          {"responses",
           {{"200", json_ok("The node", {{"$ref", "#/components/schemas/FleetNode"}})},
            {"404", services::openapi_error_response()}}}}}}},
      {"/v1/genesis",
       {{"get",
         {{"summary", "The fleet's genesis in its canonical form: BLAKE3-derive-key(\"metanode/v1/genesis\", these bytes) is "
                      "the genesis digest every signature of the chain is bound to"},
          {"responses", {{"200", {{"description", "genesis.json"}}}}}}}}},
      {"/v1/chain/{route}",
       {{"get",
         {{"summary", "The nodes' public chain routes (blocks/{height}, txs/{hash}, accounts/{address}, "
                      "state/{module}/{key}, mempool, gov/...), answered by the first node that is up or by ?node=NAME, "
                      "as that node answered (its name in Metanode-Node). 503 no_node_up when none answers."},
          {"parameters", json::array({{{"name", "route"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}},
                                      {{"name", "node"}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}}})},
          {"responses", {{"200", {{"description", "The node's answer (see the node's OpenAPI document)"}}},
                         {"503", services::openapi_error_response()}}}}}}},
      {"/v1/audit/{route}",
       {{"get",
         {{"summary", "A node's audit routes (checkpoint, checkpoints, checkpoints/{size}, events, events/{index}, "
                      "consistency, witness), passed through unchanged with the caller's RFC 9421 signature (signed over "
                      "@path and @query): the node's Cage requires the auditor or admin role. The node is the one the "
                      "Metanode-Node request header names, or the first up; its name comes back in Metanode-Node."},
          {"security", json::array({{{"rfc9421", json::array()}}})},
          {"parameters", json::array({{{"name", "route"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}},
                                      {{"name", "Metanode-Node"}, {"in", "header"}, {"required", false},
                                       {"schema", {{"type", "string"}}}}})},
          {"responses", {{"200", {{"description", "The node's answer (see the node's OpenAPI document)"}}},
                         {"401", services::openapi_error_response()},
                         {"403", services::openapi_error_response()},
                         {"503", services::openapi_error_response()}}}}}}},
      {"/bpci/v1/audit/{route}",
       {{"get",
         {{"summary", "BPCI's own audit log (every decision of its Cage, its start and stop): the node's audit routes "
                      "(checkpoint, checkpoints, checkpoints/{size}, events, events/{index}, consistency, decisions) over "
                      "BPCI's log, whose checkpoints BPCI signs with its key (Ed25519 and ML-DSA-65; registered in the "
                      "genesis's modules.audit.logs) and anchors on chain. Auditor or admin role. `metanode audit verify "
                      "--node http://HOST:8080/bpci` checks it."},
          {"security", json::array({{{"rfc9421", json::array()}}})},
          {"parameters", json::array({{{"name", "route"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}})},
          {"responses", {{"200", {{"description", "As the node's audit routes answer (see the node's OpenAPI document)"}}},
                         {"400", services::openapi_error_response()},
                         {"401", services::openapi_error_response()},
                         {"403", services::openapi_error_response()},
                         {"404", services::openapi_error_response()}}}}}}},
      {"/bpci/v1/state/{module}/{key}",
       {{"get",
         {{"summary", "A node's GET /v1/state/{module}/{key} (with its proof to a certified header), from the first node "
                      "up: where `audit verify` reads BPCI's anchor"},
          {"parameters", json::array({{{"name", "module"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}},
                                      {{"name", "key"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}})},
          {"responses", {{"200", {{"description", "The node's answer"}}}, {"503", services::openapi_error_response()}}}}}}},
      {"/v1/chain/txs",
       {{"post",
         {{"summary", "Submits a transaction (JSON or its canonical bytes as application/octet-stream) to the first node up, "
                      "as POST /v1/txs; the node checks its signature"},
          {"responses", {{"200", {{"description", "The node's answer"}}}, {"503", services::openapi_error_response()}}}}}}},
      {"/v1/fleet/nodes/{name}/logs",
       {{"get",
         {{"summary", "The last lines of a node's log file (the fleet file's log = PATH), for operators and admins"},
          {"security", json::array({{{"rfc9421", json::array()}}})},
          {"parameters", json::array({{{"name", "name"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}},
                                      {{"name", "lines"}, {"in", "query"}, {"required", false},
                                       {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 2000}}}}})},
          {"responses", {{"200", {{"description", "{name, file, lines}"}}}, {"401", services::openapi_error_response()},
                         {"403", services::openapi_error_response()}, {"404", services::openapi_error_response()}}}}}}},
      {"/v1/session/challenge",
       {{"get",
         {{"summary", "A login challenge (valid 2 minutes, usable once)"},
          {"responses", {{"200", {{"description", "{challenge, expires_unix_ms}"}}}}}}}}},
      {"/v1/session",
       {{"post",
         {{"summary", "Logs a wallet in: {\"challenge\"} in a request signed by the wallet's key (RFC 9421, tagged for the "
                      "chain); answers the address and the roles it holds on chain"},
          {"security", json::array({{{"rfc9421", json::array()}}})},
          {"responses", {{"200", {{"description", "{address, roles}"}}}, {"401", services::openapi_error_response()}}}}}}},
      {"/v1/live",
       {{"get",
         {{"summary", "WebSocket: the fleet (as GET /v1/fleet) once a poll interval"},
          {"responses", {{"101", {{"description", "Switching to WebSocket"}}}}}}}}},
  });
  return paths;
}

json ConsoleService::health() const {
  json out = {{"status", "ok"}, {"chain_id", fleet_.genesis().chain_id},
              {"genesis_digest", core::to_hex(fleet_.genesis().digest())}, {"nodes", fleet_.nodes().size()},
              {"nodes_up", fleet_.nodes_up()}, {"console_files", assets_.size()}};
  if (own_audit_ != nullptr) {
    json audit = {{"origin", own_audit_->log().origin()}, {"events", own_audit_->log().size()}};
    if (anchorer_ != nullptr) audit["anchor"] = anchorer_->status_json();
    out["audit"] = std::move(audit);
  }
  return out;
}

std::string ConsoleService::metrics_text() const {
  std::ostringstream out;
  out << "# HELP metanode_bpci_nodes Nodes in the fleet file.\n# TYPE metanode_bpci_nodes gauge\nmetanode_bpci_nodes "
      << fleet_.nodes().size() << "\n# HELP metanode_bpci_nodes_up Nodes that answered the last poll on the fleet's chain.\n"
      << "# TYPE metanode_bpci_nodes_up gauge\nmetanode_bpci_nodes_up " << fleet_.nodes_up() << "\n"
      << "# HELP metanode_bpci_live_subscribers WebSocket subscribers of /v1/live.\n"
      << "# TYPE metanode_bpci_live_subscribers gauge\nmetanode_bpci_live_subscribers " << live_.subscribers() << "\n";
  if (own_audit_ != nullptr) {
    out << "# HELP metanode_audit_events Events in BPCI's audit log (durable).\n"
        << "# TYPE metanode_audit_events gauge\nmetanode_audit_events " << own_audit_->log().size() << "\n";
  }
  if (anchorer_ != nullptr) out << anchorer_->metrics_text();
  return out.str();
}

api::cage::RouteTable console_route_table() {
  using api::cage::Access;
  api::cage::RouteTable t;
  for (const char* route : {"/health", "/metrics", "/v1/openapi.json", "/v1/fleet", "/v1/fleet/nodes/{name}", "/v1/live",
                            "/assets/{file}", "/favicon.svg", "/v1/genesis"}) {
    t.add("GET", route, Access::open());
  }
  for (const auto& route : ConsoleService::chain_routes()) t.add("GET", "/v1/chain" + route, Access::open());
  // Transactions carry their own signatures (the node checks them); a login is signed by its wallet.
  t.add("POST", "/v1/chain/txs", Access::open());
  // The node's Cage decides these (auditor or admin), on the caller's own signature.
  for (const auto& route : ConsoleService::audit_routes()) t.add("GET", route, Access::open());
  for (const auto& passed : ConsoleService::service_routes()) t.add("GET", passed.route, Access::open());
  // BPCI's own log: its Cage decides, as a node's does for its log.
  for (const auto& route : ConsoleService::own_audit_routes()) t.add("GET", route, Access::roles_of({"auditor", "admin"}));
  t.add("GET", "/bpci/v1/state/{module}/{key}", Access::open());  // proven answers from a node
  t.add("GET", "/bpci/health", Access::open());
  t.add("GET", "/v1/session/challenge", Access::open());
  t.add("POST", "/v1/session", Access::open());
  // Logs can name addresses, peers and errors: operators and admins only.
  t.add("GET", "/v1/fleet/nodes/{name}/logs", Access::roles_of({"operator", "admin"}));
  ConsoleInstaller::add_access(t);
  for (const auto& page : ConsoleService::page_paths()) t.add("GET", page, Access::open());
  return t;
}

core::Result<std::unique_ptr<Bpci>> Bpci::open(FleetConfig fleet, BpciOptions options) {
  MN_TRY_ASSIGN(ledger::Genesis genesis, ledger::Genesis::load(fleet.genesis_file));
  const fs::path web_dir = options.web_dir.empty() ? default_web_dir() : options.web_dir;
  MN_TRY_ASSIGN(WebAssets assets, WebAssets::load(web_dir));
  std::unique_ptr<Bpci> bpci(new Bpci());
  bpci->options_ = options;
  bpci->monitor_ = std::make_unique<FleetMonitor>(std::move(fleet), std::move(genesis),
                                                  http_fetch(std::chrono::milliseconds(800)), options.poll_interval);
  InstallerOptions installer;
  installer.fleet_file = options.fleet_file;
  installer.genesis_file = bpci->monitor_->genesis_file();
  installer.dir = !options.install_dir.empty()  ? options.install_dir
                  : !options.fleet_file.empty() ? fs::absolute(options.fleet_file).parent_path()
                                                : fs::current_path();
  installer.allow_local_start = options.allow_local_start;
  bpci->service_ = std::make_shared<ConsoleService>(*bpci->monitor_, std::move(assets), std::move(installer));
  MN_TRY(bpci->open_audit());
  std::error_code ec;
  if (!options.fleet_file.empty()) bpci->fleet_file_time_ = fs::last_write_time(options.fleet_file, ec);
  api::cage::CagePolicy policy;
  policy.sign_responses = false;  // BPCI holds no validator key; the nodes sign their own answers
  policy.auth.chain_tag = api::cage::chain_tag(bpci->monitor_->genesis().digest());
  bpci->cage_ = std::make_unique<api::cage::Cage>(
      console_route_table(),
      [service = bpci->service_.get()](const crypto::Address& address) { return service->roles_of(address.to_string()); },
      *bpci->audit_, std::move(policy));
  bpci->host_ = std::make_unique<services::ServiceHost>(bpci->io_, bpci->service_);
  bpci->host_->use(bpci->cage_->middleware());
  bpci->host_->add_metrics([cage = bpci->cage_.get()] { return cage->metrics_text(); });
  return bpci;
}

core::Status Bpci::open_audit() {
  if (options_.data_dir.empty() || !options_.key) {
    return core::make_error(core::ErrorCode::kInvalidArgument,
                            "BPCI needs a data directory and a key for its audit log (every decision of its Cage is "
                            "recorded there before it is answered)");
  }
  const ledger::Genesis& genesis = monitor_->genesis();
  storage::OpenOptions db_options;
  db_options.chain_id = genesis.chain_id;
  db_options.block_cache_size_bytes = std::size_t{8} << 20;
  db_options.write_buffer_size_bytes = std::size_t{4} << 20;
  MN_TRY_ASSIGN(db_, storage::CueDb::open(options_.data_dir / "db", db_options));
  storage::AuditLogOptions log_options;
  log_options.origin = ledger::audit_origin(genesis.chain_id, options_.key->ed25519().public_key());
  log_options.ed25519 = &options_.key->ed25519();
  log_options.mldsa = &options_.key->mldsa();
  log_options.checkpoint_events = options_.checkpoint_events;
  log_options.checkpoint_interval = options_.checkpoint_interval;
  log_options.on_fault = [](const core::Error& fault) {
    // The Cage holds every answer until its decision is durable: after this each one is refused
    // (503), so nothing is answered unrecorded. Restart BPCI once the disk is fixed.
    spdlog::critical("bpci: the audit log cannot write ({}); requests are refused until BPCI is restarted",
                     fault.to_string());
  };
  MN_TRY_ASSIGN(audit_log_, storage::AuditLog::open(*db_, std::move(log_options)));
  modules_ = modules::standard_modules();
  audit_ = std::make_unique<node::AuditTrail>(*audit_log_, modules_);
  anchorer_ = std::make_unique<HttpAnchorer>(
      *audit_log_, genesis, options_.key->ed25519(),
      [service = service_.get()](const std::string& method, const std::string& target, const std::string& body) {
        return service->node_call(method, target, body);
      },
      options_.anchor_interval);
  service_->set_own_audit(audit_.get(), anchorer_.get());
  return {};
}

std::string Bpci::audit_origin() const { return audit_log_->origin(); }

Bpci::~Bpci() { stop(); }

core::Status Bpci::start() {
  MN_TRY(host_->listen(options_.listen_address, options_.port));
  for (int i = 0; i < 2; ++i) {
    io_threads_.emplace_back([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
  audit_->lifecycle("bpci.start", options_.config_digest,
                    crypto::Address::from_public_key(options_.key->ed25519().public_key()).to_string(), "bpci");
  anchorer_->start();
  monitor_->poll_all();  // the first page load sees the fleet at once
  monitor_->start([this] {
    reload_fleet_file();
    service_->publish();
  });
  return {};
}

void Bpci::reload_fleet_file() {
  if (options_.fleet_file.empty()) return;
  std::error_code ec;
  const auto time = fs::last_write_time(options_.fleet_file, ec);
  if (ec || time == fleet_file_time_) return;
  fleet_file_time_ = time;
  auto fleet = FleetConfig::load(options_.fleet_file);
  if (!fleet.ok()) {
    spdlog::warn("bpci: the fleet file changed but does not load: {}", fleet.error().message);
    return;
  }
  for (auto& member : fleet->nodes) {
    const std::string name = member.name;
    if (monitor_->add_member(std::move(member))) spdlog::info("bpci: node '{}' joined the fleet (fleet file)", name);
  }
}

void Bpci::stop() {
  if (anchorer_) anchorer_->stop();
  if (monitor_) monitor_->stop();
  if (host_) host_->stop();
  io_.stop();
  for (auto& t : io_threads_) t.join();
  const bool was_running = !io_threads_.empty();
  io_threads_.clear();
  if (audit_log_) {
    if (was_running) {
      audit_->lifecycle("bpci.stop", options_.config_digest,
                        crypto::Address::from_public_key(options_.key->ed25519().public_key()).to_string(), "bpci");
    }
    audit_log_->stop();  // flushes, and a final checkpoint
  }
}

}  // namespace metanode::bpci
