#include "cli/chain_commands.hpp"
#include "cli/chain_client.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>

#include "services/ledger/ledger_json.hpp"
#include "api/cage/request_auth.hpp"
#include "api/http/http_client.hpp"
#include "core/arith.hpp"
#include "cli/json_u64.hpp"
#include "cli/passphrase.hpp"
#include "services/proofs/proof_check.hpp"
#include "crypto/keystore.hpp"
#include "node/config.hpp"
#include "modules/bank.hpp"
#include "modules/module_set.hpp"

namespace metanode::cli {

using services::verify_account_answer;
using services::verify_block_answer;
using services::verify_tx_answer;
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
}  // namespace

core::Result<ledger::Genesis> trusted_genesis(const ClientOptions& opts) {
  if (!opts.genesis_file.empty()) return ledger::Genesis::load(opts.genesis_file);
  if (!opts.home.empty()) {
    MN_TRY_ASSIGN(auto config, node::NodeConfig::load(fs::path(opts.home) / "config.toml"));
    return ledger::Genesis::load(config.resolve(config.genesis_file));
  }
  return core::make_error(core::ErrorCode::kInvalidArgument, "give --genesis FILE (or --home)");
}

namespace {

// The chain a transaction is signed for: the node's chain id and genesis digest (from /health),
// checked against the genesis this CLI trusts when it has one (--genesis, or --home's), so a node
// cannot make the key sign for a chain other than the one its owner means.
core::Result<ledger::ChainBinding> chain_to_sign_for(const ClientOptions& opts, const json& health) {
  ledger::ChainBinding chain;
  chain.chain_id = health.value("chain_id", std::string());
  auto digest = core::array_from_hex<32>(health.value("genesis_digest", std::string()));
  if (!digest.ok()) {
    return core::make_error(core::ErrorCode::kInternal, "the node's /health has no genesis_digest (an older node?)");
  }
  chain.genesis_digest = *digest;
  const bool home_has_config = !opts.home.empty() && fs::exists(fs::path(opts.home) / "config.toml");
  if (opts.genesis_file.empty() && !home_has_config) return chain;
  MN_TRY_ASSIGN(const ledger::Genesis trusted, trusted_genesis(opts));
  if (trusted.chain_id != chain.chain_id || trusted.digest() != chain.genesis_digest) {
    return core::make_error(core::ErrorCode::kTxWrongChain,
                            "the node serves chain '" + chain.chain_id + "' with genesis digest " +
                                core::to_hex(chain.genesis_digest) + ", but the trusted genesis is '" + trusted.chain_id +
                                "' with digest " + core::to_hex(trusted.digest()) + ": not signing");
  }
  return chain;
}

// --verify: prints what was proven; a proof that fails is the command's failure.
int print_verification(Io& io, const ClientOptions& opts,
                       const std::function<core::Result<std::string>(const ledger::Genesis&)>& check) {
  auto genesis = trusted_genesis(opts);
  if (!genesis.ok()) return fail(io, genesis.error());
  auto line = check(*genesis);
  if (!line.ok()) return fail(io, core::make_error(line.error().code, "does not verify: " + line.error().message));
  io.out << *line << "\n";
  return kExitOk;
}

}  // namespace

// --node, else the home's config (its listen address and port), else the seed's default port.
std::string service_url_of(const ClientOptions& opts, std::uint16_t port_offset) {
  if (!opts.node_url.empty()) return opts.node_url;
  if (!opts.home.empty()) {
    auto config = node::NodeConfig::load(fs::path(opts.home) / "config.toml");
    if (config.ok()) return "http://" + config->listen_address + ":" + std::to_string(config->service_port(port_offset));
  }
  return "http://127.0.0.1:" + std::to_string(9000 + port_offset);
}

core::Status verify_state_proofs(const ClientOptions& opts, const std::vector<const nlohmann::json*>& proofs, Io& io) {
  if (!opts.verify) return {};
  MN_TRY_ASSIGN(const ledger::Genesis genesis, trusted_genesis(opts));
  for (const nlohmann::json* p : proofs) {
    MN_TRY_ASSIGN(const std::string summary, services::verify_state_answer(*p, genesis));
    io.out << summary << "\n";
  }
  return {};
}

std::string node_url_of(const ClientOptions& opts) {
  if (!opts.node_url.empty()) return opts.node_url;
  if (!opts.home.empty()) {
    auto config = node::NodeConfig::load(fs::path(opts.home) / "config.toml");
    if (config.ok()) return "http://" + config->listen_address + ":" + std::to_string(config->ledger_port());
  }
  return "http://127.0.0.1:9001";
}

// GET/POST returning parsed JSON; a non-2xx answer becomes the node's error.
core::Result<json> call(const std::string& base_url, const std::string& method, const std::string& path_and_query,
                        const std::string& body, const RequestSigner* signer) {
  // A URL with a path ("http://host:8080/bpci") puts it before every route: BPCI serves its own
  // audit log under /bpci.
  std::string url = base_url;
  std::string target = path_and_query;
  if (const auto slash = url.find('/', std::string_view("http://").size()); url.rfind("http://", 0) == 0 && slash != std::string::npos) {
    std::string prefix = url.substr(slash);
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    target = prefix + target;
    url.resize(slash);
  }
  MN_TRY_ASSIGN(const auto parts, split_url(url));
  const std::string authority = parts.first + ":" + parts.second;
  const HeaderList sent = signer != nullptr ? signer->sign(method, authority, target, body) : HeaderList{};
  MN_TRY_ASSIGN(HttpReply reply, http_request(url, method, target, body, "application/json",
                                              std::chrono::milliseconds(10'000), sent));
  if (signer != nullptr) MN_TRY(check_reply_signature(reply, method, authority, target, sent, signer->chain_tag()));
  json doc = json::parse(reply.body, nullptr, false);
  if (reply.status >= 200 && reply.status < 300) {
    if (doc.is_discarded()) return core::make_error(core::ErrorCode::kInternal, "node answered with non-JSON");
    return doc;
  }
  if (!doc.is_discarded() && doc.contains("error")) {
    const json& e = doc["error"];
    const std::string code = e.value("code", std::string());
    std::string message = e.value("message", std::string("(no message)")) + " [HTTP " + std::to_string(reply.status) +
                          (code.empty() ? "" : ", " + code) + "]";
    if (code == "auth_unsigned") message += "; sign it with --as KEY (a key store key holding one of those roles)";
    // The Cage's refusals carry no number: 401 is a missing or bad signature, 403 a key
    // without the route's role.
    const int number = e.value("number", static_cast<int>(reply.status == 401   ? core::ErrorCode::kBadSignature
                                                           : reply.status == 403 ? core::ErrorCode::kInvalidArgument
                                                                                 : core::ErrorCode::kInternal));
    return core::make_error(static_cast<core::ErrorCode>(number), message);
  }
  return core::make_error(core::ErrorCode::kInternal, "node answered HTTP " + std::to_string(reply.status));
}

core::Result<json> call(const ClientOptions& opts, const std::string& method, const std::string& target,
                        const std::string& body) {
  return call(node_url_of(opts), method, target, body, opts.signer.get());
}

core::Result<UnlockedKey> unlock_key(Io& io, const ClientOptions& opts, const std::string& name) {
  const fs::path home = opts.home.empty() ? fs::path() : fs::path(opts.home);
  std::string keystore_dir = opts.keystore;
  if (keystore_dir.empty()) keystore_dir = home.empty() ? std::string() : (home / "keys").string();
  if (keystore_dir.empty()) return core::make_error(core::ErrorCode::kInvalidArgument, "give --home DIR or --keystore DIR");
  PassphraseSource source = opts.passphrase;
  if (source.file.empty() && !home.empty() && !io.env("METANODE_PASSPHRASE").has_value()) {
    if (fs::exists(home / "passphrase")) {
      source.file = (home / "passphrase").string();  // the devnet's generated passphrase
    } else if (auto config = node::NodeConfig::load(home / "config.toml"); config.ok() && !config->passphrase_file.empty()) {
      source.file = config->resolve(config->passphrase_file).string();  // the one `metanode init` was given
    }
  }
  crypto::Keystore store(keystore_dir);
  MN_TRY_ASSIGN(crypto::KeyInfo info, store.info(name));
  MN_TRY_ASSIGN(const std::string passphrase, read_passphrase(source, io, false));
  MN_TRY_ASSIGN(crypto::KeySecrets secrets, store.unlock(name, passphrase));
  return UnlockedKey{std::move(info), std::move(secrets)};
}

core::Result<ledger::ChainBinding> node_chain(const ClientOptions& opts) {
  MN_TRY_ASSIGN(const json health, call(node_url_of(opts), "GET", "/health", "", nullptr));
  return chain_to_sign_for(opts, health);
}

core::Status prepare_signer(Io& io, ClientOptions& opts, const ledger::ChainBinding* chain) {
  if (opts.sign_as.empty() || opts.signer) return {};
  MN_TRY_ASSIGN(const UnlockedKey key, unlock_key(io, opts, opts.sign_as));
  ledger::ChainBinding fetched;
  if (chain == nullptr) {
    MN_TRY_ASSIGN(fetched, node_chain(opts));
    chain = &fetched;
  }
  opts.signer = std::make_shared<const RequestSigner>(key.secrets.ed25519(), api::cage::chain_tag(chain->genesis_digest));
  return {};
}

namespace {


struct TransferOptions {
  SendOptions send;
  std::string to;
  std::uint64_t amount = 0;
};

}  // namespace

// Longer than a screen: resolve the node, unlock the key, build and sign, submit, then (--wait)
// poll and print; each step is a few lines of error handling. Any module's payload: the CLI signs
// what the module set maps from JSON, or raw bytes for a module it does not know.
int run_send(Io& io, SendOptions opts, ledger::Payload payload) {
  const std::string url = node_url_of(opts.client);
  auto key = unlock_key(io, opts.client, opts.from);
  if (!key.ok()) return fail(io, key.error());
  // The chain the transaction and the requests are signed for (checked against --genesis).
  auto chain = node_chain(opts.client);
  if (!chain.ok()) return fail(io, chain.error());
  // Its requests are signed too: with --as, else with the key that signs the transaction.
  if (opts.client.sign_as.empty()) {
    opts.client.signer =
        std::make_shared<const RequestSigner>(key->secrets.ed25519(), api::cage::chain_tag(chain->genesis_digest));
  }
  if (auto st = prepare_signer(io, opts.client, &*chain); !st.ok()) return fail(io, st.error());
  const RequestSigner* signer = opts.client.signer.get();
  ledger::Transaction tx;
  tx.chain_id = chain->chain_id;
  if (opts.nonce) {
    tx.nonce = *opts.nonce;
  } else {
    // next_nonce counts this sender's pending transactions, so back-to-back transfers chain.
    auto account = call(url, "GET", "/v1/accounts/" + key->info.address.to_string(), "", signer);
    if (!account.ok()) return fail(io, account.error());
    tx.nonce = u64_of((*account)["next_nonce"]);
  }
  if (opts.max_fee) {
    tx.max_fee = *opts.max_fee;
  } else {
    auto mempool = call(url, "GET", "/v1/mempool?levels=0", "", signer);
    if (!mempool.ok()) return fail(io, mempool.error());
    // Room for the base fee to double before inclusion, plus the bid.
    // Saturating: a bid near 2^64 means "pay what it takes", never a wrapped small cap.
    tx.max_fee = core::saturating_add(core::saturating_mul(2, u64_of((*mempool)["base_fee"])), opts.bid);
  }
  tx.bid = opts.bid;
  tx.payload = std::move(payload);
  tx.memo = opts.memo;
  tx.sign_single(key->secrets.ed25519(), chain->genesis_digest);
  auto submitted = call(url, "POST", "/v1/txs", services::to_json(tx, modules::standard_modules()).dump(), signer);
  if (!submitted.ok()) return fail(io, submitted.error());
  const std::string hash = (*submitted)["hash"].get<std::string>();
  if (!opts.wait) {
    if (opts.client.json_output) {
      io.out << submitted->dump(2) << "\n";
    } else {
      io.out << "submitted " << hash << " (nonce " << tx.nonce << ", bid " << tx.bid << ", max fee " << tx.max_fee
             << ")\n";
    }
    return kExitOk;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(opts.wait_timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    auto status = call(url, "GET", "/v1/txs/" + hash, "", signer);
    if (status.ok()) {
      const std::string state = (*status)["status"].get<std::string>();
      if (state == "committed") {
        const json& receipt = (*status)["receipt"];
        if (opts.client.json_output) {
          io.out << status->dump(2) << "\n";
        } else {
          io.out << "committed " << hash << " at height " << (*status)["height"].get<std::uint64_t>() << " ("
                 << receipt["status"].get<std::string>() << ", fee " << u64_of(receipt["fee_paid"])
                 << ")\n";
        }
        if (receipt["status"] != "success") {
          // The receipt's own code (gov_not_council_member, tx_insufficient_balance, ...).
          const json& e = receipt["error"];
          const auto code = static_cast<core::ErrorCode>(e.value("number", static_cast<int>(core::ErrorCode::kInternal)));
          return fail(io, core::make_error(code, "transaction failed: " + e["message"].get<std::string>()));
        }
        return kExitOk;
      }
      if (state == "dropped") {
        const json& e = (*status)["error"];
        return fail(io, core::make_error(static_cast<core::ErrorCode>(e["number"].get<int>()),
                                         "transaction dropped: " + e["message"].get<std::string>()));
      }
    } else if (status.error().code != core::ErrorCode::kNotFound) {
      return fail(io, status.error());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return fail(io, core::make_error(core::ErrorCode::kInternal, "not committed within " +
                                                                   std::to_string(opts.wait_timeout_s) + " s: " + hash));
}

void add_client_options(CLI::App* cmd, ClientOptions& opts) {
  cmd->add_option("--node", opts.node_url, "Node API URL (default: from --home's config, else http://127.0.0.1:9001)");
  cmd->add_option("--home", opts.home, "Node home directory (from `metanode init`)");
  cmd->add_flag("--json", opts.json_output, "Print the node's JSON answer");
  cmd->add_option("--as", opts.sign_as,
                  "Sign each request (RFC 9421) with this key store key; routes that need a role need it");
  cmd->add_option("--keystore", opts.keystore, "Key store directory (default HOME/keys)");
  cmd->add_option("--passphrase-file", opts.passphrase.file,
                  "Passphrase file (default: METANODE_PASSPHRASE if set, else HOME/passphrase, else the file HOME/config.toml names, else a prompt)");
}

namespace {

void add_verify_options(CLI::App* cmd, ClientOptions& opts) {
  cmd->add_flag("--verify", opts.verify,
                "Check the answer's proofs against a block header signed by a quorum of the genesis validators");
  cmd->add_option("--genesis", opts.genesis_file, "Genesis file --verify trusts (default: --home's)");
}

void add_signing_genesis_option(CLI::App* cmd, ClientOptions& opts) {
  cmd->add_option("--genesis", opts.genesis_file,
                  "Genesis file of the chain to sign for; the node's must match (default: --home's, if given)");
}

int run_transfer(Io& io, TransferOptions opts) {
  auto to = crypto::Address::parse(opts.to);
  if (!to.ok()) return fail(io, core::make_error(to.error().code, "--to: " + to.error().message));
  if (opts.amount == 0) return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, "--amount must be positive"));
  return run_send(io, std::move(opts.send), modules::transfer_payload(*to, opts.amount));
}

// tx send: --fields is the kind's JSON fields (mapped by the module, as POST /v1/txs does), --data
// the payload's canonical bytes in hex (for a module this CLI has no mapping for).
core::Result<ledger::Payload> payload_of(const SendOptions& opts) {
  json doc = json::object();
  if (!opts.fields_json.empty()) {
    doc = json::parse(opts.fields_json, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      return core::make_error(core::ErrorCode::kInvalidArgument, "--fields must be a JSON object");
    }
  }
  if (!opts.data_hex.empty() && !opts.fields_json.empty()) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "give --fields or --data, not both");
  }
  doc["module"] = opts.module;
  doc["kind"] = opts.kind;
  if (!opts.data_hex.empty()) doc["data"] = opts.data_hex;
  return services::payload_from_json(doc, modules::standard_modules());
}

int run_generic_send(Io& io, SendOptions opts) {
  auto payload = payload_of(opts);
  if (!payload.ok()) return fail(io, payload.error());
  return run_send(io, std::move(opts), std::move(payload).value());
}

}  // namespace

void add_send_options(CLI::App* cmd, SendOptions& o, bool bid_required) {
  add_client_options(cmd, o.client);
  add_signing_genesis_option(cmd, o.client);
  cmd->add_option("--from", o.from, "Key name to sign with (the transaction, and its requests unless --as)")
      ->capture_default_str();
  auto* bid = cmd->add_option("--bid", o.bid, "Tip offered to the proposer; the auction orders by it");
  if (bid_required) {
    bid->required();
  } else {
    bid->capture_default_str();
  }
  cmd->add_option("--max-fee", o.max_fee, "Most this transaction may pay (default 2 × base fee + bid)");
  cmd->add_option("--nonce", o.nonce, "Nonce (default: the account's next, counting pending ones)");
  cmd->add_option("--memo", o.memo, "Memo, up to 256 bytes");
  cmd->add_flag("--wait", o.wait, "Wait until the transaction is committed and print its height");
  cmd->add_option("--wait-timeout", o.wait_timeout_s, "Seconds to wait with --wait")->capture_default_str();
}

namespace {


int run_query_account(Io& io, ClientOptions opts, const std::string& address_text) {
  if (auto st = prepare_signer(io, opts); !st.ok()) return fail(io, st.error());
  auto address = crypto::Address::parse(address_text);
  if (!address.ok()) return fail(io, address.error());
  // --verify: at the newest block whose header certificate is gathered (the head's may still be).
  auto doc = call(opts, "GET", "/v1/accounts/" + address->to_string() + (opts.verify ? "?height=certified" : ""));
  if (!doc.ok()) return fail(io, doc.error());
  if (opts.json_output) io.out << doc->dump(2) << "\n";
  const auto verify = [&](const ledger::Genesis& g) { return verify_account_answer(*doc, *address, g); };
  if (opts.json_output) return opts.verify ? print_verification(io, opts, verify) : kExitOk;
  const json& d = *doc;
  io.out << fmt::format("address     {}\n", d["address"].get<std::string>())
         << fmt::format("balance     {}\n", u64_of(d["balance"]))
         << fmt::format("nonce       {} (next with pending: {})\n", u64_of(d["nonce"]),
                        u64_of(d["next_nonce"]))
         << fmt::format("exists      {}\n", d["exists"].get<bool>() ? "yes" : "no")
         << fmt::format("at height   {} (state root {})\n", d["height"].get<std::uint64_t>(),
                        d["state_root"].get<std::string>())
         << fmt::format("proof       {} siblings\n", d["proof"]["siblings"].size());
  return opts.verify ? print_verification(io, opts, verify) : kExitOk;
}

int run_query_tx(Io& io, ClientOptions opts, const std::string& hash) {
  if (auto st = prepare_signer(io, opts); !st.ok()) return fail(io, st.error());
  auto tx_hash = core::array_from_hex<32>(hash);
  if (!tx_hash.ok()) return fail(io, core::make_error(tx_hash.error().code, "transaction hash: " + tx_hash.error().message));
  auto doc = call(opts, "GET", "/v1/txs/" + hash);
  if (!doc.ok()) return fail(io, doc.error());
  const auto verify = [&](const ledger::Genesis& g) { return verify_tx_answer(*doc, *tx_hash, g); };
  if (opts.json_output) {
    io.out << doc->dump(2) << "\n";
    return opts.verify ? print_verification(io, opts, verify) : kExitOk;
  }
  const json& d = *doc;
  const std::string status = d["status"].get<std::string>();
  io.out << "status      " << status << "\n";
  if (d.contains("tx")) {
    const json& tx = d["tx"];
    io.out << "hash        " << tx["hash"].get<std::string>() << "\n"
           << "from        " << tx["sender"].get<std::string>() << " (nonce " << u64_of(tx["nonce"]) << ")\n"
           << "payload     " << tx["payload"]["module"].get<std::string>() << "/" << tx["payload"]["kind"].get<std::string>()
           << "\n";
    if (tx["payload"].contains("to")) io.out << "to          " << tx["payload"]["to"].get<std::string>() << "\n";
    if (tx["payload"].contains("amount")) io.out << "amount      " << tx["payload"]["amount"].dump() << "\n";
    io.out << "bid         " << u64_of(tx["bid"]) << " (max fee " << u64_of(tx["max_fee"])
           << ")\n";
  }
  if (status == "committed") {
    const json& r = d["receipt"];
    io.out << "height      " << d["height"].get<std::uint64_t>() << " (index " << d["index"].get<std::uint32_t>() << ")\n"
           << "result      " << r["status"].get<std::string>() << ", fee paid " << u64_of(r["fee_paid"])
           << "\n";
    if (r.contains("error")) io.out << "error       " << r["error"]["message"].get<std::string>() << "\n";
    io.out << "proof       " << d["inclusion_proof"]["path"].size() << " hashes to tx root "
           << d["tx_root"].get<std::string>() << "\n";
  } else if (status == "dropped") {
    io.out << "error       " << d["error"]["code"].get<std::string>() << ": " << d["error"]["message"].get<std::string>()
           << "\n";
  }
  return opts.verify ? print_verification(io, opts, verify) : kExitOk;
}

int run_query_block(Io& io, ClientOptions opts, const std::string& which) {
  if (auto st = prepare_signer(io, opts); !st.ok()) return fail(io, st.error());
  auto doc = call(opts, "GET", "/v1/blocks/" + which);
  if (!doc.ok()) return fail(io, doc.error());
  const auto verify = [&](const ledger::Genesis& g) { return verify_block_answer(*doc, g); };
  if (opts.json_output) {
    io.out << doc->dump(2) << "\n";
    return opts.verify ? print_verification(io, opts, verify) : kExitOk;
  }
  const json& h = (*doc)["header"];
  io.out << "height      " << h["height"].get<std::uint64_t>() << "\n"
         << "hash        " << (*doc)["hash"].get<std::string>() << "\n"
         << "parent      " << h["parent_hash"].get<std::string>() << "\n"
         << "time        " << h["timestamp_unix_ms"].get<std::int64_t>() << " (unix ms)\n"
         << "txs         " << h["tx_count"].get<std::uint32_t>() << "\n"
         << "base fee    " << u64_of(h["base_fee"]) << "\n"
         << "state root  " << h["state_root"].get<std::string>() << "\n"
         << "tx root     " << h["tx_root"].get<std::string>() << "\n"
         << "certificate "
         << ((*doc)["certificate"].is_null() ? std::string("not gathered yet")
                                               : std::to_string((*doc)["certificate"]["signatures"].size()) +
                                                     " validator signature(s) over this header")
         << "\n";
  return opts.verify ? print_verification(io, opts, verify) : kExitOk;
}

}  // namespace

void add_chain_commands(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  CLI::App* tx = app.add_subcommand("tx", "Sign and submit transactions");
  tx->require_subcommand(1);
  auto t = std::make_shared<TransferOptions>();
  CLI::App* transfer = tx->add_subcommand("transfer", "Transfer tokens, signed with a key from the key store");
  add_send_options(transfer, t->send);
  transfer->add_option("--to", t->to, "Recipient address (mn1…)")->required();
  transfer->add_option("--amount", t->amount, "Amount to send")->required();
  transfer->callback([&io, &dispatch, t] { dispatch = [&io, t] { return run_transfer(io, *t); }; });
  auto g = std::make_shared<SendOptions>();
  CLI::App* send = tx->add_subcommand(
      "send", "Sign and submit any module's payload: --module M --kind K with --fields JSON or --data HEX");
  add_send_options(send, *g);
  send->add_option("--module", g->module, "Module that runs the payload (bank, ...)")->required();
  send->add_option("--kind", g->kind, "Payload kind of that module (bank: transfer)")->required();
  send->add_option("--fields", g->fields_json, "The kind's fields as a JSON object, e.g. '{\"to\":\"mn1…\",\"amount\":5}'");
  send->add_option("--data", g->data_hex, "The payload's canonical bytes in hex (for a module this CLI does not map)");
  send->callback([&io, &dispatch, g] { dispatch = [&io, g] { return run_generic_send(io, *g); }; });

  CLI::App* query = app.add_subcommand("query", "Read accounts, transactions and blocks from a node");
  query->require_subcommand(1);
  auto q = std::make_shared<ClientOptions>();
  auto arg = std::make_shared<std::string>();
  CLI::App* account = query->add_subcommand("account", "Balance, nonce and state proof of an account");
  account->add_option("address", *arg, "Address (mn1…)")->required();
  add_client_options(account, *q);
  add_verify_options(account, *q);
  account->callback([&io, &dispatch, q, arg] { dispatch = [&io, q, arg] { return run_query_account(io, *q, *arg); }; });
  CLI::App* txq = query->add_subcommand("tx", "A transaction: receipt, height and inclusion proof");
  txq->add_option("hash", *arg, "Transaction hash (hex)")->required();
  add_client_options(txq, *q);
  add_verify_options(txq, *q);
  txq->callback([&io, &dispatch, q, arg] { dispatch = [&io, q, arg] { return run_query_tx(io, *q, *arg); }; });
  CLI::App* block = query->add_subcommand("block", "A block by height, or latest");
  block->add_option("height", *arg, "Height or 'latest'")->required();
  add_client_options(block, *q);
  add_verify_options(block, *q);
  block->callback([&io, &dispatch, q, arg] { dispatch = [&io, q, arg] { return run_query_block(io, *q, *arg); }; });
}

}  // namespace metanode::cli
