// `metanode tx transfer` and `metanode query account|tx|block`: clients of a node's ledger API.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/app.hpp"

namespace metanode::cli {

void add_chain_commands(CLI::App& app, Io& io, std::function<int()>& dispatch);

}  // namespace metanode::cli
