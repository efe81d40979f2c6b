// Child processes: `metanode up`'s nodes and console, and the full node `metanode install` (or
// the console's installer page) starts on a devnet.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace metanode::bpci {

// This executable (/proc/self/exe).
core::Result<std::filesystem::path> self_executable();

// Starts `self` with `args`, its output appended to `log_file`. Attached (the default): the
// child gets SIGTERM if its parent dies and runs in its own process group, so a terminal's
// Ctrl-C reaches only the parent, which stops its children in order. Detached: a session of its
// own that outlives the parent (its pid goes to a pid file the caller writes).
core::Result<pid_t> spawn(const std::filesystem::path& self, const std::vector<std::string>& args,
                          const std::filesystem::path& log_file, bool detached = false);

// `self node --config DIR/config.toml --log-level LEVEL`, its output appended to DIR/node.log.
core::Result<pid_t> spawn_node(const std::filesystem::path& self, const std::filesystem::path& dir,
                               const std::string& log_level, bool detached = false);

struct NodeStart {
  pid_t pid = -1;
  bool already_running = false;  // DIR/node.pid named a live process of this node: left alone
};
// spawn_node for a node that keeps a pid file (DIR/node.pid): started, and its pid written
// there, unless that file names a live process of it already.
core::Result<NodeStart> start_node_once(const std::filesystem::path& self, const std::filesystem::path& dir,
                                        const std::string& log_level, bool detached);

// The pid in `pid_file` when that process is alive and its command line mentions `config`
// (a pid file left by a process that exited, its pid since reused, does not count).
std::optional<pid_t> running_pid(const std::filesystem::path& pid_file, const std::filesystem::path& config);

}  // namespace metanode::bpci
