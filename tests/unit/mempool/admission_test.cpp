// Admission rules of the auction mempool: every refusal with its stable code, replace-by-fee,
// quotas, and eviction when the pool is full.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "mempool/auction_mempool.hpp"
#include "mempool_test_support.hpp"
#include "modules/bank.hpp"

namespace metanode::mempool {
namespace {

using testing::make_tx;
using testing::MapState;
using testing::Sender;
using testing::TxSpec;

constexpr std::uint64_t kRich = 1'000'000'000;

core::ErrorCode code_of(const core::Result<AdmitResult>& result) {
  EXPECT_FALSE(result.ok());
  return result.ok() ? core::ErrorCode::kInternal : result.error().code;
}

TEST(MempoolAdmit, AdmitsSignedTransferAndIndexesIt) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender alice;
  state.set(alice.address(), kRich, 0);
  const auto tx = make_tx(alice, TxSpec().nonce(0).bid(7));
  const auto result = pool.admit(tx, state, 10);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_EQ(result->hash, tx.hash());
  EXPECT_TRUE(result->evicted.empty());
  EXPECT_FALSE(result->replaced.has_value());
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.bytes(), testing::encoded_size(tx));
  EXPECT_TRUE(pool.contains(tx.hash()));
  ASSERT_TRUE(pool.get(tx.hash()).has_value());
  EXPECT_EQ(*pool.get(tx.hash()), tx);
  EXPECT_FALSE(pool.get(core::Hash32{}).has_value());
}

TEST(MempoolAdmit, RejectsWrongChainEvenWhenSignatureVerified) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender alice;
  state.set(alice.address(), kRich, 0);
  auto tx = make_tx(alice, TxSpec());
  tx.chain_id = "other-chain";
  tx.sign_single(alice.key, testing::kGenesisDigest);
  EXPECT_EQ(code_of(pool.admit(tx, state, 0)), core::ErrorCode::kTxWrongChain);
  EXPECT_EQ(code_of(pool.admit(tx, state, 0, /*signature_verified=*/true)), core::ErrorCode::kTxWrongChain);
  EXPECT_EQ(pool.size(), 0u);
}

// A transaction signed for a chain of the same name but another genesis: its signature is refused.
TEST(MempoolAdmit, RefusesASignatureForAnotherGenesis) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender alice;
  state.set(alice.address(), kRich, 0);
  auto tx = make_tx(alice, TxSpec());
  tx.sign_single(alice.key, core::hash(core::Domain::Test, core::as_bytes("another genesis")));
  EXPECT_EQ(code_of(pool.admit(tx, state, 0)), core::ErrorCode::kBadSignature);
  EXPECT_EQ(pool.size(), 0u);
  tx.sign_single(alice.key, testing::kGenesisDigest);
  EXPECT_TRUE(pool.admit(tx, state, 0).ok());
}

// The node's pool runs the module set's stateless checks in its own stage first and says so; the
// mempool then does not run them a second time (and trusts that caller, as the flag documents).
TEST(MempoolAdmit, SkipsTheStatelessChecksOnlyWhenTheCallerRanThem) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender alice;
  state.set(alice.address(), kRich, 0);
  auto tx = make_tx(alice, TxSpec());
  tx.payload.kind = "mint";  // no such kind: the stateless checks refuse it
  tx.sign_single(alice.key, testing::kGenesisDigest);
  EXPECT_EQ(code_of(pool.admit(tx, state, 0, /*signature_verified=*/true)), core::ErrorCode::kTxUnknownPayload);
  EXPECT_TRUE(pool.admit(tx, state, 0, /*signature_verified=*/true, /*stateless_checked=*/true).ok());
  EXPECT_EQ(pool.size(), 1u);
}

TEST(MempoolAdmit, RejectsMalformedEvenWhenSignatureVerified) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender alice;
  state.set(alice.address(), kRich, 0);
  const auto greedy = make_tx(alice, TxSpec().bid(20).max_fee(10));  // bid above max_fee
  EXPECT_EQ(code_of(pool.admit(greedy, state, 0, true)), core::ErrorCode::kTxMalformed);
}

TEST(MempoolAdmit, VerifiesSignatureUnlessCallerDidAlready) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender alice;
  state.set(alice.address(), kRich, 0);
  auto tx = make_tx(alice, TxSpec());
  tx.signature.bytes[0] ^= 1;
  const auto refused = pool.admit(tx, state, 0);
  EXPECT_EQ(code_of(refused), core::ErrorCode::kBadSignature);
  EXPECT_EQ(pool.size(), 0u);
  // The flag is the caller's promise that it verified this transaction: the pool trusts it.
  EXPECT_TRUE(pool.admit(tx, state, 0, /*signature_verified=*/true).ok());
}

TEST(MempoolAdmit, RejectsTransactionsOverTheEncodingLimits) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender alice;
  state.set(alice.address(), kRich, 0);
  auto long_memo = make_tx(alice, TxSpec());
  long_memo.memo.assign(ledger::kMemoBytesMax + 1, 'm');  // not signed again: hashing would assert
  EXPECT_EQ(code_of(pool.admit(long_memo, state, 0, true)), core::ErrorCode::kTxTooLarge);
  const auto longest_memo = make_tx(alice, TxSpec().memo(std::string(ledger::kMemoBytesMax, 'm')));
  EXPECT_TRUE(pool.admit(longest_memo, state, 0).ok());

  // A multisig sender with more signatures than any policy may have.
  Sender bob, carol;
  ledger::Transaction multi;
  multi.chain_id = testing::kChainId;
  multi.sender_kind = ledger::SenderKind::kMultisig;
  multi.sender_policy.threshold = 1;
  multi.sender_policy.signers = {bob.key.public_key(), carol.key.public_key()};
  multi.max_fee = 100;
  multi.payload = modules::transfer_payload(testing::recipient(), 1);
  state.set(multi.sender(), kRich, 0);
  for (std::size_t i = 0; i <= crypto::kMultisigSignersMax; ++i) multi.add_multisig_signature(bob.key, testing::kGenesisDigest);
  EXPECT_EQ(code_of(pool.admit(multi, state, 0, true)), core::ErrorCode::kTxTooLarge);
  multi.multisig_signatures.resize(1);
  EXPECT_TRUE(pool.admit(multi, state, 0).ok());
}

TEST(MempoolAdmit, NonceMustNotBeUsedNorTooFarAhead) {
  auto config = testing::test_config();
  config.nonce_ahead_max = 5;
  AuctionMempool pool(config);
  MapState state;
  Sender alice;
  state.set(alice.address(), kRich, 10);
  const auto used = pool.admit(make_tx(alice, TxSpec().nonce(9)), state, 0);
  EXPECT_EQ(code_of(used), core::ErrorCode::kTxNonceTooLow);
  EXPECT_EQ(code_of(pool.admit(make_tx(alice, TxSpec().nonce(16)), state, 0)), core::ErrorCode::kTxNonceGap);
  EXPECT_TRUE(pool.admit(make_tx(alice, TxSpec().nonce(15)), state, 0).ok());  // exactly 5 ahead
  EXPECT_TRUE(pool.admit(make_tx(alice, TxSpec().nonce(10)), state, 0).ok());
}

TEST(MempoolAdmit, UnknownAccountIsRefusedAsInsufficientBalance) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender stranger;
  // max_fee 0 at base fee 0 would be free: the empty account is refused all the same.
  const auto result = pool.admit(make_tx(stranger, TxSpec().bid(0).max_fee(0)), state, 0);
  EXPECT_EQ(code_of(result), core::ErrorCode::kTxInsufficientBalance);
  EXPECT_NE(result.error().message.find("unknown or empty"), std::string::npos) << result.error().message;
}

TEST(MempoolAdmit, BalanceMustCoverMaxFeesOfAllPendingTransactions) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender alice;
  state.set(alice.address(), 300, 0);
  ASSERT_TRUE(pool.admit(make_tx(alice, TxSpec().nonce(0).bid(10).max_fee(200)), state, 0).ok());
  const auto over = pool.admit(make_tx(alice, TxSpec().nonce(1).max_fee(101)), state, 0);
  EXPECT_EQ(code_of(over), core::ErrorCode::kTxInsufficientBalance);
  ASSERT_TRUE(pool.admit(make_tx(alice, TxSpec().nonce(1).max_fee(100)), state, 0).ok());  // exactly 300
  // A replacement frees the max_fee of the transaction it replaces, no more.
  EXPECT_EQ(code_of(pool.admit(make_tx(alice, TxSpec().nonce(0).bid(20).max_fee(201)), state, 0)),
            core::ErrorCode::kTxInsufficientBalance);
  EXPECT_TRUE(pool.admit(make_tx(alice, TxSpec().nonce(0).bid(20).max_fee(200)), state, 0).ok());
}

TEST(MempoolAdmit, StateReadErrorIsReturnedAndChangesNothing) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender alice;
  state.set(alice.address(), kRich, 0);
  state.unreadable.insert(alice.address());
  EXPECT_EQ(code_of(pool.admit(make_tx(alice, TxSpec()), state, 0)), core::ErrorCode::kStorageIo);
  EXPECT_EQ(pool.size(), 0u);
}

TEST(MempoolAdmit, BidBelowMinimumIsRefused) {
  auto config = testing::test_config();
  config.bid_min = 5;
  AuctionMempool pool(config);
  MapState state;
  Sender alice;
  state.set(alice.address(), kRich, 0);
  EXPECT_EQ(code_of(pool.admit(make_tx(alice, TxSpec().bid(4)), state, 0)), core::ErrorCode::kMempoolBidTooLow);
  EXPECT_TRUE(pool.admit(make_tx(alice, TxSpec().bid(5)), state, 0).ok());
}

TEST(MempoolAdmit, MaxFeeMustCoverBaseFee) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender alice;
  state.set(alice.address(), kRich, 0);
  EXPECT_EQ(code_of(pool.admit(make_tx(alice, TxSpec().bid(0).max_fee(99)), state, 100)),
            core::ErrorCode::kTxFeeTooLow);
  EXPECT_TRUE(pool.admit(make_tx(alice, TxSpec().bid(0).max_fee(100)), state, 100).ok());
}

TEST(MempoolAdmit, DuplicateHashIsRefused) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender alice;
  state.set(alice.address(), kRich, 0);
  const auto tx = make_tx(alice, TxSpec());
  ASSERT_TRUE(pool.admit(tx, state, 0).ok());
  EXPECT_EQ(code_of(pool.admit(tx, state, 0)), core::ErrorCode::kMempoolDuplicate);
  EXPECT_EQ(pool.size(), 1u);
}

TEST(MempoolReplaceByFee, BumpBoundaryIsInclusiveAndReportsTheReplaced) {
  AuctionMempool pool(testing::test_config());  // bump 10%
  MapState state;
  Sender alice;
  state.set(alice.address(), kRich, 0);
  const auto original = make_tx(alice, TxSpec().nonce(0).bid(100));
  ASSERT_TRUE(pool.admit(original, state, 0).ok());
  const auto short_bump = pool.admit(make_tx(alice, TxSpec().nonce(0).bid(109)), state, 0);
  EXPECT_EQ(code_of(short_bump), core::ErrorCode::kMempoolReplacementUnderpriced);
  EXPECT_TRUE(pool.contains(original.hash()));

  const auto better = make_tx(alice, TxSpec().nonce(0).bid(110));
  const auto replaced = pool.admit(better, state, 0);
  ASSERT_TRUE(replaced.ok()) << replaced.error().to_string();
  ASSERT_TRUE(replaced->replaced.has_value());
  EXPECT_EQ(*replaced->replaced, original.hash());
  EXPECT_FALSE(pool.contains(original.hash()));
  EXPECT_TRUE(pool.contains(better.hash()));
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.bytes(), testing::encoded_size(better));
  EXPECT_EQ(pool.bid_ladder(10), (std::vector<BidLevel>{{110, 1}}));
}

TEST(MempoolReplaceByFee, ZeroBidNeedsStrictlyMore) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender alice;
  state.set(alice.address(), kRich, 0);
  ASSERT_TRUE(pool.admit(make_tx(alice, TxSpec().nonce(0).bid(0)), state, 0).ok());
  // Same bid, different transaction (memo): 0 * 110 >= 0 * 100 holds, strictness refuses it.
  EXPECT_EQ(code_of(pool.admit(make_tx(alice, TxSpec().nonce(0).bid(0).memo("x")), state, 0)),
            core::ErrorCode::kMempoolReplacementUnderpriced);
  EXPECT_TRUE(pool.admit(make_tx(alice, TxSpec().nonce(0).bid(1)), state, 0).ok());
}

TEST(MempoolReplaceByFee, RuleHoldsAtTheTopOfTheRange) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  EXPECT_TRUE(replacement_bid_sufficient(100, 110, 10));
  EXPECT_FALSE(replacement_bid_sufficient(100, 109, 10));
  EXPECT_FALSE(replacement_bid_sufficient(5, 5, 0));
  EXPECT_TRUE(replacement_bid_sufficient(5, 6, 0));
  // old * 110 and new * 100 both exceed 2^64 here: a wrapping product would get these wrong.
  const std::uint64_t old_bid = kMax / 110 * 100;
  EXPECT_TRUE(replacement_bid_sufficient(old_bid, kMax, 10));
  EXPECT_FALSE(replacement_bid_sufficient(kMax / 2, kMax, 150));
  EXPECT_FALSE(replacement_bid_sufficient(kMax, kMax, 10));
}

TEST(MempoolAdmit, PerSenderQuotaRefusesNewNoncesButNotReplacements) {
  auto config = testing::test_config();
  config.per_sender_max = 3;
  AuctionMempool pool(config);
  MapState state;
  Sender alice, bob;
  state.set(alice.address(), kRich, 0);
  state.set(bob.address(), kRich, 0);
  for (std::uint64_t nonce = 0; nonce < 3; ++nonce) {
    ASSERT_TRUE(pool.admit(make_tx(alice, TxSpec().nonce(nonce).bid(10)), state, 0, true).ok());
  }
  EXPECT_EQ(code_of(pool.admit(make_tx(alice, TxSpec().nonce(3).bid(10)), state, 0, true)),
            core::ErrorCode::kMempoolSenderQuota);
  EXPECT_TRUE(pool.admit(make_tx(alice, TxSpec().nonce(2).bid(20)), state, 0, true).ok());
  EXPECT_TRUE(pool.admit(make_tx(bob, TxSpec().nonce(0).bid(10)), state, 0, true).ok());
  EXPECT_EQ(pool.size(), 4u);
}

TEST(MempoolEviction, FullPoolEvictsTheLowestBidAndSaysWhich) {
  auto config = testing::test_config();
  config.count_max = 3;
  AuctionMempool pool(config);
  MapState state;
  Sender a, b, c, d;
  for (const Sender* s : {&a, &b, &c, &d}) state.set(s->address(), kRich, 0);
  const auto a0 = make_tx(a, TxSpec().bid(30));
  const auto b0 = make_tx(b, TxSpec().bid(10));
  const auto c0 = make_tx(c, TxSpec().bid(20));
  for (const auto& tx : {a0, b0, c0}) ASSERT_TRUE(pool.admit(tx, state, 0, true).ok());

  // Not above the lowest bid: refused, and nothing changes.
  const auto equal = pool.admit(make_tx(d, TxSpec().bid(10)), state, 0, true);
  EXPECT_EQ(code_of(equal), core::ErrorCode::kMempoolFull);
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_TRUE(pool.contains(b0.hash()));

  const auto d0 = make_tx(d, TxSpec().bid(11));
  const auto admitted = pool.admit(d0, state, 0, true);
  ASSERT_TRUE(admitted.ok()) << admitted.error().to_string();
  EXPECT_EQ(admitted->evicted, std::vector<core::Hash32>{b0.hash()});
  EXPECT_FALSE(pool.contains(b0.hash()));
  EXPECT_TRUE(pool.contains(d0.hash()));
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(pool.bid_ladder(10), (std::vector<BidLevel>{{30, 1}, {20, 1}, {11, 1}}));
}

TEST(MempoolEviction, EvictsOnlyChainTailsSoNoNonceGapOpens) {
  auto config = testing::test_config();
  config.count_max = 3;
  AuctionMempool pool(config);
  MapState state;
  Sender a, b, c;
  for (const Sender* s : {&a, &b, &c}) state.set(s->address(), kRich, 0);
  // a's nonce 0 holds the lowest bid, but nonce 1 depends on it: it is not a candidate.
  const auto a0 = make_tx(a, TxSpec().nonce(0).bid(1));
  const auto a1 = make_tx(a, TxSpec().nonce(1).bid(50));
  const auto b0 = make_tx(b, TxSpec().nonce(0).bid(10));
  for (const auto& tx : {a0, a1, b0}) ASSERT_TRUE(pool.admit(tx, state, 0, true).ok());
  const auto admitted = pool.admit(make_tx(c, TxSpec().bid(20)), state, 0, true);
  ASSERT_TRUE(admitted.ok()) << admitted.error().to_string();
  EXPECT_EQ(admitted->evicted, std::vector<core::Hash32>{b0.hash()});
  EXPECT_TRUE(pool.contains(a0.hash()));
  EXPECT_TRUE(pool.contains(a1.hash()));
}

TEST(MempoolEviction, ASenderNeverEvictsItsOwnChain) {
  auto config = testing::test_config();
  config.count_max = 2;
  AuctionMempool pool(config);
  MapState state;
  Sender a, b;
  for (const Sender* s : {&a, &b}) state.set(s->address(), kRich, 0);
  const auto a0 = make_tx(a, TxSpec().nonce(0).bid(1));
  const auto a1 = make_tx(a, TxSpec().nonce(1).bid(2));
  for (const auto& tx : {a0, a1}) ASSERT_TRUE(pool.admit(tx, state, 0, true).ok());
  // Evicting a1 to make room for a2 would leave a2 behind a gap.
  EXPECT_EQ(code_of(pool.admit(make_tx(a, TxSpec().nonce(2).bid(100)), state, 0, true)),
            core::ErrorCode::kMempoolFull);
  const auto admitted = pool.admit(make_tx(b, TxSpec().bid(100)), state, 0, true);
  ASSERT_TRUE(admitted.ok());
  EXPECT_EQ(admitted->evicted, std::vector<core::Hash32>{a1.hash()});
}

TEST(MempoolEviction, BytesLimitEvictsSeveralFollowingEachChainDown) {
  auto config = testing::test_config();
  config.bytes_max = ledger::kTxBytesMax;  // the smallest pool allowed
  AuctionMempool pool(config);
  MapState state;
  Sender a, b, big, filler;
  for (const Sender* s : {&a, &b, &big, &filler}) state.set(s->address(), kRich, 0);
  const auto a0 = make_tx(a, TxSpec().nonce(0).bid(5));
  const auto a1 = make_tx(a, TxSpec().nonce(1).bid(3));
  const auto b0 = make_tx(b, TxSpec().nonce(0).bid(6));
  for (const auto& tx : {a0, a1, b0}) ASSERT_TRUE(pool.admit(tx, state, 0, true).ok());
  const std::size_t small_bytes = testing::encoded_size(a0);
  std::uint64_t nonce = 0;
  while (pool.bytes() + small_bytes <= config.bytes_max) {
    ASSERT_TRUE(pool.admit(make_tx(filler, TxSpec().nonce(nonce++).bid(100)), state, 0, true).ok());
  }
  const auto large = make_tx(big, TxSpec().bid(50).memo(std::string(ledger::kMemoBytesMax, 'L')));
  const std::size_t free_bytes = config.bytes_max - pool.bytes();
  const std::size_t short_bytes = testing::encoded_size(large) - free_bytes;
  // The figures this test is built on: two small evictions make room, one does not.
  ASSERT_GT(short_bytes, small_bytes);
  ASSERT_LE(short_bytes, 2 * small_bytes);

  const auto admitted = pool.admit(large, state, 0, true);
  ASSERT_TRUE(admitted.ok()) << admitted.error().to_string();
  // a1 (3) goes first; then a0 (5) is a's tail and bids below b0 (6).
  EXPECT_EQ(admitted->evicted, (std::vector<core::Hash32>{a1.hash(), a0.hash()}));
  EXPECT_TRUE(pool.contains(b0.hash()));
  EXPECT_LE(pool.bytes(), config.bytes_max);
}

TEST(MempoolEviction, EqualLowestBidsEvictTheOneProposalsRankLast) {
  auto config = testing::test_config();
  config.count_max = 2;
  AuctionMempool pool(config);
  MapState state;
  Sender a, b, c;
  for (const Sender* s : {&a, &b, &c}) state.set(s->address(), kRich, 0);
  const auto a0 = make_tx(a, TxSpec().bid(10));
  const auto b0 = make_tx(b, TxSpec().bid(10));
  for (const auto& tx : {a0, b0}) ASSERT_TRUE(pool.admit(tx, state, 0, true).ok());
  const auto admitted = pool.admit(make_tx(c, TxSpec().bid(11)), state, 0, true);
  ASSERT_TRUE(admitted.ok());
  // Proposals take equal bids by hash ascending, so the higher hash is worth least.
  EXPECT_EQ(admitted->evicted, std::vector<core::Hash32>{std::max(a0.hash(), b0.hash())});
}

}  // namespace
}  // namespace metanode::mempool
