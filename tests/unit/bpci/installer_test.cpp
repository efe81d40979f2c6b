// The installer's parts: finding the validators from what each node's /health says (others are
// left out, each with why), the bundle a new full node needs (a key that unlocks with the
// passphrase beside it, a role = "full" configuration that loads and links to every validator,
// the systemd unit, the commands), refusing bad input and a directory in use, and who may call
// the installer's routes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bpci/console_service.hpp"
#include "bpci/installer.hpp"
#include "bpci/process.hpp"
#include "crypto/keystore.hpp"
#include "crypto/mldsa.hpp"
#include "node/config.hpp"
#include "support/temp_dir.hpp"

namespace metanode::bpci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testing::temp_dir;

std::string read(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class InstallerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir("installer");
    genesis_.chain_id = "installer-test";
    genesis_.genesis_time_unix_ms = 1'000;
    genesis_.consensus = "ibft";
    for (int i = 0; i < 3; ++i) {
      keys_.push_back(crypto::KeyPair::generate());
      genesis_.validators.push_back({"v" + std::to_string(i), keys_.back().public_key(), crypto::MldsaKeyPair::generate().public_key()});
    }
    ASSERT_TRUE(genesis_.save(dir_ / "genesis.json").ok());
    const std::string digest = core::to_hex(genesis_.digest());
    // What each node's /health answers.
    health_["http://10.0.0.1:9001"] = {{"genesis_digest", digest}, {"role", "validator"}, {"node_key", keys_[0].public_key().to_hex()}, {"xtmp_port", 9004}};
    health_["http://10.0.0.2:9101"] = {{"genesis_digest", digest}, {"role", "validator"}, {"node_key", keys_[1].public_key().to_hex()}, {"xtmp_port", 9104}};
    health_["http://10.0.0.3:9201"] = {{"genesis_digest", "00"}, {"role", "validator"}, {"node_key", keys_[2].public_key().to_hex()}, {"xtmp_port", 9204}};
    health_["http://10.0.0.4:9301"] = {{"genesis_digest", digest}, {"role", "full"}, {"node_key", crypto::KeyPair::generate().public_key().to_hex()}, {"xtmp_port", 9304}};
  }
  void TearDown() override { fs::remove_all(dir_); }

  Fetch fetch() const {
    return [this](const std::string& url, const std::string& target) -> core::Result<std::pair<unsigned, std::string>> {
      const auto it = health_.find(url);
      if (target != "/health" || it == health_.end()) return core::make_error(core::ErrorCode::kIo, "connection refused");
      return std::make_pair(200u, it->second.dump());
    };
  }
  std::vector<FleetMember> members() const {
    return {{"validator-0", "http://10.0.0.1:9001", {}}, {"validator-1", "http://10.0.0.2:9101", {}},
            {"other-chain", "http://10.0.0.3:9201", {}}, {"full-1", "http://10.0.0.4:9301", {}},
            {"down", "http://10.0.0.5:9401", {}}};
  }

  fs::path dir_;
  ledger::Genesis genesis_;
  std::vector<crypto::KeyPair> keys_;
  std::map<std::string, json> health_;
};

TEST_F(InstallerTest, FindsTheValidatorsOfTheChainAndSaysWhyOthersWereLeftOut) {
  auto found = discover_validators(members(), genesis_, fetch());
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].name, "validator-0");
  EXPECT_EQ((*found)[0].peer_entry(), keys_[0].public_key().to_hex() + "@10.0.0.1:9004");
  EXPECT_EQ((*found)[1].peer_entry(), keys_[1].public_key().to_hex() + "@10.0.0.2:9104");

  auto none = discover_validators({members()[2], members()[3], members()[4]}, genesis_, fetch());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("other-chain: serves another chain"), std::string::npos) << none.error().message;
  EXPECT_NE(none.error().message.find("full-1: not a validator (role full)"), std::string::npos) << none.error().message;
  EXPECT_NE(none.error().message.find("down: connection refused"), std::string::npos) << none.error().message;
}

TEST_F(InstallerTest, WritesABundleThatStartsAFullNodeLinkedToEveryValidator) {
  auto validators = discover_validators(members(), genesis_, fetch());
  ASSERT_TRUE(validators.ok());
  BundleRequest request;
  request.name = "full-1";
  request.host = "10.0.0.9";
  request.port_base = 9400;
  request.dir = dir_ / "full-1";
  request.genesis_file = dir_ / "genesis.json";
  request.validators = *validators;
  auto bundle = write_bundle(request);
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  EXPECT_EQ(bundle->api_url(), "http://10.0.0.9:9401");

  auto config = node::NodeConfig::load(bundle->dir / "config.toml");
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_TRUE(config->full_node());
  EXPECT_EQ(config->port_base, 9400);
  EXPECT_EQ(config->listen_address, "10.0.0.9");
  EXPECT_EQ(config->peers, (std::vector<std::string>{(*validators)[0].peer_entry(), (*validators)[1].peer_entry()}));
  auto genesis = ledger::Genesis::load(config->resolve(config->genesis_file));
  ASSERT_TRUE(genesis.ok());
  EXPECT_EQ(genesis->digest(), genesis_.digest());
  // The key unlocks with the passphrase beside it, which only the owner may read.
  std::string passphrase = read(config->resolve(config->passphrase_file));
  passphrase.erase(passphrase.find_last_not_of('\n') + 1);
  crypto::Keystore store(config->resolve(config->keystore_dir));
  auto secrets = store.unlock(config->validator_key, passphrase);
  ASSERT_TRUE(secrets.ok()) << secrets.error().to_string();
  EXPECT_EQ(secrets->ed25519().public_key(), bundle->key);
  EXPECT_EQ(fs::status(bundle->dir / "passphrase").permissions() & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);

  const std::string unit = read(bundle->dir / "metanode-full-1.service");
  EXPECT_NE(unit.find("ExecStart=/usr/local/bin/metanode node --config /var/lib/metanode/full-1/config.toml"), std::string::npos);
  EXPECT_NE(unit.find("ReadWritePaths=/var/lib/metanode/full-1"), std::string::npos);
  EXPECT_NE(bundle->commands.find("scp -r '" + bundle->dir.string() + "' root@10.0.0.9:/var/lib/metanode/full-1"), std::string::npos)
      << bundle->commands;
  EXPECT_NE(bundle->commands.find("systemctl enable --now metanode-full-1"), std::string::npos);
  EXPECT_NE(read(bundle->dir / "INSTALL.txt").find("metanode gov propose grant --role node --to " + bundle->address.to_string()),
            std::string::npos);

  auto again = read_bundle(bundle->dir);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->key, bundle->key);
  EXPECT_EQ(again->address, bundle->address);
  EXPECT_EQ(again->validators.size(), 2u);

  // The same directory again is refused: it would overwrite a key.
  auto twice = write_bundle(request);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("holds files already"), std::string::npos);
}

TEST_F(InstallerTest, RefusesBadInputWithWhatIsWrong) {
  BundleRequest request;
  request.name = "ok";
  request.host = "127.0.0.1";
  request.port_base = 9400;
  request.genesis_file = dir_ / "genesis.json";
  request.validators = discover_validators(members(), genesis_, fetch()).value();
  const auto refused = [&](BundleRequest r, const std::string& says) {
    r.dir = dir_ / ("b-" + std::to_string(std::hash<std::string>{}(says)));
    auto bundle = write_bundle(r);
    ASSERT_FALSE(bundle.ok()) << says;
    EXPECT_NE(bundle.error().message.find(says), std::string::npos) << bundle.error().message;
  };
  BundleRequest bad = request;
  bad.name = "../etc";
  refused(bad, "");
  bad = request;
  bad.host = "a host; rm -rf /";
  refused(bad, "is not a host name or address");
  bad = request;
  bad.port_base = 65'100;
  refused(bad, "outside 1-65000");
  bad = request;
  bad.validators.clear();
  refused(bad, "no validators");
}

TEST(InstallerRoutes, MakingAndStartingANodeAreForAdminsAndTheOverviewForOperatorsToo) {
  const api::cage::RouteTable table = console_route_table();
  const auto roles = [&](const std::string& method, const std::string& route) {
    const auto* access = table.find(method, route);
    EXPECT_NE(access, nullptr) << method << " " << route;
    return access ? access->roles : std::vector<std::string>{};
  };
  EXPECT_EQ(roles("POST", "/v1/installer/bundles"), (std::vector<std::string>{"admin"}));
  EXPECT_EQ(roles("POST", "/v1/installer/bundles/{name}/start"), (std::vector<std::string>{"admin"}));
  EXPECT_EQ(roles("GET", "/v1/installer"), (std::vector<std::string>{"operator", "admin"}));
}

}  // namespace
}  // namespace metanode::bpci

namespace metanode::bpci {
namespace {

// A node the installer starts outlives BPCI: it must not hold any of BPCI's descriptors (its
// listening socket would keep the console's port taken after BPCI stopped).
TEST(Spawn, TheChildHoldsNoDescriptorOfItsParentButItsOutput) {
  const fs::path dir = testing::temp_dir("spawn");
  const int inherited = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC, as a listener's socket may be
  ASSERT_GE(inherited, 3);
  for (const bool detached : {false, true}) {
    const fs::path log = dir / (detached ? "detached.log" : "attached.log");
    auto pid = spawn("/bin/sh", {"-c", "ls /proc/$$/fd"}, log, detached);
    ASSERT_TRUE(pid.ok()) << pid.error().to_string();
    int status = 0;
    ASSERT_EQ(::waitpid(*pid, &status, 0), *pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    std::istringstream fds(read(log));
    std::vector<std::string> listed{std::istream_iterator<std::string>(fds), std::istream_iterator<std::string>()};
    EXPECT_EQ(listed, (std::vector<std::string>{"0", "1", "2"})) << (detached ? "detached" : "attached");
  }
  ::close(inherited);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace metanode::bpci
