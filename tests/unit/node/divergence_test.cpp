// A validator whose execution disagrees with its quorum stops, and says where. Four validators on
// loopback, all running the test's kv module; validator 3's copy has a non-deterministic bug (it
// writes one extra entry on every put), the kind of fault that makes one node compute another
// state from the same committed block. After a put commits, the other three certify their header;
// validator 3 must halt, fetch the quorum's header from a signer, check it against the signed
// hash, and stop with an error that names the block and the differing root (the state root
// alone: transactions and receipts agree). The other three carry on committing.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "modules/module_set.hpp"
#include "node/node.hpp"
#include "support/kv_module.hpp"
#include "support/ports.hpp"
#include "support/wait.hpp"

namespace metanode::node {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::size_t kValidators = 4;
constexpr std::size_t kDrifting = 3;

// The kv module with a bug: each put also writes an entry of its own.
class DriftingKv final : public testing::KvModule {
 public:
  core::Status apply(const ledger::TxContext& tx, ledger::ModuleState& state,
                     std::vector<ledger::Event>& events) const override {
    MN_TRY(KvModule::apply(tx, state, events));
    const core::ByteView key = core::as_bytes(std::string_view("drift"));
    return state.put(key, core::Bytes{0x21});
  }
};

// Only to catch hangs.
constexpr std::chrono::milliseconds kHangGuard = 20s;
using testing::eventually;

crypto::Seed seed_of(int i) {
  crypto::Seed s{};
  s[0] = static_cast<core::Byte>(i);
  s[1] = 0xd1;
  return s;
}

class DivergenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "metanode-divergence-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    for (std::size_t i = 0; i < kValidators; ++i) keys_.push_back(crypto::KeyPair::from_seed(seed_of(static_cast<int>(i) + 1)));
    genesis_.chain_id = "divergence-test";
    genesis_.genesis_time_unix_ms = 1'000;
    genesis_.base_fee_initial = 2;
    genesis_.base_fee_min = 1;
    genesis_.consensus = "ibft";
    for (std::size_t i = 0; i < kValidators; ++i) {
      genesis_.validators.push_back(
          {"v" + std::to_string(i), keys_[i].public_key(), crypto::MldsaKeyPair::generate().public_key()});
    }
    genesis_.accounts.push_back({crypto::Address::from_public_key(user_.public_key()), 1'000'000});

    testing::PortPicker ports;
    for (std::size_t i = 0; i < kValidators; ++i) {
      bases_.push_back(ports.base());
      ASSERT_NE(bases_.back(), 0);
    }
    for (std::size_t i = 0; i < kValidators; ++i) {
      NodeConfig config;
      config.config_dir = dir_ / ("node" + std::to_string(i));
      fs::create_directories(config.config_dir);
      config.port_base = bases_[i];
      config.ephemeral_ports = false;
      config.round_timeout_ms = 300;
      config.round_timeout_cap_ms = 1200;
      config.http_threads = 1;
      for (std::size_t j = 0; j < kValidators; ++j) {
        config.peers.push_back(keys_[j].public_key().to_hex() + "@127.0.0.1:" + std::to_string(bases_[j] + 4));
      }
      std::shared_ptr<const ledger::Module> kv = i == kDrifting ? std::make_shared<DriftingKv>() : std::make_shared<testing::KvModule>();
      auto set = modules::standard_modules_with({kv});
      ASSERT_TRUE(set.ok()) << set.error().to_string();
      NodePlugins plugins;
      plugins.modules = *set;
      auto node = Node::open(config, genesis_, keys_[i], std::move(plugins));
      ASSERT_TRUE(node.ok()) << node.error().to_string();
      (*node)->set_fault_handler([this, i](const core::Error& fault) {
        std::lock_guard lock(mutex_);
        faults_.emplace_back(i, fault);
      });
      nodes_.push_back(std::move(node).value());
    }
    for (auto& node : nodes_) {
      const auto started = node->start();
      ASSERT_TRUE(started.ok()) << started.error().to_string();
    }
    ASSERT_TRUE(eventually([&] {
      for (const auto& node : nodes_) {
        if (node->runtime_status().peers_connected != kValidators - 1 || node->chain().head().height < 2) return false;
      }
      return true;
    }, kHangGuard)) << "the network did not form and commit";
  }

  void TearDown() override {
    for (auto& node : nodes_) node->stop();
    nodes_.clear();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::vector<std::pair<std::size_t, core::Error>> faults() {
    std::lock_guard lock(mutex_);
    return faults_;
  }

  ledger::Genesis genesis_;
  crypto::KeyPair user_ = crypto::KeyPair::generate();
  std::vector<crypto::KeyPair> keys_;
  std::vector<std::uint16_t> bases_;
  std::vector<std::unique_ptr<Node>> nodes_;
  fs::path dir_;
  std::mutex mutex_;
  std::vector<std::pair<std::size_t, core::Error>> faults_;
};

TEST_F(DivergenceTest, TheDivergingValidatorStopsNamingTheBlockAndTheStateRoot) {
  ledger::Transaction put;
  put.chain_id = genesis_.chain_id;
  put.max_fee = 100;
  put.bid = 5;
  put.payload = testing::KvModule::put("greeting", "hello");
  put.sign_single(user_, genesis_.digest());
  const auto admitted = nodes_[0]->tx_pool().admit({put}, TxPool::Source::kClient);
  ASSERT_TRUE(admitted.at(0).ok()) << admitted.at(0).error().to_string();

  ASSERT_TRUE(eventually([&] { return !faults().empty(); }, kHangGuard)) << "the diverging validator did not stop";
  const auto stopped = faults();
  ASSERT_EQ(stopped.size(), 1u) << stopped.at(1).second.to_string();
  EXPECT_EQ(stopped[0].first, kDrifting);
  const core::Error& why = stopped[0].second;
  EXPECT_EQ(why.code, core::ErrorCode::kStateCorrupt);
  // The block the put committed in, and of its roots only the state root.
  std::uint64_t height = 0;
  for (std::uint64_t h = 1; h <= nodes_[0]->chain().head().height && height == 0; ++h) {
    auto stored = nodes_[0]->chain().block(h);
    if (stored.ok() && stored->has_value() && !(*stored)->block.txs.empty()) height = h;
  }
  ASSERT_NE(height, 0u);
  EXPECT_NE(why.message.find("block " + std::to_string(height) + " differs"), std::string::npos) << why.message;
  EXPECT_NE(why.message.find("state root (quorum "), std::string::npos) << why.message;
  EXPECT_EQ(why.message.find("receipts root"), std::string::npos) << why.message;
  EXPECT_EQ(why.message.find("transaction root"), std::string::npos) << why.message;
  EXPECT_TRUE(nodes_[kDrifting]->fault().has_value());

  // The others carry on, and agree.
  const std::uint64_t then = nodes_[0]->chain().head().height;
  ASSERT_TRUE(eventually([&] { return nodes_[1]->chain().head().height >= then + 2; }, kHangGuard));
  auto a = nodes_[0]->chain().block(then);
  auto b = nodes_[2]->chain().block(then);
  ASSERT_TRUE(a.ok() && a->has_value() && b.ok() && b->has_value());
  EXPECT_EQ((*a)->block.hash(), (*b)->block.hash());
  EXPECT_EQ(faults().size(), 1u);
}

}  // namespace
}  // namespace metanode::node
