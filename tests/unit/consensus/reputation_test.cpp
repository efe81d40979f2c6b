// Leader reputation: who is elected from committed history, and that every validator holding the
// same history elects the same leader.
#include "consensus/reputation.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace metanode::consensus {
namespace {

std::vector<VoteSignature> signed_by(std::initializer_list<ValidatorIndex> signers) {
  std::vector<VoteSignature> out;
  for (ValidatorIndex v : signers) out.push_back(VoteSignature{v, crypto::Signature{}});
  return out;
}

constexpr std::size_t kWindow = 10;
constexpr std::uint64_t kLag = 12;
constexpr std::uint64_t kStall = 200;

TEST(LeaderReputation, AYoungChainRotatesOverEveryValidator) {
  LeaderReputation r(4, kWindow, kLag, kStall);
  for (std::uint64_t p = 1; p <= 5; ++p) r.on_committed(p, 0, p, signed_by({0, 1, 2}));
  EXPECT_EQ(r.candidates(100), (std::vector<ValidatorIndex>{0, 1, 2, 3}));
  EXPECT_EQ(r.leader(100, 7), 3u);
}

TEST(LeaderReputation, AValidatorAbsentFromTheWindowIsNotElectedAndComesBackWhenItSignsAgain) {
  LeaderReputation r(4, kWindow, kLag, kStall);
  // Validator 3 crashed: it neither proposes nor signs.
  for (std::uint64_t p = 1; p <= 40; ++p) r.on_committed(p, static_cast<ValidatorIndex>(p % 3), p, signed_by({0, 1, 2}));
  const auto c = r.candidates(41 + kLag);
  EXPECT_EQ(c, (std::vector<ValidatorIndex>{0, 1, 2}));
  for (std::uint64_t slot = 0; slot < 30; ++slot) EXPECT_NE(r.leader(41 + kLag, slot), 3u);
  // It is back and its vote made it into one certificate: a candidate again, once that block is
  // older than the lag.
  r.on_committed(41, 0, 41, signed_by({0, 1, 3}));
  EXPECT_EQ(r.candidates(41 + kLag).size(), 3u) << "inside the lag: not read yet";
  EXPECT_EQ(r.candidates(42 + kLag), (std::vector<ValidatorIndex>{0, 1, 2, 3}));
}

TEST(LeaderReputation, TheSameHistoryElectsTheSameLeaderWhateverItsOrderOfArrival) {
  LeaderReputation a(7, LeaderReputation::window_for(7), kLag, kStall);
  LeaderReputation b(7, LeaderReputation::window_for(7), kLag, kStall);
  for (std::uint64_t p = 1; p <= 100; ++p) {
    const auto signers = signed_by({0, 2, 3, 4, static_cast<ValidatorIndex>(p % 2 ? 5 : 1)});
    a.on_committed(p, static_cast<ValidatorIndex>(p % 5), p, signers);
    b.on_committed(p, static_cast<ValidatorIndex>(p % 5), p, signers);
    b.on_committed(p, 6, p, signed_by({6}));  // a repeat of a position is ignored
  }
  for (std::uint64_t p = 50; p < 150; ++p) {
    for (std::uint64_t slot = p; slot < p + 3; ++slot) EXPECT_EQ(a.leader(p, slot), b.leader(p, slot)) << p;
  }
  const auto c = a.candidates(150);
  EXPECT_EQ(std::count(c.begin(), c.end(), 6u), 0) << "6 never took part";
}

// A committed block that skipped views names their leaders as failed: the one that failed is
// dropped at once (no window without it needed), and a validator that failed once but signs
// again afterwards is back.
TEST(LeaderReputation, ALeaderThatFailedIsDroppedUntilItTakesPartAgain) {
  LeaderReputation r(4, kWindow, kLag, kStall);
  for (std::uint64_t p = 1; p <= 30; ++p) r.on_committed(p, static_cast<ValidatorIndex>(p % 4), p, signed_by({0, 1, 2, 3}));
  EXPECT_EQ(r.candidates(31 + kLag).size(), 4u);
  // Views 31 and 32 timed out (validator 3 led them); block 33 extends the QC of view 30.
  r.on_committed(33, 1, 30, signed_by({0, 1, 2}), {{31, 3}, {32, 3}});
  EXPECT_EQ(r.candidates(34 + kLag), (std::vector<ValidatorIndex>{0, 1, 2}));
  // It signs the QC of view 35: back.
  r.on_committed(36, 2, 35, signed_by({0, 2, 3}));
  EXPECT_EQ(r.candidates(37 + kLag), (std::vector<ValidatorIndex>{0, 1, 2, 3}));
}

// Commits stopped for longer than the stall bound: validators may hold different amounts of
// history, so every one goes back to plain round-robin, which they all compute alike.
TEST(LeaderReputation, WhenCommitsStopEveryValidatorFallsBackToRoundRobin) {
  LeaderReputation ahead(4, kWindow, kLag, kStall);
  LeaderReputation behind(4, kWindow, kLag, kStall);
  for (std::uint64_t p = 1; p <= 40; ++p) {
    ahead.on_committed(p, static_cast<ValidatorIndex>(p % 3), p, signed_by({0, 1, 2}));
    if (p <= 30) behind.on_committed(p, static_cast<ValidatorIndex>(p % 3), p, signed_by({0, 1, 2}));
  }
  const std::uint64_t far = 40 + kStall + 1;
  EXPECT_EQ(ahead.candidates(far), (std::vector<ValidatorIndex>{0, 1, 2, 3}));
  for (std::uint64_t slot = 0; slot < 8; ++slot) EXPECT_EQ(ahead.leader(far, slot), behind.leader(far, slot));
  EXPECT_EQ(ahead.candidates(40 + kLag + 1).size(), 3u) << "within the bound: reputation applies";
}

}  // namespace
}  // namespace metanode::consensus
