#include "cli/bpci_command.hpp"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <ostream>
#include <string>

#include "bpci/console_service.hpp"

namespace metanode::cli {
namespace {

struct BpciCommandOptions {
  std::string fleet_file;
  bpci::BpciOptions bpci;
  std::string web_dir;
  std::uint32_t poll_interval_ms = 1'000;
};

int run_bpci(Io& io, const BpciCommandOptions& opts) {
  auto fleet = bpci::FleetConfig::load(opts.fleet_file);
  if (!fleet.ok()) return fail(io, fleet.error());
  bpci::BpciOptions options = opts.bpci;
  options.web_dir = opts.web_dir;
  options.poll_interval = std::chrono::milliseconds(opts.poll_interval_ms);
  options.fleet_file = std::filesystem::absolute(opts.fleet_file);
  const std::size_t node_count = fleet->nodes.size();
  auto server = bpci::Bpci::open(std::move(fleet).value(), options);
  if (!server.ok()) return fail(io, server.error());
  // Block the stop signals in every thread; this one waits for them below.
  const sigset_t stop_signals = block_stop_signals();
  if (auto st = (*server)->start(); !st.ok()) return fail(io, st.error());
  io.out << "BPCI console: http://" << options.listen_address << ":" << (*server)->port() << "/  (" << node_count
         << " nodes, chain " << (*server)->fleet().genesis().chain_id << ")" << std::endl;
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("bpci: stopping (signal {})", signal_number);
  (*server)->stop();
  return kExitOk;
}

}  // namespace

void add_bpci_command(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  auto opts = std::make_shared<BpciCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bpci", "Run BPCI Enterprise: the web console and control-plane API over a fleet of nodes, until Ctrl-C");
  cmd->footer(
      "The fleet file (TOML) names the genesis the nodes must serve and each node's API:\n"
      "  genesis = \"genesis.json\"\n"
      "  [[nodes]]\n"
      "  name = \"validator-0\"\n"
      "  api = \"http://127.0.0.1:9001\"\n"
      "  log = \"node0/node.log\"      # optional: its log file, if readable here (the console's log tail)\n"
      "`metanode up` writes one (DIR/fleet.toml) and starts BPCI with the devnet. BPCI reads the nodes only through\n"
      "their public APIs, so it can run on any host; a node that does not answer is shown down, with why.");
  cmd->add_option("--fleet", opts->fleet_file, "Fleet file (TOML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--listen", opts->bpci.listen_address, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", opts->bpci.port, "Port (0: any free port)")->capture_default_str();
  cmd->add_option("--web", opts->web_dir, "The console's built files (default: next to the binary, else web/dist)");
  cmd->add_option("--install-dir", opts->bpci.install_dir,
                  "Where the installer page writes new nodes' bundles (default: the fleet file's directory)");
  cmd->add_flag("--allow-local-start", opts->bpci.allow_local_start,
                "Let the installer page start new nodes on this host (`metanode up` sets it for its devnet)");
  cmd->add_option("--poll-interval-ms", opts->poll_interval_ms, "How often each node is polled")
      ->capture_default_str()
      ->check(CLI::Range(100, 60'000));
  cmd->callback([&io, &dispatch, opts] { dispatch = [&io, opts] { return run_bpci(io, *opts); }; });
}

}  // namespace metanode::cli
