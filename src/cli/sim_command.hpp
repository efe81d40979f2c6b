// `metanode sim`: runs the deterministic consensus simulator over many seeds (mixed faults) and
// reports violations with a one-line command that replays each exactly.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/app.hpp"

namespace metanode::cli {

void add_sim_command(CLI::App& app, Io& io, std::function<int()>& dispatch);

}  // namespace metanode::cli
