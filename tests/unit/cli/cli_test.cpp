#include "cli/app.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crypto/address.hpp"

namespace metanode::cli {
namespace {

namespace fs = std::filesystem;

struct Cli {
  std::ostringstream out;
  std::ostringstream err;
  std::map<std::string, std::string> env;
  std::vector<std::string> prompts_answered;  // answers the fake terminal gives, in order
  bool has_terminal = false;

  int run(std::vector<std::string> args) {
    out.str("");
    err.str("");
    args.insert(args.begin(), "metanode");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    Io io{out, err,
          [this](const std::string& name) -> std::optional<std::string> {
            auto it = env.find(name);
            if (it == env.end()) return std::nullopt;
            return it->second;
          },
          [this](const std::string&) -> std::optional<std::string> {
            if (!has_terminal || prompts_answered.empty()) return std::nullopt;
            std::string answer = prompts_answered.front();
            prompts_answered.erase(prompts_answered.begin());
            return answer;
          }};
    return metanode::cli::run(static_cast<int>(argv.size()), argv.data(), io);
  }
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("metanode-cli-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string ks() const { return (dir_ / "keys").string(); }
  fs::path dir_;
};

TEST_F(CliTest, HelpOnEverySubcommand) {
  Cli cli;
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"},
                                                                {"version", "--help"},
                                                                {"keys", "--help"},
                                                                {"keys", "new", "--help"},
                                                                {"keys", "list", "--help"},
                                                                {"keys", "show", "--help"},
                                                                {"keys", "export-public", "--help"},
                                                                {"keys", "export", "--help"},
                                                                {"bpci", "--help"},
                                                                {"audit", "tail", "--help"},
                                                                {"audit", "verify", "--help"},
                                                                {"audit", "report", "--help"},
                                                                {"audit", "verify-report", "--help"},
                                                                {"proof", "verify", "--help"},
                                                                {"gov", "propose", "admit-validator", "--help"},
                                                                {"econ", "slashes", "--help"},
                                                                {"econ", "delegate", "--help"},
                                                                {"econ", "undelegate", "--help"},
                                                                {"econ", "claim", "--help"},
                                                                {"oracle", "feeds", "--help"},
                                                                {"oracle", "latest", "--help"},
                                                                {"oracle", "round", "--help"},
                                                                {"gov", "propose", "create-feed", "--help"},
                                                                {"registry", "register", "--help"},
                                                                {"registry", "renew", "--help"},
                                                                {"registry", "lookup", "--help"},
                                                                {"econ", "evidence", "--help"},
                                                                {"sim", "--help"}}) {
    EXPECT_EQ(cli.run(args), kExitOk) << args.back();
    EXPECT_NE(cli.out.str().find("Usage"), std::string::npos);
  }
  cli.run({"gov", "propose", "admit-validator", "--help"});
  EXPECT_NE(cli.out.str().find("--public-key-file"), std::string::npos);
  cli.run({"sim", "--help"});
  EXPECT_NE(cli.out.str().find("--epoch-blocks"), std::string::npos);
  // Bad input says what is wrong before anything is sent.
  Cli bad;
  EXPECT_NE(bad.run({"gov", "propose", "admit-validator", "--public-key-file", "/nonexistent/key.json", "--from", "k",
                     "--node", "http://127.0.0.1:1"}),
            kExitOk);
  EXPECT_NE(bad.err.str().find("--public-key-file /nonexistent/key.json: cannot be read"), std::string::npos) << bad.err.str();
  Cli sim;
  EXPECT_EQ(sim.run({"sim", "--epoch-blocks", "2", "--seeds", "1"}), kExitUsage);
  EXPECT_NE(sim.err.str().find("--epoch-blocks must be 0 (one epoch) or at least 4"), std::string::npos) << sim.err.str();
  cli.run({"keys", "new", "--help"});
  EXPECT_NE(cli.out.str().find("--passphrase-file"), std::string::npos);
  // Evidence that is not JSON, or whose votes do not conflict, is refused before anything is sent.
  const fs::path not_json = dir_ / "evidence.txt";
  std::ofstream(not_json) << "two votes";
  Cli evidence;
  EXPECT_NE(evidence.run({"econ", "evidence", "--file", not_json.string(), "--from", "k", "--node", "http://127.0.0.1:1"}), kExitOk);
  EXPECT_NE(evidence.err.str().find("is not JSON"), std::string::npos) << evidence.err.str();
  const std::string sig(128, '0');
  const std::string vote = R"({"kind": "prepare", "height": 5, "round": 0, "block_id": ")" + std::string(64, 'a') +
                           R"(", "commit": null, "signature": ")" + sig + "\"}";
  const fs::path same = dir_ / "evidence.json";
  std::ofstream(same) << R"({"epoch": 0, "offender": ")" << std::string(64, 'b') << R"(", "first": )" << vote
                      << R"(, "second": )" << vote << "}";
  Cli conflict;
  EXPECT_NE(conflict.run({"econ", "evidence", "--file", same.string(), "--from", "k", "--node", "http://127.0.0.1:1"}), kExitOk);
  EXPECT_NE(conflict.err.str().find("the two votes do not conflict"), std::string::npos) << conflict.err.str();
  // Delegation: a validator that is no address, and a zero amount, are refused before anything is sent.
  Cli delegate;
  EXPECT_NE(delegate.run({"econ", "delegate", "--validator", "nope", "--amount", "5", "--from", "k", "--node", "http://127.0.0.1:1"}), kExitOk);
  EXPECT_NE(delegate.err.str().find("--validator: "), std::string::npos) << delegate.err.str();
  Cli zero;
  EXPECT_EQ(zero.run({"econ", "undelegate", "--validator", "mn1x", "--amount", "0", "--from", "k"}), kExitUsage);
  Cli claim;
  EXPECT_EQ(claim.run({"econ", "claim", "--from", "k"}), kExitUsage);  // --validator missing
  // Oracle: a feed id that cannot be one, a round 0, a feed file that is not a feed.
  Cli feed;
  EXPECT_NE(feed.run({"oracle", "latest", "Not A Feed", "--node", "http://127.0.0.1:1"}), kExitOk);
  EXPECT_NE(feed.err.str().find("1-32 of a-z"), std::string::npos) << feed.err.str();
  Cli round0;
  EXPECT_EQ(round0.run({"oracle", "round", "btc-usd", "0", "--node", "http://127.0.0.1:1"}), kExitUsage);
  const fs::path spec = dir_ / "feed.json";
  std::ofstream(spec) << R"({"id": "btc-usd", "sources": [{"url": "ftp://x", "pointer": "/p"}]})";
  Cli create;
  EXPECT_NE(create.run({"gov", "propose", "create-feed", "--file", spec.string(), "--from", "k", "--node", "http://127.0.0.1:1"}), kExitOk);
  EXPECT_NE(create.err.str().find("not an http:// or https:// URL"), std::string::npos) << create.err.str();
  // Registry: a name that cannot be one is refused before anything is signed or sent.
  Cli lease;
  EXPECT_NE(lease.run({"registry", "register", "--name", "Bad Name", "--kind", "http", "--endpoint", "x", "--ttl-blocks", "5",
                       "--from", "k", "--node", "http://127.0.0.1:1"}), kExitOk);
  EXPECT_NE(lease.err.str().find("service name"), std::string::npos) << lease.err.str();
  Cli ttl;
  EXPECT_EQ(ttl.run({"registry", "renew", "--name", "a", "--ttl-blocks", "0", "--from", "k"}), kExitUsage);
  // A lease needs exactly one TTL, a health check the nodes can probe, and watch a name that can be one.
  Cli no_ttl;
  EXPECT_NE(no_ttl.run({"registry", "register", "--name", "a", "--kind", "http", "--endpoint", "x", "--from", "k",
                        "--node", "http://127.0.0.1:1"}), kExitOk);
  EXPECT_NE(no_ttl.err.str().find("--ttl-blocks N or --ttl-seconds N"), std::string::npos) << no_ttl.err.str();
  Cli both;
  EXPECT_EQ(both.run({"registry", "register", "--name", "a", "--kind", "http", "--endpoint", "x", "--ttl-blocks", "5",
                      "--ttl-seconds", "5", "--from", "k"}), kExitUsage);
  Cli check;
  EXPECT_NE(check.run({"registry", "register", "--name", "a", "--kind", "http", "--endpoint", "x", "--ttl-seconds", "60",
                       "--health-check", "ftp://x", "--from", "k", "--node", "http://127.0.0.1:1"}), kExitOk);
  EXPECT_NE(check.err.str().find("health check"), std::string::npos) << check.err.str();
  Cli too_long;
  EXPECT_EQ(too_long.run({"registry", "register", "--name", "a", "--kind", "http", "--endpoint", "x", "--ttl-seconds", "2592001",
                          "--from", "k"}), kExitUsage);
  Cli watch;
  EXPECT_NE(watch.run({"registry", "watch", "--name", "Bad Name", "--node", "http://127.0.0.1:1"}), kExitOk);
  EXPECT_NE(watch.err.str().find("service name"), std::string::npos) << watch.err.str();
}

TEST_F(CliTest, UsageErrorsExitTwoWithOneLine) {
  Cli cli;
  EXPECT_EQ(cli.run({}), kExitUsage);
  EXPECT_EQ(cli.run({"no-such-command"}), kExitUsage);
  EXPECT_EQ(cli.run({"keys", "new"}), kExitUsage);  // name missing
  EXPECT_EQ(cli.run({"keys", "list", "--bogus"}), kExitUsage);
  const std::string err = cli.err.str();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(err.rfind("metanode: ", 0), 0u);
}

TEST_F(CliTest, Version) {
  Cli cli;
  EXPECT_EQ(cli.run({"version"}), kExitOk);
  EXPECT_NE(cli.out.str().find("metanode 0.1.0"), std::string::npos);
  EXPECT_NE(cli.out.str().find("blake3"), std::string::npos);
}

TEST_F(CliTest, KeysNewPrintsNameAndAddress) {
  Cli cli;
  cli.env["METANODE_PASSPHRASE"] = "pw";
  ASSERT_EQ(cli.run({"keys", "new", "alice", "--keystore", ks()}), kExitOk) << cli.err.str();
  const std::string out = cli.out.str();
  EXPECT_NE(out.find("alice"), std::string::npos);
  const auto pos = out.find("\naddress ");
  ASSERT_NE(pos, std::string::npos) << out;
  std::istringstream line(out.substr(pos + 1));
  std::string label, address;
  line >> label >> address;
  EXPECT_TRUE(crypto::Address::parse(address).ok()) << address;

  // list and show find it; export-public gives JSON with the same address.
  ASSERT_EQ(cli.run({"keys", "list", "--keystore", ks()}), kExitOk);
  EXPECT_NE(cli.out.str().find(address), std::string::npos);
  ASSERT_EQ(cli.run({"keys", "show", "alice", "--keystore", ks()}), kExitOk);
  EXPECT_NE(cli.out.str().find(address), std::string::npos);
  ASSERT_EQ(cli.run({"keys", "export-public", "alice", "--keystore", ks()}), kExitOk);
  auto doc = nlohmann::json::parse(cli.out.str());
  EXPECT_EQ(doc["address"], address);
  EXPECT_EQ(doc["mldsa65_public_key"].get<std::string>().size(), 2 * 1952u);
  EXPECT_FALSE(doc.contains("cipher"));
  ASSERT_EQ(cli.run({"keys", "list", "--json", "--keystore", ks()}), kExitOk);
  EXPECT_EQ(nlohmann::json::parse(cli.out.str()).size(), 1u);

  // export gives the key file itself, still encrypted (what the console's wallet imports); with
  // --out, a file only its owner reads; an unknown key is an error.
  ASSERT_EQ(cli.run({"keys", "export", "alice", "--keystore", ks()}), kExitOk) << cli.err.str();
  doc = nlohmann::json::parse(cli.out.str());
  EXPECT_EQ(doc["address"], address);
  EXPECT_EQ(doc["cipher"]["algorithm"], "aes-256-gcm");
  EXPECT_EQ(doc["kdf"]["algorithm"], "argon2id");
  const fs::path exported = dir_ / "alice.export.json";
  ASSERT_EQ(cli.run({"keys", "export", "alice", "--keystore", ks(), "--out", exported.string()}), kExitOk);
  EXPECT_EQ(fs::status(exported).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  std::ifstream in(exported);
  EXPECT_EQ(nlohmann::json::parse(in)["address"], address);
  EXPECT_NE(cli.run({"keys", "export", "nobody", "--keystore", ks()}), kExitOk);
}

TEST_F(CliTest, PassphraseSources) {
  Cli cli;
  // From a file (first line, newline stripped).
  const fs::path file = dir_ / "pass.txt";
  std::ofstream(file) << "from-file\n";
  ASSERT_EQ(cli.run({"keys", "new", "a", "--keystore", ks(), "--passphrase-file", file.string()}), kExitOk)
      << cli.err.str();
  EXPECT_EQ(cli.run({"keys", "show", "a", "--check-passphrase", "--keystore", ks(), "--passphrase-file",
                     file.string()}),
            kExitOk);
  EXPECT_NE(cli.out.str().find("passphrase ok"), std::string::npos);
  // A wrong passphrase is a clear one-line error and exit 1.
  cli.env["METANODE_PASSPHRASE"] = "nope";
  EXPECT_EQ(cli.run({"keys", "show", "a", "--check-passphrase", "--keystore", ks()}), kExitFailed);
  EXPECT_NE(cli.err.str().find("wrong passphrase"), std::string::npos);
  const std::string wrong = cli.err.str();
  EXPECT_EQ(std::count(wrong.begin(), wrong.end(), '\n'), 1);
  // From the prompt, asked twice for a new key.
  cli.env.clear();
  cli.has_terminal = true;
  cli.prompts_answered = {"typed", "typed"};
  ASSERT_EQ(cli.run({"keys", "new", "b", "--keystore", ks()}), kExitOk) << cli.err.str();
  cli.prompts_answered = {"one", "two"};
  EXPECT_EQ(cli.run({"keys", "new", "c", "--keystore", ks()}), kExitFailed);
  EXPECT_NE(cli.err.str().find("differ"), std::string::npos);
  // No terminal and no other source: a clear error.
  cli.has_terminal = false;
  EXPECT_EQ(cli.run({"keys", "new", "d", "--keystore", ks()}), kExitFailed);
  EXPECT_NE(cli.err.str().find("METANODE_PASSPHRASE"), std::string::npos);
  // Missing passphrase file.
  EXPECT_EQ(cli.run({"keys", "new", "e", "--keystore", ks(), "--passphrase-file", "/nonexistent"}), kExitFailed);
}

TEST_F(CliTest, FailuresExitOne) {
  Cli cli;
  cli.env["METANODE_PASSPHRASE"] = "pw";
  EXPECT_EQ(cli.run({"keys", "show", "ghost", "--keystore", ks()}), kExitFailed);
  EXPECT_NE(cli.err.str().find("key_not_found"), std::string::npos);
  ASSERT_EQ(cli.run({"keys", "new", "x", "--keystore", ks()}), kExitOk);
  EXPECT_EQ(cli.run({"keys", "new", "x", "--keystore", ks()}), kExitFailed);
  EXPECT_NE(cli.err.str().find("already exists"), std::string::npos);
  EXPECT_EQ(cli.run({"keys", "new", "../x", "--keystore", ks()}), kExitFailed);
}

TEST_F(CliTest, DefaultKeystoreFollowsMetanodeHome) {
  Cli cli;
  cli.env["METANODE_PASSPHRASE"] = "pw";
  cli.env["METANODE_HOME"] = (dir_ / "home").string();
  ASSERT_EQ(cli.run({"keys", "new", "dev"}), kExitOk) << cli.err.str();
  EXPECT_TRUE(fs::exists(dir_ / "home/keys/dev.key.json"));
}

// `metanode reset` moves a data directory aside, never deletes it, and refuses when the node has no
// peers to sync its blocks back from (unless --force).
TEST_F(CliTest, ResetMovesTheDataDirectoryAsideAndRefusesWithoutPeers) {
  Cli cli;
  cli.env["METANODE_PASSPHRASE"] = "pw";
  const fs::path home = dir_ / "node";
  ASSERT_EQ(cli.run({"init", "--dir", home.string()}), kExitOk) << cli.err.str();
  const std::string config = (home / "config.toml").string();
  EXPECT_EQ(cli.run({"reset", "--config", config}), kExitFailed);
  EXPECT_NE(cli.err.str().find("no data directory"), std::string::npos) << cli.err.str();
  fs::create_directories(home / "data");
  std::ofstream(home / "data" / "CURRENT") << "MANIFEST-000001\n";
  EXPECT_EQ(cli.run({"reset", "--config", config}), kExitFailed);
  EXPECT_NE(cli.err.str().find("no peers to sync from"), std::string::npos) << cli.err.str();
  EXPECT_TRUE(fs::exists(home / "data" / "CURRENT"));
  ASSERT_EQ(cli.run({"reset", "--config", config, "--force"}), kExitOk) << cli.err.str();
  EXPECT_FALSE(fs::exists(home / "data"));
  std::size_t moved = 0;
  for (const auto& entry : fs::directory_iterator(home)) {
    if (entry.path().filename().string().rfind("data.moved-", 0) == 0 && fs::exists(entry.path() / "CURRENT")) ++moved;
  }
  EXPECT_EQ(moved, 1u);
  EXPECT_NE(cli.out.str().find("syncs every block from its peers"), std::string::npos) << cli.out.str();
}

// `metanode proof verify`: a claim file checked against the home's genesis offline, the verdict
// and its reason; a tampered claim exits 1 naming what failed; a claim that is not one exits 1 too.
TEST_F(CliTest, ProofVerifyChecksAClaimFileWithTheGenesisAlone) {
  Cli cli;
  cli.env["METANODE_PASSPHRASE"] = "pw";
  const fs::path home = dir_ / "node";
  ASSERT_EQ(cli.run({"init", "--dir", home.string()}), kExitOk) << cli.err.str();
  const crypto::KeyPair key = crypto::KeyPair::generate();
  const core::Bytes message = core::to_bytes(core::as_bytes("pay 10"));
  nlohmann::json claim = {{"kind", "signature"},
                          {"public_key", key.public_key().to_hex()},
                          {"message", core::to_hex(message)},
                          {"domain", "message"},
                          {"signature", key.sign(core::Domain::Message, message).to_hex()}};
  const auto write = [&](const nlohmann::json& doc) {
    std::ofstream(dir_ / "claim.json") << doc.dump();
    return (dir_ / "claim.json").string();
  };
  ASSERT_EQ(cli.run({"proof", "verify", write(claim), "--home", home.string()}), kExitOk) << cli.err.str();
  EXPECT_NE(cli.out.str().find("verified: Ed25519 signature of mn1"), std::string::npos) << cli.out.str();
  claim["message"] = core::to_hex(core::as_bytes("pay 99"));
  EXPECT_EQ(cli.run({"proof", "verify", write(claim), "--home", home.string()}), kExitFailed);
  EXPECT_NE(cli.err.str().find("error[bad_signature]"), std::string::npos) << cli.err.str();
  EXPECT_EQ(cli.run({"proof", "verify", write(claim), "--home", home.string(), "--json"}), kExitFailed);
  EXPECT_NE(cli.out.str().find("\"valid\": false"), std::string::npos) << cli.out.str();
  EXPECT_EQ(cli.run({"proof", "verify", write({{"kind", "tarot"}}), "--home", home.string()}), kExitFailed);
  EXPECT_NE(cli.err.str().find("unknown claim kind 'tarot'"), std::string::npos) << cli.err.str();
  EXPECT_EQ(cli.run({"proof", "verify", (dir_ / "missing.json").string(), "--home", home.string()}), kExitFailed);
  EXPECT_EQ(cli.run({"proof", "verify", write(claim)}), kExitFailed);  // no genesis to check against
  EXPECT_NE(cli.err.str().find("--genesis"), std::string::npos) << cli.err.str();
}

// `metanode audit report` and `verify-report`: bad input is refused before anything is asked.
TEST_F(CliTest, AuditReportRefusesBadTimesAndAMissingReport) {
  Cli cli;
  const std::string out = (dir_ / "report").string();
  EXPECT_EQ(cli.run({"audit", "report", "--from", "yesterday", "--to", "1", "--out", out}), kExitFailed);
  EXPECT_NE(cli.err.str().find("--from 'yesterday' is neither unix milliseconds nor YYYY-MM-DDTHH:MM:SSZ"), std::string::npos)
      << cli.err.str();
  EXPECT_EQ(cli.run({"audit", "report", "--from", "2026-12-02T10:00:00Z", "--to", "2026-12-01T10:00:00Z", "--out", out}), kExitFailed);
  EXPECT_NE(cli.err.str().find("--to is before --from"), std::string::npos) << cli.err.str();
  EXPECT_EQ(cli.run({"audit", "report", "--from", "1", "--to", "2"}), kExitUsage);  // --out is required
  EXPECT_EQ(cli.run({"audit", "verify-report", out, "--genesis", (dir_ / "genesis.json").string()}), kExitFailed);
  EXPECT_NE(cli.err.str().find("report.json is missing or not JSON"), std::string::npos) << cli.err.str();
}

// The real binary: exit codes as a shell sees them.
TEST(CliBinary, ExitCodes) {
  const std::string bin = METANODE_BINARY;
  auto status = [](const std::string& cmd) { return WEXITSTATUS(std::system((cmd + " >/dev/null 2>&1").c_str())); };
  EXPECT_EQ(status(bin + " --help"), 0);
  EXPECT_EQ(status(bin + " version"), 0);
  EXPECT_EQ(status(bin + " frobnicate"), 2);
  EXPECT_EQ(status("METANODE_HOME=/nonexistent/x " + bin + " keys show nobody"), 1);
}

}  // namespace
}  // namespace metanode::cli
