// BPCI against real nodes: the fleet file's checks, the Prometheus reader, and a Bpci process
// (HTTP server behind the Cage, fleet monitor, console files) watching an in-process node, a node
// of another chain and an address where nothing listens.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "api/http/http_client.hpp"
#include "api/cage/request_auth.hpp"
#include "bpci/console_service.hpp"
#include "cli/request_signer.hpp"
#include "crypto/keystore.hpp"
#include "crypto/mldsa.hpp"
#include "ledger/audit_proofs.hpp"
#include "modules/audit/audit.hpp"
#include "modules/module_set.hpp"
#include "services/proofs/proof_check.hpp"
#include "node/node.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"
#include "support/single_producer.hpp"

namespace metanode::bpci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testing::temp_dir;

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

TEST(FleetConfig, ReadsAFleetFileAndNamesWhatIsWrongInABadOne) {
  const fs::path dir = temp_dir("fleet-config");
  write(dir / "fleet.toml", "genesis = \"g.json\"\n[[nodes]]\nname = \"a\"\napi = \"http://127.0.0.1:9001/\"\n"
                            "[[nodes]]\nname = \"b\"\napi = \"http://10.0.0.2:9101\"\n");
  auto fleet = FleetConfig::load(dir / "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().to_string();
  EXPECT_EQ(fleet->genesis_file, dir / "g.json");
  ASSERT_EQ(fleet->nodes.size(), 2u);
  EXPECT_EQ(fleet->nodes[0].api, "http://127.0.0.1:9001");  // the trailing slash dropped
  // What `metanode up` writes reads back the same.
  write(dir / "again.toml", fleet->to_toml());
  auto again = FleetConfig::load(dir / "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->nodes[1].name, "b");

  const auto refused = [&](const std::string& text, const std::string& says) {
    write(dir / "bad.toml", text);
    auto bad = FleetConfig::load(dir / "bad.toml");
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_EQ(bad.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_NE(bad.error().message.find(says), std::string::npos) << bad.error().message;
  };
  refused("[[nodes]]\nname = \"a\"\napi = \"http://h:1\"\n", "genesis");
  refused("genesis = \"g.json\"\n", "no [[nodes]]");
  refused("genesis = \"g.json\"\n[[nodes]]\nname = \"a\"\napi = \"http://h:1\"\n[[nodes]]\nname = \"a\"\napi = \"http://h:2\"\n",
          "used twice");
  refused("genesis = \"g.json\"\n[[nodes]]\nname = \"a\"\napi = \"ftp://h:1\"\n", "http://host:port");
  refused("genesis = \"g.json\"\n[[nodes]]\napi = \"http://h:1\"\n", "name");
  refused("genesis = [\n", "line");
  fs::remove_all(dir);
}

TEST(Prometheus, ReadsValuesWithAndWithoutLabelsAndSkipsComments) {
  const auto m = parse_prometheus(
      "# HELP metanode_block_height Height.\n# TYPE metanode_block_height gauge\nmetanode_block_height 42\n"
      "metanode_build_info{version=\"0.1.0\"} 1\nprocess_cpu_seconds_total 1.25\nbroken line\nnovalue \n");
  EXPECT_EQ(m.at("metanode_block_height"), 42);
  EXPECT_EQ(m.at("metanode_build_info{version=\"0.1.0\"}"), 1);
  EXPECT_DOUBLE_EQ(m.at("process_cpu_seconds_total"), 1.25);
  EXPECT_EQ(m.size(), 3u);
}

// A node in this process: single producer, ephemeral ports, the standard modules.
struct TestNode {
  ledger::Genesis genesis;
  std::unique_ptr<node::Node> node;
  std::unique_ptr<testing::SingleProducer> producer;

  // `operator_address`, when given, is the council and holds the operator role; `adjust` changes
  // the genesis before the node opens it.
  TestNode(const fs::path& dir, const std::string& chain_id, std::uint64_t seed, const std::string& operator_address = "",
           const std::function<void(ledger::Genesis&)>& adjust = {}) {
    const crypto::KeyPair key = crypto::KeyPair::from_seed(crypto::Seed{static_cast<std::uint8_t>(seed)});
    genesis.chain_id = chain_id;
    genesis.genesis_time_unix_ms = 1'000;
    genesis.validators.push_back({"v0", key.public_key(), crypto::MldsaKeyPair::generate().public_key()});
    if (!operator_address.empty()) {
      genesis.modules["gov"] = json{{"council", {{"threshold", 1}, {"members", {operator_address}}}},
                                    {"grants", {{operator_address, {"operator"}}}}}
                                   .dump();
    }
    if (adjust) adjust(genesis);
    node::NodeConfig config;
    config.config_dir = dir;
    config.ephemeral_ports = true;
    config.run_consensus = false;
    config.block_interval_ms = 600'000;
    config.http_threads = 1;
    config.empty_blocks = true;
    auto opened = node::Node::open(config, genesis, key);
    EXPECT_TRUE(opened.ok()) << opened.error().to_string();
    node = std::move(opened).value();
    EXPECT_TRUE(node->start().ok());
    producer = std::make_unique<testing::SingleProducer>(*node);
  }
  std::string api() const { return "http://127.0.0.1:" + std::to_string(node->ledger_port()); }
};

// BPCI's key (its audit log's) in these tests.
crypto::HybridKeyPair bpci_key() {
  crypto::KeySecrets secrets;
  secrets.ed25519_seed = crypto::Seed{77};
  secrets.mldsa_seed[0] = 77;
  return secrets.hybrid();
}

BpciOptions bpci_options(const fs::path& dir) {
  BpciOptions options;
  options.port = 0;
  options.web_dir = dir / "web";
  options.poll_interval = std::chrono::milliseconds(200);
  options.data_dir = dir / "bpci";
  options.key.emplace(bpci_key());
  options.anchor_interval = std::chrono::milliseconds(0);  // the tests anchor by hand
  return options;
}

api::HttpReply get(std::uint16_t port, const std::string& target) {
  auto reply = api::http_request("http://127.0.0.1:" + std::to_string(port), "GET", target);
  EXPECT_TRUE(reply.ok()) << target;
  return reply.ok() ? *reply : api::HttpReply{};
}

TEST(Bpci, ShowsEachNodeUpOrDownWithWhyAndServesTheConsoleBehindTheCage) {
  const fs::path dir = temp_dir("bpci");
  const crypto::KeyPair wallet = crypto::KeyPair::from_seed(crypto::Seed{9});  // an operator of `ours`
  TestNode ours(dir / "ours", "fleet-test", 1, crypto::Address::from_public_key(wallet.public_key()).to_string());
  TestNode other(dir / "other", "another-chain", 2);
  ASSERT_TRUE(ours.genesis.save(dir / "genesis.json").ok());
  write(dir / "web" / "index.html", "<!doctype html><title>console</title>");
  write(dir / "web" / "assets" / "main-ABC.js", "console.log('hi')");

  FleetConfig fleet;
  fleet.genesis_file = dir / "genesis.json";
  write(dir / "ours.log", "line 1\nline 2\nline 3\nline 4\nline 5\n");
  fleet.nodes = {{"ours", ours.api(), dir / "ours.log"},
                 {"other", other.api(), {}},
                 {"gone", "http://127.0.0.1:" + std::to_string(testing::PortPicker().single()), {}}};
  auto bpci = Bpci::open(fleet, bpci_options(dir));
  ASSERT_TRUE(bpci.ok()) << bpci.error().to_string();
  ASSERT_TRUE((*bpci)->start().ok());
  const std::uint16_t port = (*bpci)->port();
  // The test polls by hand (poll_all): the monitor's own threads would race its checks.
  (*bpci)->fleet().stop();

  ASSERT_TRUE(ours.producer->produce_once().ok());
  (*bpci)->fleet().poll_all();
  api::HttpReply r = get(port, "/v1/fleet");
  ASSERT_EQ(r.status, 200u) << r.body;
  const json doc = json::parse(r.body);
  EXPECT_EQ(doc["chain_id"], "fleet-test");
  ASSERT_EQ(doc["nodes"].size(), 3u);
  const json& up = doc["nodes"][0];
  EXPECT_TRUE(up["up"].get<bool>()) << up.dump();
  EXPECT_EQ(up["height"], 1);
  EXPECT_EQ(up["version"], "0.1.0");
  EXPECT_EQ(up["leader"], "v0");  // the proposer's key named from the genesis
  EXPECT_GT(up["rss_bytes"].get<std::uint64_t>(), 0u);
  EXPECT_GT(up["last_commit_unix_ms"].get<std::int64_t>(), 0);
  EXPECT_FALSE(doc["nodes"][1]["up"].get<bool>());
  EXPECT_NE(doc["nodes"][1]["error"].get<std::string>().find("another chain"), std::string::npos) << doc["nodes"][1];
  EXPECT_FALSE(doc["nodes"][2]["up"].get<bool>());
  EXPECT_EQ(doc["nodes"][2]["error"], "connection refused");
  EXPECT_GT(doc["nodes"][2]["down_since_unix_ms"].get<std::int64_t>(), 0);

  // One node with its history; an unknown one is a 404 with a code.
  r = get(port, "/v1/fleet/nodes/ours");
  ASSERT_EQ(r.status, 200u);
  EXPECT_GE(json::parse(r.body)["history"].size(), 1u);
  r = get(port, "/v1/fleet/nodes/nobody");
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(r.body.find("not_found"), std::string::npos);

  // Pages answer the app with a CSP that lets it run its own scripts; assets are cached for good.
  r = get(port, "/fleet");
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("<title>console</title>"), std::string::npos);
  const auto csp = api::find_header(r.headers, "content-security-policy");
  ASSERT_TRUE(csp.has_value());
  EXPECT_NE(csp->find("script-src 'self'"), std::string::npos) << *csp;
  r = get(port, "/assets/main-ABC.js");
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(api::find_header(r.headers, "cache-control").value_or("").find("immutable"), std::string::npos);
  EXPECT_EQ(get(port, "/assets/nothing.js").status, 404u);
  // Every other answer keeps the strictest policy.
  EXPECT_EQ(api::find_header(get(port, "/v1/fleet").headers, "content-security-policy"),
            "default-src 'none'; frame-ancestors 'none'");
  // Writes do not exist here: 405 through the Cage.
  auto post = api::http_request("http://127.0.0.1:" + std::to_string(port), "POST", "/v1/fleet", "{}");
  ASSERT_TRUE(post.ok());
  EXPECT_GE(post->status, 400u);

  // The chain through BPCI: the first node up answers (named in Metanode-Node), or the one asked.
  r = get(port, "/v1/chain/blocks/1");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(api::find_header(r.headers, "metanode-node"), "ours");
  EXPECT_EQ(json::parse(r.body)["header"]["height"], 1);  // heights are numbers (amounts and fees are strings)
  r = get(port, "/v1/chain/blocks/1?node=other");
  EXPECT_EQ(api::find_header(r.headers, "metanode-node"), "other");  // asked for by name: answered, whatever its chain
  r = get(port, "/v1/chain/blocks/1?node=gone");
  EXPECT_EQ(r.status, 503u);
  EXPECT_NE(r.body.find("no_node_up"), std::string::npos);
  EXPECT_EQ(get(port, "/v1/chain/blocks/1?node=nobody").status, 404u);
  // The genesis in its canonical form: its digest is the chain's.
  r = get(port, "/v1/genesis");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(core::hash(core::Domain::Genesis, core::as_bytes(r.body)), ours.genesis.digest());

  // A transaction goes to a node as it was sent; the node's own checks answer it.
  auto submitted = api::http_request("http://127.0.0.1:" + std::to_string(port), "POST", "/v1/chain/txs", "{}");
  ASSERT_TRUE(submitted.ok());
  EXPECT_EQ(submitted->status, 400u) << submitted->body;
  EXPECT_EQ(api::find_header(submitted->headers, "metanode-node"), "ours");

  // Wallet login: a challenge, signed back by the wallet's key for this chain, names the address.
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const std::string authority = "127.0.0.1:" + std::to_string(port);
  const cli::RequestSigner signer(wallet, api::cage::chain_tag(ours.genesis.digest()));
  const auto login = [&](const std::string& challenge, const cli::RequestSigner* with) {
    const std::string body = json{{"challenge", challenge}}.dump();
    const auto headers = with != nullptr ? with->sign("POST", authority, "/v1/session", body) : api::HeaderList{};
    auto reply = api::http_request(base, "POST", "/v1/session", body, "application/json", std::chrono::milliseconds(5'000),
                                   headers);
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? *reply : api::HttpReply{};
  };
  const std::string challenge = json::parse(get(port, "/v1/session/challenge").body)["challenge"];
  EXPECT_EQ(login(challenge, nullptr).status, 401u);  // unsigned
  const cli::RequestSigner other_chain(wallet, api::cage::chain_tag(other.genesis.digest()));
  const api::HttpReply foreign = login(challenge, &other_chain);
  EXPECT_EQ(foreign.status, 401u);
  EXPECT_NE(foreign.body.find("auth_wrong_chain"), std::string::npos) << foreign.body;
  const api::HttpReply in = login(challenge, &signer);
  ASSERT_EQ(in.status, 200u) << in.body;
  EXPECT_EQ(json::parse(in.body)["address"], crypto::Address::from_public_key(wallet.public_key()).to_string());
  EXPECT_EQ(json::parse(in.body)["roles"], json::array({"operator"}));
  const api::HttpReply again = login(challenge, &signer);  // a challenge logs in once
  EXPECT_EQ(again.status, 401u);
  EXPECT_NE(again.body.find("auth_challenge"), std::string::npos) << again.body;
  EXPECT_EQ(login("not-issued", &signer).status, 401u);

  // A node's log: operators and admins only (roles read from the nodes), the last lines asked for.
  const auto logs = [&](const std::string& target, const cli::RequestSigner* with) {
    const auto headers = with != nullptr ? with->sign("GET", authority, target, "") : api::HeaderList{};
    auto reply = api::http_request(base, "GET", target, "", "application/json", std::chrono::milliseconds(5'000), headers);
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? *reply : api::HttpReply{};
  };
  EXPECT_EQ(logs("/v1/fleet/nodes/ours/logs?lines=3", nullptr).status, 401u);
  const cli::RequestSigner nobody(crypto::KeyPair::from_seed(crypto::Seed{10}), api::cage::chain_tag(ours.genesis.digest()));
  EXPECT_EQ(logs("/v1/fleet/nodes/ours/logs?lines=3", &nobody).status, 403u);
  const api::HttpReply tail = logs("/v1/fleet/nodes/ours/logs?lines=3", &signer);
  ASSERT_EQ(tail.status, 200u) << tail.body;
  EXPECT_EQ(json::parse(tail.body)["lines"], json::array({"line 3", "line 4", "line 5"}));
  EXPECT_EQ(logs("/v1/fleet/nodes/other/logs", &signer).status, 404u);  // no log file in the fleet file
  EXPECT_EQ(logs("/v1/fleet/nodes/ours/logs?lines=0", &signer).status, 400u);

  r = get(port, "/health");
  EXPECT_EQ(json::parse(r.body)["nodes_up"], 1);
  r = get(port, "/metrics");
  EXPECT_NE(r.body.find("metanode_bpci_nodes_up 1"), std::string::npos);
  EXPECT_EQ(get(port, "/v1/openapi.json").status, 200u);

  // A node that stops is shown down.
  ours.producer.reset();
  ours.node->stop();
  (*bpci)->fleet().poll_all();
  EXPECT_FALSE((*bpci)->fleet().nodes()[0].up);
  (*bpci)->stop();
  fs::remove_all(dir);
}

TEST(Bpci, RecordsEveryDecisionOfItsCageInItsOwnSignedLogAndAnchorsItOnChain) {
  const fs::path dir = temp_dir("bpci-audit");
  const crypto::KeyPair admin = crypto::KeyPair::from_seed(crypto::Seed{9});
  const crypto::HybridKeyPair key = bpci_key();
  const crypto::Address bpci_address = crypto::Address::from_public_key(key.ed25519().public_key());
  TestNode ours(dir / "ours", "fleet-test", 1, "", [&](ledger::Genesis& g) {
    const std::string a = crypto::Address::from_public_key(admin.public_key()).to_string();
    g.modules["gov"] = json{{"council", {{"threshold", 1}, {"members", {a}}}}, {"grants", {{a, {"admin"}}}}}.dump();
    g.modules["audit"] =
        ledger::audit_logs_section({{"bpci", key.ed25519().public_key(), key.mldsa().public_key()}}).dump();
    g.accounts.push_back({bpci_address, 1'000'000});
  });
  ASSERT_TRUE(ours.genesis.save(dir / "genesis.json").ok());
  write(dir / "web" / "index.html", "<!doctype html><title>console</title>");
  FleetConfig fleet;
  fleet.genesis_file = dir / "genesis.json";
  fleet.nodes = {{"ours", ours.api(), {}}};

  // Without a data directory (or a key) BPCI does not start: its decisions would go nowhere.
  BpciOptions without = bpci_options(dir);
  without.data_dir.clear();
  auto refused = Bpci::open(fleet, without);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("audit log"), std::string::npos) << refused.error().message;

  BpciOptions options = bpci_options(dir);
  options.checkpoint_interval = std::chrono::milliseconds(100);
  auto bpci = Bpci::open(fleet, options);
  ASSERT_TRUE(bpci.ok()) << bpci.error().to_string();
  ASSERT_TRUE((*bpci)->start().ok());
  (*bpci)->fleet().stop();
  (*bpci)->fleet().poll_all();
  const std::uint16_t port = (*bpci)->port();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const std::string authority = "127.0.0.1:" + std::to_string(port);
  const auto signed_get = [&](const std::string& target, const crypto::KeyPair& as) {
    const cli::RequestSigner signer(as, api::cage::chain_tag(ours.genesis.digest()));
    auto reply = api::http_request(base, "GET", target, "", "application/json", std::chrono::milliseconds(5'000),
                                   signer.sign("GET", authority, target, ""));
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? *reply : api::HttpReply{};
  };

  // Public, refused and allowed decisions: each answered only once it is on disk.
  EXPECT_EQ(get(port, "/v1/fleet").status, 200u);
  EXPECT_EQ(get(port, "/bpci/v1/audit/checkpoint").status, 401u);
  const crypto::KeyPair stranger = crypto::KeyPair::from_seed(crypto::Seed{10});
  EXPECT_EQ(signed_get("/bpci/v1/audit/checkpoint", stranger).status, 403u);
  const std::uint64_t answered = (*bpci)->audit_log().size();  // durable before the answers were sent
  EXPECT_GE(answered, 4u);  // bpci.start and the three requests
  std::vector<std::string> seen;
  for (std::uint64_t i = 0; i < answered; ++i) {
    auto e = (*bpci)->audit_log().event(i);
    ASSERT_TRUE(e.ok());
    seen.push_back(e->event.action + " " + e->event.subject + " " + e->event.outcome + " " + e->event.detail);
  }
  EXPECT_EQ(seen[0], "bpci.start bpci ok ");
  const auto has = [&](const std::string& line) { return std::find(seen.begin(), seen.end(), line) != seen.end(); };
  EXPECT_TRUE(has("http.request GET /v1/fleet allowed public")) << ::testing::PrintToString(seen);
  EXPECT_TRUE(has("http.request GET /bpci/v1/audit/checkpoint refused auth_unsigned")) << ::testing::PrintToString(seen);
  EXPECT_TRUE(has("http.request GET /bpci/v1/audit/checkpoint refused auth_forbidden")) << ::testing::PrintToString(seen);

  // The admin reads the signed checkpoint; it verifies with nothing but the genesis, as the log
  // the genesis registers (not a validator's: no witnesses), and not under a genesis without it.
  ASSERT_TRUE((*bpci)->audit_log().checkpoint_now().ok());
  api::HttpReply r = signed_get("/bpci/v1/audit/checkpoint", admin);
  ASSERT_EQ(r.status, 200u) << r.body;
  const std::string note = json::parse(r.body)["note"];
  auto checked = ledger::check_audit_checkpoint(note, ours.genesis);
  ASSERT_TRUE(checked.ok()) << checked.error().to_string();
  EXPECT_EQ(checked->validator, "bpci");
  EXPECT_FALSE(checked->validator_log);
  EXPECT_TRUE(checked->post_quantum);
  ledger::Genesis unregistered = ours.genesis;
  unregistered.modules.erase("audit");
  EXPECT_FALSE(ledger::check_audit_checkpoint(note, unregistered).ok());
  r = signed_get("/bpci/v1/audit/events?limit=500", admin);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_GE(json::parse(r.body)["events"].size(), answered);
  EXPECT_EQ(get(port, "/bpci/v1/audit/events/abc").status, 401u);  // the Cage first, then the bad index
  EXPECT_EQ(signed_get("/bpci/v1/audit/events/abc", admin).status, 400u);

  // Anchored through the node: the chain keeps the checkpoint's size and root for BPCI's address.
  const auto anchored = [&]() -> std::optional<modules::AnchorRecord> {
    auto record = modules::read_anchor(ours.node->chain(), bpci_address);
    EXPECT_TRUE(record.ok());
    return record.ok() ? *record : std::nullopt;
  };
  const std::uint64_t first_size = (*bpci)->audit_log().latest_checkpoint()->body.size;
  ASSERT_TRUE(ours.producer->produce_once().ok());  // a certified header to prove the state against
  auto first = (*bpci)->anchorer()->anchor_once();
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  ASSERT_TRUE(ours.producer->produce_once().ok());
  ASSERT_TRUE(anchored().has_value());
  // The newest checkpoint when it anchored: this one, or a later one the log's timer made meanwhile
  // (a loaded machine), never an older one.
  const std::uint64_t first_anchored = anchored()->size;
  EXPECT_GE(first_anchored, first_size);
  EXPECT_LE(first_anchored, (*bpci)->audit_log().latest_checkpoint()->body.size);
  // Later events, a later checkpoint, and the next anchor extends the first (consistency proven).
  EXPECT_EQ(get(port, "/v1/fleet").status, 200u);
  ASSERT_TRUE((*bpci)->audit_log().checkpoint_now().ok());
  ASSERT_TRUE((*bpci)->anchorer()->anchor_once().ok());
  ASSERT_TRUE(ours.producer->produce_once().ok());
  EXPECT_GT(anchored()->size, first_anchored);
  EXPECT_EQ(anchored()->count, 2u);
  // The anchor as `audit verify --node URL/bpci` reads it: the node's proven answer, through BPCI.
  r = get(port, "/bpci/v1/state/audit/anchor:" + bpci_address.to_string());
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_TRUE(services::verify_state_answer(json::parse(r.body), ours.genesis).ok());
  EXPECT_NE(get(port, "/metrics").body.find("metanode_audit_anchors_submitted_total 2"), std::string::npos);

  // A restart keeps the log: BPCI's stop is its last event, and the log goes on from there.
  const std::uint64_t before = (*bpci)->audit_log().size();
  (*bpci)->stop();
  bpci->reset();
  auto again = Bpci::open(fleet, options);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  ASSERT_GT((*again)->audit_log().size(), before);
  auto last = (*again)->audit_log().event(before);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->event.action, "bpci.stop");
  again->reset();
  fs::remove_all(dir);
}

TEST(Bpci, RefusesToStartWithoutTheConsoleFilesAndSaysHowToBuildThem) {
  const fs::path dir = temp_dir("bpci-noweb");
  ledger::Genesis genesis;
  genesis.chain_id = "fleet-test";
  genesis.validators.push_back({"v0", crypto::KeyPair::generate().public_key(), crypto::MldsaKeyPair::generate().public_key()});
  ASSERT_TRUE(genesis.save(dir / "genesis.json").ok());
  FleetConfig fleet;
  fleet.genesis_file = dir / "genesis.json";
  fleet.nodes = {{"a", "http://127.0.0.1:1", {}}};
  BpciOptions options = bpci_options(dir);
  options.web_dir = dir / "nothing";
  auto bpci = Bpci::open(fleet, options);
  ASSERT_FALSE(bpci.ok());
  EXPECT_NE(bpci.error().message.find("npm run build"), std::string::npos) << bpci.error().message;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace metanode::bpci

namespace metanode::bpci {
namespace {

TEST(TailLines, GivesTheLastLinesAndNeverAHalfLine) {
  const fs::path dir = temp_dir("tail");
  write(dir / "a.log", "one\ntwo\nthree\n");
  EXPECT_EQ(tail_lines(dir / "a.log", 2), (std::vector<std::string>{"two", "three"}));
  EXPECT_EQ(tail_lines(dir / "a.log", 10), (std::vector<std::string>{"one", "two", "three"}));
  // Only the last 12 bytes are read ("\nthree\n" and part of "two"): the cut line is left out.
  write(dir / "b.log", "first line\nsecond\nthird\n");
  EXPECT_EQ(tail_lines(dir / "b.log", 10, 12), (std::vector<std::string>{"third"}));
  EXPECT_TRUE(tail_lines(dir / "missing.log", 10).empty());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace metanode::bpci

namespace metanode::bpci {
namespace {

// Every API route BPCI's Cage lets through is in its OpenAPI document (pages and assets are not
// API), so the document is the whole surface a client can call.
TEST(ConsoleOpenApi, DocumentsEveryApiRouteOfTheRouteTable) {
  ledger::Genesis genesis;
  genesis.chain_id = "doc-test";
  genesis.validators.push_back({"v0", crypto::KeyPair::generate().public_key(), crypto::MldsaKeyPair::generate().public_key()});
  FleetConfig fleet;
  fleet.nodes = {{"a", "http://127.0.0.1:1", {}}};
  FleetMonitor monitor(fleet, genesis, [](const std::string&, const std::string&) {
    return core::Result<std::pair<unsigned, std::string>>(core::make_error(core::ErrorCode::kIo, "not used"));
  });
  const fs::path dir = temp_dir("bpci-doc");
  write(dir / "index.html", "<!doctype html>");
  auto assets = WebAssets::load(dir);
  ASSERT_TRUE(assets.ok());
  ConsoleService service(monitor, std::move(assets).value(), InstallerOptions{});
  const json doc = services::openapi_document(service);
  std::size_t checked = 0;
  const api::cage::RouteTable table = console_route_table();
  for (const auto& [key, access] : table.entries()) {
    const auto& [method, route] = key;
    if (route.rfind("/v1/", 0) != 0 || route == "/v1/openapi.json") continue;
    std::string lower = method;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool documented = doc["paths"].contains(route) ? doc["paths"][route].contains(lower)
                            : route.rfind("/v1/chain/", 0) == 0 && method == "GET" && doc["paths"].contains("/v1/chain/{route}");
    EXPECT_TRUE(documented) << method << " " << route;
    ++checked;
  }
  EXPECT_GE(checked, 10u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace metanode::bpci
