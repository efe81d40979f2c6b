// A validator joins a running chain: four validators on loopback (each engine), a fifth node
// started as a full node with a key of its own. The council admits it (admit_validator), it bonds
// stake from its own key, and at the next payout epoch's end the economics module publishes the
// set with it, to begin kSetActivationBlocksMin blocks later. From that height on the candidate
// votes (with a genesis validator then stopped, a quorum of the five needs its votes, and the
// chain goes on); the stopped one starts again from its disk inside the new epoch and catches up;
// every node keeps the same chain across the change. The stopped one comes back equivocating (the
// test-only fault switch): the others submit the evidence, it is slashed and left out of the next
// set, the chain never stops, and the whole chain re-verifies offline.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "consensus/finality.hpp"
#include "modules/bank.hpp"
#include "modules/econ/econ.hpp"
#include "modules/governance/governance.hpp"
#include "modules/module_set.hpp"
#include "node/node.hpp"
#include "node/validator_sets.hpp"
#include "services/ledger/ledger_json.hpp"
#include "services/proofs/proof_check.hpp"
#include "support/ports.hpp"
#include "support/loopback_nodes.hpp"
#include "support/wait.hpp"

namespace metanode::node {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::eventually;

constexpr std::size_t kValidators = 4;
constexpr std::chrono::milliseconds kHangGuard = 60s;  // only to catch hangs

crypto::Seed seed_of(int i) {
  crypto::Seed s{};
  s[0] = static_cast<core::Byte>(i);
  s[1] = 0xe7;
  return s;
}

class ValidatorJoinTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "metanode-validator-join-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    for (std::size_t i = 0; i < kValidators; ++i) keys_.push_back(crypto::KeyPair::from_seed(seed_of(static_cast<int>(i) + 1)));
    genesis_.chain_id = "validator-join-test";
    genesis_.genesis_time_unix_ms = 1'000;
    genesis_.base_fee_initial = 2;
    genesis_.base_fee_min = 1;
    genesis_.consensus = GetParam();
    for (std::size_t i = 0; i < kValidators; ++i) {
      genesis_.validators.push_back(
          {"v" + std::to_string(i), keys_[i].public_key(), crypto::MldsaKeyPair::generate().public_key()});
    }
    genesis_.accounts.push_back({crypto::Address::from_public_key(council_.public_key()), 1'000'000});
    genesis_.accounts.push_back({crypto::Address::from_public_key(candidate_.public_key()), 1'000'000});
    for (const auto& key : keys_) genesis_.accounts.push_back({crypto::Address::from_public_key(key.public_key()), 1'000'000});
    modules::GovGenesis gov;
    gov.council.threshold = 1;
    gov.council.members.push_back(crypto::Address::from_public_key(council_.public_key()));
    genesis_.modules[std::string(modules::kGovModule)] = gov.to_json().dump();
    nlohmann::json econ = {{"epoch_blocks", 4}, {"slash_bps", 1'000}};
    for (std::size_t i = 0; i < kValidators; ++i) econ["stakes"]["v" + std::to_string(i)] = 1'000;
    genesis_.modules[std::string(modules::kEconModule)] = econ.dump();
    ASSERT_TRUE(genesis_.validate().ok());

    for (std::size_t i = 0; i < kValidators + 1; ++i) {
      bases_.push_back(ports_.base());
      ASSERT_NE(bases_.back(), 0);
    }
    for (std::size_t i = 0; i < kValidators; ++i) {
      auto node = Node::open(config_for("v" + std::to_string(i), bases_[i], "validator"), genesis_, keys_[i], plugins());
      ASSERT_TRUE(node.ok()) << node.error().to_string();
      nodes_.push_back(std::move(node).value());
    }
    for (auto& node : nodes_) {
      const auto started = node->start();
      ASSERT_TRUE(started.ok()) << started.error().to_string();
    }
    ASSERT_TRUE(testing::network_formed(nodes_, 2, kHangGuard)) << "the network did not form and commit";
  }

  void TearDown() override {
    for (auto& node : nodes_) {
      if (node) node->stop();
    }
    nodes_.clear();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  NodePlugins plugins() { return testing::standard_plugins(); }

  NodeConfig config_for(const std::string& name, std::uint16_t base, const std::string& role) {
    return testing::loopback_config(dir_ / name, role, base, keys_, bases_);
  }

  // Submits to validator 0 and waits until the transaction is committed; answers its receipt.
  ledger::Receipt commit(const crypto::KeyPair& from, ledger::Payload payload) {
    ledger::Transaction tx;
    tx.chain_id = genesis_.chain_id;
    tx.nonce = nonces_[crypto::Address::from_public_key(from.public_key())]++;
    tx.max_fee = 1'000;
    tx.bid = 5;
    tx.payload = std::move(payload);
    tx.sign_single(from, genesis_.digest());
    const auto admitted = nodes_[0]->tx_pool().admit({tx}, TxPool::Source::kClient);
    EXPECT_TRUE(admitted.at(0).ok()) << admitted.at(0).error().to_string();
    ledger::Receipt receipt;
    EXPECT_TRUE(eventually([&] {
      auto found = nodes_[0]->chain().find_tx(tx.hash());
      if (!found.ok() || !found->has_value()) return false;
      receipt = (*found)->receipt;
      return true;
    }, kHangGuard)) << "transaction not committed";
    return receipt;
  }

  ledger::Genesis genesis_;
  crypto::KeyPair council_ = crypto::KeyPair::generate();
  crypto::KeyPair candidate_ = crypto::KeyPair::generate();
  std::vector<crypto::KeyPair> keys_;
  std::map<crypto::Address, std::uint64_t> nonces_;
  testing::PortPicker ports_;
  std::vector<std::uint16_t> bases_;
  std::vector<std::unique_ptr<Node>> nodes_;
  fs::path dir_;
};

TEST_P(ValidatorJoinTest, AJoinerVotesFromItsSetsFirstHeightAndAnEquivocatorIsSlashedAndLeaves) {
  // The candidate runs as a full node first: governance has not admitted it, so no validator links.
  {
    auto node = Node::open(config_for("candidate", bases_[kValidators], "full"), genesis_, candidate_, plugins());
    ASSERT_TRUE(node.ok()) << node.error().to_string();
    nodes_.push_back(std::move(node).value());
  }
  Node& joiner = *nodes_.back();
  ASSERT_TRUE(joiner.start().ok());
  EXPECT_TRUE(joiner.runtime_status().full_node);

  // Admitted by the council, with its keys; it links, then bonds from its own key.
  modules::GovProposal admit;
  admit.action = modules::GovAction::kAdmitValidator;
  admit.candidate = modules::ValidatorCandidate{"v4", candidate_.public_key(), crypto::MldsaKeyPair::generate().public_key()};
  admit.subject = crypto::Address::from_public_key(candidate_.public_key());
  auto receipt = commit(council_, modules::gov_propose_payload(admit));
  ASSERT_EQ(receipt.status, ledger::ReceiptStatus::kSuccess) << receipt.error_message;
  ASSERT_TRUE(eventually([&] { return joiner.runtime_status().peers_connected == kValidators; }, kHangGuard))
      << "the admitted candidate did not link: " << joiner.runtime_status().peers_connected << " links";
  receipt = commit(candidate_, modules::bond_payload(500));
  ASSERT_EQ(receipt.status, ledger::ReceiptStatus::kSuccess) << receipt.error_message;

  // The next payout epoch's end publishes set 1 with it, beginning 8 blocks later.
  std::optional<modules::EpochSet> set;
  ASSERT_TRUE(eventually([&] {
    auto latest = modules::read_latest_epoch_set(nodes_[0]->chain());
    if (!latest.ok() || *latest != 1) return false;
    set = modules::read_epoch_set(nodes_[0]->chain(), 1).value();
    return set.has_value();
  }, kHangGuard)) << "no validator set was published";
  ASSERT_EQ(set->members.size(), kValidators + 1);
  EXPECT_EQ(set->members.back().key, candidate_.public_key());
  const std::uint64_t first = set->first_height;

  // Every node passes the boundary; the joiner votes from there on.
  ASSERT_TRUE(eventually([&] {
    for (const auto& node : nodes_) {
      if (node->chain().head().height < first + 6) return false;
    }
    return true;
  }, kHangGuard)) << "the chain did not go on past the set's first height " << first;
  ASSERT_TRUE(eventually([&] { return !joiner.runtime_status().full_node; }, kHangGuard));
  EXPECT_EQ(joiner.runtime_status().epoch, 1u);
  EXPECT_EQ(joiner.runtime_status().validators, kValidators + 1);
  for (const auto& node : nodes_) EXPECT_EQ(node->runtime_status().epoch, 1u);

  // It votes: with one genesis validator stopped, a quorum (4 of 5) needs the joiner's votes,
  // and the chain goes on.
  nodes_[kValidators - 1]->stop();
  const std::uint64_t stopped_at = nodes_[0]->chain().head().height;
  ASSERT_TRUE(eventually([&] { return nodes_[0]->chain().head().height >= stopped_at + 5; }, kHangGuard))
      << "with a genesis validator down the chain stalled at " << nodes_[0]->chain().head().height
      << ": the joined validator does not vote" << [&] {
           std::string out;
           for (const auto& node : nodes_) {
             const auto st = node->runtime_status();
             out += "\n  height " + std::to_string(node->chain().head().height) + " epoch " + std::to_string(st.epoch) +
                    " round " + std::to_string(st.round) + " timed out " + std::to_string(st.rounds_timed_out) +
                    " refused " + std::to_string(st.messages_refused) + " links " + std::to_string(st.peers_connected) +
                    (st.full_node ? " full" : " voting") + (st.failed ? " FAILED" : "");
           }
           return out;
         }();
  EXPECT_TRUE(eventually([&] { return joiner.chain().head().height >= stopped_at + 3; }, kHangGuard));

  // The stopped validator starts again from its own disk, inside epoch 1: it reads the set in
  // force from its state, catches up, and counts again. It comes back equivocating: every vote it
  // sends goes out twice, for two blocks.
  nodes_[kValidators - 1].reset();
  {
    NodeConfig config = config_for("v" + std::to_string(kValidators - 1), bases_[kValidators - 1], "validator");
    config.fault_equivocate = true;
    auto node = Node::open(config, genesis_, keys_[kValidators - 1], plugins());
    ASSERT_TRUE(node.ok()) << node.error().to_string();
    nodes_[kValidators - 1] = std::move(node).value();
  }
  {
    const auto started = nodes_[kValidators - 1]->start();
    ASSERT_TRUE(started.ok()) << started.error().to_string();
  }
  const std::uint64_t restarted_at = nodes_[0]->chain().head().height;
  ASSERT_TRUE(eventually([&] { return nodes_[kValidators - 1]->chain().head().height >= restarted_at + 3; }, kHangGuard))
      << "the restarted validator did not catch up: " << nodes_[kValidators - 1]->chain().head().height << " of "
      << nodes_[0]->chain().head().height;
  EXPECT_EQ(nodes_[kValidators - 1]->runtime_status().epoch, 1u);
  EXPECT_FALSE(nodes_[kValidators - 1]->runtime_status().full_node);

  // The others see it, one's evidence is committed: a tenth of its stake is burned, once.
  const crypto::Address offender = crypto::Address::from_public_key(keys_[kValidators - 1].public_key());
  std::optional<modules::SlashRecord> slash;
  ASSERT_TRUE(eventually([&] {
    auto record = modules::read_slash(nodes_[0]->chain(), offender);
    if (record.ok() && record->has_value()) slash = **record;
    return slash.has_value();
  }, kHangGuard)) << "the equivocating validator was not slashed";
  EXPECT_EQ(slash->epoch, 1u);
  EXPECT_EQ(slash->amount, 100u);
  EXPECT_TRUE(modules::read_validator_econ(nodes_[0]->chain(), offender).value()->slashed);
  std::uint64_t submitted = 0;
  for (const auto& node : nodes_) submitted += node->evidence().counters().submitted;
  EXPECT_GE(submitted, 1u);
  EXPECT_EQ(nodes_[kValidators - 1]->evidence().counters().seen, 0u);  // never itself

  // At the next payout epoch's end set 2 is published without it; from its first height on the
  // four others decide, it follows as a full node, and the chain never stopped.
  std::optional<modules::EpochSet> without;
  ASSERT_TRUE(eventually([&] {
    auto latest = modules::read_latest_epoch_set(nodes_[0]->chain());
    if (!latest.ok() || *latest != 2) return false;
    without = modules::read_epoch_set(nodes_[0]->chain(), 2).value();
    return without.has_value();
  }, kHangGuard)) << "no set was published after the slash";
  ASSERT_EQ(without->members.size(), kValidators);
  for (const auto& m : without->members) EXPECT_NE(m.key, keys_[kValidators - 1].public_key());
  ASSERT_TRUE(eventually([&] {
    for (const auto& node : nodes_) {
      if (node->chain().head().height < without->first_height + 3) return false;
    }
    return true;
  }, kHangGuard)) << "the chain did not go on past set 2's first height " << without->first_height;
  EXPECT_TRUE(eventually([&] { return nodes_[kValidators - 1]->runtime_status().full_node; }, kHangGuard));
  EXPECT_EQ(nodes_[0]->runtime_status().epoch, 2u);

  // A client holding only the genesis checks a proof at the head: the answer carries both set
  // changes, each certified by the set before it; a proof missing one, or with a changed member
  // page, is refused.
  const ledger::Module& econ_module = *nodes_[0]->chain().modules().find(modules::kEconModule);
  nlohmann::json answer;
  std::string verified;
  ASSERT_TRUE(eventually([&] {
    auto a = services::state_answer(nodes_[0]->chain(), econ_module, core::as_bytes(modules::kEconSupplyKey),
                                    without->first_height + 1);
    if (!a.ok()) return false;
    auto v = services::verify_state_answer(*a, genesis_);
    if (!v.ok()) return false;
    answer = *a;
    verified = *v;
    return true;
  }, kHangGuard)) << "no proof past set 2's first height verified with the genesis alone: " << [&] {
    auto a = services::state_answer(nodes_[0]->chain(), econ_module, core::as_bytes(modules::kEconSupplyKey), without->first_height + 1);
    if (!a.ok()) return a.error().to_string();
    auto v = services::verify_state_answer(*a, genesis_);
    return v.ok() ? *v : v.error().to_string();
  }();
  EXPECT_NE(verified.find("validators of set 2"), std::string::npos) << verified;
  ASSERT_EQ(answer["block"]["epochs"].size(), 2u);
  nlohmann::json skipped = answer;
  skipped["block"]["epochs"].erase(0);
  EXPECT_FALSE(services::verify_state_answer(skipped, genesis_).ok());
  nlohmann::json forged = answer;
  std::string page = forged["block"]["epochs"][1]["entries"][1]["value_hex"];
  page[page.size() - 2] = page[page.size() - 2] == '0' ? '1' : '0';
  forged["block"]["epochs"][1]["entries"][1]["value_hex"] = page;
  auto refused_forged = services::verify_state_answer(forged, genesis_);
  ASSERT_FALSE(refused_forged.ok());
  EXPECT_NE(refused_forged.error().message.find("validator set 2"), std::string::npos) << refused_forged.error().message;

  // The same with the console's verifier (tests/interop, @noble only, none of this code).
  ASSERT_EQ(std::system("command -v node >/dev/null 2>&1"), 0) << "node is required (scripts/setup.sh installs it)";
  {
    const fs::path genesis_file = dir_ / "genesis.json";
    const fs::path answer_file = dir_ / "answer.json";
    const fs::path log = dir_ / "epoch_proof.log";
    std::ofstream(genesis_file) << genesis_.to_json();
    std::ofstream(answer_file) << answer.dump();
    const std::string command = "cd '" + std::string(METANODE_INTEROP_DIR) + "' && node epoch_proof.mjs --genesis '" +
                                genesis_file.string() + "' --answer '" + answer_file.string() + "' --set 2 > '" + log.string() + "' 2>&1";
    const int rc = std::system(command.c_str());
    std::ifstream in(log);
    const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("all checks passed"), std::string::npos) << out;
  }

  // One chain on every node, across the boundaries.
  const std::uint64_t top = without->first_height + 3;
  for (std::uint64_t h = 1; h <= top; ++h) {
    auto expected = nodes_[0]->chain().block(h);
    ASSERT_TRUE(expected.ok() && expected->has_value());
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      auto mine = nodes_[i]->chain().block(h);
      ASSERT_TRUE(mine.ok() && mine->has_value()) << "height " << h;
      EXPECT_EQ((*mine)->block.hash(), (*expected)->block.hash()) << "height " << h;
    }
  }
  // The last block of epoch 0 carries what links it to its certificate (HotStuff: the suffix).
  auto last = nodes_[0]->chain().block(first - 1);
  ASSERT_TRUE(last.ok() && last->has_value());
  auto finality = core::decode<consensus::Finality>((*last)->finality);
  ASSERT_TRUE(finality.ok());
  const auto& target = finality->cert.data.commit;
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->height, first - 1 + finality->suffix.size());

  // An auditor re-checks the whole chain offline (what `metanode verify` runs): every block's
  // finality proof against its epoch's set, every header certificate, the re-executed state.
  for (auto& node : nodes_) node.reset();  // closes its data directory
  auto chain = ledger::Chain::open(dir_ / "v0" / "data", genesis_, modules::standard_modules());
  ASSERT_TRUE(chain.ok()) << chain.error().to_string();
  auto block0 = (*chain)->block(0);
  ASSERT_TRUE(block0.ok() && block0->has_value());
  const core::Hash32 chain_id = consensus::consensus_chain_id(genesis_.digest());
  const std::int64_t time0 = (*block0)->block.header.timestamp_unix_ms;
  const ValidatorSets sets(**chain, genesis_.validator_keys());
  (*chain)->set_validators_at([&sets](std::uint64_t height) { return sets.keys_at(height); });
  consensus::FinalityChecker by_epoch([&sets](std::uint64_t height) { return sets.at_height(height); }, chain_id,
                                      std::make_shared<consensus::CachingVerifier>(), time0);
  auto checked = (*chain)->verify_all([&by_epoch](const ledger::StoredBlock& b) { return by_epoch.check(b); });
  ASSERT_TRUE(checked.ok()) << checked.error().to_string();
  // With genesis's set for every height the same chain does not verify past the change.
  consensus::FinalityChecker genesis_only(consensus::ValidatorSet::create(genesis_.validator_keys()).value(), chain_id,
                                          std::make_shared<consensus::CachingVerifier>(), time0);
  auto refused = (*chain)->verify_all([&genesis_only](const ledger::StoredBlock& b) { return genesis_only.check(b); });
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("finality"), std::string::npos) << refused.error().message;
}

INSTANTIATE_TEST_SUITE_P(Engines, ValidatorJoinTest, ::testing::Values("ibft", "hotstuff"));

}  // namespace
}  // namespace metanode::node
