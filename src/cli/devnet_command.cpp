#include "cli/devnet_command.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <thread>

#include "api/http/http_client.hpp"
#include "bpci/fleet.hpp"
#include "bpci/process.hpp"
#include "cli/node_commands.hpp"
#include "cli/request_signer.hpp"
#include "core/clock.hpp"
#include "crypto/keystore.hpp"
#include "crypto/random.hpp"
#include "ledger/audit_proofs.hpp"
#include "ledger/genesis.hpp"
#include "modules/audit/audit.hpp"
#include "modules/governance/governance.hpp"
#include "node/config.hpp"

namespace metanode::cli {
namespace {

using bpci::running_pid;
using bpci::self_executable;
using bpci::spawn;
using bpci::spawn_node;

namespace fs = std::filesystem;

struct UpOptions {
  std::size_t validators = 4;
  std::string consensus = "ibft";
  std::string dir = "./devnet";
  std::uint16_t port_base = 9000;
  std::uint64_t dev_balance = 1'000'000'000'000'000ull;
  std::string log_level = "info";
  bool init_only = false;
  std::uint32_t status_interval_ms = 1000;
  int console_port = -1;  // -1: 8080 with the default port base, else port base + 80
  bool no_console = false;
};

// BPCI's port for a devnet: 8080 with the default port base (the seed's), else port base + 80, so
// two devnets (or a test's) on their own port bases never take each other's console port.
std::uint16_t console_port_of(const UpOptions& opts) {
  if (opts.console_port >= 0) return static_cast<std::uint16_t>(opts.console_port);
  return opts.port_base == 9000 ? 8080 : static_cast<std::uint16_t>(opts.port_base + 80);
}

// Each council member's genesis balance: enough for a lifetime of governance fees.
constexpr std::uint64_t kCouncilMemberBalance = 1'000'000'000;

fs::path node_dir(const fs::path& root, std::size_t i) { return root / ("node" + std::to_string(i)); }

std::uint16_t port_base_of(const UpOptions& opts, std::size_t i) {
  return static_cast<std::uint16_t>(opts.port_base + 100 * i);
}

// Keys, genesis and one config per validator, on the first run.
core::Status create_devnet(Io& io, const UpOptions& opts, const fs::path& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return core::make_error(core::ErrorCode::kIo, "cannot create " + root.string() + ": " + ec.message());
  // One generated passphrase protects every key of the devnet; each node home holds a copy
  // (mode 0600), which the CLI finds with --home.
  const std::string passphrase = core::to_hex(crypto::random_array<16>());
  for (std::size_t i = 0; i < opts.validators; ++i) {
    fs::create_directories(node_dir(root, i), ec);
    const fs::path file = node_dir(root, i) / "passphrase";
    std::ofstream out(file, std::ios::trunc);
    out << passphrase << "\n";
    if (!out.flush()) return core::make_error(core::ErrorCode::kIo, "cannot write " + file.string());
    ::chmod(file.c_str(), 0600);
  }

  const std::int64_t now = core::SystemClock().now_unix_ms();
  ledger::Genesis genesis;
  genesis.chain_id = "metanode-devnet";
  genesis.genesis_time_unix_ms = now;
  genesis.consensus = opts.consensus;
  std::vector<std::string> peers;
  for (std::size_t i = 0; i < opts.validators; ++i) {
    crypto::Keystore store(node_dir(root, i) / "keys");
    io.out << "  creating validator " << i << " key…" << std::endl;
    MN_TRY_ASSIGN(auto key, store.create("validator", passphrase, now));
    genesis.validators.push_back({"validator-" + std::to_string(i), key.ed25519_public_key, key.mldsa_public_key});
    genesis.accounts.push_back({key.address, kValidatorGenesisBalance});
    peers.push_back(key.ed25519_public_key.to_hex() + "@127.0.0.1:" + std::to_string(port_base_of(opts, i) + 4));
  }
  // The funded account lives in node 0's key store: `metanode tx … --home DIR/node0`.
  crypto::Keystore store0(node_dir(root, 0) / "keys");
  MN_TRY_ASSIGN(auto dev, store0.create("dev", passphrase, now));
  genesis.accounts.push_back({dev.address, opts.dev_balance});
  // The admin council: three keys in node 0's key store, two of which must approve a role change.
  // Its members hold `admin`, the validators `validator`, the dev key `user`; each member is funded
  // for fees.
  modules::GovGenesis gov;
  gov.council.threshold = 2;
  for (int k = 1; k <= 3; ++k) {
    MN_TRY_ASSIGN(auto member, store0.create("council-" + std::to_string(k), passphrase, now));
    gov.council.members.push_back(member.address);
    gov.grants.push_back({member.address, {std::string(modules::kRoleAdmin)}});
    genesis.accounts.push_back({member.address, kCouncilMemberBalance});
  }
  std::sort(gov.council.members.begin(), gov.council.members.end());
  // The validators are the devnet's oracle operators too: a feed the council creates gets rounds
  // without further grants (a production chain grants role oracle by proposal).
  for (const auto& v : genesis.validators) {
    gov.grants.push_back({crypto::Address::from_public_key(v.ed25519_public_key),
                          {std::string(modules::kRoleOracle), std::string(modules::kRoleValidator)}});
  }
  gov.grants.push_back({dev.address, {std::string(modules::kRoleUser)}});
  genesis.modules[std::string(modules::kGovModule)] = gov.to_json().dump();
  // BPCI's key (DIR/bpci, where `metanode bpci` looks by default): the genesis registers its
  // audit log, and funds it for the anchors' fees.
  {
    fs::create_directories(root / "bpci", ec);
    const fs::path file = root / "bpci" / "passphrase";
    std::ofstream out(file, std::ios::trunc);
    out << passphrase << "\n";
    if (!out.flush()) return core::make_error(core::ErrorCode::kIo, "cannot write " + file.string());
    ::chmod(file.c_str(), 0600);
    crypto::Keystore bpci_store(root / "bpci" / "keys");
    MN_TRY_ASSIGN(auto bpci, bpci_store.create("bpci", passphrase, now));
    genesis.modules[std::string(modules::kAuditModule)] =
        ledger::audit_logs_section({{"bpci", bpci.ed25519_public_key, bpci.mldsa_public_key}}).dump();
    genesis.accounts.push_back({bpci.address, kValidatorGenesisBalance});
  }
  MN_TRY(genesis.validate());
  MN_TRY(genesis.save(root / "genesis.json"));
  for (std::size_t i = 0; i < opts.validators; ++i) {
    node::NodeConfig config;
    config.genesis_file = "../genesis.json";
    config.passphrase_file = "passphrase";
    config.port_base = port_base_of(opts, i);
    config.peers = peers;
    std::ofstream out(node_dir(root, i) / "config.toml", std::ios::trunc);
    out << config.to_toml();
    if (!out.flush()) return core::make_error(core::ErrorCode::kIo, "cannot write config.toml of node " + std::to_string(i));
  }
  io.out << "created a " << opts.validators << "-validator " << opts.consensus << " devnet in " << root.string()
         << " (dev key: " << dev.address.to_string() << ")\n"
         << "  admin council: 2 of 3, keys council-1, council-2, council-3 in " << (node_dir(root, 0) / "keys").string()
         << "\n  (try: metanode gov roles --home " << node_dir(root, 0).string()
         << "; metanode gov propose grant --role auditor --to ADDR --from council-1 --home " << node_dir(root, 0).string()
         << ")\n";
  return {};
}

// Checks that an existing devnet matches what was asked for.
core::Result<ledger::Genesis> existing_devnet(const UpOptions& opts, const fs::path& root, bool consensus_given) {
  MN_TRY_ASSIGN(auto genesis, ledger::Genesis::load(root / "genesis.json"));
  if (genesis.validators.size() != opts.validators) {
    return core::make_error(core::ErrorCode::kInvalidArgument,
                            root.string() + " holds a devnet of " + std::to_string(genesis.validators.size()) +
                                " validators; pass --validators " + std::to_string(genesis.validators.size()) +
                                " or use another --dir");
  }
  if (consensus_given && genesis.consensus != opts.consensus) {
    return core::make_error(core::ErrorCode::kInvalidArgument,
                            root.string() + " runs " + genesis.consensus + "; use another --dir for " + opts.consensus);
  }
  for (std::size_t i = 0; i < opts.validators; ++i) {
    if (!fs::exists(node_dir(root, i) / "config.toml")) {
      return core::make_error(core::ErrorCode::kNotFound, (node_dir(root, i) / "config.toml").string() + " is missing");
    }
  }
  return genesis;
}

struct Child {
  pid_t pid = -1;
  bool running = false;
  int exit_status = 0;
  bool adopted = false;  // a full node `metanode install` started: not our child, stopped by pid
};

// Full nodes `metanode install --devnet` added: DIR/full-K/ with a config.toml, by name.
std::vector<fs::path> full_node_dirs(const fs::path& root) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (entry.path().filename().string().rfind("full-", 0) == 0 && fs::exists(entry.path() / "config.toml")) {
      dirs.push_back(entry.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

// Starts the devnet's full nodes with it (or adopts one `metanode install` started and left running).
std::vector<Child> start_full_nodes(Io& io, const fs::path& self, const fs::path& root, const std::string& log_level) {
  std::vector<Child> full;
  for (const auto& dir : full_node_dirs(root)) {
    auto started = bpci::start_node_once(self, dir, log_level, /*detached=*/false);
    if (!started.ok()) {
      io.out << dir.filename().string() << " did not start: " << started.error().message << std::endl;
      continue;
    }
    full.push_back(Child{started->pid, true, 0, started->already_running});
  }
  return full;
}

// Writes DIR/fleet.toml (every node's API, the genesis) and starts BPCI on it.
core::Result<pid_t> spawn_console(const fs::path& self, const fs::path& root, const std::vector<std::uint16_t>& api_ports,
                                  std::uint16_t port) {
  bpci::FleetConfig fleet;
  fleet.genesis_file = "genesis.json";
  for (std::size_t i = 0; i < api_ports.size(); ++i) {
    fleet.nodes.push_back({"validator-" + std::to_string(i), "http://127.0.0.1:" + std::to_string(api_ports[i]),
                           fs::path("node" + std::to_string(i)) / "node.log"});
  }
  for (const auto& dir : full_node_dirs(root)) {
    MN_TRY_ASSIGN(const auto config, node::NodeConfig::load(dir / "config.toml"));
    fleet.nodes.push_back({dir.filename().string(), "http://127.0.0.1:" + std::to_string(config.port_base + 1),
                           fs::path(dir.filename()) / "node.log"});
  }
  {
    std::ofstream out(root / "fleet.toml", std::ios::trunc);
    out << fleet.to_toml();
    if (!out) return core::make_error(core::ErrorCode::kIo, "cannot write " + (root / "fleet.toml").string());
  }
  return spawn(self, {"bpci", "--fleet", (root / "fleet.toml").string(), "--port", std::to_string(port), "--allow-local-start"},
               root / "bpci.log");
}

// The few numbers the status line shows, from a node's /metrics.
struct NodeMetrics {
  bool up = false;
  std::uint64_t height = 0;
  std::uint64_t txs_committed = 0;
  std::uint64_t peers = 0;
  std::uint64_t round = 0;
};

NodeMetrics read_metrics(std::uint16_t api_port) {
  NodeMetrics m;
  auto reply = http_request("http://127.0.0.1:" + std::to_string(api_port), "GET", "/metrics", "", "application/json",
                            std::chrono::milliseconds(500));
  if (!reply.ok() || reply->status != 200) return m;
  m.up = true;
  std::istringstream in(reply->body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name;
    double value = 0;
    if (!(fields >> name >> value)) continue;
    const auto v = static_cast<std::uint64_t>(value);
    if (name == "metanode_block_height") m.height = v;
    if (name == "metanode_txs_committed_total") m.txs_committed = v;
    if (name == "metanode_peers_connected") m.peers = v;
    if (name == "metanode_consensus_round") m.round = v;
  }
  return m;
}

// Creates the devnet's files on the first run, or checks them when resuming (the devnet's own
// size unless one was asked for).
core::Status prepare_devnet(Io& io, UpOptions& opts, const fs::path& root, bool consensus_given, bool validators_given) {
  if (!validators_given && fs::exists(root / "genesis.json")) {
    MN_TRY_ASSIGN(const ledger::Genesis genesis, ledger::Genesis::load(root / "genesis.json"));
    opts.validators = genesis.validators.size();
  }
  if (!fs::exists(root / "genesis.json")) {
    if (fs::exists(node_dir(root, 0))) {
      return core::make_error(core::ErrorCode::kAlreadyExists,
                              node_dir(root, 0).string() + " exists but " + (root / "genesis.json").string() +
                                  " does not: not a devnet made by `metanode up`; use another --dir");
    }
    return create_devnet(io, opts, root);
  }
  MN_TRY_ASSIGN(const auto existing, existing_devnet(opts, root, consensus_given));
  io.out << "resuming the " << opts.validators << "-validator " << existing.consensus << " devnet in " << root.string()
         << "\n";
  return {};
}

// Prints where everything listens; the nodes' API ports.
core::Result<std::vector<std::uint16_t>> print_endpoints(Io& io, const UpOptions& opts, const fs::path& root) {
  std::vector<std::uint16_t> api_ports;
  for (std::size_t i = 0; i < opts.validators; ++i) {
    MN_TRY_ASSIGN(const auto config, node::NodeConfig::load(node_dir(root, i) / "config.toml"));
    api_ports.push_back(static_cast<std::uint16_t>(config.port_base + 1));
    io.out << "  node " << i << "  ledger API http://127.0.0.1:" << config.port_base + 1 << "  events ws://127.0.0.1:"
           << config.port_base + 1 << "/v1/events  XTMP 127.0.0.1:" << config.port_base + 4 << "  log "
           << (node_dir(root, i) / "node.log").string() << "\n";
  }
  for (const auto& dir : full_node_dirs(root)) {
    MN_TRY_ASSIGN(const auto config, node::NodeConfig::load(dir / "config.toml"));
    io.out << "  " << dir.filename().string() << "  full node, ledger API http://127.0.0.1:" << config.port_base + 1
           << "  log " << (dir / "node.log").string() << "\n";
  }
  if (!opts.no_console) {
    io.out << "  console  http://127.0.0.1:" << console_port_of(opts) << "/  (BPCI; fleet file "
           << (root / "fleet.toml").string() << ", log " << (root / "bpci.log").string() << ")\n";
  }
  io.out << "  dev key  --home " << node_dir(root, 0).string() << " (try: metanode bench --home "
         << node_dir(root, 0).string() << ")\n"
         << "Ctrl-C stops every node." << std::endl;
  return api_ports;
}

// Notes children that exited since the last look (a node, or the console).
void reap_exited(Io& io, std::vector<Child>& nodes, Child& console, const fs::path& root, bool tty) {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    Child& c = nodes[i];
    int status = 0;
    if (!c.running || ::waitpid(c.pid, &status, WNOHANG) != c.pid) continue;
    c.running = false;
    c.exit_status = status;
    io.out << (tty ? "\n" : "") << "node " << i << " exited ("
           << (WIFEXITED(status) ? "status " + std::to_string(WEXITSTATUS(status)) : "signal " + std::to_string(WTERMSIG(status)))
           << "); see " << (node_dir(root, i) / "node.log").string() << std::endl;
  }
  if (int status = 0; console.running && ::waitpid(console.pid, &status, WNOHANG) == console.pid) {
    console.running = false;
    io.out << (tty ? "\n" : "") << "the console (BPCI) exited; see " << (root / "bpci.log").string() << std::endl;
  }
}

// The status line, refreshed until a stop signal (SIGINT or SIGTERM, blocked by the caller).
// Full nodes `metanode install` (or the console's installer) started while the devnet runs, not
// known yet: adopted, so Ctrl-C stops them with the rest.
// Answers every full node's API port, for the status line.
std::vector<std::uint16_t> adopt_full_nodes(const fs::path& root, std::vector<Child>& full) {
  std::vector<std::uint16_t> api_ports;
  for (const auto& dir : full_node_dirs(root)) {
    if (auto config = node::NodeConfig::load(dir / "config.toml"); config.ok()) {
      api_ports.push_back(static_cast<std::uint16_t>(config->port_base + 1));
    }
    const auto running = running_pid(dir / "node.pid", dir / "config.toml");
    if (running && std::none_of(full.begin(), full.end(), [&](const Child& c) { return c.pid == *running; })) {
      full.push_back(Child{*running, true, 0, true});
    }
  }
  return api_ports;
}

// Full nodes are looked for at each refresh (adopt_full_nodes).
void show_status_until_stopped(Io& io, const UpOptions& opts, const fs::path& root, const std::vector<std::uint16_t>& api_ports,
                               std::vector<Child>& nodes, std::vector<Child>& full, Child& console,
                               const sigset_t& stop_signals, bool tty) {
  std::vector<std::uint16_t> full_ports;
  std::uint64_t last_txs = 0;
  auto last_time = std::chrono::steady_clock::now();
  auto last_print = last_time - std::chrono::hours(1);
  for (;;) {
    timespec wait{0, static_cast<long>(opts.status_interval_ms) * 1'000'000L};
    if (opts.status_interval_ms >= 1000) wait = {static_cast<time_t>(opts.status_interval_ms / 1000), 0};
    if (sigtimedwait(&stop_signals, nullptr, &wait) > 0) return;
    reap_exited(io, nodes, console, root, tty);
    full_ports = adopt_full_nodes(root, full);
    std::uint64_t height = 0;
    std::uint64_t txs = 0;
    std::uint64_t round = 0;
    std::ostringstream peers;
    std::size_t up = 0;
    for (std::size_t i = 0; i < api_ports.size(); ++i) {
      const NodeMetrics m = read_metrics(api_ports[i]);
      if (m.up) {
        ++up;
        height = std::max(height, m.height);
        txs = std::max(txs, m.txs_committed);
        round = std::max(round, m.round);
      }
      peers << (i ? " " : "") << (m.up ? std::to_string(m.peers) : "-");
    }
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - last_time).count();
    const double tps = seconds > 0 && txs >= last_txs ? static_cast<double>(txs - last_txs) / seconds : 0.0;
    last_txs = txs;
    last_time = now;
    std::ostringstream line;
    line << "height " << height << " | " << std::fixed << std::setprecision(0) << tps << " tx/s | round " << round
         << " | nodes up " << up << "/" << nodes.size() << " | peers " << peers.str();
    if (!full_ports.empty()) {
      std::size_t full_up = 0;
      std::uint64_t full_height = 0;
      for (const auto port : full_ports) {
        const NodeMetrics m = read_metrics(port);
        full_up += m.up ? 1 : 0;
        full_height = std::max(full_height, m.height);
      }
      line << " | full nodes up " << full_up << "/" << full_ports.size() << " at " << full_height;
    }
    if (tty) {
      io.out << "\r" << line.str() << "\033[K" << std::flush;
    } else if (now - last_print >= std::chrono::seconds(5)) {
      io.out << line.str() << std::endl;
      last_print = now;
    }
  }
}

// SIGTERM to the console, the full nodes and every validator; a node that has not stopped within
// 15 s is killed.
void stop_children(Io& io, std::vector<Child>& nodes, std::vector<Child>& full, Child& console) {
  if (console.running) ::kill(console.pid, SIGTERM);
  for (auto* list : {&full, &nodes}) {
    for (auto& c : *list) {
      if (c.running) ::kill(c.pid, SIGTERM);
    }
  }
  const auto full_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (auto& c : full) {
    while (c.running) {
      int status = 0;
      const bool gone = c.adopted ? ::kill(c.pid, 0) != 0 : ::waitpid(c.pid, &status, WNOHANG) != 0;
      if (gone) {
        c.running = false;
        break;
      }
      if (std::chrono::steady_clock::now() > full_deadline) {
        ::kill(c.pid, SIGKILL);
        if (!c.adopted) ::waitpid(c.pid, &status, 0);
        c.running = false;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    Child& c = nodes[i];
    while (c.running) {
      int status = 0;
      const pid_t r = ::waitpid(c.pid, &status, WNOHANG);
      if (r == c.pid || r < 0) {
        c.running = false;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        io.out << "node " << i << " did not stop in 15 s: killed" << std::endl;
        ::kill(c.pid, SIGKILL);
        ::waitpid(c.pid, &status, 0);
        c.running = false;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (console.running) {
    int status = 0;
    ::waitpid(console.pid, &status, 0);
    console.running = false;
  }
}

// The devnet's life in order: create or resume, start every node and the console, status lines
// until Ctrl-C, stop.
int run_up(Io& io, UpOptions opts, bool consensus_given, bool validators_given) {
  if (opts.validators < 1 || opts.validators > 64) {
    return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, "--validators must be 1..64"));
  }
  if (static_cast<std::size_t>(opts.port_base) + 100 * opts.validators + 10 > 65535) {
    return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, "--port-base too high for that many validators"));
  }
  const fs::path root = fs::absolute(opts.dir);
  if (auto st = prepare_devnet(io, opts, root, consensus_given, validators_given); !st.ok()) return fail(io, st.error());
  if (opts.init_only) return kExitOk;
  auto api_ports = print_endpoints(io, opts, root);
  if (!api_ports.ok()) return fail(io, api_ports.error());

  const sigset_t stop_signals = block_stop_signals();

  const auto self_exe = self_executable();
  if (!self_exe.ok()) return fail(io, self_exe.error());
  const fs::path& self = *self_exe;
  std::vector<Child> nodes(opts.validators);
  Child console;
  for (std::size_t i = 0; i < opts.validators; ++i) {
    auto pid = spawn_node(self, node_dir(root, i), opts.log_level);
    if (!pid.ok()) {
      std::vector<Child> none;
      stop_children(io, nodes, none, console);
      return fail(io, pid.error());
    }
    nodes[i] = Child{*pid, true, 0};
  }
  std::vector<Child> full = start_full_nodes(io, self, root, opts.log_level);
  if (!opts.no_console) {
    auto pid = spawn_console(self, root, *api_ports, console_port_of(opts));
    if (pid.ok()) {
      console = Child{*pid, true, 0};
    } else {
      io.out << "the console did not start: " << pid.error().message << std::endl;
    }
  }

  const bool tty = ::isatty(STDOUT_FILENO) != 0;
  show_status_until_stopped(io, opts, root, *api_ports, nodes, full, console, stop_signals, tty);
  adopt_full_nodes(root, full);  // one started since the last refresh
  io.out << (tty ? "\n" : "") << "stopping " << nodes.size() + full.size() << " nodes…" << std::endl;
  stop_children(io, nodes, full, console);
  io.out << "stopped; `metanode up --validators " << opts.validators << " --dir " << opts.dir << "` resumes from disk"
         << std::endl;
  return kExitOk;
}

}  // namespace

void add_devnet_command(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  auto opts = std::make_shared<UpOptions>();
  CLI::App* up = app.add_subcommand(
      "up", "Run a local multi-validator devnet: creates keys, genesis and configs on the first run, starts one node "
            "process per validator, shows a status line, stops them all on Ctrl-C, resumes from disk next time");
  auto* validators = up->add_option("--validators", opts->validators, "Number of validators (1..64; default 4, or the size of the existing devnet)");
  auto* consensus = up->add_option("--consensus", opts->consensus, "Consensus engine of a new devnet")
                        ->check(CLI::IsMember({"ibft", "hotstuff"}))
                        ->capture_default_str();
  up->add_option("--dir", opts->dir, "Devnet directory (node0/, node1/, …, genesis.json)")->capture_default_str();
  up->add_option("--port-base", opts->port_base, "Node i uses port base + 100*i (API +1, XTMP +4)")->capture_default_str();
  up->add_option("--log-level", opts->log_level, "Log level of the nodes (their logs are DIR/nodeI/node.log)")
      ->capture_default_str();
  up->add_option("--status-interval-ms", opts->status_interval_ms, "How often the status line refreshes")
      ->capture_default_str();
  up->add_option("--console-port", opts->console_port,
                 "Port of the web console (BPCI; default 8080 with the default port base, else port base + 80)")
      ->check(CLI::Range(0, 65535));
  up->add_flag("--no-console", opts->no_console, "Do not start the web console (BPCI)");
  up->add_flag("--init-only", opts->init_only, "Create (or check) the devnet files and exit without starting nodes");
  up->callback([&io, &dispatch, opts, consensus, validators] {
    const bool consensus_given = consensus->count() > 0;
    const bool validators_given = validators->count() > 0;
    dispatch = [&io, opts, consensus_given, validators_given] {
      return run_up(io, *opts, consensus_given, validators_given);
    };
  });
}

}  // namespace metanode::cli
