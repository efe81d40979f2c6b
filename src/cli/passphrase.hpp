// Where a passphrase comes from: --passphrase-file, then METANODE_PASSPHRASE, then a prompt.
#pragma once

#include <optional>
#include <string>

#include "cli/app.hpp"
#include "core/result.hpp"

namespace metanode::cli {

struct PassphraseSource {
  std::string file;  // --passphrase-file, empty when not given
};

// `confirm` asks twice on a terminal (for new keys). Empty passphrases are refused.
core::Result<std::string> read_passphrase(const PassphraseSource& source, Io& io, bool confirm);

// Prompt on /dev/tty with echo off; nullopt when there is no terminal.
std::optional<std::string> prompt_secret_on_tty(const std::string& prompt);

}  // namespace metanode::cli
