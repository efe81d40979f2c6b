// `metanode oracle`: the oracle service (port base + 2): feeds, their latest round and any round,
// each checked against its proof and a signed header with --verify.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/app.hpp"

namespace metanode::cli {

void add_oracle_commands(CLI::App& app, Io& io, std::function<int()>& dispatch);

}  // namespace metanode::cli
