// `metanode keys new|list|show|export-public`: the encrypted key store from the command line.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/app.hpp"
#include "cli/passphrase.hpp"

namespace metanode::cli {

// Adds `keys` and its subcommands to `app`; `dispatch` is set to run whichever was chosen.
void add_keys_command(CLI::App& app, Io& io, std::function<int()>& dispatch);

// Default key store: $METANODE_HOME/keys, else $HOME/.metanode/keys.
std::string default_keystore_dir(Io& io);

}  // namespace metanode::cli
