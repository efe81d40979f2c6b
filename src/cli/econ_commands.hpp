// `metanode econ`: the economics service (port base + 7): supply, the fee market, validators and
// rewards, each value that is state checked against its proof with --verify.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/app.hpp"

namespace metanode::cli {

void add_econ_commands(CLI::App& app, Io& io, std::function<int()>& dispatch);

}  // namespace metanode::cli
