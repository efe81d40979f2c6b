// `metanode bench`: a load generator against a running node. Signs every transfer in advance,
// submits them over HTTP with concurrency, follows committed blocks on the event stream and
// reports committed TPS and commit latency.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/app.hpp"

namespace metanode::cli {

void add_bench_command(CLI::App& app, Io& io, std::function<int()>& dispatch);

}  // namespace metanode::cli
