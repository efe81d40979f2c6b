#include "bpci/console_installer.hpp"

#include <algorithm>
#include <charconv>
#include <spdlog/spdlog.h>

#include "bpci/installer.hpp"
#include "api/http/http_client.hpp"
#include "bpci/process.hpp"
#include "crypto/keystore.hpp"
#include "services/service.hpp"

namespace metanode::bpci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

api::Response json_response(unsigned status, const json& body) {
  return api::Response{status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace), {}};
}

// A fleet member's API port (the fleet file checked it is http://host:port).
std::uint16_t port_of(const std::string& api) {
  auto parts = api::split_url(api);
  int port = 0;
  if (parts.ok()) std::from_chars(parts->second.data(), parts->second.data() + parts->second.size(), port);
  return static_cast<std::uint16_t>(port);
}

}  // namespace

json ConsoleInstaller::suggestion() const {
  std::size_t k = 1;
  while (fs::exists(options_.dir / ("full-" + std::to_string(k)))) ++k;
  // After the highest API port of the fleet, on the devnet's 100-port grid.
  std::uint16_t highest = 0;
  for (const auto& m : fleet_.members()) highest = std::max(highest, port_of(m.api));
  const int base = highest > 1 ? (highest - 1) + 100 : 9000;
  return {{"name", "full-" + std::to_string(k)}, {"host", "127.0.0.1"}, {"port_base", std::min(base, 65'000)}};
}

api::Response ConsoleInstaller::overview() const {
  json bundles = json::array();
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(options_.dir, ec)) {
    if (fs::exists(entry.path() / "INSTALL.json")) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    auto bundle = read_bundle(dir);
    if (!bundle.ok()) continue;
    json b = bundle->to_json();
    b["running"] = running_pid(dir / "node.pid", dir / "config.toml").has_value();
    b["in_fleet"] = fleet_.member(bundle->name).has_value();
    bundles.push_back(std::move(b));
  }
  return json_response(200, {{"dir", options_.dir.string()},
                             {"local_start", options_.allow_local_start},
                             {"suggested", suggestion()},
                             {"bundles", std::move(bundles)}});
}

api::Response ConsoleInstaller::create(const api::Request& request) {
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object()) return api::error_response(400, "invalid_argument", "the body must be a JSON object {name, host, port_base}");
  const json suggested = suggestion();
  BundleRequest r;
  try {
    r.name = body.value("name", suggested["name"].get<std::string>());
    r.host = body.value("host", std::string("127.0.0.1"));
    const auto base = body.value("port_base", suggested["port_base"].get<int>());
    if (base < 1 || base > 65'000) return api::error_response(400, "invalid_argument", "port_base must be 1..65000");
    r.port_base = static_cast<std::uint16_t>(base);
  } catch (const json::exception&) {
    return api::error_response(400, "invalid_argument", "name and host must be strings, port_base a number");
  }
  if (auto st = crypto::Keystore::validate_name(r.name); !st.ok()) return api::error_response(st.error());
  r.dir = options_.dir / r.name;
  std::lock_guard lock(mutex_);
  std::error_code ec;
  if (fs::exists(r.dir, ec) || fleet_.member(r.name)) {
    return api::error_response(409, "already_exists", "a node named '" + r.name + "' exists already: choose another name");
  }
  for (const auto& m : fleet_.members()) {
    if (port_of(m.api) == r.port_base + 1) {
      return api::error_response(409, "already_exists", "port " + std::to_string(r.port_base + 1) + " is " + m.name + "'s API");
    }
  }
  r.genesis_file = options_.genesis_file;
  auto validators = discover_validators(fleet_.members(), fleet_.genesis(), http_fetch(std::chrono::milliseconds(1'500)));
  if (!validators.ok()) return api::error_response(503, "no_validator_up", validators.error().message);
  r.validators = *validators;
  auto bundle = write_bundle(r);
  if (!bundle.ok()) return api::error_response(bundle.error());
  spdlog::info("installer: bundle for full node '{}' written to {}", bundle->name, bundle->dir.string());
  json out = bundle->to_json();
  out["running"] = false;
  out["in_fleet"] = false;
  return json_response(201, out);
}

api::Response ConsoleInstaller::start(const api::Request& request) {
  if (!options_.allow_local_start) {
    return api::error_response(403, "local_start_disabled",
                               "this BPCI does not start nodes (start it with --allow-local-start, as `metanode up` does); "
                               "run the bundle's commands on its host");
  }
  const std::string& name = request.params.at("name");
  std::lock_guard lock(mutex_);
  auto bundle = read_bundle(options_.dir / name);
  if (!bundle.ok()) return api::error_response(404, "not_found", "no bundle named '" + name + "' in " + options_.dir.string());
  if (!is_local_host(bundle->host)) {
    return api::error_response(400, "invalid_argument", "'" + name + "' runs on " + bundle->host + ", not here: run its commands there");
  }
  auto self = self_executable();
  if (!self.ok()) return api::error_response(self.error());
  auto started = start_node_once(*self, bundle->dir, "info", /*detached=*/true);
  if (!started.ok()) return api::error_response(started.error());
  if (!started->already_running) spdlog::info("installer: started full node '{}' (pid {})", name, started->pid);
  const FleetMember member{bundle->name, bundle->api_url(), bundle->dir / "node.log"};
  if (fleet_.add_member(member) && !options_.fleet_file.empty()) {
    if (auto added = FleetConfig::add_to_file(options_.fleet_file, member); !added.ok()) {
      spdlog::warn("installer: {} not added to the fleet file: {}", name, added.error().message);
    }
  }
  return json_response(200, {{"name", name}, {"pid", started->pid}, {"api", bundle->api_url()}, {"in_fleet", true}});
}

void ConsoleInstaller::add_routes(api::Router& router) {
  router.add("GET", "/v1/installer", [this](const api::Request&) { return overview(); });
  router.add("POST", "/v1/installer/bundles", [this](const api::Request& request) { return create(request); });
  router.add("POST", "/v1/installer/bundles/{name}/start", [this](const api::Request& request) { return start(request); });
}

void ConsoleInstaller::add_access(api::cage::RouteTable& table) {
  using api::cage::Access;
  table.add("GET", "/v1/installer", Access::roles_of({"operator", "admin"}));
  // A bundle holds a node's key; starting runs a process: admins only.
  table.add("POST", "/v1/installer/bundles", Access::roles_of({"admin"}));
  table.add("POST", "/v1/installer/bundles/{name}/start", Access::roles_of({"admin"}));
}

json ConsoleInstaller::openapi_paths() {
  const json security = json::array({{{"rfc9421", json::array()}}});
  const json errors = services::openapi_error_response();
  return {
      {"/v1/installer",
       {{"get",
         {{"summary", "The installer: where bundles go, whether this BPCI starts nodes here, the suggested next name and "
                      "port base, and every bundle made (with its commands, unit, and whether it runs); operators and admins"},
          {"security", security},
          {"responses", {{"200", {{"description", "{dir, local_start, suggested, bundles}"}}}, {"401", errors}, {"403", errors}}}}}}},
      {"/v1/installer/bundles",
       {{"post",
         {{"summary", "Makes a new full node's bundle ({name, host, port_base}): its key, genesis, configuration linking to "
                      "every validator the fleet shows, systemd unit; answers its address (to propose the role 'node' for), "
                      "the commands that start it on its host, and the unit. Admins."},
          {"security", security},
          {"responses",
           {{"201", {{"description", "The bundle"}}}, {"400", errors}, {"401", errors}, {"403", errors}, {"409", errors},
            {"503", errors}}}}}}},
      {"/v1/installer/bundles/{name}/start",
       {{"post",
         {{"summary", "Starts a bundle's node on this host and adds it to the fleet (BPCI started with --allow-local-start, "
                      "as on a devnet). Admins."},
          {"security", security},
          {"parameters", json::array({{{"name", "name"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}})},
          {"responses", {{"200", {{"description", "{name, pid, api, in_fleet}"}}}, {"400", errors}, {"401", errors},
                         {"403", errors}, {"404", errors}}}}}}},
  };
}

}  // namespace metanode::bpci
