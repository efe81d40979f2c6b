// `metanode proof`: checking proofs offline with the genesis alone (the same checks as the proof
// verification service on 9006: services/proofs/proof_check.hpp).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/app.hpp"

namespace metanode::cli {

void add_proof_commands(CLI::App& app, Io& io, std::function<int()>& dispatch);

}  // namespace metanode::cli
