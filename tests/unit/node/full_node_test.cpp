// A full node: its key is not a validator's, it votes on nothing, and it follows the chain the
// validators commit. Four validators on loopback (each engine); a full node that governance
// admitted (the role "node", granted in genesis here; `metanode install` proposes it on a live
// chain) links with all four, syncs from height 0, follows every new block with its header
// certificate, and gossips a transfer submitted to it to the validators, which commit it. It
// stops and resumes from its own disk. A key governance did not admit is refused by every
// validator and learns nothing. A configuration that says one role with the other kind of key
// is refused at start with what to change.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "modules/bank.hpp"
#include "modules/governance/governance.hpp"
#include "modules/module_set.hpp"
#include "node/node.hpp"
#include "support/ports.hpp"
#include "support/loopback_nodes.hpp"
#include "support/wait.hpp"

namespace metanode::node {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::size_t kValidators = 4;
constexpr std::chrono::milliseconds kHangGuard = 30s;  // only to catch hangs
using testing::eventually;

crypto::Seed seed_of(int i) {
  crypto::Seed s{};
  s[0] = static_cast<core::Byte>(i);
  s[1] = 0xf0;
  return s;
}

class FullNodeTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "metanode-full-node-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    for (std::size_t i = 0; i < kValidators; ++i) keys_.push_back(crypto::KeyPair::from_seed(seed_of(static_cast<int>(i) + 1)));
    genesis_.chain_id = "full-node-test";
    genesis_.genesis_time_unix_ms = 1'000;
    genesis_.base_fee_initial = 2;
    genesis_.base_fee_min = 1;
    genesis_.consensus = GetParam();
    for (std::size_t i = 0; i < kValidators; ++i) {
      genesis_.validators.push_back(
          {"v" + std::to_string(i), keys_[i].public_key(), crypto::MldsaKeyPair::generate().public_key()});
    }
    genesis_.accounts.push_back({crypto::Address::from_public_key(user_.public_key()), 1'000'000});
    modules::GovGenesis gov;
    gov.council.threshold = 1;
    gov.council.members.push_back(crypto::Address::from_public_key(user_.public_key()));
    gov.grants.push_back({crypto::Address::from_public_key(admitted_.public_key()), {std::string(modules::kRoleNode)}});
    genesis_.modules[std::string(modules::kGovModule)] = gov.to_json().dump();
    ASSERT_TRUE(genesis_.validate().ok());

    for (std::size_t i = 0; i < kValidators + 2; ++i) {
      bases_.push_back(ports_.base());
      ASSERT_NE(bases_.back(), 0);
    }
    for (std::size_t i = 0; i < kValidators; ++i) {
      auto node = Node::open(config_for("v" + std::to_string(i), bases_[i], "validator"), genesis_, keys_[i], plugins());
      ASSERT_TRUE(node.ok()) << node.error().to_string();
      validators_.push_back(std::move(node).value());
    }
    for (auto& node : validators_) {
      const auto started = node->start();
      ASSERT_TRUE(started.ok()) << started.error().to_string();
    }
    ASSERT_TRUE(testing::network_formed(validators_, 3, kHangGuard)) << "the network did not form and commit";
  }

  void TearDown() override {
    for (auto* list : {&followers_, &validators_}) {
      for (auto& node : *list) {
        if (node) node->stop();
      }
      list->clear();
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  NodePlugins plugins() { return testing::standard_plugins(); }

  NodeConfig config_for(const std::string& name, std::uint16_t base, const std::string& role) {
    return testing::loopback_config(dir_ / name, role, base, keys_, bases_);
  }

  std::unique_ptr<Node> open_full_node(const std::string& name, std::uint16_t base, const crypto::KeyPair& key) {
    auto node = Node::open(config_for(name, base, "full"), genesis_, key, plugins());
    EXPECT_TRUE(node.ok()) << node.error().to_string();
    return node.ok() ? std::move(node).value() : nullptr;
  }

  std::uint64_t network_height() const { return validators_[0]->chain().head().height; }

  ledger::Genesis genesis_;
  crypto::KeyPair user_ = crypto::KeyPair::generate();
  crypto::KeyPair admitted_ = crypto::KeyPair::generate();
  crypto::KeyPair stranger_ = crypto::KeyPair::generate();
  std::vector<crypto::KeyPair> keys_;
  testing::PortPicker ports_;
  std::vector<std::uint16_t> bases_;
  std::vector<std::unique_ptr<Node>> validators_;
  std::vector<std::unique_ptr<Node>> followers_;
  fs::path dir_;
};

TEST_P(FullNodeTest, AnAdmittedFullNodeSyncsFollowsAndRelaysWhileAStrangerIsRefused) {
  followers_.push_back(open_full_node("full", bases_[kValidators], admitted_));
  followers_.push_back(open_full_node("stranger", bases_[kValidators + 1], stranger_));
  ASSERT_TRUE(followers_[0] && followers_[1]);
  Node& full = *followers_[0];
  Node& stranger = *followers_[1];
  ASSERT_TRUE(full.start().ok());
  ASSERT_TRUE(stranger.start().ok());
  EXPECT_TRUE(full.runtime_status().full_node);

  // Linked with all four, and caught up from height 0 with the same blocks.
  ASSERT_TRUE(eventually([&] {
    return full.runtime_status().peers_connected == kValidators && full.chain().head().height >= network_height() &&
           full.chain().head().height >= 3;
  }, kHangGuard)) << "the full node did not catch up: height " << full.chain().head().height << " of " << network_height()
                  << ", links " << full.runtime_status().peers_connected;
  const std::uint64_t synced = full.chain().head().height;
  for (std::uint64_t h = 1; h <= synced; ++h) {
    auto mine = full.chain().block(h);
    auto theirs = validators_[1]->chain().block(h);
    ASSERT_TRUE(mine.ok() && mine->has_value() && theirs.ok() && theirs->has_value()) << "height " << h;
    EXPECT_EQ((*mine)->block.hash(), (*theirs)->block.hash()) << "height " << h;
  }

  // A transfer submitted to the full node reaches the validators and comes back committed.
  const auto to = crypto::Address::from_public_key(crypto::KeyPair::generate().public_key());
  ledger::Transaction tx;
  tx.chain_id = genesis_.chain_id;
  tx.max_fee = 100;
  tx.bid = 5;
  tx.payload = modules::transfer_payload(to, 1'234);
  tx.sign_single(user_, genesis_.digest());
  const auto admitted = full.tx_pool().admit({tx}, TxPool::Source::kClient);
  ASSERT_TRUE(admitted.at(0).ok()) << admitted.at(0).error().to_string();
  const auto balance_on = [&](const Node& node) {
    auto account = node.chain().account(to);
    return account.ok() ? account->balance : 0;
  };
  ASSERT_TRUE(eventually([&] { return balance_on(*validators_[2]) == 1'234 && balance_on(full) == 1'234; }, kHangGuard))
      << "the transfer submitted to the full node was not committed and followed";

  // It follows with header certificates (gathered from the validators' signatures; it signs none)
  // and never voted: no validator received a consensus message from a key outside the set (the
  // full node's), and its round stays 0. (Refusals among validators, such as a proposal that
  // arrives after its view timed out on a loaded machine, are not the full node's doing.)
  const std::uint64_t followed = full.chain().head().height;
  ASSERT_TRUE(eventually([&] { return full.runtime_status().certified_height + 2 >= followed; }, kHangGuard));
  auto cert = full.chain().certificate(full.runtime_status().certified_height);
  ASSERT_TRUE(cert.ok() && cert->has_value());
  for (const auto& signature : (*cert)->signatures) EXPECT_NE(signature.signer, admitted_.public_key());
  EXPECT_EQ(full.runtime_status().round, 0u);
  for (const auto& v : validators_) EXPECT_EQ(v->runtime_status().messages_from_non_validators, 0u);

  // The stranger is refused by every validator: no link, and nothing learned.
  EXPECT_EQ(stranger.runtime_status().peers_connected, 0u);
  EXPECT_EQ(stranger.chain().head().height, 0u);

  // Stopped, the chain moves on; started again from its own disk, it catches up.
  full.stop();
  followers_[0].reset();
  const std::uint64_t left_at = followed;
  ASSERT_TRUE(eventually([&] { return network_height() >= left_at + 3; }, kHangGuard));
  followers_[0] = open_full_node("full", bases_[kValidators], admitted_);
  ASSERT_TRUE(followers_[0]);
  EXPECT_GE(followers_[0]->chain().head().height, left_at);
  {
    const auto started = followers_[0]->start();
    ASSERT_TRUE(started.ok()) << started.error().to_string();
  }
  ASSERT_TRUE(eventually([&] { return followers_[0]->chain().head().height >= left_at + 3; }, kHangGuard))
      << "the restarted full node did not catch up";
}

INSTANTIATE_TEST_SUITE_P(Engines, FullNodeTest, ::testing::Values("ibft", "hotstuff"));

TEST(FullNodeConfig, ARoleThatDoesNotMatchTheKeyIsRefusedWithWhatToChange) {
  std::string pattern = (fs::temp_directory_path() / "metanode-full-node-config-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;
  const auto validator = crypto::KeyPair::generate();
  ledger::Genesis genesis;
  genesis.chain_id = "full-node-config";
  genesis.genesis_time_unix_ms = 1'000;
  genesis.consensus = "ibft";
  genesis.validators.push_back({"v0", validator.public_key(), crypto::MldsaKeyPair::generate().public_key()});
  auto open = [&](const std::string& role, const crypto::KeyPair& key) {
    NodeConfig config;
    config.config_dir = dir / role;
    fs::create_directories(config.config_dir);
    config.role = role;
    config.ephemeral_ports = true;
    NodePlugins plugins;
    plugins.modules = modules::standard_modules_with({}).value();
    return Node::open(config, genesis, key, std::move(plugins));
  };
  auto full_with_validator_key = open("full", validator);
  ASSERT_FALSE(full_with_validator_key.ok());
  EXPECT_NE(full_with_validator_key.error().message.find("a full node needs a key of its own"), std::string::npos);
  auto validator_with_other_key = open("validator", crypto::KeyPair::generate());
  ASSERT_FALSE(validator_with_other_key.ok());
  EXPECT_NE(validator_with_other_key.error().message.find("[node] role = \"full\""), std::string::npos)
      << validator_with_other_key.error().message;
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

}  // namespace
}  // namespace metanode::node
