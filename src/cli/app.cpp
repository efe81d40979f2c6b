#include "cli/app.hpp"

#include <pthread.h>
#include "cli/bpci_command.hpp"
#include "core/version.hpp"

#include <blake3.h>
#include <openssl/opensslv.h>
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <ostream>

#include "cli/bench_command.hpp"
#include "cli/chain_commands.hpp"
#include "cli/audit_commands.hpp"
#include "cli/gov_commands.hpp"
#include "cli/devnet_command.hpp"
#include "cli/install_command.hpp"
#include "cli/keys_command.hpp"
#include "cli/node_commands.hpp"
#include "cli/econ_commands.hpp"
#include "cli/oracle_commands.hpp"
#include "cli/registry_commands.hpp"
#include "cli/proof_commands.hpp"
#include "cli/sim_command.hpp"

namespace metanode::cli {
namespace {
using core::kVersion;

void add_version_command(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  CLI::App* version = app.add_subcommand("version", "Print the version of metanode and its cryptography");
  version->callback([&io, &dispatch] {
    dispatch = [&io]() -> int {
      io.out << "metanode " << kVersion << "\n"
             << "  blake3     " << blake3_version() << " (official C, derive-key domains metanode/v1/*)\n"
             << "  libsodium  " << sodium_version_string() << " (Ed25519, Argon2id)\n"
             << "  openssl    " << OPENSSL_VERSION_TEXT << " (AES-256-GCM, TLS 1.3)\n"
             << "  pqclean    0.8.1 (ML-DSA-65 FIPS 204, ML-KEM-768 FIPS 203)\n";
      return kExitOk;
    };
  });
}
}  // namespace

sigset_t block_stop_signals(std::initializer_list<int> extra) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  for (const int s : extra) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int fail(Io& io, const core::Error& error) {
  io.err << "metanode: error[" << error.code_name() << "]: " << error.message << "\n";
  return kExitFailed;
}

int run(int argc, const char* const* argv, Io& io) {
  CLI::App app{"metanode: a permissioned BFT ledger node and its control plane", "metanode"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  std::function<int()> dispatch;
  add_version_command(app, io, dispatch);
  add_keys_command(app, io, dispatch);
  add_node_commands(app, io, dispatch);
  add_devnet_command(app, io, dispatch);
  add_bpci_command(app, io, dispatch);
  add_install_command(app, io, dispatch);
  add_chain_commands(app, io, dispatch);
  add_gov_commands(app, io, dispatch);
  add_audit_commands(app, io, dispatch);
  add_proof_commands(app, io, dispatch);
  add_econ_commands(app, io, dispatch);
  add_oracle_commands(app, io, dispatch);
  add_registry_commands(app, io, dispatch);
  add_bench_command(app, io, dispatch);
  add_sim_command(app, io, dispatch);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    // Help for the deepest subcommand that was named.
    const CLI::App* target = &app;
    while (!target->get_subcommands().empty()) target = target->get_subcommands().front();
    io.out << target->help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    io.out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    io.err << "metanode: " << e.what() << " (try --help)\n";
    return kExitUsage;
  }
  if (!dispatch) {
    io.err << "metanode: nothing to do (try --help)\n";
    return kExitUsage;
  }
  try {
    return dispatch();
  } catch (const std::exception& e) {
    io.err << "metanode: error[internal]: " << e.what() << "\n";
    return kExitFailed;
  }
}

}  // namespace metanode::cli
