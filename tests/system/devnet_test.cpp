// `metanode up` as a user runs it: the first run creates a 4-validator devnet and starts one
// process per validator, the status line shows the chain growing with every node linked to the
// other three, Ctrl-C (SIGINT) stops every node cleanly, and the next run resumes the same chain
// from disk. Asking for another size on an existing devnet is refused with a clear message.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <map>
#include <regex>
#include <set>

#include "api/cage/http_signature.hpp"
#include "api/http/http_client.hpp"
#include "crypto/address.hpp"
#include "crypto/ed25519.hpp"
#include "support/json_u64.hpp"
#include "ledger/genesis.hpp"
#include "system/audit_rewrite.hpp"
#include "system/process_support.hpp"

namespace metanode {
namespace {

using namespace system_testing;
using nlohmann::json;

constexpr std::size_t kValidators = 4;
constexpr milliseconds kProgressTimeout{60'000};
constexpr milliseconds kStopTimeout{25'000};

// A port base whose service ports (+1 to +7: ledger, oracle, registry, XTMP, storage, proofs,
// economics) are free for every node (i*100 apart).
std::uint16_t free_port_base() {
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(200, 300);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto base = static_cast<std::uint16_t>(pick(rng) * 100);
    bool free = true;
    // One more for the full node `metanode install --devnet` adds (the next 100).
    for (std::size_t i = 0; i <= kValidators && free; ++i) {
      for (int offset = 1; offset <= 7 && free; ++offset) free = port_free(static_cast<std::uint16_t>(base + 100 * i + offset));
    }
    if (free) return base;
  }
  return 0;
}

std::optional<std::uint64_t> height_of(std::uint16_t api_port) {
  auto reply = api::http_request("http://127.0.0.1:" + std::to_string(api_port), "GET", "/health", "", "application/json",
                                 milliseconds(2'000));
  if (!reply.ok() || reply->status != 200) return std::nullopt;
  const json doc = json::parse(reply->body, nullptr, false);
  if (doc.is_discarded()) return std::nullopt;
  return doc.value("height", std::uint64_t{0});
}

class DevnetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("metanode-devnet-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    base_ = free_port_base();
    ASSERT_NE(base_, 0) << "no free ports";
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    // A full node `metanode install` started runs in a session of its own: a failed test must not leave it.
    if (std::ifstream pid_file(dir_ / "net" / "full-1" / "node.pid"); pid_file) {
      pid_t full = 0;
      if (pid_file >> full && full > 1) ::kill(full, SIGKILL);
    }
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::vector<std::string> up_args(std::size_t validators) const {
    return {METANODE_BINARY, "up",          "--validators", std::to_string(validators), "--dir", (dir_ / "net").string(),
            "--port-base",   std::to_string(base_), "--status-interval-ms", "200", "--log-level", "info",
            // The console would take port base + 80, which the port picker does not reserve (the
            // browser test runs `up` with it).
            "--no-console"};
  }

  // Runs `up` until every node reports a height past `beyond` and the status line shows all
  // nodes up with 3 peers each; then stops it with SIGINT. Returns the height reached.
  std::uint64_t run_until_progress(std::uint64_t beyond, const std::string& log_name) {
    const fs::path log = dir_ / log_name;
    pid_ = spawn(up_args(kValidators), log);
    EXPECT_GT(pid_, 0);
    const auto deadline = Clock::now() + kProgressTimeout;
    std::uint64_t reached = 0;
    const std::regex linked(R"(nodes up 4/4 \| peers 3 3 3 3)");
    while (true) {
      if (Clock::now() > deadline) {
        ADD_FAILURE() << "no progress past height " << beyond << " with all links up:\n" << tail_of(log) << "\nnode0:\n"
                      << tail_of(dir_ / "net" / "node0" / "node.log");
        break;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        ADD_FAILURE() << "up exited early (" << describe_status(status) << "):\n" << tail_of(log);
        return 0;
      }
      std::uint64_t lowest = UINT64_MAX;
      for (std::size_t i = 0; i < kValidators; ++i) {
        const auto h = height_of(static_cast<std::uint16_t>(base_ + 100 * i + 1));
        lowest = std::min(lowest, h.value_or(0));
      }
      if (lowest > beyond + 2 && std::regex_search(read_file(log), linked)) {
        reached = lowest;
        break;
      }
      std::this_thread::sleep_for(milliseconds(200));
    }
    ::kill(pid_, SIGINT);
    const auto status = wait_exit(pid_, kStopTimeout);
    EXPECT_TRUE(status.has_value()) << "up did not stop within " << kStopTimeout.count() << " ms of SIGINT";
    if (status) {
      pid_ = -1;
      EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << describe_status(*status) << "\n" << tail_of(log);
    }
    const std::string out = read_file(log);
    EXPECT_NE(out.find("stopped;"), std::string::npos) << tail_of(log);
    // Every node is gone: its API no longer answers.
    for (std::size_t i = 0; i < kValidators; ++i) {
      EXPECT_FALSE(height_of(static_cast<std::uint16_t>(base_ + 100 * i + 1)).has_value()) << "node " << i << " still runs";
      EXPECT_NE(read_file(dir_ / "net" / ("node" + std::to_string(i)) / "node.log").find("stopping (signal"),
                std::string::npos)
          << "node " << i << " did not stop cleanly";
    }
    return reached;
  }


  // `metanode up` in the background until every node is up with links to the other three.
  void start_up_until_linked() {
    pid_ = spawn(up_args(kValidators), dir_ / "up.log");
    ASSERT_GT(pid_, 0);
    const std::regex linked(R"(nodes up 4/4 \| peers 3 3 3 3)");
    const auto deadline = Clock::now() + kProgressTimeout;
    while (!std::regex_search(read_file(dir_ / "up.log"), linked)) {
      ASSERT_LT(Clock::now(), deadline) << "validators did not link:\n" << tail_of(dir_ / "up.log");
      std::this_thread::sleep_for(milliseconds(200));
    }
  }
  void stop_up() {
    ::kill(pid_, SIGINT);
    const auto status = wait_exit(pid_, kStopTimeout);
    EXPECT_TRUE(status.has_value());
    if (status) pid_ = -1;
  }

  // Runs a command to its end; true when it exited 0.
  bool run(const std::vector<std::string>& args, const std::string& log_name) {
    const pid_t pid = spawn(args, dir_ / log_name);
    auto status = wait_exit(pid, milliseconds(60'000));
    if (!status) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    return status.has_value() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
  }

  // Each node proves the transfer (whose `tx transfer` output is given) to a client that holds
  // only the genesis file: the block's header carries a quorum of the validators' signatures
  // (gathered after it was applied), and the inclusion and receipt proofs check against it.
  // Checked twice: by `metanode query tx --verify` on every node, and by the independent
  // verifier in tests/interop (@noble's BLAKE3 and Ed25519, none of this project's code), which
  // must also refuse each answer tampered.
  void verify_transfer_with_only_the_genesis(const std::string& transfer_out) {
    const fs::path genesis = dir_ / "net" / "genesis.json";
    std::smatch m;
    ASSERT_TRUE(std::regex_search(transfer_out, m, std::regex(R"([0-9a-f]{64})"))) << transfer_out;
    const std::string tx_hash = m.str();
    for (std::size_t i = 0; i < kValidators; ++i) {
      const std::string url = "http://127.0.0.1:" + std::to_string(base_ + 100 * i + 1);
      const std::string log = "verify" + std::to_string(i) + ".log";
      const auto deadline = Clock::now() + milliseconds(20'000);
      bool verified = false;
      while (!verified && Clock::now() < deadline) {
        verified = run({METANODE_BINARY, "query", "tx", tx_hash, "--node", url, "--verify", "--genesis", genesis.string()}, log);
        if (!verified) std::this_thread::sleep_for(milliseconds(300));
      }
      EXPECT_TRUE(verified) << "node " << i << ": " << tail_of(dir_ / log);
      EXPECT_NE(read_file(dir_ / log).find("verified: transaction (signed by its sender for this chain) and its receipt"), std::string::npos) << read_file(dir_ / log);
    }
    ASSERT_EQ(std::system("command -v node >/dev/null 2>&1"), 0) << "node is required (scripts/setup.sh installs it)";
    const std::string url = "http://127.0.0.1:" + std::to_string(base_ + 201);
    const fs::path log = dir_ / "light_client.log";
    const std::string command = "cd '" + std::string(METANODE_INTEROP_DIR) + "' && node light_client.mjs --genesis '" +
                                genesis.string() + "' --node " + url + " --tx " + tx_hash + " > '" + log.string() + "' 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << read_file(log);
    const std::string out = read_file(log);
    EXPECT_NE(out.find("all checks passed"), std::string::npos) << out;
    EXPECT_NE(out.find("ok      transaction: in block"), std::string::npos) << out;
    EXPECT_NE(out.find("a certificate with a forged signature refused"), std::string::npos) << out;
  }

  fs::path dir_;
  std::uint16_t base_ = 0;
  pid_t pid_ = -1;
};

TEST_F(DevnetTest, UpRunsFourValidatorsStopsOnCtrlCAndResumes) {
  const std::uint64_t first = run_until_progress(0, "up1.log");
  ASSERT_FALSE(HasFailure());
  const std::string out1 = read_file(dir_ / "up1.log");
  EXPECT_NE(out1.find("created a 4-validator ibft devnet"), std::string::npos) << out1;
  for (std::size_t i = 0; i < kValidators; ++i) {
    EXPECT_NE(out1.find("ledger API http://127.0.0.1:" + std::to_string(base_ + 100 * i + 1)), std::string::npos) << out1;
    EXPECT_NE(out1.find("XTMP 127.0.0.1:" + std::to_string(base_ + 100 * i + 4)), std::string::npos) << out1;
  }

  // Resumes: same keys and chain, and the chain goes on from where it stopped.
  const std::uint64_t second = run_until_progress(first, "up2.log");
  ASSERT_FALSE(HasFailure());
  EXPECT_GT(second, first);
  EXPECT_NE(read_file(dir_ / "up2.log").find("resuming the 4-validator ibft devnet"), std::string::npos);

  // Another size on the same directory is refused with what to do instead.
  const auto refused = [&] {
    const pid_t pid = spawn(up_args(3), dir_ / "up3.log");
    return wait_exit(pid, milliseconds(20'000));
  }();
  ASSERT_TRUE(refused.has_value());
  EXPECT_TRUE(WIFEXITED(*refused) && WEXITSTATUS(*refused) == 1);
  EXPECT_NE(read_file(dir_ / "up3.log").find("pass --validators 4"), std::string::npos) << read_file(dir_ / "up3.log");
}

// Chained HotStuff commits a block when the certificate of its second descendant is seen, and
// that certificate travels only in the third descendant. A leader with nothing new to include
// must still propose those blocks at once; if it waited for transactions (here the idle interval
// is a minute), only the validator that formed the certificate would know of the commit, and
// every client watching another node would wait a minute for its transfer.
TEST_F(DevnetTest, HotStuffCommitReachesEveryNodeWithoutNewTransactions) {
  const fs::path net = dir_ / "net";
  std::vector<std::string> init = up_args(kValidators);
  init.insert(init.end(), {"--consensus", "hotstuff", "--init-only"});
  ASSERT_TRUE(run(init, "init.log")) << tail_of(dir_ / "init.log");
  for (std::size_t i = 0; i < kValidators; ++i) {
    const fs::path config = net / ("node" + std::to_string(i)) / "config.toml";
    std::string text = read_file(config);
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"interval_ms = 1000", "interval_ms = 60000"},
             {"round_timeout_ms = 2000", "round_timeout_ms = 120000"},
             {"round_timeout_cap_ms = 8000", "round_timeout_cap_ms = 240000"}}) {
      const auto at = text.find(from);
      ASSERT_NE(at, std::string::npos) << from << " not in " << config;
      text.replace(at, from.size(), to);
    }
    std::ofstream(config, std::ios::trunc) << text;
  }

  start_up_until_linked();
  ASSERT_FALSE(HasFatalFailure());

  // One transfer, submitted to node 1.
  const auto recipient = crypto::Address::from_public_key(crypto::KeyPair::from_seed(crypto::Seed{7}).public_key());
  const std::string node1 = "http://127.0.0.1:" + std::to_string(base_ + 101);
  ASSERT_TRUE(run({METANODE_BINARY, "tx", "transfer", "--home", (net / "node0").string(), "--node", node1, "--to",
                   recipient.to_string(), "--amount", "5", "--bid", "1"},
                  "transfer.log"))
      << tail_of(dir_ / "transfer.log");

  // Every node shows it committed well inside the idle interval (the bound only catches the wait).
  const auto deadline = Clock::now() + milliseconds(20'000);
  std::vector<bool> seen(kValidators, false);
  while (std::count(seen.begin(), seen.end(), true) < static_cast<long>(kValidators)) {
    if (Clock::now() > deadline) {
      std::string missing;
      for (std::size_t i = 0; i < kValidators; ++i) {
        if (!seen[i]) missing += " " + std::to_string(i);
      }
      FAIL() << "the transfer is not committed on node(s)" << missing << " after 20 s\n"
             << tail_of(net / "node0" / "node.log");
    }
    for (std::size_t i = 0; i < kValidators; ++i) {
      if (seen[i]) continue;
      auto reply = api::http_request("http://127.0.0.1:" + std::to_string(base_ + 100 * i + 1), "GET",
                                     "/v1/accounts/" + recipient.to_string(), "", "application/json", milliseconds(2'000));
      if (!reply.ok() || reply->status != 200) continue;
      const json doc = json::parse(reply->body, nullptr, false);
      seen[i] = !doc.is_discarded() && testing::u64_field(doc, "balance", 0) == 5;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }

  verify_transfer_with_only_the_genesis(read_file(dir_ / "transfer.log"));
  stop_up();
}

// The same on IBFT: a transfer, and its proofs checked with only the genesis file.
TEST_F(DevnetTest, IbftTransferIsProvenToAClientHoldingOnlyTheGenesis) {
  start_up_until_linked();
  ASSERT_FALSE(HasFatalFailure());
  const auto recipient = crypto::Address::from_public_key(crypto::KeyPair::from_seed(crypto::Seed{9}).public_key());
  ASSERT_TRUE(run({METANODE_BINARY, "tx", "transfer", "--home", (dir_ / "net" / "node0").string(), "--node",
                   "http://127.0.0.1:" + std::to_string(base_ + 301), "--to", recipient.to_string(), "--amount", "7",
                   "--bid", "1", "--wait"},
                  "transfer.log"))
      << tail_of(dir_ / "transfer.log");
  verify_transfer_with_only_the_genesis(read_file(dir_ / "transfer.log"));
  stop_up();
}

// Governance as an operator runs it: `metanode up` made a 2-of-3 admin council (keys council-1..3
// in node 0's key store). council-1 proposes granting `auditor` to a new address: one approval of
// two, so nothing changes; a key outside the council is refused with its code; council-2's
// approval makes it take effect, and every node answers the new role (with the proof of its
// entry). A revoke, proposed by council-2 and approved by council-3, takes it away everywhere.
TEST_F(DevnetTest, TwoOfThreeCouncilGrantsAndRevokesARoleThatEveryNodeShows) {
  start_up_until_linked();
  ASSERT_FALSE(HasFatalFailure());
  const std::string home = (dir_ / "net" / "node0").string();
  // The subject is a new key in node 0's key store; the CLI signs its calls with it (--as).
  ASSERT_TRUE(run({METANODE_BINARY, "keys", "new", "subject", "--keystore", home + "/keys", "--passphrase-file",
                   home + "/passphrase"},
                  "subject.log"))
      << tail_of(dir_ / "subject.log");
  ASSERT_TRUE(run({METANODE_BINARY, "keys", "show", "subject", "--keystore", home + "/keys", "--json"}, "subject.json"));
  const json subject_info = json::parse(read_file(dir_ / "subject.json"), nullptr, false);
  ASSERT_TRUE(subject_info.is_object()) << read_file(dir_ / "subject.json");
  const auto subject = crypto::Address::parse(subject_info["address"].get<std::string>()).value();
  // The auditor-only route on node `node`, as `metanode audit decisions --as subject` calls it
  // (a request the CLI signs, and whose signed answer it checks): the HTTP status it reports.
  std::size_t calls = 0;
  auto audit_status = [&](std::size_t node) -> unsigned {
    const std::string log = "audit-" + std::to_string(++calls) + ".log";
    const std::string url = "http://127.0.0.1:" + std::to_string(base_ + 100 * node + 1);
    if (run({METANODE_BINARY, "audit", "decisions", "--as", "subject", "--home", home, "--node", url, "--limit", "5", "--json"},
            log)) {
      return 200;
    }
    const std::string out = read_file(dir_ / log);
    for (const unsigned status : {401u, 403u}) {
      if (out.find("[HTTP " + std::to_string(status)) != std::string::npos) return status;
    }
    ADD_FAILURE() << out;
    return 0;
  };
  auto roles_on = [&](std::size_t node) -> std::optional<json> {
    auto reply = api::http_request("http://127.0.0.1:" + std::to_string(base_ + 100 * node + 1), "GET",
                                   "/v1/gov/roles/" + subject.to_string(), "", "application/json", milliseconds(2'000));
    if (!reply.ok() || reply->status != 200) return std::nullopt;
    const json doc = json::parse(reply->body, nullptr, false);
    if (doc.is_discarded()) return std::nullopt;
    return doc["roles"];
  };
  auto everywhere = [&](const json& expected) {
    const auto deadline = Clock::now() + milliseconds(20'000);
    for (std::size_t i = 0; i < kValidators; ++i) {
      while (roles_on(i) != expected) {
        if (Clock::now() > deadline) {
          ADD_FAILURE() << "node " << i << " shows " << roles_on(i).value_or(json("no answer")).dump() << ", expected "
                        << expected.dump();
          return;
        }
        std::this_thread::sleep_for(milliseconds(100));
      }
    }
  };
  auto gov = [&](std::vector<std::string> args, const std::string& log) {
    args.insert(args.begin(), {METANODE_BINARY, "gov"});
    args.insert(args.end(), {"--home", home, "--wait"});
    return run(args, log);
  };
  ASSERT_TRUE(gov({"propose", "grant", "--role", "auditor", "--to", subject.to_string(), "--from", "council-1"}, "propose.log"))
      << tail_of(dir_ / "propose.log");
  ASSERT_TRUE(run({METANODE_BINARY, "gov", "proposals", "--home", home, "--json"}, "proposals.log"));
  const json listed = json::parse(read_file(dir_ / "proposals.log"), nullptr, false);
  ASSERT_FALSE(listed.is_discarded()) << read_file(dir_ / "proposals.log");
  ASSERT_EQ(listed["proposals"].size(), 1u) << listed.dump();
  const std::string id = std::to_string(listed["proposals"][0]["id"].get<std::uint64_t>());
  EXPECT_EQ(listed["proposals"][0]["approvals"].size(), 1u);
  everywhere(json::array());
  EXPECT_EQ(audit_status(0), 403u) << "no role yet";

  // The dev key is not a council member: its approval is a failed transaction with its code.
  EXPECT_FALSE(gov({"approve", id, "--from", "dev"}, "stranger.log"));
  EXPECT_NE(read_file(dir_ / "stranger.log").find("error[gov_not_council_member]"), std::string::npos)
      << read_file(dir_ / "stranger.log");
  everywhere(json::array());

  ASSERT_TRUE(gov({"approve", id, "--from", "council-2"}, "approve.log")) << tail_of(dir_ / "approve.log");
  everywhere(json::array({"auditor"}));
  for (std::size_t i = 0; i < kValidators; ++i) EXPECT_EQ(audit_status(i), 200u) << "node " << i << ": the auditor's route";
  ASSERT_TRUE(run({METANODE_BINARY, "gov", "roles", subject.to_string(), "--home", home}, "roles.log"));
  EXPECT_NE(read_file(dir_ / "roles.log").find(": auditor"), std::string::npos) << read_file(dir_ / "roles.log");

  // The new auditor reads node 1's audit trail: the governance actions, the refused one with its
  // code; and `audit verify` re-checks the whole log with only the genesis (once a checkpoint
  // exists: one comes within 10 s of the first events).
  const std::string node1 = "http://127.0.0.1:" + std::to_string(base_ + 100 + 1);
  ASSERT_TRUE(run({METANODE_BINARY, "audit", "tail", "--as", "subject", "--home", home, "--node", node1, "--action",
                   "governance.*", "--limit", "50", "--json"},
                  "gov-audit.log"))
      << read_file(dir_ / "gov-audit.log");
  const json gov_events = json::parse(read_file(dir_ / "gov-audit.log"), nullptr, false);
  ASSERT_TRUE(gov_events.is_object()) << read_file(dir_ / "gov-audit.log");
  std::size_t applied = 0;
  bool refused_seen = false;
  for (const json& e : gov_events["events"]) {
    applied += e["outcome"] == "applied" ? 1 : 0;
    refused_seen = refused_seen || (e["outcome"] == "failed" && e["actor"] != subject.to_string());
  }
  EXPECT_EQ(applied, 2u) << gov_events.dump(1);  // the proposal and council-2's approval
  EXPECT_TRUE(refused_seen) << "the dev key's refused approval: " << gov_events.dump(1);
  const auto verify_deadline = Clock::now() + milliseconds(20'000);
  bool verified = false;
  while (!verified && Clock::now() < verify_deadline) {
    verified = run({METANODE_BINARY, "audit", "verify", "--as", "subject", "--home", home, "--node", node1}, "audit-verify.log");
    if (!verified) std::this_thread::sleep_for(milliseconds(1'000));
  }
  EXPECT_TRUE(verified) << read_file(dir_ / "audit-verify.log");
  EXPECT_NE(read_file(dir_ / "audit-verify.log").find("Ed25519 and ML-DSA-65"), std::string::npos)
      << read_file(dir_ / "audit-verify.log");

  // A regulatory report of council-1's actions: its governance events and its transactions, each
  // with its proof; checked offline with the genesis; a changed CSV line is named.
  ASSERT_TRUE(run({METANODE_BINARY, "keys", "show", "council-1", "--keystore", home + "/keys", "--json"}, "council1.json"));
  const std::string council1 = json::parse(read_file(dir_ / "council1.json"))["address"].get<std::string>();
  const std::string report_dir = (dir_ / "report").string();
  const std::string now_ms = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch()).count());
  ASSERT_TRUE(run({METANODE_BINARY, "audit", "report", "--as", "subject", "--home", home, "--node", node1, "--from", "0", "--to",
                   now_ms, "--actor", council1, "--out", report_dir},
                  "report.log"))
      << read_file(dir_ / "report.log");
  EXPECT_NE(read_file(dir_ / "report.log").find("1 transaction(s)"), std::string::npos) << read_file(dir_ / "report.log");
  ASSERT_TRUE(run({METANODE_BINARY, "audit", "verify-report", report_dir, "--home", home}, "verify-report.log"))
      << read_file(dir_ / "verify-report.log");
  EXPECT_NE(read_file(dir_ / "verify-report.log").find("report verified: 1 event(s)"), std::string::npos)
      << read_file(dir_ / "verify-report.log");
  std::string csv = read_file(dir_ / "report" / "events.csv");
  const auto applied_at = csv.find(",applied,");
  ASSERT_NE(applied_at, std::string::npos) << csv;
  csv.replace(applied_at, 9, ",failed,");
  std::ofstream(dir_ / "report" / "events.csv", std::ios::trunc) << csv;
  EXPECT_FALSE(run({METANODE_BINARY, "audit", "verify-report", report_dir, "--home", home}, "verify-report2.log"));
  EXPECT_NE(read_file(dir_ / "verify-report2.log").find("events.csv differs from what the report proves, from line 2"),
            std::string::npos)
      << read_file(dir_ / "verify-report2.log");

  // Governance tags the auditor's account EU: its requests from then on carry the tag, and a
  // report for that jurisdiction holds them, each proven.
  ASSERT_TRUE(gov({"propose", "set-jurisdictions", "--to", subject.to_string(), "--tags", "EU", "--from", "council-1"},
                  "tags.log"))
      << tail_of(dir_ / "tags.log");
  ASSERT_TRUE(gov({"approve", std::to_string(std::stoull(id) + 1), "--from", "council-2"}, "tags-approve.log"))
      << tail_of(dir_ / "tags-approve.log");
  const auto tags_deadline = Clock::now() + milliseconds(20'000);
  bool tagged = false;
  while (!tagged) {
    ASSERT_LT(Clock::now(), tags_deadline) << "no request of the auditor's is tagged EU:\n" << read_file(dir_ / "tagged.log");
    fs::remove(dir_ / "tagged.log");
    ASSERT_TRUE(run({METANODE_BINARY, "audit", "tail", "--as", "subject", "--home", home, "--node", node1, "--action",
                     "http.request", "--actor", subject.to_string(), "--limit", "3", "--json"},
                    "tagged.log"));
    const json tail = json::parse(read_file(dir_ / "tagged.log"), nullptr, false);
    for (const json& e : tail.value("events", json::array())) {
      tagged = tagged || e.value("jurisdictions", json::array()) == json::array({"EU"});
    }
  }
  // A report holds events under a signed checkpoint: the next one comes within 10 s.
  const std::string eu_dir = (dir_ / "report-eu").string();
  const auto report_deadline = Clock::now() + milliseconds(25'000);
  while (read_file(dir_ / "report-eu" / "events.csv").find(subject.to_string()) == std::string::npos) {
    ASSERT_LT(Clock::now(), report_deadline) << "no report of EU events:\n" << read_file(dir_ / "report-eu.log");
    std::this_thread::sleep_for(milliseconds(1'000));
    fs::remove_all(eu_dir);
    fs::remove(dir_ / "report-eu.log");
    const std::string later_ms = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    std::chrono::system_clock::now().time_since_epoch()).count());
    ASSERT_TRUE(run({METANODE_BINARY, "audit", "report", "--as", "subject", "--home", home, "--node", node1, "--from", "0",
                     "--to", later_ms, "--jurisdiction", "EU", "--out", eu_dir},
                    "report-eu.log"))
        << read_file(dir_ / "report-eu.log");
  }
  ASSERT_TRUE(run({METANODE_BINARY, "audit", "verify-report", eu_dir, "--home", home}, "verify-report-eu.log"))
      << read_file(dir_ / "verify-report-eu.log");
  const std::string eu_csv = read_file(dir_ / "report-eu" / "events.csv");
  EXPECT_NE(eu_csv.find(subject.to_string()), std::string::npos) << eu_csv;
  EXPECT_EQ(eu_csv.find(council1), std::string::npos) << "council-1 is not tagged EU:\n" << eu_csv;

  // council-1 tagged US-NY and EU: a report of its transactions in US-NY holds only those it sent
  // once tagged (the revoke proposal below), each with its sender's tags proven at its height.
  ASSERT_TRUE(gov({"propose", "set-jurisdictions", "--to", council1, "--tags", "US-NY,EU", "--from", "council-1"},
                  "tags1.log"))
      << tail_of(dir_ / "tags1.log");
  ASSERT_TRUE(gov({"approve", std::to_string(std::stoull(id) + 2), "--from", "council-2"}, "tags1-approve.log"))
      << tail_of(dir_ / "tags1-approve.log");
  ASSERT_TRUE(gov({"propose", "revoke", "--role", "auditor", "--to", subject.to_string(), "--from", "council-1"}, "revoke.log"))
      << tail_of(dir_ / "revoke.log");
  everywhere(json::array({"auditor"}));  // one approval of two
  const std::string ny_dir = (dir_ / "report-ny").string();
  const std::string ny_to = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch()).count() + 1'000);
  ASSERT_TRUE(run({METANODE_BINARY, "audit", "report", "--as", "subject", "--home", home, "--node", node1, "--from", "0", "--to",
                   ny_to, "--actor", council1, "--jurisdiction", "US-NY", "--out", ny_dir},
                  "report-ny.log"))
      << read_file(dir_ / "report-ny.log");
  EXPECT_NE(read_file(dir_ / "report-ny.log").find("1 transaction(s)"), std::string::npos) << read_file(dir_ / "report-ny.log");
  EXPECT_NE(read_file(dir_ / "report-ny" / "transactions.csv").find(",EU;US-NY\n"), std::string::npos)
      << read_file(dir_ / "report-ny" / "transactions.csv");
  ASSERT_TRUE(run({METANODE_BINARY, "audit", "verify-report", ny_dir, "--home", home}, "verify-report-ny.log"))
      << read_file(dir_ / "verify-report-ny.log");
  ASSERT_TRUE(gov({"approve", std::to_string(std::stoull(id) + 3), "--from", "council-3"}, "approve2.log"))
      << tail_of(dir_ / "approve2.log");
  everywhere(json::array());
  for (std::size_t i = 0; i < kValidators; ++i) EXPECT_EQ(audit_status(i), 403u) << "node " << i << ": revoked";
  stop_up();
}

// The installer on a devnet, as an operator runs it: `metanode install --devnet DIR --host
// 127.0.0.1` finds the four validators, writes the new node's bundle (key, configuration, systemd
// unit), proposes its admission with council-1 and approves it with council-2, starts a fifth
// process and follows it until it has caught up. The full node then serves the chain: a transfer
// submitted to it is committed, and its answer carries the validators' header certificate (a
// client holding only the genesis checks it). `metanode up`'s Ctrl-C stops it with the rest.
TEST_F(DevnetTest, InstallAddsAFullNodeThatIsAdmittedSyncsAndServesTheChain) {
  start_up_until_linked();
  ASSERT_FALSE(HasFatalFailure());
  const fs::path net = dir_ / "net";
  ASSERT_TRUE(run({METANODE_BINARY, "install", "--devnet", net.string(), "--host", "127.0.0.1", "--follow-timeout-s", "60"},
                  "install.log"))
      << tail_of(dir_ / "install.log") << "\nfull node:\n" << tail_of(net / "full-1" / "node.log");
  const std::string out = read_file(dir_ / "install.log");
  EXPECT_NE(out.find("it links to 4 validator(s)"), std::string::npos) << out;
  EXPECT_NE(out.find("systemctl daemon-reload && systemctl enable --now metanode-full-1"), std::string::npos) << out;
  EXPECT_NE(out.find("admission: granted"), std::string::npos) << out;
  EXPECT_NE(out.find("caught up: height"), std::string::npos) << out;
  EXPECT_NE(read_file(net / "full-1" / "metanode-full-1.service").find("ExecStart=/usr/local/bin/metanode node --config /var/lib/metanode/full-1/config.toml"),
            std::string::npos);
  EXPECT_NE(read_file(net / "full-1" / "config.toml").find("role = \"full\""), std::string::npos);

  // It says what it is, and serves the chain: a transfer sent through it commits, and its proof
  // checks against the genesis alone.
  const std::string full_api = "http://127.0.0.1:" + std::to_string(base_ + 401);
  auto health = api::http_request(full_api, "GET", "/health", "", "application/json", milliseconds(2'000));
  ASSERT_TRUE(health.ok() && health->status == 200);
  EXPECT_EQ(json::parse(health->body).value("role", std::string()), "full");
  const auto recipient = crypto::Address::from_public_key(crypto::KeyPair::from_seed(crypto::Seed{11}).public_key());
  ASSERT_TRUE(run({METANODE_BINARY, "tx", "transfer", "--home", (net / "node0").string(), "--node", full_api, "--to",
                   recipient.to_string(), "--amount", "9", "--bid", "1", "--wait"},
                  "transfer.log"))
      << tail_of(dir_ / "transfer.log");
  std::smatch m;
  const std::string transfer = read_file(dir_ / "transfer.log");
  ASSERT_TRUE(std::regex_search(transfer, m, std::regex(R"([0-9a-f]{64})"))) << transfer;
  const auto deadline = Clock::now() + milliseconds(20'000);
  bool verified = false;
  while (!verified && Clock::now() < deadline) {
    verified = run({METANODE_BINARY, "query", "tx", m.str(), "--node", full_api, "--verify", "--genesis",
                    (net / "genesis.json").string()},
                   "verify-full.log");
    if (!verified) std::this_thread::sleep_for(milliseconds(300));
  }
  EXPECT_TRUE(verified) << tail_of(dir_ / "verify-full.log");

  stop_up();
  EXPECT_FALSE(height_of(static_cast<std::uint16_t>(base_ + 401)).has_value()) << "the full node still runs";
}

// A validator whose audit history is rewritten (offline, the node then signing fresh checkpoints
// of the rewritten log with its own keys, as an insider holding its disk and keys would) is
// caught twice over: the other validators, which cosigned its checkpoints, refuse the rewritten
// log and keep both signed notes as evidence, and `metanode audit verify` finds that the log no
// longer contains the anchor the chain holds.
TEST_F(DevnetTest, ARewrittenAuditLogIsCaughtByTheWitnessesAndTheChainsAnchor) {
  std::vector<std::string> init = up_args(kValidators);
  init.push_back("--init-only");
  ASSERT_TRUE(run(init, "init.log")) << tail_of(dir_ / "init.log");
  // A checkpoint every second and an anchor every 5 blocks: the defaults' minutes in seconds.
  for (std::size_t i = 0; i < kValidators; ++i) {
    const fs::path config = dir_ / "net" / ("node" + std::to_string(i)) / "config.toml";
    std::string text = read_file(config);
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"checkpoint_interval_ms = 10000", "checkpoint_interval_ms = 1000"},
                                   {"anchor_interval_blocks = 30", "anchor_interval_blocks = 5"}}) {
      const auto at = text.find(from);
      ASSERT_NE(at, std::string::npos) << from << " not in " << config;
      text.replace(at, from.size(), to);
    }
    std::ofstream(config, std::ios::trunc) << text;
  }
  ASSERT_NO_FATAL_FAILURE(start_up_until_linked());
  const std::string home0 = (dir_ / "net" / "node0").string();
  const auto url = [&](std::size_t i) { return "http://127.0.0.1:" + std::to_string(base_ + 100 * i + 1); };
  const auto verify1 = [&](const std::string& log) {
    fs::remove(dir_ / log);
    return run({METANODE_BINARY, "audit", "verify", "--node", url(1), "--home", home0, "--as", "council-1"}, log);
  };

  // The honest log: anchored on chain and cosigned by f + 1 = 2 of the other three validators.
  auto deadline = Clock::now() + milliseconds(90'000);
  while (!(verify1("verify-honest.log") && read_file(dir_ / "verify-honest.log").find("anchored on chain: not yet") == std::string::npos)) {
    ASSERT_LT(Clock::now(), deadline) << "validator 1's log was not anchored and witnessed:\n" << read_file(dir_ / "verify-honest.log");
    std::this_thread::sleep_for(milliseconds(1'000));
  }
  const std::string honest = read_file(dir_ / "verify-honest.log");
  EXPECT_NE(honest.find("contained in the log"), std::string::npos) << honest;
  EXPECT_NE(honest.find("witnessed: checkpoint"), std::string::npos) << honest;
  // The event rewritten below lies inside the anchored tree (an early anchor may cover only a few).
  std::smatch anchored;
  ASSERT_TRUE(std::regex_search(honest, anchored, std::regex(R"(anchored on chain: (\d+) events)"))) << honest;
  const std::uint64_t rewritten_index = std::stoull(anchored[1].str()) / 2;

  // Validator 1 stops; its history is rewritten; it starts again over the rewritten log.
  const fs::path node1 = dir_ / "net" / "node1";
  pid_t old_pid = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = read_file(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(" node --config " + (node1 / "config.toml").string()) != std::string::npos) old_pid = std::stoi(name);
  }
  ASSERT_GT(old_pid, 1) << "validator 1's process not found";
  ::kill(old_pid, SIGINT);
  auto genesis = ledger::Genesis::load(dir_ / "net" / "genesis.json");
  ASSERT_TRUE(genesis.ok());
  deadline = Clock::now() + milliseconds(30'000);
  core::Status rewritten = core::make_error(core::ErrorCode::kIo, "not tried");
  while (!(rewritten = rewrite_audit_event(node1 / "data", genesis->chain_id, rewritten_index, /*forget_checkpoints=*/true)).ok()) {
    ASSERT_LT(Clock::now(), deadline) << "validator 1 did not stop: " << rewritten.error().to_string();
    std::this_thread::sleep_for(milliseconds(300));  // its database is locked until it has stopped
  }
  const pid_t restarted = spawn({METANODE_BINARY, "node", "--config", (node1 / "config.toml").string()}, dir_ / "node1-again.log");
  ASSERT_GT(restarted, 0);
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } reaper{restarted};

  // Its new checkpoints do not extend the ones the witnesses cosigned: refused, with evidence.
  deadline = Clock::now() + milliseconds(60'000);
  json conflicts = json::array();
  while (conflicts.empty()) {
    ASSERT_LT(Clock::now(), deadline) << "no witness refused the rewritten log:\n" << tail_of(dir_ / "node1-again.log");
    std::this_thread::sleep_for(milliseconds(1'000));
    fs::remove(dir_ / "witness0.log");
    if (!run({METANODE_BINARY, "audit", "witness", "--node", url(0), "--home", home0, "--as", "council-1", "--json"},
             "witness0.log")) {
      continue;
    }
    const json doc = json::parse(read_file(dir_ / "witness0.log"), nullptr, false);
    if (!doc.is_discarded()) conflicts = doc.value("conflicts", json::array());
  }
  EXPECT_EQ(conflicts[0].value("validator", std::string()), "validator-1") << conflicts.dump(2);
  EXPECT_NE(conflicts[0].value("why", std::string()).find("does not extend"), std::string::npos) << conflicts.dump(2);
  EXPECT_NE(conflicts[0].value("refused_note", std::string()), conflicts[0].value("held_note", std::string()));
  ASSERT_TRUE(run({METANODE_BINARY, "audit", "witness", "--node", url(0), "--home", home0, "--as", "council-1"}, "witness0.txt"));
  EXPECT_NE(read_file(dir_ / "witness0.txt").find("conflict(s), kept as evidence"), std::string::npos) << read_file(dir_ / "witness0.txt");

  // And the rewritten log no longer contains what the chain anchored.
  ASSERT_FALSE(verify1("verify-rewritten.log"));
  const std::string named = read_file(dir_ / "verify-rewritten.log");
  EXPECT_NE(named.find("not the ones anchored on chain"), std::string::npos) << named;
  EXPECT_NE(named.find("its history was rewritten"), std::string::npos) << named;
}


// A port nothing listens on now (the kernel's pick, released).
std::uint16_t ephemeral_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

// The registry on a real devnet: a service registered with a TTL in seconds and an HTTP health
// check (a Node.js server the test runs) turns "up" once the validators' nodes have probed it,
// and "down" when the test kills it; a lease nobody renews is gone once the chain's time passes
// its expiry, while one renewed in time stays; `registry watch` saw each change as it committed,
// and `registry lookup --verify` proves the answer against the genesis validators' signatures.
TEST_F(DevnetTest, RegistryLeasesExpireByChainTimeAndAKilledServicesHealthTurnsDown) {
  const fs::path net = dir_ / "net";
  std::vector<std::string> init = up_args(kValidators);
  init.push_back("--init-only");
  ASSERT_TRUE(run(init, "init.log")) << tail_of(dir_ / "init.log");
  for (std::size_t i = 0; i < kValidators; ++i) {
    const fs::path config = net / ("node" + std::to_string(i)) / "config.toml";
    std::string text = read_file(config);
    const std::string from = "health_interval_ms = 5000";
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from << " not in " << config;
    text.replace(at, from.size(), "health_interval_ms = 500");
    std::ofstream(config, std::ios::trunc) << text;
  }
  const std::uint16_t service_port = ephemeral_port();
  ASSERT_NE(service_port, 0);
  ASSERT_EQ(std::system("command -v node >/dev/null 2>&1"), 0) << "node is required (scripts/setup.sh installs it)";
  const pid_t service = spawn({"/usr/bin/env", "node", "-e",
                               "require('http').createServer((q, s) => s.end('ok')).listen(" + std::to_string(service_port) +
                                   ", '127.0.0.1')"},
                              dir_ / "service.log");
  ASSERT_GT(service, 0);
  start_up_until_linked();
  ASSERT_FALSE(HasFatalFailure());
  const std::string home = (net / "node0").string();
  const std::string ledger = "http://127.0.0.1:" + std::to_string(base_ + 1);
  const pid_t watcher = spawn({METANODE_BINARY, "registry", "watch", "--home", home, "--json"}, dir_ / "watch.log");
  ASSERT_GT(watcher, 0);
  std::this_thread::sleep_for(milliseconds(500));  // its WebSocket is up before the first change

  const std::string service_url = "http://127.0.0.1:" + std::to_string(service_port);
  auto send = [&](std::vector<std::string> args, const std::string& log) {
    args.insert(args.begin(), {METANODE_BINARY, "registry"});
    args.insert(args.end(), {"--home", home, "--node", ledger, "--wait"});
    EXPECT_TRUE(run(args, log)) << tail_of(dir_ / log);
  };
  send({"register", "--name", "billing.api", "--kind", "http", "--endpoint", service_url, "--health-check", service_url + "/health",
        "--ttl-seconds", "600"},
       "register-billing.log");
  send({"register", "--name", "short.lived", "--kind", "http", "--endpoint", "http://127.0.0.1:1", "--ttl-seconds", "3"},
       "register-short.log");
  send({"register", "--name", "kept.alive", "--kind", "http", "--endpoint", "http://127.0.0.1:2", "--ttl-seconds", "3"},
       "register-kept.log");
  send({"renew", "--name", "kept.alive", "--ttl-seconds", "600"}, "renew-kept.log");
  ASSERT_FALSE(HasFailure());

  const std::string registry = "http://127.0.0.1:" + std::to_string(base_ + 3);
  auto lookup = [&](const std::string& name) -> std::pair<unsigned, json> {
    auto reply = api::http_request(registry, "GET", "/v1/registry/services/" + name, "", "application/json", milliseconds(2'000));
    if (!reply.ok()) return {0, json()};
    return {reply->status, json::parse(reply->body, nullptr, false)};
  };
  const auto short_lease = lookup("short.lived");
  const std::int64_t short_expiry = short_lease.second.value("expiry_unix_ms", std::int64_t{0});
  // Gone once the chain's time has passed it (blocks every second here), and not before.
  const auto deadline = Clock::now() + milliseconds(20'000);
  while (lookup("short.lived").first != 404) {
    ASSERT_LT(Clock::now(), deadline) << "short.lived did not expire: " << lookup("short.lived").second.dump();
    std::this_thread::sleep_for(milliseconds(200));
  }
  EXPECT_EQ(lookup("kept.alive").first, 200u) << "a renewed lease expired";
  EXPECT_GT(short_expiry, 0) << short_lease.second.dump();

  // Health: up while the service answers, down once it is killed.
  auto wait_status = [&](const std::string& status) {
    const auto until = Clock::now() + milliseconds(30'000);
    json last;
    while (Clock::now() < until) {
      last = lookup("billing.api").second;
      if (last.is_object() && last["health"].value("status", "") == status) return last;
      std::this_thread::sleep_for(milliseconds(300));
    }
    ADD_FAILURE() << "billing.api never turned " << status << ": " << (last.is_object() ? last["health"].dump() : "no answer");
    return last;
  };
  const json up = wait_status("up");
  EXPECT_GE(up["health"]["reports"].size(), 3u) << up["health"].dump();
  ::kill(service, SIGKILL);
  ::waitpid(service, nullptr, 0);
  const json down = wait_status("down");
  bool refused = false;
  for (const json& r : down["health"]["reports"]) refused = refused || r.value("detail", "").find("connect") != std::string::npos;
  EXPECT_TRUE(refused) << down["health"].dump();
  // The lease and its health, proven to a client holding only the genesis.
  EXPECT_TRUE(run({METANODE_BINARY, "registry", "lookup", "billing.api", "--home", home, "--verify"}, "lookup.log"))
      << tail_of(dir_ / "lookup.log");
  EXPECT_NE(read_file(dir_ / "lookup.log").find("down"), std::string::npos) << read_file(dir_ / "lookup.log");

  ::kill(watcher, SIGKILL);
  ::waitpid(watcher, nullptr, 0);
  std::map<std::string, std::set<std::string>> seen;  // type → names
  std::istringstream lines(read_file(dir_ / "watch.log"));
  for (std::string line; std::getline(lines, line);) {
    const json change = json::parse(line, nullptr, false);
    if (change.is_object()) seen[change.value("type", "")].insert(change.value("name", ""));
  }
  EXPECT_TRUE(seen["registered"].contains("billing.api") && seen["registered"].contains("short.lived")) << read_file(dir_ / "watch.log");
  EXPECT_TRUE(seen["renewed"].contains("kept.alive")) << read_file(dir_ / "watch.log");
  EXPECT_TRUE(seen["expired"].contains("short.lived")) << read_file(dir_ / "watch.log");
  EXPECT_FALSE(seen["expired"].contains("kept.alive")) << read_file(dir_ / "watch.log");
  EXPECT_TRUE(seen["health"].contains("billing.api")) << read_file(dir_ / "watch.log");
  stop_up();
}

}  // namespace
}  // namespace metanode
