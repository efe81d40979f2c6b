// `metanode install`: a new full node's keys and configuration, the commands that start it on
// its host, its admission proposal, and (on this host) starting and following it.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/app.hpp"

namespace metanode::cli {

void add_install_command(CLI::App& app, Io& io, std::function<int()>& dispatch);

}  // namespace metanode::cli
