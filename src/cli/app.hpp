// The `metanode` command: CLI11 wiring of every subcommand. Runs in-process so tests drive it
// exactly as a user would, with their own streams and environment.
#pragma once

#include <signal.h>

#include <initializer_list>

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace metanode::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
// `metanode node` stopped itself because it cannot trust its own state: a storage or I/O fault, or
// its execution differs from what a quorum signed. Nothing was committed from the faulted work.
inline constexpr int kExitFault = 3;
// `metanode node` stopped itself because its disk is full; it runs again once space is freed.
inline constexpr int kExitDiskFull = 4;

struct Io {
  std::ostream& out;
  std::ostream& err;
  // Environment lookup (getenv in main; a map in tests).
  std::function<std::optional<std::string>(const std::string&)> env;
  // Reads a secret from the terminal without echo; nullopt when there is no terminal.
  std::function<std::optional<std::string>(const std::string& prompt)> prompt_secret;
};

int run(int argc, const char* const* argv, Io& io);

// Prints "metanode: error[<code>]: <message>" on io.err and returns kExitFailed: how every
// subcommand reports a failure.
int fail(Io& io, const core::Error& error);

// Blocks SIGINT, SIGTERM and `extra` in the calling thread (and so in every thread it starts
// after), and returns the set, for a long-running command to sigwait on.
sigset_t block_stop_signals(std::initializer_list<int> extra = {});

}  // namespace metanode::cli
