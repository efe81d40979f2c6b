// `metanode init` (a single-validator home: keys, genesis, config) and `metanode node` (run it).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/app.hpp"

namespace metanode::cli {

void add_node_commands(CLI::App& app, Io& io, std::function<int()>& dispatch);

}  // namespace metanode::cli
