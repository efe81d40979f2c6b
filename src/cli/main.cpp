// Entry point of the `metanode` binary: binds the real process environment to cli::run.
#include <cstdlib>
#include <iostream>

#include "cli/app.hpp"
#include "cli/passphrase.hpp"

int main(int argc, char** argv) {
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
