// Keyed module state: the tree key of an entry, the overlays the executor layers per block and
// per transaction, and a module's bounded window on state.
#include <gtest/gtest.h>

#include <string>

#include "core/codec.hpp"
#include "ledger/account.hpp"
#include "ledger/state.hpp"
#include "ledger/transaction.hpp"

namespace metanode::ledger {
namespace {

class MapState final : public StateReader {
 public:
  core::Result<std::optional<core::Bytes>> get(const core::Hash32& tree_key) const override {
    ++reads;
    if (auto it = entries.find(tree_key); it != entries.end()) return std::optional<core::Bytes>{it->second};
    return std::optional<core::Bytes>{};
  }
  std::unordered_map<core::Hash32, core::Bytes, merkle::NodeIdHasher> entries;
  mutable int reads = 0;
};

core::Bytes bytes_of(std::string_view text) { return core::to_bytes(core::as_bytes(text)); }

TEST(StateTreeKey, IsTheHashOfTheCodecFormOfModuleAndKey) {
  // A client that finds an entry's tree key from the documented form (string module, bytes key,
  // each with its u32 length) must land where the node does, at every size up to the limits.
  for (const std::string& module : {std::string("bank"), std::string("kv"), std::string(kModuleNameBytesMax, 'm')}) {
    for (const std::size_t key_size : {std::size_t{0}, std::size_t{1}, std::size_t{32}, kStateKeyBytesMax}) {
      const core::Bytes key(key_size, 0xab);
      core::Writer w;
      w.string(module, kModuleNameBytesMax);
      w.bytes(key, kStateKeyBytesMax);
      EXPECT_EQ(state_tree_key(module, key), core::hash(core::Domain::StateKey, w.data())) << module << " " << key_size;
    }
  }
}

TEST(StateTreeKey, NoTwoModuleKeyPairsShareATreeKey) {
  // The length prefixes keep ("ab", "c") and ("a", "bc") apart.
  EXPECT_NE(state_tree_key("ab", core::as_bytes(std::string_view("c"))),
            state_tree_key("a", core::as_bytes(std::string_view("bc"))));
  EXPECT_NE(state_tree_key("bank", core::Bytes(32, 1)), state_tree_key("kv", core::Bytes(32, 1)));
}

TEST(StateOverlay, ReadsItsOwnWritesThenTheBase) {
  MapState base;
  const auto k1 = state_tree_key("kv", bytes_of("one"));
  const auto k2 = state_tree_key("kv", bytes_of("two"));
  base.entries[k1] = bytes_of("base");
  StateOverlay overlay(base);
  EXPECT_EQ(*overlay.get(k1).value(), bytes_of("base"));
  overlay.put(k1, bytes_of("new"));
  overlay.put(k2, std::nullopt);
  EXPECT_EQ(*overlay.get(k1).value(), bytes_of("new"));
  EXPECT_FALSE(overlay.get(k2).value().has_value());
  EXPECT_EQ(base.entries[k1], bytes_of("base"));  // the base is never written
}

TEST(StateOverlay, AChildsWritesReachTheParentOnlyWhenMerged) {
  MapState base;
  const auto k = state_tree_key("kv", bytes_of("k"));
  StateOverlay block(base);
  block.put(k, bytes_of("block"));
  const StateReader& block_reader = block;  // layer over it (StateOverlay is not copyable)
  {
    StateOverlay tx(block_reader);
    tx.put(k, bytes_of("dropped"));
    EXPECT_EQ(*tx.get(k).value(), bytes_of("dropped"));
  }  // a failed transaction: its child overlay is dropped
  EXPECT_EQ(*block.get(k).value(), bytes_of("block"));

  StateOverlay tx(block_reader);
  const auto deleted = state_tree_key("kv", bytes_of("gone"));
  tx.put(k, bytes_of("kept"));
  tx.put(deleted, std::nullopt);
  tx.merge_into(block);
  EXPECT_TRUE(tx.changes().empty());
  EXPECT_EQ(*block.get(k).value(), bytes_of("kept"));
  ASSERT_EQ(block.changes().count(deleted), 1u);
  EXPECT_FALSE(block.changes().at(deleted).has_value());  // a deletion merges as a deletion
  EXPECT_EQ(block.take_changes().size(), 2u);
}

TEST(ModuleState, StaysInItsNamespaceAndWithinTheLimits) {
  MapState base;
  StateOverlay overlay(base);
  ModuleState kv("kv", overlay);
  ModuleState other("other", overlay);
  ASSERT_TRUE(kv.put(bytes_of("k"), bytes_of("v")).ok());
  EXPECT_EQ(*kv.get(bytes_of("k")).value(), bytes_of("v"));
  EXPECT_FALSE(other.get(bytes_of("k")).value().has_value());

  const core::Bytes long_key(kStateKeyBytesMax + 1, 1);
  EXPECT_EQ(kv.put(long_key, bytes_of("v")).error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(kv.get(long_key).error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(kv.put(bytes_of("k"), core::Bytes(kStateValueBytesMax + 1, 0)).error().code,
            core::ErrorCode::kInvalidArgument);
  EXPECT_TRUE(kv.put(bytes_of("k"), core::Bytes(kStateValueBytesMax, 0)).ok());
  ASSERT_TRUE(kv.erase(bytes_of("k")).ok());
  EXPECT_FALSE(kv.get(bytes_of("k")).value().has_value());
}

TEST(ModuleState, ARecordThatDoesNotDecodeIsStateCorrupt) {
  MapState base;
  StateOverlay overlay(base);
  ModuleState bank(kAccountsModule, overlay);
  ASSERT_TRUE(bank.put(bytes_of("a"), core::Bytes{1, 2, 3}).ok());
  EXPECT_EQ(bank.get_as<Account>(bytes_of("a")).error().code, core::ErrorCode::kStateCorrupt);
  EXPECT_FALSE(bank.get_as<Account>(bytes_of("b")).value().has_value());
}

TEST(Accounts, AnAbsentAccountReadsAsZeroAndABadRecordAsCorrupt) {
  MapState base;
  const crypto::Address alice = crypto::Address::from_public_key(crypto::KeyPair::generate().public_key());
  EXPECT_EQ(read_account(base, alice).value(), Account{});
  base.entries[account_tree_key(alice)] = core::encode(Account{7, 2});
  EXPECT_EQ(read_account(base, alice).value(), (Account{7, 2}));
  base.entries[account_tree_key(alice)] = core::Bytes{9};
  EXPECT_EQ(read_account(base, alice).error().code, core::ErrorCode::kStateCorrupt);
}

}  // namespace
}  // namespace metanode::ledger
