// `metanode up`: a local multi-validator devnet of separate node processes in one command.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/app.hpp"

namespace metanode::cli {

void add_devnet_command(CLI::App& app, Io& io, std::function<int()>& dispatch);

}  // namespace metanode::cli
