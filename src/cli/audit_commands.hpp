// `metanode audit`: what an auditor reads from a node (a signed request by a key holding the
// auditor or admin role: --as KEY).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/app.hpp"

namespace metanode::cli {

void add_audit_commands(CLI::App& app, Io& io, std::function<int()>& dispatch);

}  // namespace metanode::cli
