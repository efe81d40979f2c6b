#include "cli/bpci_command.hpp"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>

#include "bpci/console_service.hpp"
#include "cli/passphrase.hpp"
#include "core/clock.hpp"
#include "crypto/keystore.hpp"
#include "crypto/random.hpp"
#include "ledger/audit_proofs.hpp"

namespace metanode::cli {
namespace {

namespace fs = std::filesystem;

struct BpciCommandOptions {
  std::string fleet_file;
  bpci::BpciOptions bpci;
  std::string web_dir;
  std::string data_dir;
  PassphraseSource passphrase;
  std::uint32_t poll_interval_ms = 1'000;
  std::uint32_t anchor_interval_s = 30;
  std::uint32_t checkpoint_interval_ms = 10'000;
};

constexpr std::string_view kBpciKey = "bpci";

// BPCI's key (DATA/keys/bpci), made on the first start when there is none: the passphrase is
// --passphrase-file, else DATA/passphrase (written, mode 0600, with a new random passphrase when
// missing and the key is new).
core::Result<crypto::HybridKeyPair> bpci_key(Io& io, const fs::path& data_dir, PassphraseSource source,
                                             const ledger::Genesis& genesis) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return core::make_error(core::ErrorCode::kIo, "cannot create " + data_dir.string() + ": " + ec.message());
  crypto::Keystore store(data_dir / "keys");
  const bool exists = store.info(kBpciKey).ok();
  if (source.file.empty()) source.file = (data_dir / "passphrase").string();
  if (!exists && !fs::exists(source.file)) {
    std::ofstream out(source.file, std::ios::trunc);
    out << core::to_hex(crypto::random_array<16>()) << "\n";
    if (!out.flush()) return core::make_error(core::ErrorCode::kIo, "cannot write " + source.file);
    ::chmod(source.file.c_str(), 0600);
  }
  MN_TRY_ASSIGN(const std::string passphrase, read_passphrase(source, io, false));
  if (!exists) {
    MN_TRY_ASSIGN(const auto info, store.create(kBpciKey, passphrase, core::SystemClock().now_unix_ms()));
    io.out << "created BPCI's key " << info.address.to_string() << " in " << store.dir().string() << std::endl;
  }
  MN_TRY_ASSIGN(const crypto::KeySecrets secrets, store.unlock(kBpciKey, passphrase));
  crypto::HybridKeyPair key = secrets.hybrid();
  // Say so when the chain does not know this key: its checkpoints then verify for nobody.
  MN_TRY_ASSIGN(const auto logs, ledger::registered_audit_logs(genesis));
  const bool registered = std::any_of(logs.begin(), logs.end(), [&](const ledger::AuditLogKey& l) {
    return l.ed25519_public_key == key.ed25519().public_key() && l.mldsa_public_key == key.mldsa().public_key();
  });
  if (!registered) {
    ledger::AuditLogKey entry{"bpci", key.ed25519().public_key(), key.mldsa().public_key()};
    spdlog::warn("bpci: the genesis does not register this BPCI's audit log key, so `audit verify` cannot check its "
                 "log; a chain's genesis registers it as modules.audit = {} (`metanode up` does)",
                 ledger::audit_logs_section({entry}).dump());
  }
  return key;
}

int run_bpci(Io& io, const BpciCommandOptions& opts) {
  auto fleet = bpci::FleetConfig::load(opts.fleet_file);
  if (!fleet.ok()) return fail(io, fleet.error());
  auto genesis = ledger::Genesis::load(fleet->genesis_file);
  if (!genesis.ok()) return fail(io, genesis.error());
  bpci::BpciOptions options = opts.bpci;
  options.web_dir = opts.web_dir;
  options.poll_interval = std::chrono::milliseconds(opts.poll_interval_ms);
  options.fleet_file = fs::absolute(opts.fleet_file);
  options.data_dir = opts.data_dir.empty() ? options.fleet_file.parent_path() / "bpci" : fs::absolute(opts.data_dir);
  options.anchor_interval = std::chrono::seconds(opts.anchor_interval_s);
  options.checkpoint_interval = std::chrono::milliseconds(opts.checkpoint_interval_ms);
  {
    std::ifstream in(options.fleet_file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    options.config_digest = core::hash(core::Domain::ConfigFile, core::as_bytes(text.str()));
  }
  auto key = bpci_key(io, options.data_dir, opts.passphrase, *genesis);
  if (!key.ok()) return fail(io, key.error());
  options.key.emplace(std::move(key).value());
  const std::size_t node_count = fleet->nodes.size();
  auto server = bpci::Bpci::open(std::move(fleet).value(), options);
  if (!server.ok()) return fail(io, server.error());
  // Block the stop signals in every thread; this one waits for them below.
  const sigset_t stop_signals = block_stop_signals();
  if (auto st = (*server)->start(); !st.ok()) return fail(io, st.error());
  io.out << "BPCI console: http://" << options.listen_address << ":" << (*server)->port() << "/  (" << node_count
         << " nodes, chain " << (*server)->fleet().genesis().chain_id << ")\n"
         << "  audit log " << (*server)->audit_origin() << " in " << options.data_dir.string() << std::endl;
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
      "their public APIs, so it can run on any host; a node that does not answer is shown down, with why.\n"
      "Every decision of BPCI's Cage goes to its own audit log (--data-dir) before it is answered; the log's\n"
      "checkpoints are signed with BPCI's key and anchored on chain, and `metanode audit verify --node\n"
      "http://HOST:PORT/bpci` checks it when the genesis registers that key (modules.audit.logs).");
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
  cmd->add_option("--data-dir", opts->data_dir,
                  "BPCI's audit log and key (default: the fleet file's directory/bpci; the key is made on first start)");
  cmd->add_option("--passphrase-file", opts->passphrase.file,
                  "The passphrase of BPCI's key (default: DATA/passphrase, else METANODE_PASSPHRASE, else a prompt)");
  cmd->add_option("--anchor-interval-s", opts->anchor_interval_s,
                  "How often BPCI anchors its audit log's newest checkpoint on chain through a node (0: never)")
      ->capture_default_str()
      ->check(CLI::Range(0, 86'400));
  cmd->add_option("--checkpoint-interval-ms", opts->checkpoint_interval_ms,
                  "A signed checkpoint of BPCI's audit log this long after the last one with new events")
      ->capture_default_str()
      ->check(CLI::Range(100, 3'600'000));
  cmd->callback([&io, &dispatch, opts] { dispatch = [&io, opts] { return run_bpci(io, *opts); }; });
}

}  // namespace metanode::cli
