// `metanode init` (a single-validator home: keys, genesis, config) and `metanode node` (run it).
#pragma once

#include <CLI/CLI.hpp>
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>

#include "cli/app.hpp"

namespace metanode::cli {

// What `metanode init` and `metanode up` give each validator's account in genesis: its node pays
// the fees of anchoring its audit log on chain (modules/audit), a few a minute for decades.
inline constexpr std::uint64_t kValidatorGenesisBalance = 1'000'000'000;

void add_node_commands(CLI::App& app, Io& io, std::function<int()>& dispatch);

// The process that holds the RocksDB lock of a node's data directory (the node running on it),
// if one does.
std::optional<pid_t> data_dir_holder(const std::filesystem::path& data);

}  // namespace metanode::cli
