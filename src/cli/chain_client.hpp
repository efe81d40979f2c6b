// What the CLI's chain commands share: where the node is, JSON calls to its API, and signing and
// submitting a transaction with a key from the key store (`metanode tx`, `metanode gov`).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/app.hpp"
#include "cli/passphrase.hpp"
#include "ledger/transaction.hpp"

namespace metanode::cli {

struct ClientOptions {
  std::string node_url;
  std::string home;
  bool json_output = false;
  bool verify = false;       // query: check the answer's proofs against a signed header
  std::string genesis_file;  // what --verify trusts (default: the home's genesis)
};

// What every signed submission takes, whatever its payload.
struct SendOptions {
  ClientOptions client;
  std::string from = "dev";
  std::string keystore;
  PassphraseSource passphrase;
  std::uint64_t bid = 0;
  std::optional<std::uint64_t> max_fee;
  std::optional<std::uint64_t> nonce;
  std::string memo;
  bool wait = false;
  std::uint32_t wait_timeout_s = 60;
  // tx send: the payload as its module's JSON fields, or as raw canonical bytes.
  std::string module;
  std::string kind;
  std::string fields_json;
  std::string data_hex;
};

// --node, else the home's config (its listen address and port), else the seed's default port.
std::string node_url_of(const ClientOptions& opts);
// GET/POST returning parsed JSON; a non-2xx answer becomes the node's error.
core::Result<nlohmann::json> call(const std::string& url, const std::string& method, const std::string& target,
                                  const std::string& body = "");
// Unlocks the key, signs `payload` for the node's chain, submits it and (--wait) waits for its
// receipt; prints what happened. Returns the exit code.
int run_send(Io& io, SendOptions opts, ledger::Payload payload);

void add_client_options(CLI::App* cmd, ClientOptions& opts);
// --from, --keystore, --passphrase-file, --bid (required unless bid_required is false), --max-fee,
// --nonce, --memo, --wait, plus the client options.
void add_send_options(CLI::App* cmd, SendOptions& o, bool bid_required = true);

}  // namespace metanode::cli
