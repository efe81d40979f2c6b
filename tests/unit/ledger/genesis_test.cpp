#include "ledger/genesis.hpp"

#include "ledger/audit_proofs.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

namespace metanode::ledger {
namespace {

Genesis sample() {
  Genesis g;
  g.chain_id = "metanode-test";
  g.genesis_time_unix_ms = 1'700'000'000'000;
  const auto v = crypto::KeyPair::generate();
  g.validators.push_back({"validator-0", v.public_key(), crypto::MldsaKeyPair::generate().public_key()});
  g.accounts.push_back({crypto::Address::from_public_key(crypto::KeyPair::generate().public_key()), 1'000'000});
  return g;
}

TEST(Genesis, JsonRoundTrip) {
  const Genesis g = sample();
  auto back = Genesis::from_json(g.to_json());
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->chain_id, g.chain_id);
  EXPECT_EQ(back->validators, g.validators);
  EXPECT_EQ(back->accounts, g.accounts);
  EXPECT_EQ(back->validator_set_hash(), g.validator_set_hash());
}

TEST(Genesis, TheDigestCommitsToEveryFieldAndNotToFormatting) {
  const Genesis g = sample();
  const core::Hash32 digest = g.digest();
  // The same content, reformatted, is the same chain.
  const auto reformatted = Genesis::from_json(nlohmann::json::parse(g.to_json()).dump());
  ASSERT_TRUE(reformatted.ok());
  EXPECT_EQ(reformatted->digest(), digest);
  const std::vector<std::function<void(Genesis&)>> changes = {
      [](Genesis& x) { x.chain_id += "x"; },
      [](Genesis& x) { x.genesis_time_unix_ms += 1; },
      [](Genesis& x) { x.base_fee_initial += 1; },
      [](Genesis& x) { x.base_fee_min += 1; },
      [](Genesis& x) { x.block_txs_target += 1; },
      [](Genesis& x) { x.consensus = "hotstuff"; },
      [](Genesis& x) { x.validators[0].name += "x"; },
      [](Genesis& x) { x.accounts[0].balance += 1; },
      [](Genesis& x) { x.modules["kv"] = "{}"; },
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    Genesis changed = g;
    changes[i](changed);
    EXPECT_NE(changed.digest(), digest) << "change " << i << " left the digest as it was";
  }
}

TEST(Genesis, RejectsInvalid) {
  EXPECT_EQ(Genesis::from_json("[1,2]").error().code, core::ErrorCode::kGenesisInvalid);
  EXPECT_EQ(Genesis::from_json("{").error().code, core::ErrorCode::kGenesisInvalid);
  EXPECT_EQ(Genesis::from_json(R"({"chain_id":"x"})").error().code, core::ErrorCode::kGenesisInvalid);
  Genesis g = sample();
  g.chain_id = "Bad Chain";
  EXPECT_FALSE(g.validate().ok());
  g = sample();
  g.validators.clear();
  EXPECT_FALSE(g.validate().ok());
  g = sample();
  g.accounts.push_back(g.accounts[0]);
  EXPECT_FALSE(g.validate().ok());
  g = sample();
  g.accounts.push_back({crypto::Address::from_public_key(crypto::KeyPair::generate().public_key()),
                        std::numeric_limits<std::uint64_t>::max()});
  EXPECT_NE(g.validate().error().message.find("overflow"), std::string::npos);
  // A mistyped address in the file is caught by its checksum.
  g = sample();
  std::string text = g.to_json();
  const auto pos = text.find("\"mn1") + 10;
  text[pos] = text[pos] == 'q' ? 'p' : 'q';
  EXPECT_EQ(Genesis::from_json(text).error().code, core::ErrorCode::kGenesisInvalid);
}

TEST(Genesis, ModuleSectionsRoundTripAndAreChecked) {
  Genesis g = sample();
  g.modules["kv"] = R"({"entries":{"6869":"7468657265"}})";
  auto back = Genesis::from_json(g.to_json());
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->modules, g.modules);
  nlohmann::json section;
  ASSERT_TRUE(back->module_section("kv", section));
  EXPECT_EQ(section["entries"]["6869"], "7468657265");
  EXPECT_FALSE(back->module_section("oracle", section));
  g.modules.clear();
  g.modules["Not A Name"] = "{}";
  EXPECT_EQ(g.validate().error().code, core::ErrorCode::kGenesisInvalid);
  std::string text = sample().to_json();
  text.insert(text.rfind('}'), R"(, "modules": {"kv": 5})");
  EXPECT_EQ(Genesis::from_json(text).error().code, core::ErrorCode::kGenesisInvalid);
}

}  // namespace
}  // namespace metanode::ledger

namespace metanode::ledger {
namespace {

TEST(RegisteredAuditLogs, ReadsTheAuditSectionAndNamesWhatIsWrongInABadOne) {
  Genesis g = sample();
  auto none = registered_audit_logs(g);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  const crypto::KeyPair k = crypto::KeyPair::generate();
  const crypto::MldsaPublicKey pq = crypto::MldsaKeyPair::generate().public_key();
  const AuditLogKey bpci{"bpci", k.public_key(), pq};
  g.modules["audit"] = audit_logs_section({bpci}).dump();
  auto logs = registered_audit_logs(g);
  ASSERT_TRUE(logs.ok()) << logs.error().to_string();
  ASSERT_EQ(logs->size(), 1u);
  EXPECT_EQ(logs->front(), bpci);
  // The section round-trips through the genesis file.
  auto back = Genesis::from_json(g.to_json());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(registered_audit_logs(*back)->front(), bpci);

  const auto refused = [&](const nlohmann::json& section, const std::string& says) {
    Genesis bad = g;
    bad.modules["audit"] = section.dump();
    auto r = registered_audit_logs(bad);
    ASSERT_FALSE(r.ok()) << section.dump();
    EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find(says), std::string::npos) << r.error().message;
  };
  nlohmann::json entry = audit_logs_section({bpci})["logs"][0];
  refused({{"logs", {entry, entry}}}, "used twice");
  nlohmann::json renamed = entry;
  renamed["name"] = "validator-0";
  refused({{"logs", {renamed}}}, "used twice");
  nlohmann::json validator_key = entry;
  validator_key["ed25519_public_key"] = g.validators[0].ed25519_public_key.to_hex();
  refused({{"logs", {validator_key}}}, "validator");
  nlohmann::json bad_name = entry;
  bad_name["name"] = "BPCI!";
  refused({{"logs", {bad_name}}}, "[a-z0-9-]");
  nlohmann::json bad_key = entry;
  bad_key["mldsa65_public_key"] = "abcd";
  refused({{"logs", {bad_key}}}, "mldsa65_public_key");
  nlohmann::json no_key = entry;
  no_key.erase("ed25519_public_key");
  refused({{"logs", {no_key}}}, "ed25519_public_key");
  refused({{"logs", "bpci"}}, "array");
  refused({{"log", nlohmann::json::array()}}, "unknown field");
  refused(nlohmann::json::array(), "object");
}

}  // namespace
}  // namespace metanode::ledger
