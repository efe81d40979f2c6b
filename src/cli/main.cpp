// Entry point of the `metanode` binary: binds the real process environment to cli::run.
#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "cli/app.hpp"
#include "cli/passphrase.hpp"

int main(int argc, char** argv) {
  // A node holds a descriptor per client connection (up to [api] connections_max per listener),
  // per peer link and per data file: raise the soft limit (often 1,024) as far as allowed.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {
    const rlim_t want = std::min<rlim_t>(files.rlim_max, 65'536);
    if (files.rlim_cur < want) {
      files.rlim_cur = want;
      ::setrlimit(RLIMIT_NOFILE, &files);
    }
  }
  metanode::cli::Io io{
      std::cout,
      std::cerr,
      [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
      },
      metanode::cli::prompt_secret_on_tty,
  };
  return metanode::cli::run(argc, argv, io);
}
