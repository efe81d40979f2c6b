// What the CLI's chain commands share: where the node is, JSON calls to its API, and signing and
// submitting a transaction with a key from the key store (`metanode tx`, `metanode gov`).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/app.hpp"
#include "cli/passphrase.hpp"
#include "cli/request_signer.hpp"
#include "crypto/keystore.hpp"
#include "ledger/genesis.hpp"
#include "ledger/transaction.hpp"

namespace metanode::cli {

struct ClientOptions {
  std::string node_url;
  std::string home;
  bool json_output = false;
  bool verify = false;       // query: check the answer's proofs against a signed header
  std::string genesis_file;  // what --verify trusts (default: the home's genesis)
  // Signing requests (RFC 9421): --as names the key store key; send commands default to --from.
  std::string sign_as;
  std::string keystore;  // default HOME/keys
  PassphraseSource passphrase;
  std::shared_ptr<const RequestSigner> signer;  // set by prepare_signer once the key is unlocked
};

// What every signed submission takes, whatever its payload.
struct SendOptions {
  ClientOptions client;
  std::string from = "dev";
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
// GET/POST returning parsed JSON; a non-2xx answer becomes the node's error. With a signer the
// request is signed, and a signed answer must verify (kBadSignature otherwise).
core::Result<nlohmann::json> call(const std::string& url, const std::string& method, const std::string& target,
                                  const std::string& body = "", const RequestSigner* signer = nullptr);
// The same to the node `opts` names, signed with opts.signer when set.
core::Result<nlohmann::json> call(const ClientOptions& opts, const std::string& method, const std::string& target,
                                  const std::string& body = "");

// Unlocks key `name` of the key store --keystore (or HOME/keys), with --passphrase-file, else
// HOME/passphrase (a devnet's), else METANODE_PASSPHRASE, else a prompt.
struct UnlockedKey {
  crypto::KeyInfo info;
  crypto::KeySecrets secrets;
};
core::Result<UnlockedKey> unlock_key(Io& io, const ClientOptions& opts, const std::string& name);
// Sets opts.signer from --as (nothing when --as is not given or a signer is set already).
// The requests are tagged for `chain` (else for the chain the node's /health names, checked
// against the trusted genesis when there is one: chain_to_sign_for).
core::Status prepare_signer(Io& io, ClientOptions& opts, const ledger::ChainBinding* chain = nullptr);
// The node's chain (/health), checked against --genesis or --home's genesis when given.
core::Result<ledger::ChainBinding> node_chain(const ClientOptions& opts);
// Unlocks the key, signs `payload` for the node's chain, submits it and (--wait) waits for its
// receipt; prints what happened. Returns the exit code.
int run_send(Io& io, SendOptions opts, ledger::Payload payload);

// --node, --home, --json, and the signing options --as, --keystore, --passphrase-file.
void add_client_options(CLI::App* cmd, ClientOptions& opts);
// The genesis --verify (and audit verify) trusts: --genesis, else the one --home's config names.
core::Result<ledger::Genesis> trusted_genesis(const ClientOptions& opts);
// A node service's URL: --node, else --home's config (its port base + `port_offset`), else the
// default port base's.
std::string service_url_of(const ClientOptions& opts, std::uint16_t port_offset);
// --verify: each state answer in `proofs` checked against the trusted genesis (a line each), or
// the first failure.
core::Status verify_state_proofs(const ClientOptions& opts, const std::vector<const nlohmann::json*>& proofs, Io& io);
// --from, --bid (required unless bid_required is false), --max-fee,
// --nonce, --memo, --wait, plus the client options.
void add_send_options(CLI::App* cmd, SendOptions& o, bool bid_required = true);

}  // namespace metanode::cli
