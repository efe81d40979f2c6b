#include <gtest/gtest.h>

#include <map>

#include "ledger/executor.hpp"
#include "modules/bank.hpp"
#include "modules/module_set.hpp"
#include "support/map_state.hpp"

namespace metanode::modules {
namespace {

using ledger::Account;
using ledger::ExecutionMode;
using ledger::Transaction;

// The digest of the (notional) genesis these transactions are signed for.
const core::Hash32 kGenesisDigest = core::hash(core::Domain::Test, core::as_bytes("c genesis"));

using testing::MapState;

// The final state of an account the block wrote; nullopt when it did not write it.
std::optional<Account> changed(const ledger::ExecutionResult& r, const crypto::Address& address) {
  auto it = r.changed.find(ledger::account_tree_key(address));
  if (it == r.changed.end() || !it->second.has_value()) return std::nullopt;
  return core::decode<Account>(*it->second).value();
}

struct Chain {
  ledger::Executor executor{modules::standard_modules()};
  MapState state;
  crypto::KeyPair alice = crypto::KeyPair::generate();
  crypto::KeyPair proposer_key = crypto::KeyPair::generate();
  crypto::Address bob = crypto::Address::from_public_key(crypto::KeyPair::generate().public_key());
  ledger::BlockContext params;

  Chain() {
    ledger::Genesis genesis;
    genesis.chain_id = "c";
    EXPECT_TRUE(state.init_genesis(modules::standard_modules(), genesis).ok());
    state.set(addr(alice), Account{1000, 0});
    params.chain = {"c", kGenesisDigest};
    params.base_fee = 2;
    params.proposer = addr(proposer_key);
  }
  static crypto::Address addr(const crypto::KeyPair& k) { return crypto::Address::from_public_key(k.public_key()); }
  Transaction transfer(std::uint64_t nonce, std::uint64_t amount, std::uint64_t bid = 3) const {
    Transaction tx;
    tx.chain_id = "c";
    tx.nonce = nonce;
    tx.max_fee = 10;
    tx.bid = bid;
    tx.payload = modules::transfer_payload(bob, amount);
    tx.sign_single(alice, kGenesisDigest);
    return tx;
  }
};

TEST(Executor, TransferMovesBalanceChargesFeeAndPaysTip) {
  Chain c;
  auto r = c.executor.execute(c.state, {c.transfer(0, 100)}, c.params, ExecutionMode::kVerify);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->receipts.size(), 1u);
  EXPECT_EQ(r->receipts[0].status, ledger::ReceiptStatus::kSuccess);
  EXPECT_EQ(r->receipts[0].fee_paid, 5u);  // base 2 + bid 3
  EXPECT_EQ(changed(*r, Chain::addr(c.alice)), (Account{1000 - 100 - 5, 1}));
  EXPECT_EQ(changed(*r, c.bob), (Account{100, 0}));
  EXPECT_EQ(changed(*r, c.params.proposer), (Account{3, 0}));
  EXPECT_EQ(r->fees.base_fees, 2u);
  EXPECT_EQ(r->fees.tips, 3u);
  ASSERT_EQ(r->receipts[0].events.size(), 1u);
  auto event = core::decode<TransferEvent>(r->receipts[0].events[0].data);
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->amount, 100u);
  EXPECT_EQ(event->to, c.bob);
}

TEST(Executor, FailingPayloadConsumesFeeAndNonceOnly) {
  Chain c;
  auto r = c.executor.execute(c.state, {c.transfer(0, 999)}, c.params, ExecutionMode::kVerify);  // 999 + fee > 1000
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->receipts[0].status, ledger::ReceiptStatus::kFailed);
  EXPECT_EQ(r->receipts[0].error_code, static_cast<std::uint16_t>(core::ErrorCode::kTxInsufficientBalance));
  EXPECT_EQ(changed(*r, Chain::addr(c.alice)), (Account{995, 1}));
  EXPECT_FALSE(changed(*r, c.bob).has_value());
}

// A storage fault is the machine's, not the transaction's: it never becomes a failed receipt (which
// would commit a state other nodes do not compute) but aborts the whole block, in every mode.
TEST(Executor, AStorageFaultAbortsTheBlockInsteadOfFailingTheTransaction) {
  for (const auto code : {core::ErrorCode::kStorageCorrupt, core::ErrorCode::kStorageIo, core::ErrorCode::kStateCorrupt}) {
    for (const auto mode : {ExecutionMode::kVerify, ExecutionMode::kBuild}) {
      Chain c;
      c.state.fail_reads_of(c.bob, code);  // the payload reads the recipient
      auto r = c.executor.execute(c.state, {c.transfer(0, 10)}, c.params, mode);
      ASSERT_FALSE(r.ok()) << core::error_code_name(code);
      EXPECT_EQ(r.error().code, code);
      EXPECT_NE(r.error().message.find("environment fault"), std::string::npos) << r.error().message;

      Chain s;
      s.state.fail_reads_of(Chain::addr(s.alice), code);  // the fee check reads the sender
      auto sender = s.executor.execute(s.state, {s.transfer(0, 10)}, s.params, mode);
      ASSERT_FALSE(sender.ok()) << core::error_code_name(code);
      EXPECT_EQ(sender.error().code, code);
    }
  }
  // A deterministic payload failure is still a receipt.
  Chain c;
  auto r = c.executor.execute(c.state, {c.transfer(0, 999)}, c.params, ExecutionMode::kVerify);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->receipts[0].status, ledger::ReceiptStatus::kFailed);
}

TEST(Executor, AmountOverflowFailsWithoutChanges) {
  Chain c;
  c.state.set(c.bob, Account{std::numeric_limits<std::uint64_t>::max() - 10, 0});
  auto r = c.executor.execute(c.state, {c.transfer(0, 50)}, c.params, ExecutionMode::kVerify);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->receipts[0].error_code, static_cast<std::uint16_t>(core::ErrorCode::kTxAmountOverflow));
  EXPECT_FALSE(changed(*r, c.bob).has_value());
}

TEST(Executor, SequentialNoncesInOneBlock) {
  Chain c;
  auto r = c.executor.execute(c.state, {c.transfer(0, 10), c.transfer(1, 10), c.transfer(2, 10)}, c.params,
                              ExecutionMode::kVerify);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(changed(*r, Chain::addr(c.alice)).value().nonce, 3u);
  EXPECT_EQ(changed(*r, c.bob).value().balance, 30u);
}

TEST(Executor, VerifyModeRejectsBlocksWithInvalidTransactions) {
  Chain c;
  // Replayed nonce, nonce gap, bad signature, wrong chain, unknown (empty) sender, fee too low.
  Transaction replay = c.transfer(0, 1);
  auto r = c.executor.execute(c.state, {c.transfer(0, 1), replay}, c.params, ExecutionMode::kVerify);
  EXPECT_EQ(r.error().code, core::ErrorCode::kBlockInvalid);
  EXPECT_NE(r.error().message.find("tx_nonce_too_low"), std::string::npos);
  EXPECT_FALSE(c.executor.execute(c.state, {c.transfer(1, 1)}, c.params, ExecutionMode::kVerify).ok());
  Transaction bad = c.transfer(0, 1);
  bad.signature.bytes[0] ^= 1;
  EXPECT_FALSE(c.executor.execute(c.state, {bad}, c.params, ExecutionMode::kVerify).ok());
  Transaction stranger;
  stranger.chain_id = "c";
  stranger.max_fee = 10;
  stranger.payload = modules::transfer_payload(c.bob, 1);
  stranger.sign_single(crypto::KeyPair::generate(), kGenesisDigest);
  auto unknown = c.executor.execute(c.state, {stranger}, c.params, ExecutionMode::kVerify);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown account"), std::string::npos);
  ledger::BlockContext expensive = c.params;
  expensive.base_fee = 11;
  EXPECT_NE(c.executor.execute(c.state, {c.transfer(0, 1)}, expensive, ExecutionMode::kVerify).error().message.find(
                "tx_fee_too_low"),
            std::string::npos);
}

TEST(Executor, BuildModeLeavesInvalidOut) {
  Chain c;
  Transaction bad = c.transfer(1, 1);
  bad.signature.bytes[0] ^= 1;
  auto r = c.executor.execute(c.state, {c.transfer(0, 1), bad, c.transfer(5, 1)}, c.params, ExecutionMode::kBuild);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->txs.size(), 1u);
  ASSERT_EQ(r->rejected.size(), 2u);
  EXPECT_EQ(r->rejected[0].second.code, core::ErrorCode::kBadSignature);
  EXPECT_EQ(r->rejected[1].second.code, core::ErrorCode::kTxNonceGap);
}

TEST(Executor, MultisigAccountSpendsWithThresholdSignatures) {
  Chain c;
  std::vector<crypto::KeyPair> members = {crypto::KeyPair::generate(), crypto::KeyPair::generate(),
                                          crypto::KeyPair::generate()};
  Transaction tx;
  tx.chain_id = "c";
  tx.sender_kind = ledger::SenderKind::kMultisig;
  tx.sender_policy.threshold = 2;
  for (const auto& m : members) tx.sender_policy.signers.push_back(m.public_key());
  tx.max_fee = 10;
  tx.payload = modules::transfer_payload(c.bob, 40);
  c.state.set(tx.sender_policy.address(), Account{100, 0});
  tx.add_multisig_signature(members[1], kGenesisDigest);
  EXPECT_FALSE(c.executor.execute(c.state, {tx}, c.params, ExecutionMode::kVerify).ok());
  tx.add_multisig_signature(members[2], kGenesisDigest);
  auto r = c.executor.execute(c.state, {tx}, c.params, ExecutionMode::kVerify);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(changed(*r, tx.sender_policy.address()), (Account{100 - 40 - 2, 1}));
  EXPECT_EQ(changed(*r, c.bob).value().balance, 40u);
}

TEST(Bank, BaseFeeFollowsFullness) {
  ledger::Genesis g;
  g.block_txs_target = 1000;
  g.base_fee_min = 1;
  EXPECT_EQ(base_fee_next(800, 1000, g), 800u);   // at target: unchanged
  EXPECT_EQ(base_fee_next(800, 2000, g), 900u);   // full: +1/8
  EXPECT_EQ(base_fee_next(800, 0, g), 700u);      // empty: -1/8
  EXPECT_EQ(base_fee_next(1, 0, g), 1u);          // never below the minimum
  EXPECT_EQ(base_fee_next(2, 999, g), 1u);        // falls by at least 1 below target
  EXPECT_EQ(base_fee_next(1, 1001, g), 2u);       // rises by at least 1 above target
}

TEST(Bank, ChecksItsPayloadsStatelessly) {
  const Bank bank;
  const crypto::Address alice = crypto::Address::from_public_key(crypto::KeyPair::generate().public_key());
  const crypto::Address bob = crypto::Address::from_public_key(crypto::KeyPair::generate().public_key());
  EXPECT_TRUE(bank.check_payload(transfer_payload(bob, 1), alice).ok());
  EXPECT_EQ(bank.check_payload(transfer_payload(bob, 0), alice).error().code, core::ErrorCode::kTxMalformed);
  EXPECT_EQ(bank.check_payload(transfer_payload(alice, 1), alice).error().code, core::ErrorCode::kTxMalformed);
  ledger::Payload trailing = transfer_payload(bob, 1);
  trailing.data.push_back(0);
  EXPECT_EQ(bank.check_payload(trailing, alice).error().code, core::ErrorCode::kTxMalformed);
  ledger::Payload other = transfer_payload(bob, 1);
  other.kind = "mint";
  EXPECT_EQ(bank.check_payload(other, alice).error().code, core::ErrorCode::kTxUnknownPayload);
}

}  // namespace
}  // namespace metanode::modules
