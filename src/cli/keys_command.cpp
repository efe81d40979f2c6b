#include "cli/keys_command.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "core/clock.hpp"
#include "crypto/keystore.hpp"

namespace metanode::cli {
namespace {

struct KeysOptions {
  std::string keystore;
  std::string name;
  PassphraseSource passphrase;
  bool json = false;
  bool check_passphrase = false;
  std::string out_file;
};

std::string iso_time(std::int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json public_json(const crypto::KeyInfo& info) {
  return {{"name", info.name},
          {"address", info.address.to_string()},
          {"ed25519_public_key", info.ed25519_public_key.to_hex()},
          {"mldsa65_public_key", core::to_hex(info.mldsa_public_key.bytes)},
          {"created", iso_time(info.created_unix_ms)}};
}

void print_info(Io& io, const crypto::KeyInfo& info, const crypto::Keystore& store) {
  io.out << fmt::format("name      {}\n", info.name);
  io.out << fmt::format("address   {}\n", info.address.to_string());
  io.out << fmt::format("ed25519   {}\n", info.ed25519_public_key.to_hex());
  io.out << fmt::format("mldsa65   {}… ({} bytes; `keys export-public` prints all)\n",
                        core::to_hex(info.mldsa_public_key.bytes).substr(0, 32), info.mldsa_public_key.bytes.size());
  io.out << fmt::format("created   {}\n", iso_time(info.created_unix_ms));
  io.out << fmt::format("file      {}\n", store.path_of(info.name).string());
}

void add_keystore_option(CLI::App* cmd, KeysOptions& opts) {
  cmd->add_option("--keystore", opts.keystore, "Key store directory (default $METANODE_HOME/keys or ~/.metanode/keys)");
}

void add_passphrase_option(CLI::App* cmd, KeysOptions& opts) {
  cmd->add_option("--passphrase-file", opts.passphrase.file,
                  "Read the passphrase from the first line of this file (else METANODE_PASSPHRASE, else a prompt)");
}

}  // namespace

std::string default_keystore_dir(Io& io) {
  if (auto home = io.env("METANODE_HOME"); home && !home->empty()) return *home + "/keys";
  if (auto home = io.env("HOME"); home && !home->empty()) return *home + "/.metanode/keys";
  return ".metanode/keys";
}

// Longer than a screen: CLI11 wiring of the six key subcommands, declarative; each callback is a
// few lines and the options sit beside the command they belong to.
void add_keys_command(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  auto opts = std::make_shared<KeysOptions>();
  CLI::App* keys = app.add_subcommand("keys", "Create and inspect keys in the encrypted key store");
  keys->require_subcommand(1);

  auto store_of = [&io, opts]() {
    return crypto::Keystore(opts->keystore.empty() ? default_keystore_dir(io) : opts->keystore);
  };

  CLI::App* create = keys->add_subcommand("new", "Create a new key (Ed25519 + ML-DSA-65), encrypted with a passphrase");
  create->add_option("name", opts->name, "Name of the new key")->required();
  add_keystore_option(create, *opts);
  add_passphrase_option(create, *opts);
  create->callback([&io, &dispatch, opts, store_of] {
    dispatch = [&io, opts, store_of]() -> int {
      crypto::Keystore store = store_of();
      if (auto st = crypto::Keystore::validate_name(opts->name); !st.ok()) return fail(io, st.error());
      if (store.info(opts->name).ok()) {
        return fail(io, core::make_error(core::ErrorCode::kKeyExists, "a key named '" + opts->name +
                                                                           "' already exists in " + store.dir().string()));
      }
      auto passphrase = read_passphrase(opts->passphrase, io, /*confirm=*/true);
      if (!passphrase.ok()) return fail(io, passphrase.error());
      auto info = store.create(opts->name, *passphrase, core::SystemClock().now_unix_ms());
      if (!info.ok()) return fail(io, info.error());
      io.out << "created key '" << info->name << "'\n";
      print_info(io, *info, store);
      return kExitOk;
    };
  });

  CLI::App* list = keys->add_subcommand("list", "List the keys in the key store (no passphrase needed)");
  add_keystore_option(list, *opts);
  list->add_flag("--json", opts->json, "Print JSON");
  list->callback([&io, &dispatch, opts, store_of] {
    dispatch = [&io, opts, store_of]() -> int {
      crypto::Keystore store = store_of();
      auto keys_found = store.list();
      if (!keys_found.ok()) return fail(io, keys_found.error());
      if (opts->json) {
        nlohmann::json doc = nlohmann::json::array();
        for (const auto& info : *keys_found) doc.push_back(public_json(info));
        io.out << doc.dump(2) << "\n";
        return kExitOk;
      }
      if (keys_found->empty()) {
        io.out << "no keys in " << store.dir().string() << " (create one with `metanode keys new NAME`)\n";
        return kExitOk;
      }
      io.out << fmt::format("{:<20} {:<64} {}\n", "NAME", "ADDRESS", "CREATED");
      for (const auto& info : *keys_found) {
        io.out << fmt::format("{:<20} {:<64} {}\n", info.name, info.address.to_string(), iso_time(info.created_unix_ms));
      }
      return kExitOk;
    };
  });

  CLI::App* show = keys->add_subcommand("show", "Show a key's address and public keys");
  show->add_option("name", opts->name, "Key name")->required();
  add_keystore_option(show, *opts);
  add_passphrase_option(show, *opts);
  show->add_flag("--json", opts->json, "Print JSON");
  show->add_flag("--check-passphrase", opts->check_passphrase, "Also unlock the key to confirm the passphrase");
  show->callback([&io, &dispatch, opts, store_of] {
    dispatch = [&io, opts, store_of]() -> int {
      crypto::Keystore store = store_of();
      auto info = store.info(opts->name);
      if (!info.ok()) return fail(io, info.error());
      if (opts->check_passphrase) {
        auto passphrase = read_passphrase(opts->passphrase, io, /*confirm=*/false);
        if (!passphrase.ok()) return fail(io, passphrase.error());
        auto secrets = store.unlock(opts->name, *passphrase);
        if (!secrets.ok()) return fail(io, secrets.error());
      }
      if (opts->json) {
        io.out << public_json(*info).dump(2) << "\n";
      } else {
        print_info(io, *info, store);
        if (opts->check_passphrase) io.out << "passphrase ok\n";
      }
      return kExitOk;
    };
  });

  CLI::App* export_cmd = keys->add_subcommand(
      "export", "Print a key's file, still encrypted under its passphrase (to import it into the web console's wallet)");
  export_cmd->add_option("name", opts->name, "Key name")->required();
  add_keystore_option(export_cmd, *opts);
  export_cmd->add_option("--out", opts->out_file, "Write to this file (mode 0600) instead of standard output");
  export_cmd->callback([&io, &dispatch, opts, store_of] {
    dispatch = [&io, opts, store_of]() -> int {
      crypto::Keystore store = store_of();
      // info() reads and checks the file: a damaged or foreign file is not exported.
      if (auto info = store.info(opts->name); !info.ok()) return fail(io, info.error());
      std::ifstream in(store.path_of(opts->name), std::ios::binary);
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!in.good() && !in.eof()) {
        return fail(io, core::make_error(core::ErrorCode::kIo, "cannot read " + store.path_of(opts->name).string()));
      }
      if (opts->out_file.empty()) {
        io.out << text;
        return kExitOk;
      }
      std::ofstream out(opts->out_file, std::ios::binary | std::ios::trunc);
      std::filesystem::permissions(opts->out_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                   std::filesystem::perm_options::replace);
      if (!(out << text) || !(out.flush())) {
        return fail(io, core::make_error(core::ErrorCode::kIo, "cannot write " + opts->out_file));
      }
      io.out << "wrote " << opts->out_file << " (encrypted under the key's passphrase)\n";
      return kExitOk;
    };
  });

  CLI::App* export_public =
      keys->add_subcommand("export-public", "Print a key's public part as JSON (to share with other nodes)");
  export_public->add_option("name", opts->name, "Key name")->required();
  add_keystore_option(export_public, *opts);
  export_public->add_option("--out", opts->out_file, "Write to this file instead of standard output");
  export_public->callback([&io, &dispatch, opts, store_of] {
    dispatch = [&io, opts, store_of]() -> int {
      crypto::Keystore store = store_of();
      auto info = store.info(opts->name);
      if (!info.ok()) return fail(io, info.error());
      const std::string text = public_json(*info).dump(2) + "\n";
      if (opts->out_file.empty()) {
        io.out << text;
        return kExitOk;
      }
      std::ofstream out(opts->out_file, std::ios::binary | std::ios::trunc);
      if (!(out << text) || !(out.flush())) {
        return fail(io, core::make_error(core::ErrorCode::kIo, "cannot write " + opts->out_file));
      }
      io.out << "wrote " << opts->out_file << "\n";
      return kExitOk;
    };
  });
}

}  // namespace metanode::cli
