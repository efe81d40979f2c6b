// `metanode registry`: leases on chain (register, renew, deregister: signed transactions) and the
// registry service's answers (port base + 3), checked against their proofs with --verify.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/app.hpp"

namespace metanode::cli {

void add_registry_commands(CLI::App& app, Io& io, std::function<int()>& dispatch);

}  // namespace metanode::cli
