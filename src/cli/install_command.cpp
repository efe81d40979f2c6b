// `metanode install`: a new full node, from nothing to following the chain. It finds the
// validators (their /health names their XTMP key and port), writes the node's bundle (key,
// genesis, configuration, systemd unit: bpci/installer.hpp), prints the commands that install it
// on its host, proposes its admission (the governance role "node" for its address) with a
// council key and approves it with the others given, and, on this host, starts it and follows it
// until it has caught up with the validators.
#include "cli/install_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>

#include "api/http/http_client.hpp"
#include "bpci/fleet.hpp"
#include "bpci/installer.hpp"
#include "cli/chain_client.hpp"
#include "bpci/process.hpp"
#include "modules/governance/governance.hpp"
#include "node/config.hpp"

namespace metanode::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct InstallOptions {
  std::string host;
  std::string dir;
  std::string name;
  int port_base = -1;
  std::string devnet;
  std::string fleet;
  std::vector<std::string> nodes;
  std::string genesis;
  std::string home;
  std::string from = "council-1";
  std::vector<std::string> approve_with;
  bool no_propose = false;
  bool start = false;
  bool no_start = false;
  bool no_follow = false;
  std::uint32_t follow_timeout_s = 120;
  std::string install_path;
  std::string passphrase_file;
};

// Where the validators are and what the new node is called, from --devnet, --fleet or --node.
struct Plan {
  std::vector<bpci::FleetMember> members;
  fs::path genesis_file;
  fs::path fleet_file;  // appended to when the node starts here (BPCI picks it up)
  std::string name;
  fs::path dir;
  std::uint16_t port_base = 0;
};

core::Error invalid(std::string why) { return core::make_error(core::ErrorCode::kInvalidArgument, std::move(why)); }

// A devnet made by `metanode up`: validators from nodeI/config.toml; the new node is full-K in it,
// on the port base after the last validator's (and earlier full nodes').
core::Status plan_devnet(InstallOptions& opts, Plan& plan) {
  const fs::path root = fs::absolute(opts.devnet);
  if (!fs::exists(root / "genesis.json")) return invalid("--devnet " + root.string() + " has no genesis.json: not a devnet made by `metanode up`");
  plan.genesis_file = root / "genesis.json";
  std::uint16_t first_base = 0;
  std::size_t validators = 0;
  for (std::size_t i = 0; fs::exists(root / ("node" + std::to_string(i)) / "config.toml"); ++i) {
    MN_TRY_ASSIGN(const auto config, node::NodeConfig::load(root / ("node" + std::to_string(i)) / "config.toml"));
    if (i == 0) first_base = config.port_base;
    plan.members.push_back({"validator-" + std::to_string(i), "http://127.0.0.1:" + std::to_string(config.port_base + 1), {}});
    ++validators;
  }
  std::size_t k = 1;
  while (fs::exists(root / ("full-" + std::to_string(k)))) ++k;
  if (opts.name.empty()) opts.name = "full-" + std::to_string(k);
  if (opts.dir.empty()) opts.dir = (root / opts.name).string();
  if (opts.port_base < 0) opts.port_base = first_base + static_cast<int>(100 * (validators + k - 1));
  if (opts.home.empty()) opts.home = (root / "node0").string();
  if (opts.approve_with.empty() && !opts.no_propose) opts.approve_with = {"council-2"};
  if (!opts.no_start) opts.start = true;
  if (fs::exists(root / "fleet.toml")) plan.fleet_file = root / "fleet.toml";
  return {};
}

core::Result<Plan> make_plan(InstallOptions& opts) {
  Plan plan;
  const int sources = (opts.devnet.empty() ? 0 : 1) + (opts.fleet.empty() ? 0 : 1) + (opts.nodes.empty() ? 0 : 1);
  if (sources != 1) return invalid("name the validators with exactly one of --devnet DIR, --fleet FILE or --node URL");
  if (!opts.devnet.empty()) {
    MN_TRY(plan_devnet(opts, plan));
  } else if (!opts.fleet.empty()) {
    MN_TRY_ASSIGN(const auto fleet, bpci::FleetConfig::load(fs::absolute(opts.fleet)));
    plan.members = fleet.nodes;
    plan.genesis_file = fleet.genesis_file;
    plan.fleet_file = fs::absolute(opts.fleet);
  } else {
    for (const auto& url : opts.nodes) plan.members.push_back({url, url, {}});
    if (!opts.genesis.empty()) {
      plan.genesis_file = opts.genesis;
    } else if (!opts.home.empty()) {
      MN_TRY_ASSIGN(const auto config, node::NodeConfig::load(fs::path(opts.home) / "config.toml"));
      plan.genesis_file = config.resolve(config.genesis_file);
    } else {
      return invalid("with --node, say which chain with --genesis FILE (or --home of a node of it)");
    }
  }
  if (!opts.genesis.empty()) plan.genesis_file = opts.genesis;
  if (opts.name.empty()) opts.name = "full-1";
  if (opts.dir.empty()) return invalid("--dir: where to write the new node's bundle");
  if (opts.port_base < 0) opts.port_base = 9000;
  if (opts.port_base < 1 || opts.port_base > 65'000) return invalid("--port-base must be 1..65000");
  plan.name = opts.name;
  plan.dir = fs::absolute(opts.dir);
  plan.port_base = static_cast<std::uint16_t>(opts.port_base);
  return plan;
}

// The API of a validator that answered: where proposals are sent and heights read.
std::vector<std::string> validator_apis(const Plan& plan, const std::vector<bpci::ValidatorEndpoint>& validators) {
  std::vector<std::string> out;
  for (const auto& v : validators) {
    for (const auto& m : plan.members) {
      if (m.name == v.name) out.push_back(m.api);
    }
  }
  return out;
}

bool holds_node_role(const std::string& api, const crypto::Address& address) {
  auto doc = call(api, "GET", "/v1/gov/roles/" + address.to_string());
  if (!doc.ok()) return false;
  const json& roles = (*doc)["roles"];
  return std::find(roles.begin(), roles.end(), std::string(modules::kRoleNode)) != roles.end();
}

// Proposes the role "node" for the bundle's address, approves with each key given, and says
// where admission stands. Returns false when a step failed (it said why).
bool propose_admission(Io& io, const InstallOptions& opts, const std::string& api, const bpci::Bundle& bundle) {
  const auto send_options = [&](const std::string& from) {
    SendOptions send;
    send.client.node_url = api;
    send.client.home = opts.home;
    send.client.passphrase.file = opts.passphrase_file;
    send.from = from;
    send.wait = true;
    return send;
  };
  modules::GovProposal p;
  p.action = modules::GovAction::kGrant;
  p.role = std::string(modules::kRoleNode);
  p.subject = bundle.address;
  io.out << "admission: proposing the role 'node' for " << bundle.address.to_string() << ", signed by " << opts.from << "\n";
  if (run_send(io, send_options(opts.from), modules::gov_propose_payload(p)) != kExitOk) return false;
  auto listed = call(api, "GET", "/v1/gov/proposals?status=all&limit=50");
  if (!listed.ok()) {
    fail(io, listed.error());
    return false;
  }
  std::uint64_t id = 0;
  std::string status;
  for (const json& proposal : (*listed)["proposals"]) {
    if (proposal.value("role", std::string()) == modules::kRoleNode &&
        proposal.value("subject", std::string()) == bundle.address.to_string() && proposal["id"].get<std::uint64_t>() >= id) {
      id = proposal["id"].get<std::uint64_t>();
      status = proposal.value("status", std::string());
    }
  }
  if (id == 0) {
    io.err << "error: the proposal committed but is not listed by " << api << "\n";
    return false;
  }
  for (const auto& key : opts.approve_with) {
    if (status == "executed") break;
    io.out << "admission: approving proposal " << id << " with " << key << "\n";
    if (run_send(io, send_options(key), modules::gov_approve_payload(id)) != kExitOk) return false;
    auto now = call(api, "GET", "/v1/gov/proposals/" + std::to_string(id));
    if (now.ok()) status = now->value("status", status);
  }
  if (holds_node_role(api, bundle.address)) {
    io.out << "admission: granted; the validators accept its links\n";
  } else {
    io.out << "admission: proposal " << id << " waits for more council approvals; each member runs\n"
           << "  metanode gov approve " << id << " --from <council key> --home <its home>\n"
           << "(or approves it on the console's governance page). The validators refuse its links until then.\n";
  }
  return true;
}

core::Status start_here(Io& io, const Plan& plan, const bpci::Bundle& bundle) {
  MN_TRY_ASSIGN(const fs::path self, bpci::self_executable());
  MN_TRY_ASSIGN(const auto started, bpci::start_node_once(self, bundle.dir, "info", /*detached=*/true));
  if (started.already_running) {
    io.out << "started already: pid " << started.pid << "\n";
  } else {
    io.out << "started: pid " << started.pid << ", log " << (bundle.dir / "node.log").string() << " (stop it: kill "
           << started.pid << "; on a devnet `metanode up` stops and starts it with the validators)\n";
  }
  if (plan.fleet_file.empty()) return {};
  MN_TRY_ASSIGN(const bool added,
                bpci::FleetConfig::add_to_file(plan.fleet_file, {bundle.name, bundle.api_url(), bundle.dir / "node.log"}));
  if (added) io.out << "fleet: added to " << plan.fleet_file.string() << " (the console shows it)\n";
  return {};
}

std::optional<std::uint64_t> height_at(const std::string& api) {
  auto reply = api::http_request(api, "GET", "/health", "", "application/json", std::chrono::milliseconds(1'000));
  if (!reply.ok() || reply->status != 200) return std::nullopt;
  const json doc = json::parse(reply->body, nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  return doc.value("height", std::uint64_t{0});
}

// Until the new node's height reaches the validators' (within a block) or the timeout.
core::Status follow(Io& io, const bpci::Bundle& bundle, const std::vector<std::string>& validator_api, std::uint32_t timeout_s) {
  const auto began = std::chrono::steady_clock::now();
  const auto deadline = began + std::chrono::seconds(timeout_s);
  std::uint64_t target = 0;
  for (const auto& api : validator_api) target = std::max(target, height_at(api).value_or(0));
  const bool tty = ::isatty(STDOUT_FILENO) != 0;
  auto last_print = began - std::chrono::hours(1);
  for (;;) {
    std::uint64_t network = 0;
    for (const auto& api : validator_api) network = std::max(network, height_at(api).value_or(0));
    const auto mine = height_at(bundle.api_url());
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - began).count();
    if (mine && *mine >= target && *mine + 1 >= network && *mine > 0) {
      io.out << (tty ? "\r\033[K" : "") << fmt::format("caught up: height {} (validators at {}) in {:.1f} s; it follows the chain\n",
                                                       *mine, network, elapsed);
      return {};
    }
    if (now > deadline) {
      if (tty) io.out << "\n";
      return core::make_error(core::ErrorCode::kIo,
                              fmt::format("the node did not catch up in {} s (height {}, validators at {}); see {}", timeout_s,
                                          mine ? std::to_string(*mine) : std::string("unknown: its API does not answer"),
                                          network, (bundle.dir / "node.log").string()));
    }
    const std::string line = mine ? fmt::format("following: height {} of {} ({:.0f} s)", *mine, network, elapsed)
                                  : fmt::format("following: waiting for its API at {} ({:.0f} s)", bundle.api_url(), elapsed);
    if (tty) {
      io.out << "\r" << line << "\033[K" << std::flush;
    } else if (now - last_print >= std::chrono::seconds(2)) {
      io.out << line << "\n" << std::flush;
      last_print = now;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

int run_install(Io& io, InstallOptions opts) {
  auto plan = make_plan(opts);
  if (!plan.ok()) return fail(io, plan.error());
  auto genesis = ledger::Genesis::load(plan->genesis_file);
  if (!genesis.ok()) return fail(io, genesis.error());
  auto validators = bpci::discover_validators(plan->members, *genesis, bpci::http_fetch(std::chrono::milliseconds(2'000)));
  if (!validators.ok()) return fail(io, validators.error());
  io.out << "install: full node '" << plan->name << "' for chain " << genesis->chain_id << "; it links to "
         << validators->size() << " validator(s):";
  for (const auto& v : *validators) io.out << " " << v.name << " (" << v.host << ":" << v.xtmp_port << ")";
  io.out << "\n";

  bpci::BundleRequest request;
  request.name = plan->name;
  request.host = opts.host;
  request.port_base = plan->port_base;
  request.dir = plan->dir;
  request.genesis_file = plan->genesis_file;
  request.validators = *validators;
  request.install_path = opts.install_path;
  auto bundle = bpci::write_bundle(request);
  if (!bundle.ok()) return fail(io, bundle.error());
  io.out << "bundle: " << bundle->dir.string() << " (config.toml, genesis.json, keys/, passphrase, metanode-" << bundle->name
         << ".service, INSTALL.txt)\n"
         << "  key " << bundle->key.to_hex() << ", address " << bundle->address.to_string() << "\n"
         << "  API " << bundle->api_url() << ", XTMP " << bundle->host << ":" << bundle->port_base + 4 << "\n\n"
         << bundle->commands << "\n";

  const auto apis = validator_apis(*plan, *validators);
  if (!opts.no_propose) {
    if (opts.home.empty()) {
      return fail(io, invalid("--home: the home whose key store holds the council key --from (or --no-propose)"));
    }
    if (!propose_admission(io, opts, apis.front(), *bundle)) return kExitFailed;
  }
  if (!opts.start) {
    io.out << "next: run the commands above on " << bundle->host << "; it links once admitted\n";
    return kExitOk;
  }
  if (!bpci::is_local_host(bundle->host)) {
    return fail(io, invalid("--start runs the node on this machine, but --host is " + bundle->host +
                            ": run the commands above there instead"));
  }
  if (auto st = start_here(io, *plan, *bundle); !st.ok()) return fail(io, st.error());
  if (opts.no_follow) return kExitOk;
  if (auto st = follow(io, *bundle, apis, opts.follow_timeout_s); !st.ok()) return fail(io, st.error());
  return kExitOk;
}

}  // namespace

void add_install_command(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  auto o = std::make_shared<InstallOptions>();
  CLI::App* cmd = app.add_subcommand(
      "install",
      "Install a new full node: write its keys and configuration, print the commands (and systemd unit) that start it "
      "on its host, propose its admission (the governance role 'node'), and on this host start it and follow it until "
      "it has caught up. On a devnet: metanode install --devnet DIR --host 127.0.0.1");
  cmd->add_option("--host", o->host, "Host the node runs on: its API and XTMP listen there")->required();
  cmd->add_option("--dir", o->dir, "Directory for the node's bundle (new or empty; default on a devnet: DIR/full-K)");
  cmd->add_option("--name", o->name, "Node name: the unit is metanode-NAME (default full-K)");
  cmd->add_option("--port-base", o->port_base, "API on base+1, XTMP on base+4 (default 9000; on a devnet the next free)");
  cmd->add_option("--devnet", o->devnet, "A devnet made by `metanode up`: its validators, council keys, and start here");
  cmd->add_option("--fleet", o->fleet, "A fleet file (metanode bpci --fleet): its nodes and genesis");
  cmd->add_option("--node", o->nodes, "A validator's API URL (repeat for each)");
  cmd->add_option("--genesis", o->genesis, "The chain's genesis file (with --node)");
  cmd->add_option("--home", o->home, "Home whose key store holds the council keys (default on a devnet: DIR/node0)");
  cmd->add_option("--from", o->from, "Council key that proposes the admission")->capture_default_str();
  cmd->add_option("--approve-with", o->approve_with, "Council keys that approve it too (default on a devnet: council-2)");
  cmd->add_option("--passphrase-file", o->passphrase_file, "Passphrase of the council keys (default HOME/passphrase)");
  cmd->add_flag("--no-propose", o->no_propose, "Write the bundle only; a council member proposes the admission");
  cmd->add_flag("--start", o->start, "Start the node on this machine (--host must be local; the default on a devnet)");
  cmd->add_flag("--no-start", o->no_start, "On a devnet: do not start it");
  cmd->add_flag("--no-follow", o->no_follow, "Do not wait for it to catch up");
  cmd->add_option("--follow-timeout-s", o->follow_timeout_s, "How long to wait for it to catch up")->capture_default_str();
  cmd->add_option("--install-path", o->install_path, "Where the bundle goes on the host (default /var/lib/metanode/NAME)");
  cmd->callback([&io, &dispatch, o] { dispatch = [&io, o] { return run_install(io, *o); }; });
}

}  // namespace metanode::cli
