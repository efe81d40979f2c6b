#include "cli/node_commands.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <fstream>
#include <memory>
#include <ostream>
#include <set>

#include "cli/passphrase.hpp"
#include "core/clock.hpp"
#include "crypto/keystore.hpp"
#include "crypto/random.hpp"
#include "ledger/genesis.hpp"
#include "node/validator_sets.hpp"
#include "node/config.hpp"
#include "modules/bank.hpp"
#include "modules/econ/econ.hpp"
#include "modules/governance/governance.hpp"
#include "modules/module_set.hpp"
#include "consensus/finality.hpp"
#include "node/node.hpp"

namespace metanode::cli {

std::optional<pid_t> data_dir_holder(const std::filesystem::path& data) {
  const int fd = ::open((data / "LOCK").c_str(), O_RDWR);
  if (fd < 0) return std::nullopt;
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  const bool held = ::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
  ::close(fd);
  if (!held) return std::nullopt;
  return lock.l_pid;
}

namespace {

namespace fs = std::filesystem;

struct InitOptions {
  std::string dir;
  std::string chain_id = "metanode-devnet";
  std::uint16_t port_base = 9000;
  std::uint32_t block_interval_ms = 1000;
  bool empty_blocks = false;
  std::uint64_t dev_balance = 1'000'000'000'000'000ull;
  PassphraseSource passphrase;
};

int run_init(Io& io, const InitOptions& opts) {
  const fs::path home = fs::absolute(opts.dir);
  if (fs::exists(home / "config.toml")) {
    return fail(io, core::make_error(core::ErrorCode::kAlreadyExists,
                                     (home / "config.toml").string() + " exists; this home is initialised already"));
  }
  std::error_code ec;
  fs::create_directories(home, ec);
  if (ec) return fail(io, core::make_error(core::ErrorCode::kIo, "cannot create " + home.string() + ": " + ec.message()));

  node::NodeConfig config;
  config.config_dir = home;
  config.port_base = opts.port_base;
  config.block_interval_ms = opts.block_interval_ms;
  config.empty_blocks = opts.empty_blocks;

  // The passphrase protecting this home's keys: given, or generated into a 0600 file (devnet).
  std::string passphrase;
  if (!opts.passphrase.file.empty() || io.env("METANODE_PASSPHRASE").has_value()) {
    auto given = read_passphrase(opts.passphrase, io, false);
    if (!given.ok()) return fail(io, given.error());
    passphrase = *given;
    if (!opts.passphrase.file.empty()) config.passphrase_file = fs::absolute(opts.passphrase.file);
  } else {
    passphrase = core::to_hex(crypto::random_array<16>());
    const fs::path file = home / "passphrase";
    std::ofstream out(file, std::ios::trunc);
    out << passphrase << "\n";
    out.close();
    ::chmod(file.c_str(), 0600);
    config.passphrase_file = "passphrase";
  }

  crypto::Keystore store(home / "keys");
  const std::int64_t now = core::SystemClock().now_unix_ms();
  auto validator = store.create("validator", passphrase, now);
  if (!validator.ok()) return fail(io, validator.error());
  auto dev = store.create("dev", passphrase, now);
  if (!dev.ok()) return fail(io, dev.error());

  ledger::Genesis genesis;
  genesis.chain_id = opts.chain_id;
  genesis.genesis_time_unix_ms = now;
  genesis.validators.push_back({"validator-0", validator->ed25519_public_key, validator->mldsa_public_key});
  genesis.accounts.push_back({dev->address, opts.dev_balance});
  genesis.accounts.push_back({validator->address, kValidatorGenesisBalance});
  // For development: the dev key is a 1-of-1 admin council holding every built-in role, so one
  // developer can try every route (and grant roles with a single approval).
  modules::GovGenesis gov;
  gov.council = modules::Council{1, {dev->address}};
  std::vector<std::string> every_role;
  for (std::string_view role : modules::builtin_roles()) every_role.emplace_back(role);
  gov.grants.emplace_back(dev->address, every_role);
  genesis.modules[std::string(modules::kGovModule)] = gov.to_json().dump();
  if (auto st = genesis.validate(); !st.ok()) return fail(io, st.error());
  if (auto st = genesis.save(home / "genesis.json"); !st.ok()) return fail(io, st.error());
  {
    std::ofstream out(home / "config.toml", std::ios::trunc);
    out << config.to_toml();
    if (!out.flush()) return fail(io, core::make_error(core::ErrorCode::kIo, "cannot write config.toml"));
  }
  io.out << "initialised " << home.string() << "\n"
         << "  chain id    " << genesis.chain_id << "\n"
         << "  validator   " << validator->address.to_string() << "\n"
         << "  dev key     " << dev->name << " (funded with " << opts.dev_balance << ")\n"
         << "  address     " << dev->address.to_string() << "\n"
         << "  council     1 of 1: the dev key, holding every built-in role (metanode gov roles)\n"
         << "  config      " << (home / "config.toml").string() << "\n"
         << "  genesis     " << (home / "genesis.json").string() << "\n";
  if (config.passphrase_file == "passphrase") {
    io.out << "  passphrase  " << (home / "passphrase").string() << " (generated, mode 0600)\n";
  }
  io.out << "start it with: metanode node --config " << (home / "config.toml").string() << "\n";
  return kExitOk;
}

struct NodeOptions {
  std::string config_file;
  std::string log_level = "info";
};

int run_node(Io& io, const NodeOptions& opts) {
  auto level = spdlog::level::from_str(opts.log_level);
  spdlog::set_level(level);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  auto config = node::NodeConfig::load(opts.config_file);
  if (!config.ok()) return fail(io, config.error());
  auto genesis = ledger::Genesis::load(config->resolve(config->genesis_file));
  if (!genesis.ok()) return fail(io, genesis.error());
  PassphraseSource source;
  if (!config->passphrase_file.empty()) source.file = config->resolve(config->passphrase_file).string();
  auto passphrase = read_passphrase(source, io, false);
  if (!passphrase.ok()) return fail(io, passphrase.error());
  crypto::Keystore store(config->resolve(config->keystore_dir));
  auto secrets = store.unlock(config->validator_key, *passphrase);
  if (!secrets.ok()) return fail(io, secrets.error());

  // Block the stop signals in every thread; this one waits for them below.
  // SIGUSR1: sent by this process to itself on a fault (below).
  const sigset_t stop_signals = block_stop_signals({SIGUSR1});

  auto node = node::Node::open(*config, *genesis, secrets->hybrid());
  if (!node.ok()) return fail(io, node.error());
  // A fault wakes the wait below, which stops the node and exits with a code that says why.
  const pthread_t main_thread = pthread_self();
  (*node)->set_fault_handler([main_thread](const core::Error&) { pthread_kill(main_thread, SIGUSR1); });
  if (auto st = (*node)->start(); !st.ok()) return fail(io, st.error());
  const auto head = (*node)->chain().head();
  io.out << "metanode node: chain " << genesis->chain_id << " at height " << head.height << " (" << genesis->consensus
         << ", " << genesis->validators.size() << " validators)\n"
         << "  ledger API  http://" << config->listen_address << ":" << (*node)->ledger_port() << "\n"
         << "  events      ws://" << config->listen_address << ":" << (*node)->ledger_port() << "/v1/events\n"
         << "  XTMP        " << config->xtmp_listen << ":" << (*node)->xtmp_port() << " (TLS 1.3 + ML-KEM-768)\n"
         << "  data        " << config->resolve(config->data_dir).string() << "\n"
         << "Ctrl-C stops it." << std::endl;
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  const auto fault = (*node)->fault();
  if (!fault) spdlog::info("stopping (signal {})", signal_number);
  (*node)->stop();
  if (!fault) return kExitOk;
  const bool disk_full = fault->message.find("No space left on device") != std::string::npos;
  fail(io, *fault);
  io.err << (disk_full ? "metanode: the disk is full; the node stopped cleanly and runs again once space is freed\n"
                       : "metanode: the node stopped because it cannot trust its own state; nothing was committed "
                         "from the faulted work. Check the disk, run `metanode verify --config FILE`, and see "
                         "`metanode node --help` for recovering\n");
  return disk_full ? kExitDiskFull : kExitFault;
}

struct VerifyOptions {
  std::string config_file;
};

struct ResetOptions {
  std::string config_file;
  bool force = false;
};

bool data_dir_in_use(const std::filesystem::path& data) { return data_dir_holder(data).has_value(); }

// `metanode reset`: how a validator whose data was damaged (it stopped with exit code 3, or
// refuses to start) is recovered without touching files by hand. The data directory is moved
// aside, never deleted; the node, started again, recreates block 0 from the genesis file and
// syncs every block from its peers, each checked against its commit certificate.
int run_reset(Io& io, const ResetOptions& opts) {
  auto config = node::NodeConfig::load(opts.config_file);
  if (!config.ok()) return fail(io, config.error());
  const std::filesystem::path data = config->resolve(config->data_dir);
  if (!std::filesystem::exists(data)) {
    return fail(io, core::make_error(core::ErrorCode::kNotFound, "no data directory at " + data.string() + ": nothing to reset"));
  }
  if (config->peers.empty() && !opts.force) {
    return fail(io, core::make_error(core::ErrorCode::kInvalidArgument,
                                     "this node has no peers to sync from, so its blocks would be lost with its data "
                                     "directory; restore it from a backup instead (or give --force to move it aside anyway)"));
  }
  if (data_dir_in_use(data)) {
    return fail(io, core::make_error(core::ErrorCode::kInvalidArgument,
                                     "a node is running on " + data.string() + ": stop it first"));
  }
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", std::gmtime(&now));
  const std::filesystem::path moved = data.string() + ".moved-" + stamp;
  std::error_code ec;
  std::filesystem::rename(data, moved, ec);
  if (ec) return fail(io, core::make_error(core::ErrorCode::kIo, "cannot move " + data.string() + ": " + ec.message()));
  io.out << "moved " << data.string() << " to " << moved.string() << "\n"
         << "start the node again: it recreates block 0 from the genesis file and syncs every block from its peers,\n"
         << "checking each against its commit certificate. Delete the moved directory once it has caught up.\n";
  return kExitOk;
}

// Offline audit of a stopped node's data: every stored table block's checksum; every block
// decodes and hashes right, links to its parent, carries a valid commit (a quorum certificate of
// the validators, checked signature by signature); re-executing all of them from genesis gives the
// stored state root, and the stored tree nodes, transaction index and receipts byte for byte.
int run_verify(Io& io, const VerifyOptions& opts) {
  auto config = node::NodeConfig::load(opts.config_file);
  if (!config.ok()) return fail(io, config.error());
  auto genesis = ledger::Genesis::load(config->resolve(config->genesis_file));
  if (!genesis.ok()) return fail(io, genesis.error());
  auto chain = ledger::Chain::open(config->resolve(config->data_dir), *genesis, modules::standard_modules());
  if (!chain.ok()) return fail(io, chain.error());
  const auto head = (*chain)->head();
  io.out << "checking the checksum of every stored table block…" << std::endl;
  if (auto st = (*chain)->db().verify_checksums(); !st.ok()) return fail(io, st.error());
  io.out << "verifying " << head.height << " blocks of " << genesis->chain_id << "…" << std::endl;
  auto validators = consensus::ValidatorSet::create(genesis->validator_keys());
  if (!validators.ok()) return fail(io, validators.error());
  auto block0 = (*chain)->block(0);
  if (!block0.ok() || !block0->has_value()) return fail(io, core::make_error(core::ErrorCode::kBlockCorrupt, "block 0 is missing"));
  // Each height's validator set is the one the chain published (its stored state is checked
  // node by node against the re-execution below, so a doctored set cannot pass).
  const node::ValidatorSets sets(**chain, genesis->validator_keys());
  (*chain)->set_validators_at([&sets](std::uint64_t height) { return sets.keys_at(height); });
  consensus::FinalityChecker finality([&sets](std::uint64_t height) { return sets.at_height(height); },
                                      consensus::consensus_chain_id(genesis->digest()),
                                      std::make_shared<consensus::CachingVerifier>(),
                                      (*block0)->block.header.timestamp_unix_ms);
  auto checked = (*chain)->verify_all([&finality](const ledger::StoredBlock& b) { return finality.check(b); });
  if (!checked.ok()) return fail(io, checked.error());
  // verify_all checked every stored header certificate; say how many blocks have one (the newest
  // may still have been gathering its validators' signatures when the node stopped).
  std::uint64_t certified = 0;
  for (std::uint64_t h = 1; h <= head.height; ++h) {
    auto cert = (*chain)->certificate(h);
    if (cert.ok() && cert->has_value()) ++certified;
  }
  // The supply invariant at the head: every balance there can be (genesis accounts, every
  // sender and transfer recipient, the validators, the treasury), what is accrued to validators
  // and their stake (bonded and unbonding) add up to genesis + issued - burned, to the unit.
  {
    io.out << "checking the supply…" << std::endl;
    std::set<crypto::Address> holders{modules::treasury_address()};
    for (const auto& a : genesis->accounts) holders.insert(a.address);
    for (const auto& v : genesis->validators) holders.insert(crypto::Address::from_public_key(v.ed25519_public_key));
    for (std::uint64_t h = 1; h <= head.height; ++h) {
      auto stored = (*chain)->block(h);
      if (!stored.ok() || !stored->has_value()) {
        return fail(io, core::make_error(core::ErrorCode::kBlockCorrupt, "block " + std::to_string(h) + " is missing"));
      }
      for (const auto& tx : (*stored)->block.txs) {
        holders.insert(tx.sender());
        if (auto transfer = modules::transfer_of(tx.payload); transfer.ok()) holders.insert(transfer->to);
      }
    }
    std::uint64_t balances = 0;
    for (const auto& holder : holders) {
      auto account = ledger::read_account(**chain, holder);
      if (!account.ok()) return fail(io, account.error());
      balances += account->balance;
    }
    auto supply = modules::read_supply(**chain);
    if (!supply.ok()) return fail(io, supply.error());
    if (auto st = modules::check_supply(*supply, balances); !st.ok()) return fail(io, st.error());
    io.out << "ok: supply " << supply->total() << " = genesis " << supply->genesis << " + issued " << supply->issued
           << " - burned " << supply->burned << " = " << holders.size() << " balances " << balances << " + accrued "
           << supply->accrued << " + bonded " << supply->bonded << " + unbonding " << supply->unbonding << "\n";
  }
  io.out << "ok: " << *checked << " blocks re-executed from genesis; head " << core::to_hex(head.block_hash)
         << ", state root " << core::to_hex(head.state_root) << "\n"
         << "    " << certified << " of " << head.height
         << " blocks carry a header certificate signed by a quorum of their epoch's validators (each checked)\n";
  return kExitOk;
}

}  // namespace

void add_node_commands(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  auto init_opts = std::make_shared<InitOptions>();
  CLI::App* init = app.add_subcommand("init", "Create a single-validator home: keys, genesis and config.toml");
  init->add_option("--dir", init_opts->dir, "Home directory to create")->required();
  init->add_option("--chain-id", init_opts->chain_id, "Chain id (a-z, 0-9, '-')")->capture_default_str();
  init->add_option("--port-base", init_opts->port_base, "Port base; the ledger API listens on base+1")
      ->capture_default_str();
  init->add_option("--block-interval-ms", init_opts->block_interval_ms, "Time between blocks")->capture_default_str();
  init->add_flag("--empty-blocks", init_opts->empty_blocks, "Produce blocks even when there is nothing to include");
  init->add_option("--dev-balance", init_opts->dev_balance, "Genesis balance of the dev account")->capture_default_str();
  init->add_option("--passphrase-file", init_opts->passphrase.file,
                   "Passphrase for the new keys (else METANODE_PASSPHRASE, else one is generated into DIR/passphrase)");
  init->callback([&io, &dispatch, init_opts] { dispatch = [&io, init_opts] { return run_init(io, *init_opts); }; });

  auto node_opts = std::make_shared<NodeOptions>();
  CLI::App* node_cmd = app.add_subcommand("node", "Run a node from its config.toml until Ctrl-C");
  node_cmd->footer(
      "Exit codes: 0 stopped by Ctrl-C or SIGTERM; 1 could not start; 3 stopped itself because it cannot trust\n"
      "its own state (a storage or I/O fault, or its execution differs from what a quorum signed: nothing is\n"
      "committed from the faulted work); 4 stopped itself because the disk is full (start it again once space\n"
      "is freed). After a 3: `metanode verify --config FILE` names the damage, and `metanode reset --config\n"
      "FILE` recovers a validator: its data directory is moved aside and, started again, it syncs every block\n"
      "from its peers, checking each against its commit certificate.");
  node_cmd->add_option("--config", node_opts->config_file, "Path to config.toml")->required()->check(CLI::ExistingFile);
  node_cmd->add_option("--log-level", node_opts->log_level, "trace, debug, info, warn, error")->capture_default_str();
  node_cmd->callback([&io, &dispatch, node_opts] { dispatch = [&io, node_opts] { return run_node(io, *node_opts); }; });

  auto verify_opts = std::make_shared<VerifyOptions>();
  CLI::App* verify = app.add_subcommand(
      "verify", "Check a stopped node's data: every stored checksum, then re-execute the chain from genesis and "
                "compare every block, commit, state root, tree node, index entry and receipt");
  verify->add_option("--config", verify_opts->config_file, "Path to config.toml")->required()->check(CLI::ExistingFile);
  verify->callback([&io, &dispatch, verify_opts] {
    dispatch = [&io, verify_opts] { return run_verify(io, *verify_opts); };
  });

  auto reset_opts = std::make_shared<ResetOptions>();
  CLI::App* reset = app.add_subcommand(
      "reset", "Move a stopped node's data directory aside so that it syncs every block from its peers again");
  reset->add_option("--config", reset_opts->config_file, "Path to config.toml")->required()->check(CLI::ExistingFile);
  reset->add_flag("--force", reset_opts->force, "Move it aside even if the node has no peers to sync from");
  reset->footer("For a validator whose data is damaged: `metanode node` stopped with exit code 3, or refuses to\n"
                "start naming the damage, or `metanode verify` fails. The directory is renamed, never deleted.");
  reset->callback([&io, &dispatch, reset_opts] {
    dispatch = [&io, reset_opts] { return run_reset(io, *reset_opts); };
  });
}

}  // namespace metanode::cli
