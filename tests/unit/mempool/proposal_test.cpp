// Proposals, commits and the views the API reads: nonce order, determinism, stale removal,
// next_nonce and the bid ladder; and a seeded run of many operations checking the pool's
// invariants after each one.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "mempool/auction_mempool.hpp"
#include "mempool_test_support.hpp"

namespace metanode::mempool {
namespace {

using testing::hashes_of;
using testing::make_tx;
using testing::MapState;
using testing::Sender;
using testing::TxSpec;

constexpr std::uint64_t kRich = 1'000'000'000;
constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

void admit_all(AuctionMempool& pool, const MapState& state, const std::vector<ledger::Transaction>& txs) {
  for (const auto& tx : txs) {
    const auto result = pool.admit(tx, state, 0, true);
    ASSERT_TRUE(result.ok()) << result.error().to_string();
  }
}

TEST(MempoolPropose, HighestBidsFirstAcrossSenders) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender a, b, c;
  for (const Sender* s : {&a, &b, &c}) state.set(s->address(), kRich, 0);
  const auto a0 = make_tx(a, TxSpec().bid(5));
  const auto b0 = make_tx(b, TxSpec().bid(50));
  const auto c0 = make_tx(c, TxSpec().bid(20));
  admit_all(pool, state, {a0, b0, c0});
  EXPECT_EQ(hashes_of(pool.propose(kUnlimited, kUnlimited, state, 0)),
            (std::vector<core::Hash32>{b0.hash(), c0.hash(), a0.hash()}));
  EXPECT_EQ(hashes_of(pool.propose(2, kUnlimited, state, 0)), (std::vector<core::Hash32>{b0.hash(), c0.hash()}));
  EXPECT_EQ(pool.size(), 3u);  // proposing removes nothing
}

TEST(MempoolPropose, KeepsNonceOrderWhenALaterNonceBidsMore) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender a, b;
  for (const Sender* s : {&a, &b}) state.set(s->address(), kRich, 0);
  const auto a0 = make_tx(a, TxSpec().nonce(0).bid(1));
  const auto a1 = make_tx(a, TxSpec().nonce(1).bid(100));
  const auto b0 = make_tx(b, TxSpec().nonce(0).bid(50));
  admit_all(pool, state, {a1, b0, a0});  // arrival order must not matter
  EXPECT_EQ(hashes_of(pool.propose(kUnlimited, kUnlimited, state, 0)),
            (std::vector<core::Hash32>{b0.hash(), a0.hash(), a1.hash()}));
}

TEST(MempoolPropose, ChainMustStartAtTheAccountNonceAndBeContiguous) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender a, b;
  state.set(a.address(), kRich, 0);
  state.set(b.address(), kRich, 0);
  const auto a1 = make_tx(a, TxSpec().nonce(1).bid(9));
  const auto b0 = make_tx(b, TxSpec().nonce(0).bid(5));
  const auto b2 = make_tx(b, TxSpec().nonce(2).bid(5));
  admit_all(pool, state, {a1, b0, b2});
  // a waits for nonce 0; b's nonce 2 waits for nonce 1.
  EXPECT_EQ(hashes_of(pool.propose(kUnlimited, kUnlimited, state, 0)), std::vector<core::Hash32>{b0.hash()});
  // Once a's nonce 0 is committed elsewhere, a1 is next in line.
  state.set(a.address(), kRich, 1);
  EXPECT_EQ(hashes_of(pool.propose(kUnlimited, kUnlimited, state, 0)),
            (std::vector<core::Hash32>{a1.hash(), b0.hash()}));
}

TEST(MempoolPropose, MaxFeeBelowBaseFeeEndsThatSendersRunOnly) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender a, b;
  for (const Sender* s : {&a, &b}) state.set(s->address(), kRich, 0);
  const auto a0 = make_tx(a, TxSpec().nonce(0).bid(10).max_fee(1'000));
  const auto a1 = make_tx(a, TxSpec().nonce(1).bid(10).max_fee(50));
  const auto a2 = make_tx(a, TxSpec().nonce(2).bid(10).max_fee(1'000));
  const auto b0 = make_tx(b, TxSpec().nonce(0).bid(1).max_fee(1'000));
  admit_all(pool, state, {a0, a1, a2, b0});
  const auto at_low_base = hashes_of(pool.propose(kUnlimited, kUnlimited, state, 50));
  EXPECT_EQ(at_low_base.size(), 4u);
  // Base fee 51: a1 cannot pay it, and a2 would follow a missing nonce.
  EXPECT_EQ(hashes_of(pool.propose(kUnlimited, kUnlimited, state, 51)),
            (std::vector<core::Hash32>{a0.hash(), b0.hash()}));
}

TEST(MempoolPropose, OrdersByTheTipActuallyPaidNotByTheBid) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender a, b, c;
  for (const Sender* s : {&a, &b, &c}) state.set(s->address(), kRich, 0);
  // a bids 100 but its max fee leaves only 5 over a base fee of 100; b bids 20 and can pay it.
  const auto a0 = make_tx(a, TxSpec().bid(100).max_fee(105));
  const auto b0 = make_tx(b, TxSpec().bid(20).max_fee(1'000));
  const auto c0 = make_tx(c, TxSpec().bid(10).max_fee(1'000));
  admit_all(pool, state, {a0, b0, c0});
  EXPECT_EQ(hashes_of(pool.propose(kUnlimited, kUnlimited, state, 100)),
            (std::vector<core::Hash32>{b0.hash(), c0.hash(), a0.hash()}));
  // At a base fee of 0 every bid is paid in full: the bids decide.
  EXPECT_EQ(hashes_of(pool.propose(kUnlimited, kUnlimited, state, 0)),
            (std::vector<core::Hash32>{a0.hash(), b0.hash(), c0.hash()}));
  // At 100 + 6 a0 no longer covers the base fee at all: it waits, proposed again once it falls.
  EXPECT_EQ(hashes_of(pool.propose(kUnlimited, kUnlimited, state, 106)),
            (std::vector<core::Hash32>{b0.hash(), c0.hash()}));
  EXPECT_TRUE(pool.contains(a0.hash()));
}

TEST(MempoolPropose, BytesLimitSkipsWhatDoesNotFitAndTakesSmallerOnes) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender a, b;
  for (const Sender* s : {&a, &b}) state.set(s->address(), kRich, 0);
  const auto a0 = make_tx(a, TxSpec().nonce(0).bid(90));
  const auto a1 = make_tx(a, TxSpec().nonce(1).bid(80).memo(std::string(200, 'x')));
  const auto a2 = make_tx(a, TxSpec().nonce(2).bid(70));
  const auto b0 = make_tx(b, TxSpec().nonce(0).bid(1));
  admit_all(pool, state, {a0, a1, a2, b0});
  const std::size_t small = testing::encoded_size(a0);
  // Room for two small transactions, not for a1: a's run stops there, b0 still fits.
  const auto proposal = pool.propose(kUnlimited, 2 * small + 10, state, 0);
  EXPECT_EQ(hashes_of(proposal), (std::vector<core::Hash32>{a0.hash(), b0.hash()}));
}

TEST(MempoolPropose, EqualBidsTieBreakByHashAndProposalsAreDeterministic) {
  MapState state;
  std::vector<Sender> senders(6);
  std::vector<ledger::Transaction> txs;
  for (const Sender& s : senders) {
    state.set(s.address(), kRich, 0);
    txs.push_back(make_tx(s, TxSpec().nonce(0).bid(7)));
    txs.push_back(make_tx(s, TxSpec().nonce(1).bid(7)));
  }
  AuctionMempool forward(testing::test_config());
  admit_all(forward, state, txs);
  std::vector<ledger::Transaction> reversed_txs(txs.rbegin(), txs.rend());
  AuctionMempool backward(testing::test_config());
  admit_all(backward, state, reversed_txs);

  const auto proposal = forward.propose(kUnlimited, kUnlimited, state, 0);
  EXPECT_EQ(proposal, backward.propose(kUnlimited, kUnlimited, state, 0));
  EXPECT_EQ(proposal, forward.propose(kUnlimited, kUnlimited, state, 0));
  ASSERT_EQ(proposal.size(), txs.size());
  // All bids equal: the first pick is the lowest hash among the nonce-0 heads.
  core::Hash32 lowest_head = txs[0].hash();
  for (const auto& tx : txs) {
    if (tx.nonce == 0) lowest_head = std::min(lowest_head, tx.hash());
  }
  EXPECT_EQ(proposal.front().hash(), lowest_head);
  // Each sender's nonce 0 precedes its nonce 1.
  std::map<crypto::Address, std::uint64_t> next;
  for (const auto& tx : proposal) EXPECT_EQ(tx.nonce, next[tx.sender()]++);
}

TEST(MempoolPropose, SenderWithUnreadableStateIsLeftOut) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender a, b;
  for (const Sender* s : {&a, &b}) state.set(s->address(), kRich, 0);
  const auto a0 = make_tx(a, TxSpec().bid(5));
  const auto b0 = make_tx(b, TxSpec().bid(6));
  admit_all(pool, state, {a0, b0});
  state.unreadable.insert(b.address());
  EXPECT_EQ(hashes_of(pool.propose(kUnlimited, kUnlimited, state, 0)), std::vector<core::Hash32>{a0.hash()});
}

TEST(MempoolCommit, RemovesCommittedAndStaleTransactionsOfTouchedSenders) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender a, b;
  for (const Sender* s : {&a, &b}) state.set(s->address(), kRich, 0);
  const auto a0 = make_tx(a, TxSpec().nonce(0).bid(5));
  const auto a1 = make_tx(a, TxSpec().nonce(1).bid(5));
  const auto a2 = make_tx(a, TxSpec().nonce(2).bid(5));
  const auto b0 = make_tx(b, TxSpec().nonce(0).bid(5));
  admit_all(pool, state, {a0, a1, a2, b0});
  // The block carried a0 and a different nonce-1 transaction of a (from another node's pool).
  const auto a1_elsewhere = make_tx(a, TxSpec().nonce(1).bid(6).memo("other"));
  MapState after = state;
  after.set(a.address(), kRich - 100, 2);
  pool.remove_committed({a0, a1_elsewhere}, after);
  EXPECT_FALSE(pool.contains(a0.hash()));
  EXPECT_FALSE(pool.contains(a1.hash()));  // stale: its nonce is used
  EXPECT_TRUE(pool.contains(a2.hash()));
  EXPECT_TRUE(pool.contains(b0.hash()));
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.bytes(), testing::encoded_size(a2) + testing::encoded_size(b0));
  EXPECT_EQ(pool.bid_ladder(10), (std::vector<BidLevel>{{5, 2}}));
  EXPECT_EQ(hashes_of(pool.propose(kUnlimited, kUnlimited, after, 0)),
            (std::vector<core::Hash32>{std::min(a2.hash(), b0.hash()), std::max(a2.hash(), b0.hash())}));
}

TEST(MempoolCommit, UnreadableStateKeepsPendingButDropsCommitted) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender a;
  state.set(a.address(), kRich, 0);
  const auto a0 = make_tx(a, TxSpec().nonce(0));
  const auto a1 = make_tx(a, TxSpec().nonce(1));
  admit_all(pool, state, {a0, a1});
  MapState after;
  after.unreadable.insert(a.address());
  pool.remove_committed({a0}, after);
  EXPECT_FALSE(pool.contains(a0.hash()));
  EXPECT_TRUE(pool.contains(a1.hash()));
}

TEST(MempoolNextNonce, CountsContiguousPendingTransactions) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender a, idle;
  state.set(a.address(), kRich, 3);
  admit_all(pool, state,
            {make_tx(a, TxSpec().nonce(3)), make_tx(a, TxSpec().nonce(4)), make_tx(a, TxSpec().nonce(5)),
             make_tx(a, TxSpec().nonce(7))});
  EXPECT_EQ(pool.next_nonce(a.address(), state).value(), 6u);  // 7 sits behind the gap at 6
  state.set(idle.address(), kRich, 9);
  EXPECT_EQ(pool.next_nonce(idle.address(), state).value(), 9u);
  state.unreadable.insert(a.address());
  EXPECT_EQ(pool.next_nonce(a.address(), state).error().code, core::ErrorCode::kStorageIo);
}

TEST(MempoolNextNonce, TwentyTransfersInARowAllGoThrough) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender a;
  state.set(a.address(), kRich, 0);
  for (int i = 0; i < 20; ++i) {
    const std::uint64_t nonce = pool.next_nonce(a.address(), state).value();
    const auto result = pool.admit(make_tx(a, TxSpec().nonce(nonce).bid(3)), state, 0);
    ASSERT_TRUE(result.ok()) << "transfer " << i << ": " << result.error().to_string();
  }
  EXPECT_EQ(pool.size(), 20u);
  EXPECT_EQ(pool.propose(kUnlimited, kUnlimited, state, 0).size(), 20u);
}

TEST(MempoolBidLadder, HighestFirstWithCountsAndALevelLimit) {
  AuctionMempool pool(testing::test_config());
  MapState state;
  Sender a, b, c;
  for (const Sender* s : {&a, &b, &c}) state.set(s->address(), kRich, 0);
  admit_all(pool, state,
            {make_tx(a, TxSpec().nonce(0).bid(5)), make_tx(a, TxSpec().nonce(1).bid(9)),
             make_tx(b, TxSpec().nonce(0).bid(5)), make_tx(c, TxSpec().nonce(0).bid(1))});
  EXPECT_EQ(pool.bid_ladder(10), (std::vector<BidLevel>{{9, 1}, {5, 2}, {1, 1}}));
  EXPECT_EQ(pool.bid_ladder(2), (std::vector<BidLevel>{{9, 1}, {5, 2}}));
  EXPECT_TRUE(pool.bid_ladder(0).empty());
}

TEST(MempoolMove, AMovedPoolKeepsItsIndexes) {
  MapState state;
  Sender a, b;
  for (const Sender* s : {&a, &b}) state.set(s->address(), kRich, 0);
  const auto a0 = make_tx(a, TxSpec().nonce(0).bid(4));
  const auto a1 = make_tx(a, TxSpec().nonce(1).bid(8));
  auto config = testing::test_config();
  config.count_max = 2;
  AuctionMempool original(config);
  admit_all(original, state, {a0, a1});
  AuctionMempool moved(std::move(original));
  // Evicts a1 through the moved indexes, then proposes from them.
  const auto result = moved.admit(make_tx(b, TxSpec().bid(9)), state, 0, true);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_EQ(result->evicted, std::vector<core::Hash32>{a1.hash()});
  EXPECT_EQ(moved.propose(kUnlimited, kUnlimited, state, 0).size(), 2u);
  EXPECT_EQ(moved.next_nonce(a.address(), state).value(), 1u);
}

// Many senders submit at their next nonce with seeded random bids into a small pool, so
// eviction, replacement and quotas all happen. After every step the pool's books must agree
// with what it holds, and no sender's pending transactions may have a gap (all arrive in order,
// so only a wrong eviction could open one).
TEST(MempoolInvariants, SeededRunKeepsBooksAndChainsWhole) {
  auto config = testing::test_config();
  config.count_max = 40;
  config.bytes_max = 40 * 200;
  config.per_sender_max = 8;
  AuctionMempool pool(config);
  MapState state;
  std::vector<Sender> senders(12);
  for (const Sender& s : senders) state.set(s.address(), kRich, 0);
  std::mt19937_64 rng(20261124);
  std::vector<ledger::Transaction> seen;
  std::size_t evictions = 0, replacements = 0;

  for (int step = 0; step < 300; ++step) {
    const Sender& s = senders[rng() % senders.size()];
    const std::uint64_t next = pool.next_nonce(s.address(), state).value();
    const bool replace = next > state.accounts[s.address()].nonce && rng() % 5 == 0;
    const std::uint64_t nonce = replace ? next - 1 : next;
    const auto tx = make_tx(s, TxSpec().nonce(nonce).bid(rng() % 1000).memo(std::string(rng() % 40, 'm')));
    const auto result = pool.admit(tx, state, 0, true);
    if (result.ok()) {
      seen.push_back(tx);
      evictions += result->evicted.size();
      replacements += result->replaced.has_value() ? 1 : 0;
    }
    if (step % 50 == 49) {  // commit what a block would take
      const auto block = pool.propose(10, kUnlimited, state, 0);
      for (const auto& committed : block) state.accounts[committed.sender()].nonce += 1;
      pool.remove_committed(block, state);
    }

    std::size_t count = 0, bytes = 0;
    std::map<crypto::Address, std::vector<std::uint64_t>> nonces;
    for (const auto& tx_seen : seen) {
      if (!pool.contains(tx_seen.hash())) continue;
      ++count;
      bytes += testing::encoded_size(tx_seen);
      nonces[tx_seen.sender()].push_back(tx_seen.nonce);
    }
    ASSERT_EQ(pool.size(), count);
    ASSERT_EQ(pool.bytes(), bytes);
    ASSERT_LE(pool.size(), config.count_max);
    ASSERT_LE(pool.bytes(), config.bytes_max);
    std::size_t ladder_count = 0;
    for (const auto& level : pool.bid_ladder(kUnlimited)) ladder_count += level.count;
    ASSERT_EQ(ladder_count, count);
    for (auto& [address, list] : nonces) {
      std::sort(list.begin(), list.end());
      ASSERT_LE(list.size(), config.per_sender_max);
      ASSERT_EQ(list.front(), state.accounts[address].nonce) << "step " << step;
      ASSERT_EQ(list.back() - list.front() + 1, list.size()) << "nonce gap at step " << step;
    }
    // Whole chains from the account nonce: everything is proposable.
    ASSERT_EQ(pool.propose(kUnlimited, kUnlimited, state, 0).size(), count);
  }
  // The run must actually have exercised the paths it guards.
  EXPECT_GT(evictions, 10u);
  EXPECT_GT(replacements, 5u);
}

}  // namespace
}  // namespace metanode::mempool

namespace metanode::mempool {
namespace {

TEST(MempoolRemove, DropsTheTransactionAndItsSendersLaterNonces) {
  AuctionMempool pool(testing::test_config());
  testing::MapState state;
  testing::Sender a, b;
  for (const testing::Sender* s : {&a, &b}) state.set(s->address(), 1'000'000'000, 0);
  const auto a0 = testing::make_tx(a, testing::TxSpec().nonce(0).bid(5));
  const auto a1 = testing::make_tx(a, testing::TxSpec().nonce(1).bid(5));
  const auto a2 = testing::make_tx(a, testing::TxSpec().nonce(2).bid(5));
  const auto b0 = testing::make_tx(b, testing::TxSpec().nonce(0).bid(5));
  for (const auto& tx : {a0, a1, a2, b0}) ASSERT_TRUE(pool.admit(tx, state, 0, true).ok());
  const auto removed = pool.remove(a1.hash());
  EXPECT_EQ(removed, (std::vector<core::Hash32>{a2.hash(), a1.hash()}));
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_TRUE(pool.contains(a0.hash()));
  EXPECT_TRUE(pool.contains(b0.hash()));
  EXPECT_EQ(pool.next_nonce(a.address(), state).value(), 1u);
  EXPECT_TRUE(pool.remove(a1.hash()).empty());
  // The pool's books still balance: a0 and b0 are proposed, and a replacement for nonce 1 fits.
  EXPECT_EQ(pool.propose(10, 1 << 20, state, 0).size(), 2u);
  EXPECT_TRUE(pool.admit(testing::make_tx(a, testing::TxSpec().nonce(1).bid(5)), state, 0, true).ok());
}

}  // namespace
}  // namespace metanode::mempool
