// `metanode gov`: propose and approve role changes, list proposals, roles and the council.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/app.hpp"

namespace metanode::cli {

void add_gov_commands(CLI::App& app, Io& io, std::function<int()>& dispatch);

}  // namespace metanode::cli
