// The ledger API over real HTTP: a single-validator node on a free port, blocks made only when a
// test calls produce_once(). Every refusal is checked three ways: the HTTP status, the stable
// error code in the body, and that nothing was applied (state, nonce and mempool unchanged).
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "api/cage/http_signature.hpp"
#include "api/cage/request_auth.hpp"
#include "api/http/http_client.hpp"
#include "services/proofs/proof_check.hpp"
#include "cli/request_signer.hpp"
#include "services/route_table.hpp"
#include "services/ledger/ledger_json.hpp"
#include "services/ledger/ledger_service.hpp"
#include "core/codec.hpp"
#include "crypto/hybrid.hpp"
#include "crypto/mldsa.hpp"
#include "crypto/signed_note.hpp"
#include "ledger/audit_proofs.hpp"
#include "ledger/chain.hpp"
#include "merkle/merkle_tree.hpp"
#include "storage/audit_log.hpp"
#include "merkle/sparse_merkle_tree.hpp"
#include "modules/bank.hpp"
#include "modules/econ/econ.hpp"
#include "modules/governance/governance.hpp"
#include "modules/oracle/oracle.hpp"
#include "modules/registry/registry.hpp"
#include "modules/module_set.hpp"
#include "support/json_u64.hpp"
#include "support/kv_module.hpp"
#include "support/raw_socket.hpp"
#include "support/single_producer.hpp"
#include "support/wait.hpp"
#include "node/node.hpp"
#include "storage/keys.hpp"
#include "storage/write_batch.hpp"

namespace metanode::node {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using nlohmann::json;

// Only to catch hangs: every exchange here takes milliseconds.
constexpr std::chrono::seconds kHangGuard{10};

constexpr std::uint64_t kAliceBalance = 1'000'000;
constexpr std::uint64_t kBaseFee = 2;
constexpr std::uint64_t kMaxFee = 100;
constexpr std::uint64_t kBid = 5;
constexpr std::uint64_t kFee = kBaseFee + kBid;  // what a transfer pays in block 1 (below max_fee)

struct Reply {
  unsigned status = 0;
  std::string body;
  json doc;  // discarded when the body is not JSON

  std::string code() const {
    if (!doc.is_object() || !doc.contains("error")) return "(no error object in: " + body + ")";
    return doc["error"].value("code", "(no code)");
  }
  std::string message() const {
    if (!doc.is_object() || !doc.contains("error")) return "";
    return doc["error"].value("message", "");
  }
};

// Runs `io` until the operations started on it finish or the guard expires. Beast's stream
// timeouts apply to asynchronous operations only, so every exchange here is asynchronous and
// bounded twice: by the stream's expiry and by run_for.
bool run_bounded(asio::io_context& io) {
  io.restart();
  io.run_for(kHangGuard + std::chrono::seconds(2));
  return io.stopped();
}

// One request on a fresh connection. The request is written in full before the answer is read;
// a server that answers early (413, 431) must still let the client read that answer.
Reply exchange(std::uint16_t port, http::request<http::string_body> req) {
  req.set(http::field::host, "127.0.0.1");
  req.prepare_payload();
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16u << 20);
  beast::error_code connect_ec;
  beast::error_code write_ec;
  beast::error_code read_ec = asio::error::would_block;
  stream.expires_after(kHangGuard);
  stream.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), [&](beast::error_code ec) {
    if (ec) {
      connect_ec = ec;
      read_ec = ec;
      return;
    }
    http::async_write(stream, req, [&](beast::error_code ec_write, std::size_t) {
      write_ec = ec_write;
      http::async_read(stream, buffer, parser, [&](beast::error_code ec2, std::size_t) { read_ec = ec2; });
    });
  });
  const bool finished = run_bounded(io);
  Reply reply;
  if (!finished || read_ec) {
    ADD_FAILURE() << req.method_string() << " " << req.target() << ": no answer (connect: " << connect_ec.message()
                  << ", write: " << write_ec.message() << ", read: " << read_ec.message()
                  << (finished ? "" : ", hung") << ")";
    return reply;
  }
  auto res = parser.release();
  reply.status = res.result_int();
  reply.body = std::move(res.body());
  reply.doc = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  return reply;
}

Reply request(std::uint16_t port, http::verb method, const std::string& target, std::string body = "",
              const std::string& content_type = "application/json") {
  http::request<http::string_body> req(method, target, 11);
  if (!body.empty() || method == http::verb::post) {
    req.set(http::field::content_type, content_type);
    req.body() = std::move(body);
  }
  return exchange(port, std::move(req));
}

std::string as_string(const core::Bytes& bytes) { return std::string(core::as_chars(bytes)); }

bool can_connect(std::uint16_t port) {
  asio::io_context io;
  tcp::socket socket(io);
  beast::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), ec);
  return !ec;
}

crypto::Address address_of(const crypto::KeyPair& key) { return crypto::Address::from_public_key(key.public_key()); }

class ApiTest : public ::testing::Test {
 protected:
  // What a signed request to this node is tagged with (its genesis digest).
  std::string chain_tag() const { return api::cage::chain_tag(genesis_.digest()); }
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "metanode-api-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    genesis_.chain_id = "api-test";
    genesis_.genesis_time_unix_ms = 1'000;
    genesis_.base_fee_initial = kBaseFee;
    genesis_.base_fee_min = 1;
    genesis_.validators.push_back({"v0", validator_.public_key(), validator_pq_.public_key()});
    genesis_.accounts.push_back({address_of(alice_), kAliceBalance});
    // Alice is a 1-of-1 council and an auditor: the Cage tests call auditor routes as her.
    // One key per built-in role, for the route x role table.
    nlohmann::json grants = {{address_of(alice_).to_string(), {"auditor"}}};
    for (const auto& [role, key] : role_keys_) grants[address_of(key).to_string()] = {role};
    genesis_.modules["gov"] = nlohmann::json{{"council", {{"threshold", 1}, {"members", {address_of(alice_).to_string()}}}},
                                             {"grants", grants}}
                                  .dump();
    start_node();
  }

  void TearDown() override {
    stop_node();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // With the default interval, blocks are made only when a test calls produce().
  void stop_node() {
    producer_.reset();
    node_.reset();
  }
  void start_node(std::uint32_t block_interval_ms = 600'000) {
    NodeConfig config;
    config.config_dir = dir_;
    config.ephemeral_ports = true;
    config.run_consensus = false;
    config.block_interval_ms = block_interval_ms;
    config.http_threads = 2;
    config.api = api_policy_;
    NodePlugins plugins;
    plugins.modules = modules_;
    plugins.extra_services = extra_services_;
    plugins.extra_routes = extra_routes_;
    config.audit_checkpoint_events = 5;
    config.block_txs_max = block_txs_max_;
    config.empty_blocks = empty_blocks_;
    auto node = Node::open(config, genesis_, crypto::HybridKeyPair(validator_, validator_pq_), std::move(plugins));
    ASSERT_TRUE(node.ok()) << node.error().to_string();
    node_ = std::move(node).value();
    auto started = node_->start();
    ASSERT_TRUE(started.ok()) << started.error().to_string();
    producer_ = std::make_unique<testing::SingleProducer>(*node_);
    if (block_interval_ms < 600'000) producer_->start(std::chrono::milliseconds(block_interval_ms));
    port_ = node_->ledger_port();
    ASSERT_NE(port_, 0);
  }

  Reply get(const std::string& target) { return request(port_, http::verb::get, target); }
  // GET signed by `signer` (RFC 9421, this chain's tag) with `nonce`; unsigned when null.
  api::HttpReply signed_get(const std::string& target, const crypto::KeyPair* signer, const std::string& nonce) {
    api::HeaderList headers;
    if (signer != nullptr) {
      const std::string authority = "127.0.0.1:" + std::to_string(port_);
      const std::string key_hex = signer->public_key().to_hex();
      api::cage::MessageView view{"GET", "http", authority, target, "", [&](std::string_view name) -> std::optional<std::string> {
                                    if (name == "metanode-key") return key_hex;
                                    return std::nullopt;
                                  }};
      const auto h = api::cage::sign_message(view, {"@method", "@target-uri", "metanode-key"}, *signer,
                                             address_of(*signer).to_string(),
                                             std::chrono::duration_cast<std::chrono::seconds>(
                                                 std::chrono::system_clock::now().time_since_epoch()).count(),
                                             nonce, "sig1", chain_tag());
      headers = {{"Metanode-Key", key_hex}, {"Signature-Input", h.signature_input}, {"Signature", h.signature}};
    }
    auto reply = api::http_request("http://127.0.0.1:" + std::to_string(port_), "GET", target, "", "application/json",
                                   std::chrono::milliseconds(5'000), headers);
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? *reply : api::HttpReply{};
  }
  // The chain's modules and extra services (a test may add its own before starting a node).
  ledger::ModuleSet modules_ = modules::standard_modules();
  std::vector<std::shared_ptr<services::Service>> extra_services_;
  std::size_t block_txs_max_ = 20'000;  // [mempool] of the node start_node opens
  bool empty_blocks_ = false;
  std::vector<std::tuple<std::string, std::string, api::cage::Access>> extra_routes_;
  Reply submit_json(const json& doc) { return request(port_, http::verb::post, "/v1/txs", doc.dump()); }
  Reply submit_text(const std::string& body) { return request(port_, http::verb::post, "/v1/txs", body); }
  Reply submit_binary(const std::string& body) {
    return request(port_, http::verb::post, "/v1/txs", body, "application/octet-stream");
  }

  ledger::Transaction transfer(const crypto::KeyPair& from, std::uint64_t nonce, std::uint64_t amount,
                               const crypto::Address& to) const {
    ledger::Transaction tx;
    tx.chain_id = genesis_.chain_id;
    tx.nonce = nonce;
    tx.max_fee = kMaxFee;
    tx.bid = kBid;
    tx.payload = modules::transfer_payload(to, amount);
    tx.memo = "api test";
    tx.sign_single(from, genesis_.digest());
    return tx;
  }
  ledger::Transaction alice_to_bob(std::uint64_t nonce, std::uint64_t amount) const {
    return transfer(alice_, nonce, amount, bob_);
  }

  json account(const crypto::Address& address) {
    const Reply r = get("/v1/accounts/" + address.to_string());
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.doc;
  }
  std::uint64_t pending_count() {
    const Reply r = get("/v1/mempool");
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.doc.is_object() ? r.doc.value("pending", std::uint64_t{999}) : 999;
  }
  std::optional<ledger::ProducedBlock> produce() {
    auto produced = producer_->produce_once();
    EXPECT_TRUE(produced.ok()) << produced.error().to_string();
    return produced.ok() ? std::move(produced).value() : std::nullopt;
  }

  struct Snapshot {
    std::uint64_t height = 0;
    std::uint64_t alice_balance = 0;
    std::uint64_t alice_nonce = 0;
    std::uint64_t pending = 0;
  };
  Snapshot snapshot() {
    const json a = account(address_of(alice_));
    return {node_->chain().head().height, testing::u64_field(a, "balance", 0), testing::u64_field(a, "nonce", 0),
            pending_count()};
  }
  // For refusals made with an empty mempool: the pool stays empty, so a block attempt makes no
  // block, and alice's account is what it was.
  void expect_nothing_applied(const Snapshot& before) {
    ASSERT_EQ(before.pending, 0u) << "expect_nothing_applied needs an empty mempool to start from";
    EXPECT_EQ(pending_count(), 0u) << "a refused submission reached the mempool";
    EXPECT_FALSE(produce().has_value()) << "a refused submission made it into a block";
    const Snapshot after = snapshot();
    EXPECT_EQ(after.height, before.height);
    EXPECT_EQ(after.alice_balance, before.alice_balance);
    EXPECT_EQ(after.alice_nonce, before.alice_nonce);
  }

  void expect_refused(const Reply& r, unsigned status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.code(), code) << r.body;
  }

  fs::path dir_;
  ledger::Genesis genesis_;
  node::ApiPolicy api_policy_;  // [api] of the node start_node opens
  std::map<std::string, crypto::KeyPair> role_keys_ = {
      {"admin", crypto::KeyPair::generate()},     {"operator", crypto::KeyPair::generate()},
      {"auditor", crypto::KeyPair::generate()},   {"validator", crypto::KeyPair::generate()},
      {"user", crypto::KeyPair::generate()},      {"oracle", crypto::KeyPair::generate()}};
  crypto::KeyPair validator_ = crypto::KeyPair::generate();
  crypto::MldsaKeyPair validator_pq_ = crypto::MldsaKeyPair::generate();
  crypto::KeyPair alice_ = crypto::KeyPair::generate();
  crypto::Address bob_ = address_of(crypto::KeyPair::generate());
  std::unique_ptr<Node> node_;
  std::unique_ptr<testing::SingleProducer> producer_;  // after node_: destroyed first
  std::uint16_t port_ = 0;
};

// ---------------------------------------------------------------------------------------------
// 1. The happy path

TEST_F(ApiTest, JsonSubmissionIsCommittedWithProofsThatVerify) {
  const ledger::Transaction tx = alice_to_bob(0, 1'234);
  const std::string hash = core::to_hex(tx.hash());

  const Reply submitted = submit_json(services::to_json(tx, modules::standard_modules()));
  ASSERT_EQ(submitted.status, 202u) << submitted.body;
  EXPECT_EQ(submitted.doc.value("hash", ""), hash);
  EXPECT_EQ(submitted.doc.value("status", ""), "pending");

  const Reply pending = get("/v1/txs/" + hash);
  ASSERT_EQ(pending.status, 200u) << pending.body;
  EXPECT_EQ(pending.doc.value("status", ""), "pending");
  // Why it is not in a block yet: in line, at the tip it pays over the base fee.
  EXPECT_EQ(pending.doc["waiting"].value("code", ""), "in_line") << pending.body;
  EXPECT_EQ(testing::u64_field(pending.doc["waiting"], "tip", 0), kBid);
  EXPECT_EQ(testing::u64_field(pending.doc["waiting"], "base_fee", 0), kBaseFee);
  // A later nonce with one missing before it says what it waits for.
  const ledger::Transaction later = alice_to_bob(2, 1);
  ASSERT_EQ(submit_json(services::to_json(later, modules::standard_modules())).status, 202u);
  const Reply gap = get("/v1/txs/" + core::to_hex(later.hash()));
  EXPECT_EQ(gap.doc["waiting"].value("code", ""), "tx_nonce_gap") << gap.body;
  EXPECT_NE(gap.doc["waiting"].value("message", "").find("from nonce 0"), std::string::npos) << gap.body;
  EXPECT_EQ(pending_count(), 2u);
  EXPECT_EQ(testing::u64_field(account(address_of(alice_)), "next_nonce", 0), 1u);

  const auto produced = produce();
  ASSERT_TRUE(produced.has_value());
  ASSERT_EQ(produced->stored.block.header.height, 1u);

  const Reply committed = get("/v1/txs/" + hash);
  ASSERT_EQ(committed.status, 200u) << committed.body;
  const json& c = committed.doc;
  EXPECT_EQ(c.value("status", ""), "committed");
  EXPECT_EQ(c.value("height", std::uint64_t{0}), 1u);
  EXPECT_EQ(c["receipt"].value("status", ""), "success");
  EXPECT_EQ(testing::u64_field(c["receipt"], "fee_paid", 0), kFee);
  EXPECT_EQ(c["tx"].value("hash", ""), hash);

  // The inclusion proof verifies against the tx_root the block (read over HTTP) commits to.
  const Reply block = get("/v1/blocks/1?full=true&receipts=true");
  ASSERT_EQ(block.status, 200u) << block.body;
  const std::string tx_root_hex = block.doc["header"].value("tx_root", "");
  EXPECT_EQ(c.value("tx_root", ""), tx_root_hex);
  auto tx_root = core::array_from_hex<32>(tx_root_hex);
  ASSERT_TRUE(tx_root.ok());
  auto proof_bytes = core::from_hex(c["inclusion_proof"].value("encoded", ""));
  ASSERT_TRUE(proof_bytes.ok());
  auto proof = core::decode<merkle::InclusionProof>(*proof_bytes);
  ASSERT_TRUE(proof.ok()) << proof.error().to_string();
  EXPECT_TRUE(merkle::verify_inclusion(merkle::leaf_hash(tx.hash()), *proof, *tx_root).ok());
  EXPECT_FALSE(merkle::verify_inclusion(merkle::leaf_hash(alice_to_bob(0, 1'235).hash()), *proof, *tx_root).ok());
  ASSERT_EQ(block.doc["txs"].size(), 1u);
  EXPECT_EQ(block.doc["txs"][0].value("hash", ""), hash);
  ASSERT_EQ(block.doc["receipts"].size(), 1u);
  EXPECT_EQ(block.doc["receipts"][0].value("status", ""), "success");
  EXPECT_EQ(get("/v1/blocks/latest").doc.value("hash", "x"), block.doc.value("hash", "y"));

  // The recipient's account, with a state proof against the block's state root.
  const json to = account(bob_);
  EXPECT_TRUE(to.value("exists", false));
  EXPECT_EQ(testing::u64_field(to, "balance", 0), 1'234u);
  EXPECT_EQ(to.value("height", std::uint64_t{0}), 1u);
  EXPECT_EQ(to.value("state_root", ""), block.doc["header"].value("state_root", ""));
  auto state_root = core::array_from_hex<32>(to.value("state_root", ""));
  ASSERT_TRUE(state_root.ok());
  auto smt_bytes = core::from_hex(to["proof"].value("encoded", ""));
  ASSERT_TRUE(smt_bytes.ok());
  auto smt_proof = core::decode<merkle::SmtProof>(*smt_bytes);
  ASSERT_TRUE(smt_proof.ok()) << smt_proof.error().to_string();
  const ledger::Account bob_account{1'234, 0};
  // Accounts are the bank module's entries: tree key = hash(state-key, "bank" || address).
  const core::Hash32 bob_key = ledger::state_tree_key("bank", bob_.bytes);
  EXPECT_EQ(to.value("tree_key", ""), core::to_hex(bob_key));
  EXPECT_TRUE(merkle::SparseMerkleTree::verify_proof(*state_root, bob_key, core::encode(bob_account), *smt_proof).ok());
  const ledger::Account forged{1'235, 0};
  EXPECT_FALSE(merkle::SparseMerkleTree::verify_proof(*state_root, bob_key, core::encode(forged), *smt_proof).ok());

  const json alice = account(address_of(alice_));
  EXPECT_EQ(testing::u64_field(alice, "balance", 0), kAliceBalance - 1'234 - kFee);
  EXPECT_EQ(testing::u64_field(alice, "nonce", 9), 1u);
  EXPECT_EQ(pending_count(), 1u);  // nonce 2 still waits for nonce 1
}

// A transaction whose max fee the base fee outgrows waits in the pool and says why; once the
// base fee falls back it goes in.
TEST_F(ApiTest, ATransactionTheBaseFeeOutgrowsWaitsSaysWhyAndGoesInWhenItFalls) {
  stop_node();
  fs::remove_all(dir_ / "data");
  const crypto::KeyPair carol = crypto::KeyPair::generate();
  genesis_.accounts.push_back({address_of(carol), kAliceBalance});
  genesis_.block_txs_target = 1;
  block_txs_max_ = 2;
  empty_blocks_ = true;
  start_node();
  const auto base_fee = [&] { return testing::u64_field(get("/v1/mempool").doc, "base_fee", 0); };
  // Block 1 holds two transfers, fuller than the target of one: the base fee rises from 2 to 3.
  for (std::uint64_t n : {0, 1}) ASSERT_EQ(submit_json(services::to_json(alice_to_bob(n, 1), modules::standard_modules())).status, 202u);
  ASSERT_TRUE(produce().has_value());
  ASSERT_EQ(base_fee(), 3u);
  // Carol pays at most 3 and tips nothing; Alice's tipped transfers take block 2 (two a block),
  // again fuller than the target: 3 -> 4, and Carol's no longer covers it.
  ledger::Transaction frugal;
  frugal.chain_id = genesis_.chain_id;
  frugal.nonce = 0;
  frugal.max_fee = 3;
  frugal.bid = 0;
  frugal.payload = modules::transfer_payload(bob_, 1);
  frugal.sign_single(carol, genesis_.digest());
  ASSERT_EQ(submit_json(services::to_json(frugal, modules::standard_modules())).status, 202u);
  for (std::uint64_t n : {2, 3}) ASSERT_EQ(submit_json(services::to_json(alice_to_bob(n, 1), modules::standard_modules())).status, 202u);
  ASSERT_TRUE(produce().has_value());
  ASSERT_EQ(base_fee(), 4u);
  const Reply waiting = get("/v1/txs/" + core::to_hex(frugal.hash()));
  ASSERT_EQ(waiting.doc.value("status", ""), "pending") << waiting.body;
  EXPECT_EQ(waiting.doc["waiting"].value("code", ""), "tx_fee_too_low") << waiting.body;
  EXPECT_NE(waiting.doc["waiting"].value("message", "").find("does not cover the base fee 4"), std::string::npos) << waiting.body;
  // An empty block brings the base fee down to 3: the next block takes Carol's transfer.
  ASSERT_TRUE(produce().has_value());
  ASSERT_EQ(base_fee(), 3u);
  EXPECT_EQ(get("/v1/txs/" + core::to_hex(frugal.hash())).doc["waiting"].value("code", ""), "in_line");
  ASSERT_TRUE(produce().has_value());
  const Reply committed = get("/v1/txs/" + core::to_hex(frugal.hash()));
  EXPECT_EQ(committed.doc.value("status", ""), "committed") << committed.body;
  EXPECT_EQ(testing::u64_field(committed.doc["receipt"], "fee_paid", 0), 3u);
}

TEST_F(ApiTest, BinarySubmissionIsCommitted) {
  const ledger::Transaction tx = alice_to_bob(0, 77);
  const Reply submitted = submit_binary(as_string(core::encode(tx)));
  ASSERT_EQ(submitted.status, 202u) << submitted.body;
  EXPECT_EQ(submitted.doc.value("hash", ""), core::to_hex(tx.hash()));
  ASSERT_TRUE(produce().has_value());
  const Reply committed = get("/v1/txs/" + core::to_hex(tx.hash()));
  EXPECT_EQ(committed.doc.value("status", ""), "committed") << committed.body;
  EXPECT_EQ(testing::u64_field(account(bob_), "balance", 0), 77u);
}

// ---------------------------------------------------------------------------------------------
// 2. Malformed JSON

TEST_F(ApiTest, MalformedJsonIsRefusedAsTxMalformed) {
  const Snapshot before = snapshot();
  const json valid = services::to_json(alice_to_bob(0, 10), modules::standard_modules());
  auto without = [&](const std::string& field) {
    json doc = valid;
    doc.erase(field);
    return doc.dump();
  };
  auto with = [&](const std::function<void(json&)>& change) {
    json doc = valid;
    change(doc);
    return doc.dump();
  };
  // JSON numbers beyond u64 cannot be held in a json value; splice the literal into the text.
  auto with_amount_literal = [&](const std::string& literal) {
    json doc = valid;
    doc["payload"]["amount"] = "AMOUNT_SENTINEL";
    std::string text = doc.dump();
    const auto at = text.find("\"AMOUNT_SENTINEL\"");
    text.replace(at, std::string("\"AMOUNT_SENTINEL\"").size(), literal);
    return text;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not JSON", "{\"chain_id\": \"api-test\", "},
      {"empty body", ""},
      {"an array", "[]"},
      {"a string", "\"transfer\""},
      {"missing nonce", without("nonce")},
      {"missing payload", without("payload")},
      {"missing signature", without("signature")},
      {"missing chain_id", without("chain_id")},
      {"missing amount", with([](json& d) { d["payload"].erase("amount"); })},
      {"float nonce", with([](json& d) { d["nonce"] = 1.5; })},
      {"whole float nonce", with([](json& d) { d["nonce"] = 0.0; })},
      {"negative max_fee", with([](json& d) { d["max_fee"] = -1; })},
      {"bool bid", with([](json& d) { d["bid"] = true; })},
      {"amount with letters", with([](json& d) { d["payload"]["amount"] = "12abc"; })},
      {"negative amount string", with([](json& d) { d["payload"]["amount"] = "-10"; })},
      {"empty amount string", with([](json& d) { d["payload"]["amount"] = ""; })},
      {"amount 2^64 as a number", with_amount_literal("18446744073709551616")},
      {"amount 2^64 as a string", with_amount_literal("\"18446744073709551616\"")},
      {"amount far beyond u64", with_amount_literal("1e30")},
      {"bad sender_key hex", with([](json& d) { d["sender_key"] = "zz"; })},
      {"bad recipient address", with([](json& d) { d["payload"]["to"] = "mn1notanaddress"; })},
      {"payload module not a name", with([](json& d) { d["payload"]["module"] = "Bank!"; })},
      {"missing payload kind", with([](json& d) { d["payload"].erase("kind"); })},
      {"payload data not hex", with([](json& d) { d["payload"]["data"] = "zz"; })},
  };
  for (const auto& [what, body] : cases) {
    SCOPED_TRACE(what);
    const Reply r = submit_text(body);
    expect_refused(r, 400, "tx_malformed");
  }
  // The splice itself yields the valid document when given the valid amount (a decimal string,
  // as the API writes u64 values).
  ASSERT_EQ(json::parse(with_amount_literal("\"10\"")), valid);
  ASSERT_EQ(valid["payload"]["amount"], "10");
  // A module or kind this chain does not run has its own code.
  expect_refused(submit_text(with([](json& d) { d["payload"]["kind"] = "mint"; })), 400, "tx_unknown_payload");
  expect_refused(submit_text(with([](json& d) { d["payload"]["module"] = "mint"; })), 400, "tx_unknown_payload");
  expect_nothing_applied(before);
}

// ---------------------------------------------------------------------------------------------
// 3. Bad binary bodies and oversized requests

TEST_F(ApiTest, TruncatedOrPaddedBinaryIsRefused) {
  const Snapshot before = snapshot();
  const std::string encoded = as_string(core::encode(alice_to_bob(0, 10)));

  const Reply truncated = submit_binary(encoded.substr(0, encoded.size() - 1));
  expect_refused(truncated, 400, "tx_malformed");
  EXPECT_NE(truncated.message().find("truncated"), std::string::npos) << truncated.body;

  const Reply trailing = submit_binary(encoded + std::string(1, '\0'));
  expect_refused(trailing, 400, "tx_malformed");
  EXPECT_NE(trailing.message().find("trailing"), std::string::npos) << trailing.body;

  expect_refused(submit_binary(""), 400, "tx_malformed");
  expect_refused(submit_binary(std::string(100, '\xff')), 400, "tx_malformed");
  // Larger than any transaction, smaller than the body limit.
  expect_refused(submit_binary(std::string(ledger::kTxBytesMax + 1, '\0')), 413, "tx_too_large");
  expect_nothing_applied(before);
}

TEST_F(ApiTest, OversizedBodyIs413AndOversizedHeaderIs431) {
  const Snapshot before = snapshot();
  const std::string big(services::kSubmitBodyBytesMax + 1, 'a');
  expect_refused(submit_binary(big), 413, "body_too_large");
  expect_refused(submit_text(big), 413, "body_too_large");

  http::request<http::string_body> req(http::verb::get, "/health", 11);
  req.set("X-Padding", std::string(20 * 1024, 'h'));
  expect_refused(exchange(port_, std::move(req)), 431, "header_too_large");

  // The server is still up and answering after refusing them.
  EXPECT_EQ(get("/health").status, 200u);
  expect_nothing_applied(before);
}

// ---------------------------------------------------------------------------------------------
// 4. Well-formed but invalid transactions

TEST_F(ApiTest, BadSignatureIsRefused) {
  const Snapshot before = snapshot();
  ledger::Transaction tx = alice_to_bob(0, 10);
  tx.signature.bytes[3] ^= 1;
  const Reply forged = submit_json(services::to_json(tx, modules::standard_modules()));
  expect_refused(forged, 400, "bad_signature");
  EXPECT_EQ(forged.doc["error"]["stage"], "signature") << forged.body;
  EXPECT_EQ(forged.doc["error"]["rule"], "consensus") << forged.body;
  expect_refused(submit_binary(as_string(core::encode(tx))), 400, "bad_signature");
  // A changed field under a valid signature is a bad signature too.
  ledger::Transaction altered = alice_to_bob(0, 10);
  altered.payload = modules::transfer_payload(bob_, 10'000);
  expect_refused(submit_json(services::to_json(altered, modules::standard_modules())), 400, "bad_signature");
  expect_nothing_applied(before);
}

TEST_F(ApiTest, WrongChainIsRefused) {
  const Snapshot before = snapshot();
  ledger::Transaction tx = alice_to_bob(0, 10);
  tx.chain_id = "other-chain";
  tx.sign_single(alice_, genesis_.digest());
  expect_refused(submit_json(services::to_json(tx, modules::standard_modules())), 400, "tx_wrong_chain");
  expect_nothing_applied(before);
}

// Same chain id, signed for a genesis that differs in one field: the signature does not hold here.
TEST_F(ApiTest, ATransactionSignedForAnotherGenesisIsRefused) {
  const Snapshot before = snapshot();
  ledger::Genesis twin = genesis_;
  twin.base_fee_min += 1;
  ASSERT_EQ(twin.chain_id, genesis_.chain_id);
  ledger::Transaction tx = alice_to_bob(0, 10);
  tx.sign_single(alice_, twin.digest());
  expect_refused(submit_json(services::to_json(tx, modules::standard_modules())), 400, "bad_signature");
  expect_refused(submit_binary(as_string(core::encode(tx))), 400, "bad_signature");
  expect_nothing_applied(before);
  tx.sign_single(alice_, genesis_.digest());
  EXPECT_EQ(submit_binary(as_string(core::encode(tx))).status, 202u);
}

TEST_F(ApiTest, AMemoThatIsNotUtf8IsRefusedOverTheBinaryPath) {
  const Snapshot before = snapshot();
  ledger::Transaction tx = alice_to_bob(0, 10);
  tx.memo = std::string("caf\xc3", 4);  // a truncated two-byte sequence
  tx.sign_single(alice_, genesis_.digest());
  expect_refused(submit_binary(as_string(core::encode(tx))), 400, "tx_malformed");
  ledger::Transaction wrong_chain = alice_to_bob(0, 10);
  wrong_chain.chain_id = std::string("\xff\xfe", 2);
  wrong_chain.sign_single(alice_, genesis_.digest());
  const Reply r = submit_binary(as_string(core::encode(wrong_chain)));
  expect_refused(r, 400, "tx_wrong_chain");  // and the message that names it is still JSON
  expect_nothing_applied(before);
}

// Random transactions in over the binary path (valid and invalid text, names, sizes), each read
// back over every JSON route that can include it: no answer is ever a 5xx.
TEST_F(ApiTest, RandomBinaryTransactionsNeverMakeAJsonAnswerFail) {
  std::mt19937_64 rng(20261130);
  const auto random_bytes = [&rng](std::size_t n) {
    std::string out(n, '\0');
    for (auto& c : out) c = static_cast<char>(rng() & 0xff);
    return out;
  };
  // Within the codec's length limits (an encoder never writes past them), but not all valid names.
  const std::vector<std::string> names{"bank", "transfer", "kv", "x", "Bank", std::string(32, 'a'), "", "\xc3\xa9"};
  std::vector<std::string> hashes;
  std::uint64_t nonce = 0;
  std::size_t accepted = 0;
  for (std::uint64_t i = 0; i < 150; ++i) {
    ledger::Transaction tx = alice_to_bob(nonce, 1 + rng() % 50);
    switch (rng() % 4) {
      case 0: tx.memo = random_bytes(rng() % 40); break;                   // mostly not UTF-8
      case 1: tx.memo = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"; break;  // valid UTF-8
      case 2: tx.payload.module = names[rng() % names.size()]; tx.payload.kind = names[rng() % names.size()]; break;
      default: tx.payload.data = core::to_bytes(core::as_bytes(random_bytes(rng() % 80))); break;
    }
    tx.sign_single(alice_, genesis_.digest());
    const Reply submitted = submit_binary(as_string(core::encode(tx)));
    ASSERT_LT(submitted.status, 500u) << submitted.body;
    if (submitted.status == 202) ++nonce, ++accepted;
    hashes.push_back(core::to_hex(tx.hash()));
    ASSERT_LT(get("/v1/txs/" + hashes.back()).status, 500u);
    if (i % 10 == 9) produce();
  }
  produce();
  const std::uint64_t head = node_->chain().head().height;
  for (std::uint64_t h = 0; h <= head; ++h) {
    const Reply block = get("/v1/blocks/" + std::to_string(h) + "?full=true&receipts=true");
    ASSERT_EQ(block.status, 200u) << block.body;
    ASSERT_FALSE(block.doc.is_discarded()) << block.body;
  }
  for (const auto& hash : hashes) {
    const Reply r = get("/v1/txs/" + hash);
    ASSERT_LT(r.status, 500u) << r.body;
    ASSERT_FALSE(r.doc.is_discarded()) << r.body;
  }
  EXPECT_LT(get("/v1/accounts/" + address_of(alice_).to_string()).status, 500u);
  EXPECT_GT(accepted, 10u);  // the valid ones went through and were committed
  EXPECT_EQ(testing::u64_field(account(address_of(alice_)), "nonce", 0), nonce);
}

// What a light client does with only the genesis: every answer carries the canonical bytes, the
// block header and the header's certificate, and each proof checks against them; a tampered
// answer, or another chain's genesis, does not.
TEST_F(ApiTest, AnswersVerifyAgainstASignedHeaderWithOnlyTheGenesis) {
  const ledger::Transaction ok_tx = alice_to_bob(0, 1'000);
  const ledger::Transaction failing = alice_to_bob(1, kAliceBalance * 2);  // fails in its receipt
  ASSERT_EQ(submit_binary(as_string(core::encode(ok_tx))).status, 202u);
  ASSERT_EQ(submit_binary(as_string(core::encode(failing))).status, 202u);
  ASSERT_TRUE(produce().has_value());

  for (const auto* tx : {&ok_tx, &failing}) {
    const Reply r = get("/v1/txs/" + core::to_hex(tx->hash()));
    ASSERT_EQ(r.status, 200u) << r.body;
    const auto line = services::verify_tx_answer(r.doc, tx->hash(), genesis_);
    ASSERT_TRUE(line.ok()) << line.error().to_string();
    EXPECT_NE(line->find("signed by 1 of 1"), std::string::npos) << *line;
    EXPECT_FALSE(services::verify_tx_answer(r.doc, alice_to_bob(5, 1).hash(), genesis_).ok());
    json tampered = r.doc;
    auto receipt = core::decode<ledger::Receipt>(core::from_hex(tampered["receipt"]["encoded"].get<std::string>()).value()).value();
    receipt.status = receipt.status == ledger::ReceiptStatus::kSuccess ? ledger::ReceiptStatus::kFailed
                                                                        : ledger::ReceiptStatus::kSuccess;
    tampered["receipt"]["encoded"] = core::to_hex(core::encode(receipt));
    EXPECT_FALSE(services::verify_tx_answer(tampered, tx->hash(), genesis_).ok());
    tampered = r.doc;
    tampered["receipt_proof"]["encoded"] = tampered["inclusion_proof"]["encoded"];  // the tx's path, not the receipt's
    EXPECT_FALSE(services::verify_tx_answer(tampered, tx->hash(), genesis_).ok());
  }

  const Reply bob = get("/v1/accounts/" + bob_.to_string());
  ASSERT_EQ(bob.status, 200u) << bob.body;
  ASSERT_TRUE(services::verify_account_answer(bob.doc, bob_, genesis_).ok());
  json richer = bob.doc;
  richer["balance"] = "1000000";
  EXPECT_FALSE(services::verify_account_answer(richer, bob_, genesis_).ok());
  json forged_value = bob.doc;
  forged_value["value"] = core::to_hex(core::encode(ledger::Account{5'000, 0}));
  forged_value["balance"] = "5000";
  EXPECT_FALSE(services::verify_account_answer(forged_value, bob_, genesis_).ok());
  const crypto::Address nobody = address_of(crypto::KeyPair::generate());
  const Reply absent = get("/v1/accounts/" + nobody.to_string());
  ASSERT_TRUE(services::verify_account_answer(absent.doc, nobody, genesis_).ok());  // proven absent

  // At an earlier height: bob held nothing at block 0.
  const Reply then = get("/v1/accounts/" + bob_.to_string() + "?height=0");
  ASSERT_EQ(then.status, 200u) << then.body;
  EXPECT_EQ(testing::u64_field(then.doc, "balance", 9), 0u);
  EXPECT_EQ(get("/v1/accounts/" + bob_.to_string() + "?height=99").status, 404u);
  const Reply certified = get("/v1/accounts/" + bob_.to_string() + "?height=certified");
  ASSERT_EQ(certified.status, 200u) << certified.body;
  EXPECT_EQ(certified.doc.value("height", std::uint64_t{0}), 1u);  // a single producer signs as it stores
  EXPECT_EQ(get("/v1/accounts/" + bob_.to_string() + "?height=x").status, 400u);

  const Reply block = get("/v1/blocks/1");
  ASSERT_TRUE(services::verify_block_answer(block.doc, genesis_).ok());
  ledger::Genesis other = genesis_;
  other.block_txs_target += 1;  // one field differs: another chain, whose signatures these are not
  EXPECT_FALSE(services::verify_block_answer(block.doc, other).ok());
  json forged_header = block.doc;
  auto header = core::decode<ledger::Header>(core::from_hex(forged_header["header"]["encoded"].get<std::string>()).value()).value();
  header.state_root[0] ^= 1;
  forged_header["header"]["encoded"] = core::to_hex(core::encode(header));
  EXPECT_FALSE(services::verify_block_answer(forged_header, genesis_).ok());
}

TEST_F(ApiTest, ReplayedTransactionIsRefusedAfterCommit) {
  const ledger::Transaction tx = alice_to_bob(0, 10);
  ASSERT_EQ(submit_json(services::to_json(tx, modules::standard_modules())).status, 202u);
  ASSERT_TRUE(produce().has_value());
  const Snapshot before = snapshot();
  ASSERT_EQ(before.alice_nonce, 1u);
  expect_refused(submit_json(services::to_json(tx, modules::standard_modules())), 409, "tx_nonce_too_low");
  expect_refused(submit_binary(as_string(core::encode(tx))), 409, "tx_nonce_too_low");
  // A different transaction on the used nonce, too.
  const Reply reused = submit_json(services::to_json(alice_to_bob(0, 11), modules::standard_modules()));
  expect_refused(reused, 409, "tx_nonce_too_low");
  // The error says which admission stage refused it, and that a consensus rule did.
  EXPECT_EQ(reused.doc["error"]["stage"], "nonce") << reused.body;
  EXPECT_EQ(reused.doc["error"]["rule"], "consensus") << reused.body;
  expect_nothing_applied(before);
  EXPECT_EQ(testing::u64_field(account(bob_), "balance", 0), 10u);
}

TEST_F(ApiTest, DuplicatePendingSubmissionIsRefused) {
  const ledger::Transaction tx = alice_to_bob(0, 10);
  ASSERT_EQ(submit_json(services::to_json(tx, modules::standard_modules())).status, 202u);
  const Reply duplicate = submit_json(services::to_json(tx, modules::standard_modules()));
  expect_refused(duplicate, 409, "mempool_duplicate");
  EXPECT_EQ(duplicate.doc["error"]["stage"], "pool") << duplicate.body;
  EXPECT_EQ(duplicate.doc["error"]["rule"], "policy") << duplicate.body;
  expect_refused(submit_binary(as_string(core::encode(tx))), 409, "mempool_duplicate");
  EXPECT_EQ(pending_count(), 1u);
  const auto produced = produce();
  ASSERT_TRUE(produced.has_value());
  EXPECT_EQ(produced->stored.block.txs.size(), 1u);
  const json alice = account(address_of(alice_));
  EXPECT_EQ(testing::u64_field(alice, "nonce", 0), 1u);
  EXPECT_EQ(testing::u64_field(alice, "balance", 0), kAliceBalance - 10 - kFee);
  EXPECT_EQ(testing::u64_field(account(bob_), "balance", 0), 10u);
}

TEST_F(ApiTest, UnfundedSenderIsRefused) {
  const Snapshot before = snapshot();
  const crypto::KeyPair carol = crypto::KeyPair::generate();
  expect_refused(submit_json(services::to_json(transfer(carol, 0, 1, bob_), modules::standard_modules())), 400, "tx_insufficient_balance");
  EXPECT_FALSE(account(address_of(carol)).value("exists", true));
  expect_nothing_applied(before);
}

TEST_F(ApiTest, AmountAboveBalanceFailsInItsReceiptAndPaysOnlyTheFee) {
  const ledger::Transaction tx = alice_to_bob(0, kAliceBalance * 2);
  const Reply submitted = submit_json(services::to_json(tx, modules::standard_modules()));
  ASSERT_EQ(submitted.status, 202u) << submitted.body;  // the fee is covered, so it is admitted
  const auto produced = produce();
  ASSERT_TRUE(produced.has_value());
  ASSERT_EQ(produced->stored.block.txs.size(), 1u);

  const Reply r = get("/v1/txs/" + core::to_hex(tx.hash()));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.doc.value("status", ""), "committed");
  const json& receipt = r.doc["receipt"];
  EXPECT_EQ(receipt.value("status", ""), "failed");
  EXPECT_EQ(receipt["error"].value("code", ""), "tx_insufficient_balance");
  EXPECT_EQ(testing::u64_field(receipt, "fee_paid", 0), kFee);
  EXPECT_TRUE(receipt["events"].empty()) << receipt.dump();

  const json alice = account(address_of(alice_));
  EXPECT_EQ(testing::u64_field(alice, "balance", 0), kAliceBalance - kFee);
  EXPECT_EQ(testing::u64_field(alice, "nonce", 0), 1u);
  const json bob = account(bob_);
  EXPECT_FALSE(bob.value("exists", true));
  EXPECT_EQ(testing::u64_field(bob, "balance", 1), 0u);
  // The tip went to the proposer; the base fee was burned.
  EXPECT_EQ(testing::u64_field(account(address_of(validator_)), "balance", 0), kBid);
}

// ---------------------------------------------------------------------------------------------
// 5. Bad reads

TEST_F(ApiTest, BadReadsHaveClearErrors) {
  expect_refused(get("/v1/txs/not-hex"), 400, "invalid_hex");
  expect_refused(get("/v1/txs/abcd"), 400, "invalid_hex");  // hex, but not 32 bytes
  expect_refused(get("/v1/txs/" + std::string(64, 'e')), 404, "not_found");
  expect_refused(get("/v1/blocks/abc"), 400, "invalid_argument");
  expect_refused(get("/v1/blocks/-1"), 400, "invalid_argument");
  expect_refused(get("/v1/blocks/1x"), 400, "invalid_argument");
  expect_refused(get("/v1/blocks/99999999999999999999"), 400, "invalid_argument");
  expect_refused(get("/v1/blocks/999"), 404, "not_found");
  EXPECT_EQ(get("/v1/blocks/0").status, 200u);

  std::string mistyped = bob_.to_string();
  mistyped[mistyped.size() - 3] = mistyped[mistyped.size() - 3] == 'q' ? 'p' : 'q';
  expect_refused(get("/v1/accounts/" + mistyped), 400, "invalid_address");
  expect_refused(get("/v1/accounts/nonsense"), 400, "invalid_address");
  EXPECT_EQ(get("/v1/accounts/" + bob_.to_string()).status, 200u);

  expect_refused(get("/v1/nothing-here"), 404, "not_found");
  expect_refused(get("/v1/txs/" + std::string(64, 'e') + "/extra"), 404, "not_found");
  expect_refused(request(port_, http::verb::delete_, "/v1/txs"), 405, "method_not_allowed");
  expect_refused(request(port_, http::verb::post, "/health"), 405, "method_not_allowed");
  expect_refused(get("/v1/mempool?levels=abc"), 400, "invalid_argument");
}

// ---------------------------------------------------------------------------------------------
// 6. Health, metrics and the OpenAPI document

TEST_F(ApiTest, HealthMetricsAndOpenApi) {
  const Reply health = get("/health");
  ASSERT_EQ(health.status, 200u) << health.body;
  EXPECT_EQ(health.doc.value("chain_id", ""), "api-test");
  EXPECT_EQ(health.doc.value("genesis_digest", ""), core::to_hex(genesis_.digest()));  // what transactions sign
  EXPECT_EQ(health.doc.value("height", std::uint64_t{9}), 0u);

  ASSERT_EQ(submit_json(services::to_json(alice_to_bob(0, 1), modules::standard_modules())).status, 202u);
  ASSERT_TRUE(produce().has_value());
  EXPECT_EQ(get("/health").doc.value("height", std::uint64_t{0}), 1u);

  const Reply metrics = get("/metrics");
  ASSERT_EQ(metrics.status, 200u);
  EXPECT_NE(metrics.body.find("\nmetanode_block_height 1\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("metanode_http_request_duration_seconds_bucket{route=\"/health\""), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("metanode_http_requests_total{route=\"/v1/txs\",status=\"202\"} 1"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("\nmetanode_http_connections "), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("\nmetanode_http_connections_refused_total 0\n"), std::string::npos) << metrics.body;

  const Reply openapi = get("/v1/openapi.json");
  ASSERT_EQ(openapi.status, 200u);
  ASSERT_TRUE(openapi.doc.is_object()) << openapi.body.substr(0, 200);
  EXPECT_EQ(openapi.doc.value("openapi", "").rfind("3.", 0), 0u);
  const json& paths = openapi.doc["paths"];
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"/v1/txs", "post"},        {"/v1/txs/{hash}", "get"}, {"/v1/blocks/{height}", "get"},
      {"/v1/accounts/{address}", "get"}, {"/v1/mempool", "get"}, {"/health", "get"},
      {"/metrics", "get"},        {"/v1/openapi.json", "get"}, {"/v1/events", "get"}};
  for (const auto& [path, method] : routes) {
    EXPECT_TRUE(paths.contains(path) && paths[path].contains(method)) << method << " " << path;
  }
  // Every route of the Cage's one table is documented by the service that serves it (the ledger
  // or the proof service), and each that needs a role says how a request to it is signed.
  EXPECT_TRUE(openapi.doc["components"]["securitySchemes"].contains("rfc9421"));
  const Reply proofs_openapi = request(node_->service_port("proofs"), http::verb::get, "/v1/openapi.json");
  ASSERT_EQ(proofs_openapi.status, 200u);
  const Reply econ_openapi = request(node_->service_port("econ"), http::verb::get, "/v1/openapi.json");
  ASSERT_EQ(econ_openapi.status, 200u);
  const Reply oracle_openapi = request(node_->service_port("oracle"), http::verb::get, "/v1/openapi.json");
  ASSERT_EQ(oracle_openapi.status, 200u);
  const Reply registry_openapi = request(node_->service_port("registry"), http::verb::get, "/v1/openapi.json");
  ASSERT_EQ(registry_openapi.status, 200u);
  const api::cage::RouteTable table = services::route_table();
  for (const auto& [route, access] : table.entries()) {
    std::string method = route.first;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const json& documented = paths.contains(route.second)                        ? paths
                             : proofs_openapi.doc["paths"].contains(route.second) ? proofs_openapi.doc["paths"]
                             : oracle_openapi.doc["paths"].contains(route.second) ? oracle_openapi.doc["paths"]
                             : registry_openapi.doc["paths"].contains(route.second) ? registry_openapi.doc["paths"]
                                                                                  : econ_openapi.doc["paths"];
    ASSERT_TRUE(documented.contains(route.second) && documented[route.second].contains(method))
        << route.first << " " << route.second;
    if (!access.is_public) {
      EXPECT_TRUE(documented[route.second][method].contains("security")) << route.first << " " << route.second;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 7. The WebSocket event stream

class EventClient {
 public:
  explicit EventClient(std::uint16_t port) : ws_(io_), port_(port) {}

  ::testing::AssertionResult connect() {
    beast::error_code result = asio::error::would_block;
    beast::get_lowest_layer(ws_).expires_after(kHangGuard);
    beast::get_lowest_layer(ws_).async_connect(
        tcp::endpoint(asio::ip::address_v4::loopback(), port_), [this, &result](beast::error_code ec) {
          if (ec) {
            result = ec;
            return;
          }
          ws_.async_handshake("127.0.0.1:" + std::to_string(port_), "/v1/events",
                              [&result](beast::error_code ec2) { result = ec2; });
        });
    if (!run_bounded(io_) || result) return ::testing::AssertionFailure() << "handshake: " << result.message();
    return ::testing::AssertionSuccess();
  }

  // The next message, or an error after the hang guard.
  ::testing::AssertionResult read(json& out) {
    beast::error_code result = asio::error::would_block;
    beast::flat_buffer buffer;
    beast::get_lowest_layer(ws_).expires_after(kHangGuard);
    ws_.async_read(buffer, [&result](beast::error_code ec, std::size_t) { result = ec; });
    if (!run_bounded(io_) || result) return ::testing::AssertionFailure() << "read: " << result.message();
    out = json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
    return ::testing::AssertionSuccess();
  }

 private:
  asio::io_context io_;
  websocket::stream<beast::tcp_stream> ws_;
  std::uint16_t port_;
};

TEST_F(ApiTest, EventStreamAnnouncesEachBlock) {
  // Submitted before subscribing, and the block made right after the handshake: a subscriber
  // whose handshake has completed must see the very next block.
  const ledger::Transaction tx = alice_to_bob(0, 10);
  ASSERT_EQ(submit_json(services::to_json(tx, modules::standard_modules())).status, 202u);
  EventClient client(port_);
  ASSERT_TRUE(client.connect());
  const auto produced = produce();
  ASSERT_TRUE(produced.has_value());

  json event;
  ASSERT_TRUE(client.read(event));
  ASSERT_TRUE(event.is_object());
  EXPECT_EQ(event.value("type", ""), "block");
  EXPECT_EQ(event.value("height", std::uint64_t{0}), 1u);
  EXPECT_EQ(event.value("tx_count", std::uint64_t{0}), 1u);
  EXPECT_EQ(event.value("hash", ""), get("/v1/blocks/1").doc.value("hash", "(none)"));

  ASSERT_EQ(submit_json(services::to_json(alice_to_bob(1, 10), modules::standard_modules())).status, 202u);
  ASSERT_TRUE(produce().has_value());
  ASSERT_TRUE(client.read(event));
  EXPECT_EQ(event.value("height", std::uint64_t{0}), 2u);
}

TEST_F(ApiTest, WebSocketUpgradeElsewhereIs404) {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws(io);
  beast::error_code result = asio::error::would_block;
  beast::get_lowest_layer(ws).expires_after(kHangGuard);
  beast::get_lowest_layer(ws).async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port_),
                                            [&](beast::error_code ec) {
                                              if (ec) {
                                                result = ec;
                                                return;
                                              }
                                              ws.async_handshake("127.0.0.1", "/v1/elsewhere",
                                                                 [&](beast::error_code ec2) { result = ec2; });
                                            });
  ASSERT_TRUE(run_bounded(io));
  EXPECT_EQ(result, websocket::error::upgrade_declined) << result.message();
  EXPECT_EQ(get("/health").status, 200u);
}

// ---------------------------------------------------------------------------------------------
// 8. A stored block that fails its hash check

TEST_F(ApiTest, CorruptStoredBlockIsA500WithBlockCorrupt) {
  const ledger::Transaction tx = alice_to_bob(0, 10);
  ASSERT_EQ(submit_json(services::to_json(tx, modules::standard_modules())).status, 202u);
  ASSERT_TRUE(produce().has_value());
  ASSERT_EQ(submit_json(services::to_json(alice_to_bob(1, 10), modules::standard_modules())).status, 202u);
  ASSERT_TRUE(produce().has_value());  // block 2: the head, which start-up reads
  ASSERT_EQ(get("/v1/blocks/1").status, 200u);
  node_->stop();
  stop_node();
  // Alter one byte of a stored block, inside its parent hash (after the 8-byte height).
  const auto damage = [this](std::uint64_t height) {
    auto chain = ledger::Chain::open(dir_ / "data", genesis_, modules::standard_modules());
    ASSERT_TRUE(chain.ok()) << chain.error().to_string();
    auto raw = (*chain)->db().get(storage::Column::kBlocks, storage::height_key(height));
    ASSERT_TRUE(raw.ok() && raw->has_value());
    core::Bytes altered = **raw;
    altered[20] ^= 1;
    storage::WriteBatch batch;
    batch.put(storage::Column::kBlocks, storage::height_key(height), altered);
    ASSERT_TRUE((*chain)->db().write(std::move(batch)).ok());
  };
  ASSERT_NO_FATAL_FAILURE(damage(1));
  start_node();

  const Reply block = get("/v1/blocks/1");
  expect_refused(block, 500, "block_corrupt");
  EXPECT_NE(block.message().find("block 1"), std::string::npos) << block.body;
  expect_refused(get("/v1/blocks/1?full=true"), 500, "block_corrupt");
  expect_refused(get("/v1/txs/" + core::to_hex(tx.hash())), 500, "block_corrupt");
  // The rest of the node still answers.
  EXPECT_EQ(get("/v1/blocks/0").status, 200u);
  EXPECT_EQ(get("/v1/blocks/2").status, 200u);
  EXPECT_EQ(get("/health").status, 200u);

  // A damaged head block: the node refuses to start at all, naming it.
  stop_node();
  ASSERT_NO_FATAL_FAILURE(damage(2));
  NodeConfig config;
  config.config_dir = dir_;
  config.ephemeral_ports = true;
  config.run_consensus = false;
  auto refused = Node::open(config, genesis_, validator_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, core::ErrorCode::kBlockCorrupt);
  EXPECT_NE(refused.error().message.find("block 2"), std::string::npos) << refused.error().message;
}

// ---------------------------------------------------------------------------------------------
// produce_once() from outside while the producer thread runs

// One flipped byte in a table file the node does not read at start-up (an old block, its index
// or receipts, a tree node off the head's path): the background checksum pass that follows
// start-up finds it and stops the node (its fault names the column and the file), instead of the
// damage waiting for the first request or block that happens to read it.
TEST_F(ApiTest, DamageInATableFileNotYetReadStopsTheNodeSoonAfterStart) {
  for (std::uint64_t nonce = 0; nonce < 3; ++nonce) {
    ASSERT_EQ(submit_json(services::to_json(alice_to_bob(nonce, 10), modules::standard_modules())).status, 202u);
    ASSERT_TRUE(produce().has_value());
  }
  stop_node();
  {
    auto chain = ledger::Chain::open(dir_ / "data", genesis_, modules::standard_modules());
    ASSERT_TRUE(chain.ok()) << chain.error().to_string();
    ASSERT_TRUE((*chain)->db().flush().ok());
  }
  // A table whose damage still lets the chain open (start-up reads the meta column and the head).
  std::optional<fs::path> damaged;
  for (const auto& entry : fs::directory_iterator(dir_ / "data")) {
    if (entry.path().extension() != ".sst") continue;
    const auto at = fs::file_size(entry.path()) / 3;
    testing::flip_byte(entry.path(), at);
    // What the node reads at open: the chain's head and its audit log.
    if (auto chain = ledger::Chain::open(dir_ / "data", genesis_, modules::standard_modules()); chain.ok()) {
      storage::AuditLogOptions audit;
      audit.origin = ledger::audit_origin(genesis_.chain_id, validator_.public_key());
      audit.ed25519 = &validator_;
      if (storage::AuditLog::open((*chain)->db(), audit).ok()) {
        damaged = entry.path();
        break;
      }
    }
    testing::flip_byte(entry.path(), at);
  }
  ASSERT_TRUE(damaged.has_value()) << "every damaged table stopped the chain from opening";
  start_node();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!node_->fault() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(node_->fault().has_value()) << damaged->filename() << " was damaged and the node did not notice";
  EXPECT_EQ(node_->fault()->code, core::ErrorCode::kStorageCorrupt) << node_->fault()->to_string();
  EXPECT_NE(node_->fault()->message.find("file " + damaged->filename().string()), std::string::npos)
      << node_->fault()->to_string();
  EXPECT_NE(node_->fault()->message.find("column "), std::string::npos) << node_->fault()->to_string();
}

TEST_F(ApiTest, ProduceOnceAlongsideTheProducerKeepsTheChainValid) {
  stop_node();
  start_node(/*block_interval_ms=*/1);
  constexpr std::uint64_t kTxs = 60;
  std::vector<std::string> hashes;
  for (std::uint64_t nonce = 0; nonce < kTxs; ++nonce) {
    const ledger::Transaction tx = alice_to_bob(nonce, 3);
    const Reply r = submit_json(services::to_json(tx, modules::standard_modules()));
    ASSERT_EQ(r.status, 202u) << r.body;
    hashes.push_back(core::to_hex(tx.hash()));
    ASSERT_TRUE(producer_->produce_once().ok());
  }
  for (int i = 0; i < 1'000 && pending_count() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  producer_->stop();  // no more blocks while checking
  node_->stop();
  auto verified = node_->chain().verify_all();
  ASSERT_TRUE(verified.ok()) << verified.error().to_string();
  EXPECT_EQ(*verified, node_->chain().head().height);
  auto alice = node_->chain().account(address_of(alice_));
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->nonce, kTxs);
  EXPECT_EQ(node_->chain().account(bob_)->balance, 3 * kTxs);
  for (const auto& hash : hashes) {
    auto record = node_->chain().find_tx(*core::array_from_hex<32>(hash));
    ASSERT_TRUE(record.ok()) << record.error().to_string();
    EXPECT_TRUE(record->has_value()) << hash;
  }
}

// ---------------------------------------------------------------------------------------------
// 10. A module registered only here (tests/support/kv_module.hpp) goes through the whole node:
//     submitted as JSON and as bytes, executed, proven and queried, with no change to the
//     executor, mempool, API or CLI.

class KvModuleTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    stop_node();
    fs::remove_all(dir_ / "data");
    genesis_.modules["kv"] = R"({"entries": {"seeded": "from genesis"}})";
    auto set = modules::standard_modules_with({std::make_shared<testing::KvModule>()});
    ASSERT_TRUE(set.ok()) << set.error().to_string();
    modules_ = *set;
    start_node();
  }

  ledger::Transaction kv_tx(std::uint64_t nonce, ledger::Payload payload) const {
    ledger::Transaction tx;
    tx.chain_id = genesis_.chain_id;
    tx.nonce = nonce;
    tx.max_fee = kMaxFee;
    tx.bid = kBid;
    tx.payload = std::move(payload);
    tx.sign_single(alice_, genesis_.digest());
    return tx;
  }

  static std::string hex_of(std::string_view text) { return core::to_hex(core::as_bytes(text)); }

  // The entry's proof checked here, independently of the node: tree key recomputed, proof
  // decoded from its bytes, against the state root of the block the node names.
  void expect_proven(const json& entry, std::string_view key, const std::optional<std::string>& value) {
    ASSERT_EQ(entry.at("tree_key"), core::to_hex(ledger::state_tree_key("kv", core::as_bytes(key))));
    const Reply block = get("/v1/blocks/" + std::to_string(entry.at("height").get<std::uint64_t>()));
    ASSERT_EQ(block.status, 200u) << block.body;
    const std::string root_hex = block.doc.at("header").at("state_root").get<std::string>();
    ASSERT_EQ(entry.at("state_root"), root_hex);
    const auto root = core::array_from_hex<32>(root_hex).value();
    const auto proof_bytes = core::from_hex(entry.at("proof").at("encoded").get<std::string>()).value();
    const auto proof = core::decode<merkle::SmtProof>(proof_bytes).value();
    std::optional<core::Bytes> expected;
    if (value) expected = core::Bytes(value->begin(), value->end());
    EXPECT_TRUE(merkle::SparseMerkleTree::verify_proof(root, ledger::state_tree_key("kv", core::as_bytes(key)),
                                                       expected, proof)
                    .ok());
    // The same proof does not stand for another value.
    EXPECT_FALSE(merkle::SparseMerkleTree::verify_proof(root, ledger::state_tree_key("kv", core::as_bytes(key)),
                                                        core::Bytes{'x'}, proof)
                     .ok());
  }
};

TEST_F(KvModuleTest, SubmittedExecutedProvenAndQueriedEndToEnd) {
  // JSON: the module's own fields, written by its mapping and parsed back by the node.
  const ledger::Transaction put = kv_tx(0, testing::KvModule::put("greeting", "hello"));
  const json put_json = services::to_json(put, modules_);
  EXPECT_EQ(put_json["payload"], (json{{"module", "kv"}, {"kind", "put"}, {"key", "greeting"}, {"value", "hello"}}));
  ASSERT_EQ(submit_json(put_json).status, 202u);
  // Binary: the canonical bytes.
  const ledger::Transaction erase = kv_tx(1, testing::KvModule::erase("seeded"));
  ASSERT_EQ(submit_binary(as_string(core::encode(erase))).status, 202u);
  // Stateless checks are the module's: an empty key is refused at admission.
  expect_refused(submit_json(services::to_json(kv_tx(2, testing::KvModule::put("", "x")), modules_)), 400, "tx_malformed");
  const auto produced = produce();
  ASSERT_TRUE(produced.has_value());
  ASSERT_EQ(produced->stored.block.txs.size(), 2u);

  const Reply tx = get("/v1/txs/" + core::to_hex(put.hash()));
  ASSERT_EQ(tx.status, 200u) << tx.body;
  EXPECT_EQ(tx.doc["receipt"]["status"], "success");
  EXPECT_EQ(tx.doc["receipt"]["events"],
            json::array({json{{"module", "kv"}, {"kind", "put"}, {"key", "greeting"}}}));
  EXPECT_EQ(tx.doc["tx"]["payload"]["value"], "hello");
  EXPECT_EQ(get("/v1/txs/" + core::to_hex(erase.hash())).doc["receipt"]["status"], "success");

  const Reply greeting = get("/v1/state/kv/" + hex_of("greeting"));
  ASSERT_EQ(greeting.status, 200u) << greeting.body;
  EXPECT_TRUE(greeting.doc["exists"].get<bool>());
  EXPECT_EQ(greeting.doc["height"], 1u);
  EXPECT_EQ(greeting.doc["value"]["text"], "hello");
  EXPECT_EQ(greeting.doc["value_hex"], hex_of("hello"));
  expect_proven(greeting.doc, "greeting", "hello");

  // At block 0 the genesis entry is there and the new one is not; at the head, the reverse.
  const Reply seeded_then = get("/v1/state/kv/" + hex_of("seeded") + "?height=0");
  ASSERT_EQ(seeded_then.status, 200u) << seeded_then.body;
  EXPECT_EQ(seeded_then.doc["value"]["text"], "from genesis");
  expect_proven(seeded_then.doc, "seeded", "from genesis");
  const Reply seeded_now = get("/v1/state/kv/" + hex_of("seeded"));
  EXPECT_FALSE(seeded_now.doc["exists"].get<bool>());
  expect_proven(seeded_now.doc, "seeded", std::nullopt);
  const Reply greeting_then = get("/v1/state/kv/" + hex_of("greeting") + "?height=0");
  EXPECT_FALSE(greeting_then.doc["exists"].get<bool>());
  expect_proven(greeting_then.doc, "greeting", std::nullopt);

  // The end-block hook ran once per block.
  const Reply blocks = get("/v1/state/kv/" + hex_of("#blocks"));
  EXPECT_EQ(blocks.doc["value_hex"], "0100000000000000");

  // Accounts are the bank's entries, in the same route.
  const Reply alice = get("/v1/state/bank/" + address_of(alice_).to_string());
  ASSERT_EQ(alice.status, 200u) << alice.body;
  EXPECT_EQ(alice.doc["value"]["nonce"], "2");
  EXPECT_EQ(alice.doc["value"]["balance"], account(address_of(alice_))["balance"]);
  EXPECT_EQ(alice.doc["tree_key"], account(address_of(alice_))["tree_key"]);
}

TEST_F(KvModuleTest, StateRouteRefusesBadInput) {
  expect_refused(get("/v1/state/kv/zz"), 400, "invalid_argument");
  expect_refused(get("/v1/state/kv/" + std::string(2 * (ledger::kStateKeyBytesMax + 1), 'a')), 400, "invalid_argument");
  expect_refused(get("/v1/state/nosuchmodule/00"), 404, "not_found");
  expect_refused(get("/v1/state/kv/00?height=99"), 404, "not_found");
  expect_refused(get("/v1/state/kv/00?height=abc"), 400, "invalid_argument");
  expect_refused(get("/v1/state/kv/00?height="), 400, "invalid_argument");
  expect_refused(get("/v1/state/kv/00?height=-1"), 400, "invalid_argument");
  expect_refused(get("/v1/state/bank/mn1notanaddress"), 400, "invalid_argument");
}

TEST_F(KvModuleTest, ChainVerifiesOfflineAndANodeWithoutTheModuleRefusesItsGenesis) {
  ASSERT_EQ(submit_json(services::to_json(kv_tx(0, testing::KvModule::put("k", "v")), modules_)).status, 202u);
  ASSERT_TRUE(produce().has_value());
  node_->stop();
  stop_node();
  {
    auto chain = ledger::Chain::open(dir_ / "data", genesis_, modules_);
    ASSERT_TRUE(chain.ok()) << chain.error().to_string();
    auto verified = (*chain)->verify_all();
    ASSERT_TRUE(verified.ok()) << verified.error().to_string();
    EXPECT_EQ(*verified, 1u);
  }
  auto without = ledger::Chain::open(dir_ / "data", genesis_, modules::standard_modules());
  ASSERT_FALSE(without.ok());
  EXPECT_EQ(without.error().code, core::ErrorCode::kGenesisInvalid);
  EXPECT_NE(without.error().message.find("'kv'"), std::string::npos) << without.error().message;
}

// ---------------------------------------------------------------------------------------------
// 11. A second service on its own port: the node serves what it is given, each service with
//     /health, /metrics and /v1/openapi.json, and the middleware chain runs before its routes.

// A service defined only here: GET /v1/echo/{word} answers the word and the request's id.
class EchoService final : public services::Service {
 public:
  std::string_view name() const override { return "echo"; }
  std::uint16_t port_offset() const override { return 50; }
  std::string_view description() const override { return "Answers what it is given (a test service)."; }
  void add_routes(api::Router& router) override {
    router.add("GET", "/v1/echo/{word}", [this](const api::Request& req) {
      ++echoes_;
      const json body = {{"word", req.params.at("word")},
                         {"request_id", req.request_id},
                         {"remote_address", req.remote_address},
                         {"x_test", std::string(req.header("X-Test").value_or(""))}};
      return api::Response{200, "application/json", body.dump(), {}};
    });
  }
  json openapi_paths() const override {
    json paths;
    paths["/v1/echo/{word}"]["get"] = {{"summary", "Echo"}};
    return paths;
  }
  json health() const override { return {{"status", "ok"}, {"echoes", echoes_.load()}}; }
  std::string metrics_text() const override { return "metanode_echoes_total " + std::to_string(echoes_.load()) + "\n"; }

 private:
  std::atomic<std::uint64_t> echoes_{0};
};

// The Cage in front of the real listener: public reads pass with security headers; an auditor
// route refuses an unsigned request (401 with Accept-Signature) and a signer without the role
// (403), and answers a signed request from an auditor with the decisions it made, which name
// the refusals by code; a replay of that signed request is refused.
TEST_F(ApiTest, TheCageGuardsEveryRouteOnTheRealListener) {
  const std::string url = "http://127.0.0.1:" + std::to_string(port_);
  auto call = [&](const std::string& target, const crypto::KeyPair* signer, const std::string& nonce) {
    return signed_get(target, signer, nonce);
  };
  const auto code = [](const api::HttpReply& r) {
    const auto doc = nlohmann::json::parse(r.body, nullptr, false);
    return doc.is_discarded() ? std::string() : doc["error"].value("code", std::string());
  };

  EXPECT_EQ(call("/v1/blocks/0", nullptr, "").status, 200u);
  const auto unsigned_reply = call("/v1/audit/decisions", nullptr, "");
  EXPECT_EQ(unsigned_reply.status, 401u);
  EXPECT_EQ(code(unsigned_reply), "auth_unsigned");
  const crypto::KeyPair stranger = crypto::KeyPair::generate();
  const auto no_role = call("/v1/audit/decisions", &stranger, "s-1");
  EXPECT_EQ(no_role.status, 403u);
  EXPECT_EQ(code(no_role), "auth_forbidden");

  const auto as_auditor = call("/v1/audit/decisions", &alice_, "a-1");
  ASSERT_EQ(as_auditor.status, 200u) << as_auditor.body;
  const auto doc = nlohmann::json::parse(as_auditor.body);
  std::vector<std::string> reasons;
  for (const auto& d : doc["decisions"]) reasons.push_back(d["reason"].get<std::string>());
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "auth_unsigned"), reasons.end()) << doc.dump();
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "auth_forbidden"), reasons.end()) << doc.dump();
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "public"), reasons.end()) << doc.dump();
  EXPECT_EQ(call("/v1/audit/decisions", &alice_, "a-1").status, 401u) << "a replayed nonce";
  const Reply metrics = get("/metrics");
  EXPECT_NE(metrics.body.find("metanode_cage_decisions_total{outcome=\"auth_forbidden\"} 1"), std::string::npos)
      << metrics.body;
}

// Every route of the one table x every kind of caller, on the node's real listener, signed by the
// CLI's signer: public routes let everyone in; the others let in a signed request from a holder
// of one of their roles and refuse everyone else (401 unsigned, 403 signed without the role).

// The audit trail as an auditor reads it: a checkpoint signed by the validator's Ed25519 and
// ML-DSA-65 keys that checks with the genesis alone; every event (requests, the block, the start)
// proven in it; a later checkpoint consistent with it; tampered proofs and bad queries refused.
TEST_F(ApiTest, TheAuditTrailProvesEveryEventAgainstASignedCheckpoint) {
  ASSERT_EQ(submit_json(services::to_json(alice_to_bob(0, 10), modules::standard_modules())).status, 202u);
  ASSERT_TRUE(produce().has_value());
  const auto json_of = [](const api::HttpReply& r) { return nlohmann::json::parse(r.body, nullptr, false); };
  int nonce = 0;
  const auto as_alice = [&](const std::string& target) { return signed_get(target, &alice_, "audit-" + std::to_string(nonce++)); };
  // Checkpoints come every 5 events here; wait for one that covers the block.
  nlohmann::json first;
  for (int i = 0; i < 50 && first.is_null(); ++i) {
    const auto r = as_alice("/v1/audit/checkpoint");
    if (r.status == 200 && json_of(r)["size"].get<std::uint64_t>() >= 6) first = json_of(r);
  }
  ASSERT_FALSE(first.is_null()) << "no checkpoint";
  auto checked = ledger::check_audit_checkpoint(first["note"].get<std::string>(), genesis_);
  ASSERT_TRUE(checked.ok()) << checked.error().to_string();
  EXPECT_TRUE(checked->post_quantum);
  EXPECT_EQ(checked->validator, "v0");
  EXPECT_EQ(checked->body.origin, ledger::audit_origin(genesis_.chain_id, validator_.public_key()));

  const std::uint64_t size = checked->body.size;
  const auto page = json_of(as_alice("/v1/audit/events?limit=500&tree_size=" + std::to_string(size)));
  std::set<std::string> actions;
  std::uint64_t proven = 0;
  for (const auto& e : page["events"]) {
    actions.insert(e["action"].get<std::string>());
    if (e["proof"].is_null()) continue;
    const auto bytes = core::from_hex(e["bytes"].get<std::string>()).value();
    merkle::InclusionProof proof;
    proof.index = e["proof"]["index"];
    proof.tree_size = e["proof"]["tree_size"];
    for (const auto& h : e["proof"]["path"]) proof.path.push_back(core::array_from_hex<32>(h.get<std::string>()).value());
    EXPECT_TRUE(ledger::check_audit_inclusion(bytes, proof, checked->body).ok()) << e.dump();
    ++proven;
    // A changed byte of the event, or of its path, no longer proves.
    auto changed = bytes;
    changed.back() ^= 1;
    EXPECT_FALSE(ledger::check_audit_inclusion(changed, proof, checked->body).ok());
    if (!proof.path.empty()) {
      proof.path[0][0] ^= 1;
      EXPECT_FALSE(ledger::check_audit_inclusion(bytes, proof, checked->body).ok());
    }
  }
  EXPECT_EQ(proven, size);
  for (const char* action : {"node.start", "http.request", "block.commit"}) EXPECT_TRUE(actions.contains(action)) << action;
  const auto blocks = json_of(as_alice("/v1/audit/events?action=block.*"));
  ASSERT_FALSE(blocks["events"].empty());
  for (const auto& e : blocks["events"]) EXPECT_EQ(e["action"], "block.commit");

  // More requests make a later checkpoint, consistent with the first.
  nlohmann::json later;
  for (int i = 0; i < 50 && later.is_null(); ++i) {
    const auto r = json_of(as_alice("/v1/audit/checkpoint"));
    if (r["size"].get<std::uint64_t>() > size) later = r;
  }
  ASSERT_FALSE(later.is_null());
  auto newer = ledger::check_audit_checkpoint(later["note"].get<std::string>(), genesis_);
  ASSERT_TRUE(newer.ok());
  const auto c = json_of(as_alice("/v1/audit/consistency?from=" + std::to_string(size) + "&to=" +
                                  std::to_string(newer->body.size)));
  merkle::ConsistencyProof consistency{c["old_size"], c["new_size"], {}};
  for (const auto& h : c["path"]) consistency.path.push_back(core::array_from_hex<32>(h.get<std::string>()).value());
  EXPECT_TRUE(ledger::check_audit_consistency(consistency, checked->body, newer->body).ok()) << c.dump();
  if (!consistency.path.empty()) {
    consistency.path.back()[3] ^= 1;
    EXPECT_FALSE(ledger::check_audit_consistency(consistency, checked->body, newer->body).ok());
  }
  // A note from another key under the validator's origin is refused.
  crypto::SignedNote forged;
  forged.text = checked->body.to_text();
  crypto::sign_note_ed25519(forged, checked->body.origin, crypto::KeyPair::generate());
  EXPECT_FALSE(ledger::check_audit_checkpoint(forged.serialize(), genesis_).ok());

  // Bad queries: stable codes.
  EXPECT_EQ(as_alice("/v1/audit/events?limit=0").status, 400u);
  EXPECT_EQ(as_alice("/v1/audit/events?cursor=abc").status, 400u);
  EXPECT_EQ(as_alice("/v1/audit/events?tree_size=3").status, 404u);
  EXPECT_EQ(as_alice("/v1/audit/checkpoints/999999").status, 404u);
  EXPECT_EQ(as_alice("/v1/audit/consistency").status, 400u);
  EXPECT_EQ(as_alice("/v1/audit/consistency?from=9&to=2").status, 400u);
  EXPECT_EQ(as_alice("/v1/audit/events/99999999").status, 404u);
  EXPECT_EQ(signed_get("/v1/audit/events", nullptr, "").status, 401u);
}

// The proof service (9006) checks every kind of proof the node issues against the genesis alone,
// and names what is wrong in a tampered one: a root, a path element, an index, a tree size, a
// signature, a signer set, a message.
TEST_F(ApiTest, TheProofServiceChecksEveryKindOfProofAndNamesWhatWasTampered) {
  const std::uint16_t proofs = node_->service_port("proofs");
  ASSERT_NE(proofs, 0) << "the proofs service is not running";
  const auto tx = alice_to_bob(0, 10);
  ASSERT_EQ(submit_json(services::to_json(tx, modules::standard_modules())).status, 202u);
  ASSERT_TRUE(produce().has_value());
  const auto check = [&](const json& claim) { return request(proofs, http::verb::post, "/v1/verify", claim.dump()); };
  const auto valid = [&](const json& claim) {
    const Reply r = check(claim);
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_TRUE(r.doc.value("valid", false)) << claim.value("kind", "") << ": " << r.body;
  };
  // Invalid, with a reason that mentions `why`.
  const auto invalid = [&](const json& claim, const std::string& why) {
    const Reply r = check(claim);
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_FALSE(r.doc.value("valid", true)) << claim.value("kind", "") << " tampered (" << why << ") passed";
    EXPECT_NE(r.doc.value("reason", std::string()).find(why), std::string::npos) << why << " | " << r.body;
  };
  const auto flip_hex = [](std::string hex, std::size_t at) {
    hex[at] = hex[at] == '0' ? '1' : '0';
    return hex;
  };

  // A transaction: its inclusion (path element, index, tree size) and its block's certificate.
  const Reply tx_answer = get("/v1/txs/" + core::to_hex(tx.hash()));
  ASSERT_EQ(tx_answer.status, 200u);
  json tx_claim = {{"kind", "tx"}, {"hash", core::to_hex(tx.hash())}, {"answer", tx_answer.doc}};
  valid(tx_claim);
  {
    // One transaction in the block: the path is empty, so tamper with the index and size.
    auto proof = core::decode<merkle::InclusionProof>(core::from_hex(tx_answer.doc["inclusion_proof"]["encoded"].get<std::string>()).value()).value();
    proof.index = 1;
    json t = tx_claim;
    t["answer"]["inclusion_proof"]["encoded"] = core::to_hex(core::encode(proof));
    invalid(t, "index");
    proof.index = 0;
    proof.tree_size = 2;
    t["answer"]["inclusion_proof"]["encoded"] = core::to_hex(core::encode(proof));
    invalid(t, "tree");
  }
  // The block: a changed root in the header no longer matches what the quorum signed.
  const Reply block = get("/v1/blocks/1");
  ASSERT_EQ(block.status, 200u);
  valid({{"kind", "block"}, {"block", block.doc}});
  const std::string header_hex = block.doc["header"]["encoded"].get<std::string>();
  const std::string cert_hex = block.doc["certificate"]["encoded"].get<std::string>();
  valid({{"kind", "certificate"}, {"header", header_hex}, {"certificate", cert_hex}});
  invalid({{"kind", "certificate"}, {"header", flip_hex(header_hex, 200)}, {"certificate", cert_hex}}, "names another header");
  {
    auto cert = core::decode<ledger::CommitCertificate>(core::from_hex(cert_hex).value()).value();
    cert.signatures.clear();  // the signer set: nobody
    invalid({{"kind", "certificate"}, {"header", header_hex}, {"certificate", core::to_hex(core::encode(cert))}}, "quorum");
  }
  // Accounts and any module's entries, present or proven absent.
  const Reply bob = get("/v1/accounts/" + bob_.to_string());
  valid({{"kind", "account"}, {"address", bob_.to_string()}, {"answer", bob.doc}});
  const Reply council = get("/v1/state/gov/council");
  ASSERT_EQ(council.status, 200u) << council.body;
  valid({{"kind", "state"}, {"answer", council.doc}});
  json forged_entry = council.doc;
  forged_entry["value_hex"] = flip_hex(forged_entry["value_hex"].get<std::string>(), 2);
  invalid({{"kind", "state"}, {"answer", forged_entry}}, "value");
  const Reply absent = get("/v1/state/gov/role:nosuchrole");
  ASSERT_EQ(absent.status, 200u) << absent.body;
  valid({{"kind", "state"}, {"answer", absent.doc}});

  // Audit: a checkpoint, an event in it, and a later checkpoint consistent with it.
  json first;
  for (int i = 0; i < 50 && first.is_null(); ++i) {
    const auto r = signed_get("/v1/audit/events?limit=20", &alice_, "p-" + std::to_string(i));
    const json doc = json::parse(r.body, nullptr, false);
    if (doc.is_object() && !doc["checkpoint"].is_null() && !doc["events"].empty() && !doc["events"][0]["proof"].is_null()) first = doc;
  }
  ASSERT_FALSE(first.is_null());
  const std::string note = first["checkpoint"]["note"].get<std::string>();
  valid({{"kind", "checkpoint"}, {"note", note}});
  std::string forged_note = note;
  forged_note[forged_note.find('\n') + 1] = forged_note[forged_note.find('\n') + 1] == '9' ? '8' : '9';  // the size
  invalid({{"kind", "checkpoint"}, {"note", forged_note}}, "does not verify");
  const json event = first["events"][0];
  valid({{"kind", "audit-event"}, {"event", event}, {"checkpoint", note}});
  json moved = event;
  moved["proof"]["index"] = event["proof"]["index"].get<std::uint64_t>() + 1;
  invalid({{"kind", "audit-event"}, {"event", moved}, {"checkpoint", note}}, "not in checkpoint");
  json changed = event;
  // A character of the event's digest field, past its fixed-size head: it still decodes.
  changed["bytes"] = flip_hex(event["bytes"].get<std::string>(), event["bytes"].get<std::string>().size() - 20);
  invalid({{"kind", "audit-event"}, {"event", changed}, {"checkpoint", note}}, "not in checkpoint");
  json later;
  for (int i = 0; i < 50 && later.is_null(); ++i) {
    const json doc = json::parse(signed_get("/v1/audit/checkpoint", &alice_, "q-" + std::to_string(i)).body, nullptr, false);
    if (doc.is_object() && doc["size"] > first["checkpoint"]["size"]) later = doc;
  }
  ASSERT_FALSE(later.is_null());
  const json consistency = json::parse(signed_get("/v1/audit/consistency?from=" + first["checkpoint"]["size"].dump() +
                                                       "&to=" + later["size"].dump(),
                                                   &alice_, "c-1")
                                           .body);
  json audit_consistency = {{"kind", "audit-consistency"}, {"old", note}, {"new", later["note"]}, {"proof", consistency}};
  valid(audit_consistency);
  if (!consistency["path"].empty()) {
    audit_consistency["proof"]["path"][0] = flip_hex(consistency["path"][0].get<std::string>(), 0);
    invalid(audit_consistency, "does not extend");
  }

  // Signatures: plain, hybrid (Ed25519 + ML-DSA-65) and m-of-n.
  const core::Bytes message = core::to_bytes(core::as_bytes("the message"));
  const crypto::KeyPair key = crypto::KeyPair::generate();
  json signature = {{"kind", "signature"}, {"public_key", key.public_key().to_hex()}, {"message", core::to_hex(message)},
                    {"domain", "message"}, {"signature", key.sign(core::Domain::Message, message).to_hex()}};
  valid(signature);
  signature["message"] = core::to_hex(core::to_bytes(core::as_bytes("another message")));
  invalid(signature, "does not verify");
  valid({{"kind", "signature"}, {"public_key", key.public_key().to_hex()}, {"message", core::to_hex(message)},
         {"signature", key.sign_raw(message).to_hex()}});
  const crypto::HybridKeyPair hybrid = crypto::HybridKeyPair::generate();
  const auto hsig = hybrid.sign(core::Domain::Checkpoint, message);
  json hybrid_claim = {{"kind", "hybrid-signature"},
                       {"public_key", {{"ed25519", hybrid.public_key().ed25519.to_hex()}, {"mldsa", core::to_hex(hybrid.public_key().mldsa.bytes)}}},
                       {"signature", {{"ed25519", hsig.ed25519.to_hex()}, {"mldsa", core::to_hex(hsig.mldsa.bytes)}}},
                       {"message", core::to_hex(message)},
                       {"domain", "checkpoint"}};
  valid(hybrid_claim);
  hybrid_claim["signature"]["mldsa"] = flip_hex(hybrid_claim["signature"]["mldsa"].get<std::string>(), 10);
  invalid(hybrid_claim, "ML-DSA-65 part does not verify");
  const std::vector<crypto::KeyPair> members = {crypto::KeyPair::generate(), crypto::KeyPair::generate(), crypto::KeyPair::generate()};
  json policy = {{"threshold", 2}, {"signers", json::array()}};
  for (const auto& m : members) policy["signers"].push_back(m.public_key().to_hex());
  const auto signed_by = [&](std::vector<const crypto::KeyPair*> who) {
    json list = json::array();
    for (const auto* k : who) list.push_back({{"signer", k->public_key().to_hex()}, {"signature", k->sign(core::Domain::Message, message).to_hex()}});
    return json{{"kind", "multisig"}, {"policy", policy}, {"signatures", list}, {"message", core::to_hex(message)}, {"domain", "message"}};
  };
  valid(signed_by({&members[0], &members[2]}));
  invalid(signed_by({&members[1]}), "the policy needs 2");
  invalid(signed_by({&members[0], &key}), "not a member of the policy");

  // Bad claims are 400 with a stable code; the service has its health, metrics and OpenAPI.
  EXPECT_EQ(request(proofs, http::verb::post, "/v1/verify", "not json").status, 400u);
  const Reply unknown = check({{"kind", "horoscope"}});
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_NE(unknown.body.find("there is: block"), std::string::npos) << unknown.body;
  EXPECT_EQ(check({{"kind", "tx"}}).status, 400u);
  EXPECT_EQ(check({{"kind", "signature"}, {"public_key", "zz"}, {"message", ""}, {"signature", ""}}).status, 400u);
  EXPECT_EQ(request(proofs, http::verb::get, "/v1/verify/kinds").status, 200u);
  EXPECT_EQ(request(proofs, http::verb::get, "/health").doc.value("service", ""), "proofs");
  EXPECT_NE(request(proofs, http::verb::get, "/metrics").body.find("metanode_proofs_checked_total{kind=\"tx\",verdict=\"valid\"}"),
            std::string::npos);
  const Reply openapi = request(proofs, http::verb::get, "/v1/openapi.json");
  EXPECT_TRUE(openapi.doc["paths"].contains("/v1/verify")) << openapi.body.substr(0, 200);
}
TEST_F(ApiTest, EveryRouteTimesEveryRoleIsAllowedOrRefusedAsTheOneTableSays) {
  const std::string url = "http://127.0.0.1:" + std::to_string(port_);
  const std::string authority = "127.0.0.1:" + std::to_string(port_);
  const crypto::KeyPair stranger = crypto::KeyPair::generate();
  struct Caller {
    std::string name;
    const crypto::KeyPair* key;  // nullptr: unsigned
    std::string role;
  };
  std::vector<Caller> callers = {{"unsigned", nullptr, ""}, {"no role", &stranger, ""}};
  for (const auto& [role, key] : role_keys_) callers.push_back({role, &key, role});
  // A concrete target for each placeholder.
  const std::map<std::string, std::string> samples = {
      {"{height}", "0"}, {"{hash}", std::string(64, '0')}, {"{address}", address_of(alice_).to_string()},
      {"{module}", "bank"}, {"{key}", "x"}, {"{id}", "0"}, {"{size}", "0"}, {"{index}", "0"}, {"{round}", "1"}, {"{name}", "x"}};
  std::size_t checked = 0;
  const api::cage::RouteTable table = services::route_table();
  for (const auto& [route, access] : table.entries()) {
    const auto& [method, pattern] = route;
    std::string target = pattern;
    for (const auto& [placeholder, value] : samples) {
      for (auto at = target.find(placeholder); at != std::string::npos; at = target.find(placeholder)) {
        target.replace(at, placeholder.size(), value);
      }
    }
    ASSERT_EQ(target.find('{'), std::string::npos) << "no sample for a placeholder of " << pattern;
    const std::string body = method == "POST" ? "{}" : "";
    for (const Caller& caller : callers) {
      const api::HeaderList headers =
          caller.key != nullptr ? cli::RequestSigner(*caller.key, chain_tag()).sign(method, authority, target, body) : api::HeaderList{};
      auto reply = api::http_request(url, method, target, body, "application/json", std::chrono::milliseconds(5'000), headers);
      ASSERT_TRUE(reply.ok()) << method << " " << target << ": " << reply.error().to_string();
      const auto doc = nlohmann::json::parse(reply->body, nullptr, false);
      const std::string code = doc.is_object() && doc.contains("error") ? doc["error"].value("code", "") : "";
      const bool allowed = access.is_public || std::find(access.roles.begin(), access.roles.end(), caller.role) != access.roles.end();
      const std::string what = method + " " + pattern + " as " + caller.name;
      if (allowed) {
        EXPECT_NE(reply->status, 401u) << what << ": " << reply->body;
        EXPECT_NE(reply->status, 403u) << what << ": " << reply->body;
        EXPECT_EQ(code.rfind("auth_", 0), std::string::npos) << what << ": " << reply->body;
      } else if (caller.key == nullptr) {
        EXPECT_EQ(reply->status, 401u) << what;
        EXPECT_EQ(code, "auth_unsigned") << what;
      } else {
        EXPECT_EQ(reply->status, 403u) << what;
        EXPECT_EQ(code, "auth_forbidden") << what;
      }
      // Answers to signed requests carry the node's signature, which verifies and binds them.
      if (caller.key != nullptr && (allowed || reply->status == 403u)) {
        auto signature = cli::check_reply_signature(*reply, method, authority, target, headers);
        ASSERT_TRUE(signature.ok()) << what << ": " << signature.error().to_string();
        ASSERT_TRUE(signature->has_value()) << what << ": the answer is not signed";
        EXPECT_EQ(**signature, validator_.public_key().to_hex()) << what;
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, table.entries().size() * callers.size());
}

TEST_F(ApiTest, ApiAccessInTheConfigChangesWhoMayCallARouteAndATypoStopsTheNode) {
  stop_node();
  api_policy_.access = {{"GET /v1/mempool", {"operator"}}};
  start_node();
  const std::string url = "http://127.0.0.1:" + std::to_string(port_);
  const std::string authority = "127.0.0.1:" + std::to_string(port_);
  const auto as = [&](const crypto::KeyPair* key) {
    const api::HeaderList headers = key ? cli::RequestSigner(*key, chain_tag()).sign("GET", authority, "/v1/mempool", "") : api::HeaderList{};
    return api::http_request(url, "GET", "/v1/mempool", "", "application/json", std::chrono::milliseconds(5'000), headers)
        .value()
        .status;
  };
  EXPECT_EQ(as(nullptr), 401u);
  EXPECT_EQ(as(&role_keys_.at("user")), 403u);
  EXPECT_EQ(as(&role_keys_.at("operator")), 200u);

  stop_node();
  api_policy_.access = {{"GET /v1/mempol", {"operator"}}};
  NodeConfig config;
  config.config_dir = dir_;
  config.ephemeral_ports = true;
  config.run_consensus = false;
  config.api = api_policy_;
  NodePlugins plugins;
  plugins.modules = modules_;
  auto refused = Node::open(config, genesis_, validator_, std::move(plugins));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("GET /v1/mempol"), std::string::npos) << refused.error().message;
  api_policy_.access.clear();
  start_node();
}

TEST_F(ApiTest, TheEventStreamsUpgradePassesTheCage) {
  EventClient client(port_);
  ASSERT_TRUE(client.connect());
  // A plain GET on the stream's path is told to upgrade.
  EXPECT_EQ(get("/v1/events").status, 426u);
  const std::string url = "http://127.0.0.1:" + std::to_string(port_);
  const std::string authority = "127.0.0.1:" + std::to_string(port_);
  const auto headers = cli::RequestSigner(alice_, chain_tag()).sign("GET", authority, "/v1/audit/decisions", "");
  auto reply = api::http_request(url, "GET", "/v1/audit/decisions", "", "application/json", std::chrono::milliseconds(5'000), headers);
  ASSERT_TRUE(reply.ok());
  ASSERT_EQ(reply->status, 200u) << reply->body;
  bool upgrade_seen = false;
  const nlohmann::json doc = nlohmann::json::parse(reply->body);
  for (const auto& d : doc["decisions"]) {
    upgrade_seen = upgrade_seen || (d["route"] == "/v1/events" && d["status"] == 101 && d["allowed"] == true);
  }
  EXPECT_TRUE(upgrade_seen) << reply->body;
}

// Interop: requests signed by an independent RFC 9421 implementation (npm http-message-signatures,
// tests/interop/signatures.mjs) pass the Cage, and the node's response signatures verify there.
TEST_F(ApiTest, AnIndependentRfc9421LibrarySignsRequestsTheCageAcceptsAndVerifiesItsAnswers) {
  ASSERT_EQ(std::system("command -v node >/dev/null 2>&1"), 0) << "node is required (scripts/setup.sh installs it)";
  const crypto::KeyPair& auditor = role_keys_.at("auditor");
  const fs::path log = dir_ / "signatures.log";
  const std::string command = "cd '" + std::string(METANODE_INTEROP_DIR) + "' && node signatures.mjs --url http://127.0.0.1:" +
                              std::to_string(port_) + " --seed " + core::to_hex(auditor.seed()) + " --keyid " +
                              address_of(auditor).to_string() + " > '" + log.string() + "' 2>&1";
  const int rc = std::system(command.c_str());
  std::ifstream in(log);
  const std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(rc, 0) << output;
  EXPECT_NE(output.find("\"node_key\":\"" + validator_.public_key().to_hex() + "\""), std::string::npos) << output;
}

// Abuse on the real listener while the node works: 5,000 idle connections from one address, a
// slowloris client (one byte a second), an oversized header and an oversized body. Each is
// refused with its status and code, and meanwhile other clients' transfers are admitted,
// committed in blocks and read back.
TEST_F(ApiTest, IdleSlowAndOversizedClientsAreRefusedWhileTheNodeKeepsCommitting) {
  if (!testing::enough_descriptors(12'000)) GTEST_SKIP() << "needs 12,000 file descriptors";
  stop_node();
  api_policy_.request_timeout_ms = 1'500;
  start_node(100);  // a block every 100 ms when there is something to commit

  std::vector<int> idle;
  for (int i = 0; i < 5'000; ++i) {
    const int fd = testing::connect_from("127.0.0.2", port_);
    ASSERT_GE(fd, 0) << "connect " << i;
    idle.push_back(fd);
  }
  const int slow = testing::connect_from("127.0.0.3", port_);
  ASSERT_GE(slow, 0);
  const std::string slow_head = "GET /v1/blocks/0 HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaa\r\n\r\n";

  // Meanwhile (one transfer and one slowloris byte a second): transfers commit.
  testing::Received slow_answer;
  std::uint64_t committed = 0;
  for (std::uint64_t nonce = 0; nonce < 4; ++nonce) {
    if (!slow_answer.closed && testing::send_all(slow, slow_head.substr(nonce, 1))) {
      const auto got = testing::read_all(slow, std::chrono::milliseconds(1'000));
      slow_answer.bytes += got.bytes;
      slow_answer.closed = got.closed;
    }
    const ledger::Transaction tx = alice_to_bob(nonce, 10);
    ASSERT_EQ(submit_json(services::to_json(tx, modules::standard_modules())).status, 202u);
    const std::string target = "/v1/txs/" + core::to_hex(tx.hash());
    ASSERT_TRUE(testing::eventually([&] { return get(target).doc.value("status", "") == "committed"; },
                                    std::chrono::seconds(10)))
        << "transfer " << nonce << " not committed under the flood";
    ++committed;
  }
  EXPECT_EQ(committed, 4u);
  slow_answer.closed = slow_answer.closed || testing::read_all(slow, std::chrono::milliseconds(2'000)).closed;
  ::close(slow);
  EXPECT_EQ(slow_answer.bytes.rfind("HTTP/1.1 408 ", 0), 0u) << slow_answer.bytes;
  EXPECT_EQ(testing::error_code_in(slow_answer.bytes), "request_timeout");

  // The flood's address is held to its share; a new connection from it is told so.
  testing::Received greedy;
  for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
       greedy.bytes.empty() && std::chrono::steady_clock::now() < until;) {
    const int fd = testing::connect_from("127.0.0.2", port_);
    ASSERT_GE(fd, 0);
    testing::send_all(fd, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    greedy = testing::read_all(fd, std::chrono::milliseconds(2'000));
    ::close(fd);
  }
  EXPECT_EQ(greedy.bytes.rfind("HTTP/1.1 429 ", 0), 0u) << greedy.bytes;
  EXPECT_EQ(testing::error_code_in(greedy.bytes), "too_many_connections");

  // Oversized header: 431; oversized body: 413 (both closed, neither run).
  const auto exchange = [&](const std::string& bytes) {
    const int fd = testing::connect_from("127.0.0.4", port_);
    EXPECT_GE(fd, 0);
    testing::send_all(fd, bytes);
    const auto r = testing::read_all(fd, std::chrono::milliseconds(2'000));
    ::close(fd);
    return r;
  };
  const auto big_header = exchange("GET /v1/blocks/0 HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20'000, 'a') + "\r\n\r\n");
  EXPECT_EQ(big_header.bytes.rfind("HTTP/1.1 431 ", 0), 0u) << big_header.bytes.substr(0, 200);
  EXPECT_EQ(testing::error_code_in(big_header.bytes), "header_too_large");
  const auto big_body = exchange("POST /v1/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                                 std::to_string(4 << 20) + "\r\n\r\n{");
  EXPECT_EQ(big_body.bytes.rfind("HTTP/1.1 413 ", 0), 0u) << big_body.bytes.substr(0, 200);
  EXPECT_EQ(testing::error_code_in(big_body.bytes), "body_too_large");

  const Reply metrics = get("/metrics");
  EXPECT_NE(metrics.body.find("metanode_http_connections_refused_total"), std::string::npos);
  EXPECT_EQ(testing::u64_field(account(bob_), "balance", 0), 40u);
  for (const int fd : idle) ::close(fd);
}

// Signed requests that are wrong in each way, on the real listener while transfers commit: each
// refused with 401 and its code; the node keeps serving.
TEST_F(ApiTest, SignedRequestsWrongInEachWayAreRefusedOnTheRealListenerWhileTheNodeCommits) {
  stop_node();
  start_node(100);
  const std::string url = "http://127.0.0.1:" + std::to_string(port_);
  const std::string authority = "127.0.0.1:" + std::to_string(port_);
  const crypto::KeyPair& auditor = role_keys_.at("auditor");
  const std::string key_hex = auditor.public_key().to_hex();
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  // Signed as a client does, with `created` of our choosing.
  std::uint64_t nonce = 0;
  const auto signed_at = [&](const std::string& method, const std::string& target, const std::string& body,
                             std::int64_t created) {
    api::HeaderList fields{{"Metanode-Key", key_hex}};
    std::vector<std::string> covered = {"@method", "@target-uri", "metanode-key"};
    if (!body.empty()) {
      fields.emplace_back("Content-Digest", api::cage::content_digest(body));
      covered.emplace_back("content-digest");
    }
    const auto q = target.find('?');
    api::cage::MessageView view{method, "http", authority, target.substr(0, q),
                                q == std::string::npos ? "" : target.substr(q + 1),
                                [&fields](std::string_view name) -> std::optional<std::string> {
                                  for (const auto& [k, v] : fields) {
                                    std::string lower = k;
                                    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                                    if (lower == name) return v;
                                  }
                                  return std::nullopt;
                                }};
    const auto h = api::cage::sign_message(view, covered, auditor, address_of(auditor).to_string(), created,
                                           "w-" + std::to_string(++nonce), "sig1", chain_tag());
    fields.emplace_back("Signature-Input", h.signature_input);
    fields.emplace_back("Signature", h.signature);
    return fields;
  };
  const auto send = [&](const std::string& method, const std::string& target, const std::string& body,
                        const api::HeaderList& fields) {
    auto reply = api::http_request(url, method, target, body, "application/json", std::chrono::milliseconds(5'000), fields);
    EXPECT_TRUE(reply.ok());
    const auto doc = nlohmann::json::parse(reply.ok() ? reply->body : "", nullptr, false);
    return std::make_pair(reply.ok() ? reply->status : 0u,
                          doc.is_object() && doc.contains("error") ? doc["error"].value("code", "") : std::string());
  };
  const std::string audit = "/v1/audit/decisions";
  EXPECT_EQ(send("GET", audit, "", signed_at("GET", audit, "", now_s)).first, 200u) << "the control";
  const auto replayed = signed_at("GET", audit, "", now_s);
  EXPECT_EQ(send("GET", audit, "", replayed).first, 200u);
  EXPECT_EQ(send("GET", audit, "", replayed), std::make_pair(401u, std::string("auth_replay")));
  EXPECT_EQ(send("GET", audit, "", signed_at("GET", audit, "", now_s - 120)), std::make_pair(401u, std::string("auth_window")))
      << "expired";
  EXPECT_EQ(send("GET", audit, "", signed_at("GET", audit, "", now_s + 120)), std::make_pair(401u, std::string("auth_window")))
      << "from the future";
  EXPECT_EQ(send("GET", audit + "?limit=1", "", signed_at("GET", audit, "", now_s)),
            std::make_pair(401u, std::string("auth_signature")))
      << "the target changed after signing";
  const std::string body = services::to_json(alice_to_bob(0, 5), modules::standard_modules()).dump();
  EXPECT_EQ(send("POST", "/v1/txs", body + " ", signed_at("POST", "/v1/txs", body, now_s)),
            std::make_pair(401u, std::string("auth_digest")))
      << "the body swapped after signing";
  api::HeaderList redigested = signed_at("POST", "/v1/txs", body, now_s);
  for (auto& [k, v] : redigested) {
    if (k == "Content-Digest") v = api::cage::content_digest(body + " ");
  }
  EXPECT_EQ(send("POST", "/v1/txs", body + " ", redigested), std::make_pair(401u, std::string("auth_signature")))
      << "a covered header (Content-Digest) changed with it";
  // And the node kept working: a transfer submitted with a good signature commits.
  const auto accepted = send("POST", "/v1/txs", body, signed_at("POST", "/v1/txs", body, now_s));
  EXPECT_EQ(accepted.first, 202u) << accepted.second;
  const std::string target = "/v1/txs/" + core::to_hex(alice_to_bob(0, 5).hash());
  EXPECT_TRUE(testing::eventually([&] { return get(target).doc.value("status", "") == "committed"; }, std::chrono::seconds(10)));
}

TEST_F(ApiTest, ASecondServiceAnswersOnItsOwnPortWithTheCommonRoutes) {
  stop_node();
  extra_services_.push_back(std::make_shared<EchoService>());
  extra_routes_.emplace_back("GET", "/v1/echo/{word}", api::cage::Access::open());
  start_node();
  const std::uint16_t echo_port = node_->service_port("echo");
  ASSERT_NE(echo_port, 0);
  ASSERT_NE(echo_port, port_);

  const Reply health = request(echo_port, http::verb::get, "/health");
  ASSERT_EQ(health.status, 200u) << health.body;
  EXPECT_EQ(health.doc["service"], "echo");
  EXPECT_EQ(health.doc["status"], "ok");
  EXPECT_EQ(get("/health").doc["service"], "ledger");

  http::request<http::string_body> req(http::verb::get, "/v1/echo/hello", 11);
  req.set("X-Test", "one");
  const Reply echoed = exchange(echo_port, std::move(req));
  ASSERT_EQ(echoed.status, 200u) << echoed.body;
  EXPECT_EQ(echoed.doc["word"], "hello");
  EXPECT_EQ(echoed.doc["x_test"], "one");
  EXPECT_EQ(echoed.doc["remote_address"], "127.0.0.1");
  EXPECT_GT(echoed.doc["request_id"].get<std::uint64_t>(), 0u);
  // The ledger's routes are not on the echo port, nor the echo's on the ledger's.
  EXPECT_EQ(request(echo_port, http::verb::get, "/v1/mempool").status, 404u);
  EXPECT_EQ(get("/v1/echo/hello").status, 404u);

  const Reply openapi = request(echo_port, http::verb::get, "/v1/openapi.json");
  ASSERT_EQ(openapi.status, 200u);
  EXPECT_EQ(openapi.doc["info"]["title"], "Metanode echo API");
  EXPECT_TRUE(openapi.doc["paths"].contains("/v1/echo/{word}"));
  EXPECT_TRUE(openapi.doc["paths"].contains("/health"));
  EXPECT_TRUE(openapi.doc["components"]["schemas"].contains("Error"));
  const Reply metrics = request(echo_port, http::verb::get, "/metrics");
  EXPECT_NE(metrics.body.find("metanode_echoes_total 1"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("route=\"/v1/echo/{word}\""), std::string::npos) << metrics.body;

  // A clean stop closes both listeners.
  node_->stop();
  EXPECT_FALSE(can_connect(echo_port));
  EXPECT_FALSE(can_connect(port_));
}

TEST(Router, MiddlewareRunsInOrderBeforeTheRouteAndCanRefuse) {
  api::Router router;
  std::vector<std::string> seen;
  router.add("GET", "/v1/things/{id}", [&seen](const api::Request& req) {
    seen.push_back("handler " + req.params.at("id"));
    return api::Response{200, "text/plain", "thing", {}};
  });
  router.use([&seen](api::Request& req, const api::Next& next) {
    seen.push_back("first " + req.route);
    api::Response res = next(req);
    res.headers.emplace_back("X-First", "yes");
    return res;
  });
  router.use([&seen](api::Request& req, const api::Next& next) {
    seen.push_back("second");
    if (req.header("authorization") != std::optional<std::string_view>("let-me-in")) {
      return api::error_response(401, "unauthenticated", "no");
    }
    return next(req);
  });
  api::Request ok;
  ok.method = "GET";
  ok.path = "/v1/things/7";
  ok.headers["authorization"] = "let-me-in";
  const api::Response allowed = router.dispatch(ok);
  EXPECT_EQ(allowed.status, 200u);
  EXPECT_EQ(seen, (std::vector<std::string>{"first /v1/things/{id}", "second", "handler 7"}));
  ASSERT_EQ(allowed.headers.size(), 1u);
  EXPECT_EQ(allowed.headers[0].first, "X-First");

  seen.clear();
  api::Request refused = ok;
  refused.headers.clear();
  EXPECT_EQ(router.dispatch(refused).status, 401u);
  EXPECT_EQ(seen, (std::vector<std::string>{"first /v1/things/{id}", "second"}));

  // Unmatched paths go through the chain too, and get their 404 from it.
  seen.clear();
  api::Request missing = ok;
  missing.path = "/v1/nothing";
  EXPECT_EQ(router.dispatch(missing).status, 404u);
  EXPECT_EQ(missing.route, "unmatched");
  EXPECT_EQ(seen, (std::vector<std::string>{"first unmatched", "second"}));
}

// ---------------------------------------------------------------------------------------------
// The economics service (base+7): supply, validators, rewards, payouts and fees, each value that is
// state proven against the genesis alone; bad input refused with what is wrong.

TEST_F(ApiTest, TheEconomicsServiceAnswersWithProofsAndRefusesBadInput) {
  const std::uint16_t econ = node_->service_port("econ");
  ASSERT_NE(econ, 0u);
  ASSERT_EQ(submit_json(services::to_json(alice_to_bob(0, 10), modules::standard_modules())).status, 202u);
  ASSERT_TRUE(produce().has_value());
  ASSERT_EQ(submit_json(services::to_json(alice_to_bob(1, 10), modules::standard_modules())).status, 202u);
  ASSERT_TRUE(produce().has_value());

  // Supply: genesis + issued - burned, the base fees of both blocks burned (no econ section).
  const Reply supply = request(econ, http::verb::get, "/v1/econ/supply");
  ASSERT_EQ(supply.status, 200u) << supply.body;
  std::uint64_t genesis_total = 1;  // the validator's genesis stake (1 without an econ section)
  for (const auto& a : genesis_.accounts) genesis_total += a.balance;
  EXPECT_EQ(testing::u64_field(supply.doc, "genesis", 0), genesis_total);
  EXPECT_EQ(testing::u64_field(supply.doc, "burned", 0), kBaseFee + 1);  // 2 in block 1, then the base fee fell to 1
  EXPECT_EQ(testing::u64_field(supply.doc, "total", 0), genesis_total - kBaseFee - 1);
  EXPECT_EQ(supply.doc.value("epoch", 0u), 2u);
  auto proven = services::verify_state_answer(supply.doc["proof"], genesis_);
  EXPECT_TRUE(proven.ok()) << proven.error().to_string();
  EXPECT_TRUE(services::verify_state_answer(supply.doc["treasury"]["proof"], genesis_).ok());
  // A proof whose value was changed does not verify.
  json forged = supply.doc["proof"];
  forged["value_hex"] = forged.value("value_hex", "").replace(0, 2, "ff");
  EXPECT_FALSE(services::verify_state_answer(forged, genesis_).ok());

  // The validator was paid both tips (epochs of one block), proven.
  const Reply validators = request(econ, http::verb::get, "/v1/econ/validators");
  ASSERT_EQ(validators.status, 200u) << validators.body;
  ASSERT_EQ(validators.doc["validators"].size(), 1u);
  const json& v = validators.doc["validators"][0];
  EXPECT_EQ(v.value("name", ""), "v0");
  EXPECT_EQ(v.value("voting_power_bps", 0u), 10'000u);
  EXPECT_EQ(v.value("reward_weight_bps", 0u), 10'000u);
  EXPECT_EQ(testing::u64_field(v, "paid_total", 0), 2 * kBid);
  EXPECT_TRUE(services::verify_state_answer(v["proof"], genesis_).ok());
  // The set in force: genesis's (set 0, open-ended), nothing scheduled.
  ASSERT_EQ(validators.doc["sets"].size(), 1u) << validators.body;
  const json& set = validators.doc["sets"][0];
  EXPECT_EQ(set.value("epoch", 9u), 0u);
  EXPECT_EQ(set.value("status", ""), "in force");
  EXPECT_EQ(set.value("first_height", 0u), 1u);
  EXPECT_TRUE(set["last_height"].is_null());
  ASSERT_EQ(set["validators"].size(), 1u);
  EXPECT_EQ(set["validators"][0].value("name", ""), "v0");
  const Reply rewards = request(econ, http::verb::get, "/v1/econ/rewards/" + address_of(validator_).to_string());
  ASSERT_EQ(rewards.status, 200u) << rewards.body;
  EXPECT_TRUE(rewards.doc.value("validator", false));
  EXPECT_EQ(testing::u64_field(rewards.doc, "last_paid", 0), kBid);
  EXPECT_EQ(testing::u64_field(rewards.doc, "pending", 9), 0u);
  const Reply stranger = request(econ, http::verb::get, "/v1/econ/rewards/" + bob_.to_string());
  ASSERT_EQ(stranger.status, 200u);
  EXPECT_FALSE(stranger.doc.value("validator", true));
  EXPECT_TRUE(services::verify_state_answer(stranger.doc["proof"], genesis_).ok());  // proven absent

  // Payouts newest first; the fee market per block.
  const Reply payouts = request(econ, http::verb::get, "/v1/econ/payouts?limit=1");
  ASSERT_EQ(payouts.status, 200u) << payouts.body;
  ASSERT_EQ(payouts.doc["payouts"].size(), 1u);
  EXPECT_EQ(payouts.doc["payouts"][0].value("epoch", 9u), 1u);
  EXPECT_EQ(payouts.doc.value("next_before", 0u), 1u);
  const Reply fees = request(econ, http::verb::get, "/v1/econ/fees?blocks=2");
  ASSERT_EQ(fees.status, 200u) << fees.body;
  ASSERT_EQ(fees.doc["blocks"].size(), 2u);
  EXPECT_EQ(testing::u64_field(fees.doc["blocks"][0], "fees", 0), kFee);
  EXPECT_EQ(testing::u64_field(fees.doc["blocks"][0], "tip_median", 0), kBid);
  EXPECT_EQ(testing::u64_field(fees.doc["blocks"][1], "base_fee", 0), 1u);
  const Reply params = request(econ, http::verb::get, "/v1/econ/params");
  ASSERT_EQ(params.status, 200u);
  EXPECT_EQ(params.doc.value("epoch_blocks", 0u), 1u);
  EXPECT_EQ(params.doc["base_fee_split"].value("burn", 0u), 10'000u);

  // Alice delegates 100 to the validator (a JSON payload through POST /v1/txs); from the next
  // epoch (the next block: epochs of one block here) it earns, and her rewards answer lists it with both proofs.
  ledger::Transaction delegation = alice_to_bob(2, 1);
  delegation.payload = modules::delegate_payload(address_of(validator_), 100);
  delegation.sign_single(alice_, genesis_.digest());
  const Reply delegated = submit_json(services::to_json(delegation, modules::standard_modules()));
  ASSERT_EQ(delegated.status, 202u) << delegated.body;
  ASSERT_TRUE(produce().has_value());
  const Reply alice_rewards = request(econ, http::verb::get, "/v1/econ/rewards/" + address_of(alice_).to_string());
  ASSERT_EQ(alice_rewards.status, 200u) << alice_rewards.body;
  ASSERT_EQ(alice_rewards.doc["delegations"].size(), 1u) << alice_rewards.body;
  const json& mine = alice_rewards.doc["delegations"][0];
  EXPECT_EQ(mine.value("validator", ""), address_of(validator_).to_string());
  EXPECT_EQ(testing::u64_field(mine, "value", 0), 100u);
  EXPECT_TRUE(mine.value("earning", false));
  EXPECT_TRUE(services::verify_state_answer(mine["proof"], genesis_).ok());
  EXPECT_TRUE(services::verify_state_answer(mine["pool_proof"], genesis_).ok());
  const Reply with_pool = request(econ, http::verb::get, "/v1/econ/validators");
  ASSERT_EQ(with_pool.status, 200u);
  EXPECT_EQ(testing::u64_field(with_pool.doc["validators"][0], "delegated", 0), 100u);
  EXPECT_EQ(with_pool.doc["validators"][0].value("delegations", 0u), 1u);
  EXPECT_TRUE(services::verify_state_answer(with_pool.doc["validators"][0]["pool"]["proof"], genesis_).ok());
  EXPECT_EQ(testing::u64_field(request(econ, http::verb::get, "/v1/econ/supply").doc, "delegated", 0), 100u);

  // Bad input: what is wrong, never a 500.
  for (const char* bad : {"/v1/econ/rewards/not-an-address", "/v1/econ/fees?blocks=0", "/v1/econ/fees?blocks=1001",
                          "/v1/econ/fees?blocks=x", "/v1/econ/payouts?limit=201", "/v1/econ/payouts?before=99"}) {
    const Reply r = request(econ, http::verb::get, bad);
    EXPECT_EQ(r.status, 400u) << bad << ": " << r.body;
    EXPECT_EQ(r.code(), "invalid_argument") << bad;
  }
  const Reply health = request(econ, http::verb::get, "/health");
  EXPECT_EQ(health.status, 200u);
  EXPECT_NE(request(econ, http::verb::get, "/metrics").body.find("metanode_econ_supply "), std::string::npos);

  // Nobody was slashed; then anyone submits two prepares the validator signed for one height and
  // round as evidence, and the slash is listed, proven.
  Reply slashes = request(econ, http::verb::get, "/v1/econ/slashes");
  ASSERT_EQ(slashes.status, 200u) << slashes.body;
  EXPECT_TRUE(slashes.doc["slashes"].empty());
  const core::Hash32 chain_id = crypto::epoch_chain_id(crypto::consensus_chain_id(genesis_.digest()), 0);
  modules::EquivocationEvidence e;
  e.offender = validator_.public_key();
  e.first = crypto::VoteData{crypto::VoteKind::kPrepare, 2, 0, core::hash(core::Domain::Test, core::as_bytes("a")), std::nullopt};
  e.second = e.first;
  e.second.block_id = core::hash(core::Domain::Test, core::as_bytes("b"));
  e.first_signature = validator_.sign_digest(e.first.signing_digest(chain_id));
  e.second_signature = validator_.sign_digest(e.second.signing_digest(chain_id));
  ledger::Transaction tx = alice_to_bob(3, 1);
  tx.payload = modules::evidence_payload(e);
  tx.sign_single(alice_, genesis_.digest());
  ledger::Transaction same = alice_to_bob(3, 1);
  modules::EquivocationEvidence no_conflict = e;
  no_conflict.second = e.first;
  no_conflict.second_signature = e.first_signature;
  same.payload = modules::evidence_payload(no_conflict);
  same.sign_single(alice_, genesis_.digest());
  const Reply refused = submit_json(services::to_json(same, modules::standard_modules()));
  EXPECT_EQ(refused.status, 400u) << refused.body;
  EXPECT_EQ(refused.code(), "econ_evidence_invalid") << refused.body;
  ASSERT_EQ(submit_json(services::to_json(tx, modules::standard_modules())).status, 202u);
  ASSERT_TRUE(produce().has_value());
  slashes = request(econ, http::verb::get, "/v1/econ/slashes");
  ASSERT_EQ(slashes.status, 200u) << slashes.body;
  ASSERT_EQ(slashes.doc["slashes"].size(), 1u) << slashes.body;
  const json& slash = slashes.doc["slashes"][0];
  EXPECT_EQ(slash.value("validator", ""), address_of(validator_).to_string());
  EXPECT_EQ(slash.value("reporter", ""), address_of(alice_).to_string());
  EXPECT_EQ(slash.value("vote_height", 0u), 2u);
  EXPECT_EQ(slash.value("kind", ""), "prepare");
  EXPECT_TRUE(services::verify_state_answer(slash["proof"], genesis_).ok());
  EXPECT_EQ(slashes.doc.value("slash_bps", 0u), modules::kSlashBpsDefault);
}

// ---------------------------------------------------------------------------------------------
// The oracle service (base+2): the council creates a feed, the operator (role "oracle") signs an
// observation, anyone submits the report; the feed, its latest round and round 1 are answered
// with proofs against the genesis alone; bad input refused with what is wrong.

TEST_F(ApiTest, TheOracleServiceAnswersFeedsAndRoundsWithProofs) {
  const std::uint16_t oracle = node_->service_port("oracle");
  ASSERT_NE(oracle, 0u);
  Reply feeds = request(oracle, http::verb::get, "/v1/feeds");
  ASSERT_EQ(feeds.status, 200u) << feeds.body;
  EXPECT_TRUE(feeds.doc["feeds"].empty());
  ASSERT_EQ(feeds.doc["operators"].size(), 1u);  // the fixture's key with role "oracle"
  EXPECT_EQ(feeds.doc.value("quorum", 0u), 1u);

  modules::GovProposal create;
  create.action = modules::GovAction::kCreateFeed;
  create.feed.id = "eur-usd";
  create.feed.sources = {{"https://example.com/eur", "/rate"}};
  create.feed.decimals = 4;
  ledger::Transaction propose = alice_to_bob(0, 1);
  propose.payload = modules::gov_propose_payload(create);
  propose.sign_single(alice_, genesis_.digest());
  ASSERT_EQ(submit_json(services::to_json(propose, modules::standard_modules())).status, 202u);
  ASSERT_TRUE(produce().has_value());
  const Reply no_round = request(oracle, http::verb::get, "/v1/feeds/eur-usd/latest");
  EXPECT_EQ(no_round.status, 404u) << no_round.body;

  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  modules::OracleReport report{"eur-usd", 1, {modules::sign_observation(role_keys_.at("oracle"), genesis_.digest(), "eur-usd", 1, 10'842, now_ms)}};
  ledger::Transaction submit = alice_to_bob(1, 1);
  submit.payload = modules::oracle_report_payload(report);
  submit.sign_single(alice_, genesis_.digest());
  const Reply accepted = submit_json(services::to_json(submit, modules::standard_modules()));
  ASSERT_EQ(accepted.status, 202u) << accepted.body;
  ASSERT_TRUE(produce().has_value());

  feeds = request(oracle, http::verb::get, "/v1/feeds");
  ASSERT_EQ(feeds.status, 200u);
  ASSERT_EQ(feeds.doc["feeds"].size(), 1u) << feeds.body;
  const json& feed = feeds.doc["feeds"][0];
  EXPECT_EQ(feed.value("id", ""), "eur-usd");
  EXPECT_EQ(feed["latest"].value("value", ""), "1.0842");
  EXPECT_TRUE(services::verify_state_answer(feed["spec_proof"], genesis_).ok());
  EXPECT_TRUE(services::verify_state_answer(feed["latest_proof"], genesis_).ok());
  const Reply latest = request(oracle, http::verb::get, "/v1/feeds/eur-usd/latest");
  ASSERT_EQ(latest.status, 200u) << latest.body;
  EXPECT_EQ(latest.doc.value("round", 0u), 1u);
  EXPECT_EQ(latest.doc.value("median", ""), "10842");
  ASSERT_EQ(latest.doc["observations"].size(), 1u);
  EXPECT_EQ(latest.doc["observations"][0].value("decimal", ""), "1.0842");
  EXPECT_TRUE(services::verify_state_answer(latest.doc["proof"], genesis_).ok());
  const Reply one = request(oracle, http::verb::get, "/v1/feeds/eur-usd/rounds/1");
  ASSERT_EQ(one.status, 200u);
  EXPECT_EQ(one.doc["proof"], latest.doc["proof"]);
  // The same report again is a replay: refused at execution with its code.
  ledger::Transaction replay = alice_to_bob(2, 1);
  replay.payload = modules::oracle_report_payload(report);
  replay.sign_single(alice_, genesis_.digest());
  ASSERT_EQ(submit_json(services::to_json(replay, modules::standard_modules())).status, 202u);
  ASSERT_TRUE(produce().has_value());
  const Reply receipt = get("/v1/txs/" + core::to_hex(replay.hash()));
  EXPECT_EQ(receipt.doc["receipt"]["error"].value("code", ""), "oracle_stale_round") << receipt.body;

  for (const auto& [target, status] : std::vector<std::pair<std::string, unsigned>>{
           {"/v1/feeds/eur-usd/rounds/2", 404}, {"/v1/feeds/nope/latest", 404}, {"/v1/feeds/Bad/latest", 400},
           {"/v1/feeds/eur-usd/rounds/0", 400}, {"/v1/feeds/eur-usd/rounds/x", 400}}) {
    EXPECT_EQ(request(oracle, http::verb::get, target).status, status) << target;
  }
  EXPECT_EQ(request(oracle, http::verb::get, "/health").status, 200u);
  EXPECT_NE(request(oracle, http::verb::get, "/metrics").body.find("metanode_oracle_round{feed=\"eur-usd\"} 1"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// The registry service (base+3): a lease registered through POST /v1/txs (JSON) is found by name
// and by kind with its proof; a name without a lease is a 404 carrying the proof of its absence.

TEST_F(ApiTest, TheRegistryServiceAnswersLeasesWithProofs) {
  const std::uint16_t registry = node_->service_port("registry");
  ASSERT_NE(registry, 0u);
  ledger::Transaction tx = alice_to_bob(0, 1);
  modules::LeaseRequest lease;
  lease.name = "billing.api";
  lease.kind = "http";
  lease.endpoint = "https://billing.example.com";
  lease.metadata = "{}";
  lease.ttl_blocks = 50;
  lease.health_check = "tcp://127.0.0.1:1";
  tx.payload = modules::register_payload(lease);
  tx.sign_single(alice_, genesis_.digest());
  const Reply submitted = submit_json(services::to_json(tx, modules::standard_modules()));
  ASSERT_EQ(submitted.status, 202u) << submitted.body;
  ASSERT_TRUE(produce().has_value());
  const Reply one = request(registry, http::verb::get, "/v1/registry/services/billing.api");
  ASSERT_EQ(one.status, 200u) << one.body;
  EXPECT_EQ(one.doc.value("endpoint", ""), "https://billing.example.com");
  EXPECT_EQ(one.doc.value("owner", ""), address_of(alice_).to_string());
  EXPECT_TRUE(services::verify_state_answer(one.doc["proof"], genesis_).ok());
  EXPECT_EQ(one.doc["health"].value("status", ""), "unknown") << "no operator has reported yet";
  EXPECT_TRUE(services::verify_state_answer(one.doc["health_proof"], genesis_).ok());  // proven absent
  EXPECT_EQ(one.doc.value("blocks_left", 0), 50);
  const Reply by_kind = request(registry, http::verb::get, "/v1/registry/services?kind=http");
  ASSERT_EQ(by_kind.status, 200u) << by_kind.body;
  ASSERT_EQ(by_kind.doc["services"].size(), 1u);
  EXPECT_TRUE(services::verify_state_answer(by_kind.doc["index_proofs"]["kind:http"], genesis_).ok());
  EXPECT_EQ(request(registry, http::verb::get, "/v1/registry/services").doc["services"].size(), 1u);
  const Reply absent = request(registry, http::verb::get, "/v1/registry/services/nobody.here");
  EXPECT_EQ(absent.status, 404u);
  EXPECT_TRUE(services::verify_state_answer(absent.doc["proof"], genesis_).ok());  // proven absent
  EXPECT_EQ(request(registry, http::verb::get, "/v1/registry/services/Bad%20Name").status, 400u);
  EXPECT_EQ(request(registry, http::verb::get, "/v1/registry/services?kind=BAD").status, 400u);
  EXPECT_NE(request(registry, http::verb::get, "/metrics").body.find("metanode_registry_leases{kind=\"http\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace metanode::node
