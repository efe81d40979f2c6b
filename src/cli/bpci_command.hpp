// `metanode bpci --fleet FILE`: BPCI Enterprise, the control plane and web console on 8080.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "cli/app.hpp"

namespace metanode::cli {

void add_bpci_command(CLI::App& app, Io& io, std::function<int()>& dispatch);

}  // namespace metanode::cli
