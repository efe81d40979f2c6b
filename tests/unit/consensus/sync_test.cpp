// Block sync (consensus/sync.hpp), the piece the node runtime and the simulator share: a reply is
// built from committed blocks, survives its codec, and brings a fresh engine to the same chain;
// a forged certificate stops it; only the peer asked may answer.
#include "consensus/sync.hpp"

#include <gtest/gtest.h>

#include "consensus/hotstuff/hotstuff_engine.hpp"
#include "consensus/ibft/ibft_engine.hpp"
#include "consensus_test_support.hpp"

namespace metanode::consensus {
namespace {

constexpr std::size_t kN = 4;
constexpr std::uint64_t kHeights = 12;

std::unique_ptr<Engine> make_engine(bool hotstuff, EngineConfig c) {
  if (hotstuff) return std::make_unique<hotstuff::HotStuffEngine>(std::move(c));
  return std::make_unique<ibft::IbftEngine>(std::move(c));
}

// What a validator that committed `commits` stores: each block with the certificate that came
// with its commit.
CommittedAt committed_from(const std::vector<CommitBlock>& commits) {
  return [&commits](std::uint64_t h) -> std::optional<CommittedBlock> {
    if (h == 0 || h > commits.size()) return std::nullopt;
    return CommittedBlock{commits[h - 1].block, commits[h - 1].certificate, commits[h - 1].suffix};
  };
}

TEST(BlockSync, AReplySurvivesItsCodecAndBringsAFreshEngineToTheSameChain) {
  for (const bool hotstuff : {false, true}) {
    SCOPED_TRACE(hotstuff ? "hotstuff" : "ibft");
    const auto run = testing::run_clean(kN, kHeights, [&](EngineConfig c) { return make_engine(hotstuff, std::move(c)); });
    const auto& commits = run.commits[0];
    ASSERT_GE(commits.size(), kHeights);

    const auto runs = answer_sync(1, commits.size(), committed_from(commits), SyncLimits{});
    ASSERT_FALSE(runs.empty());
    auto decoded = decode_sync_reply(encode_sync_reply(runs));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->size(), runs.size());

    // A validator that was down the whole time starts from genesis and syncs.
    auto late = make_engine(hotstuff, testing::engine_config(kN, 3));
    Actions out;
    EngineStart start;
    start.committed = genesis_block(testing::test_chain_id());
    late->start(start, out);
    std::vector<CommitBlock> applied;
    const auto outcome = SyncClient::apply(
        *late, *decoded, [&applied] { return static_cast<std::uint64_t>(applied.size()); }, 1'000,
        [&applied](Actions& actions) {
          for (const auto* c : testing::actions_of<CommitBlock>(actions)) applied.push_back(*c);
        });
    EXPECT_FALSE(outcome.refused.has_value());
    EXPECT_EQ(outcome.runs_applied, decoded->size());
    ASSERT_FALSE(applied.empty());
    for (std::size_t h = 0; h < applied.size(); ++h) EXPECT_EQ(applied[h].block_id, commits[h].block_id) << "height " << h + 1;
  }
}

TEST(BlockSync, AForgedCertificateStopsTheReplyAndNothingBeyondIsApplied) {
  const auto run = testing::run_clean(kN, kHeights, [](EngineConfig c) { return make_engine(false, std::move(c)); });
  auto runs = answer_sync(1, run.commits[0].size(), committed_from(run.commits[0]), SyncLimits{});
  ASSERT_GE(runs.size(), 2u);
  runs[0].cert.signatures.at(0).signature.bytes[0] ^= 1;  // forged
  auto late = make_engine(false, testing::engine_config(kN, 3));
  Actions out;
  EngineStart start;
  start.committed = genesis_block(testing::test_chain_id());
  late->start(start, out);
  std::size_t commits = 0;
  const auto outcome = SyncClient::apply(
      *late, runs, [] { return std::uint64_t{0}; }, 1'000,
      [&commits](Actions& actions) { commits += testing::actions_of<CommitBlock>(actions).size(); });
  ASSERT_TRUE(outcome.refused.has_value());
  EXPECT_EQ(outcome.runs_applied, 0u);
  EXPECT_EQ(commits, 0u);
}

TEST(BlockSync, RepliesKeepToTheirLimitsAndRequestsDecodeStrictly) {
  const auto run = testing::run_clean(kN, kHeights, [](EngineConfig c) { return make_engine(false, std::move(c)); });
  SyncLimits limits;
  limits.blocks_max = 3;
  const auto runs = answer_sync(1, run.commits[0].size(), committed_from(run.commits[0]), limits);
  std::size_t blocks = 0;
  for (const auto& r : runs) blocks += r.blocks.size();
  EXPECT_LE(blocks, 3u);
  EXPECT_TRUE(answer_sync(kHeights + 5, kHeights, committed_from(run.commits[0]), SyncLimits{}).empty());

  EXPECT_EQ(decode_sync_request(encode_sync_request(42)).value(), 42u);
  core::Bytes padded = encode_sync_request(42);
  padded.push_back(0);
  EXPECT_FALSE(decode_sync_request(padded).ok());
  EXPECT_FALSE(decode_sync_request(core::Bytes{1, 2, 3}).ok());
  core::Bytes reply = encode_sync_reply(runs);
  reply.pop_back();
  EXPECT_FALSE(decode_sync_reply(reply).ok());
}

TEST(BlockSync, OnlyThePeerAskedMayAnswerAndAnUnansweredRequestIsRetried) {
  SyncClient client(500);
  EXPECT_FALSE(client.should_request(2, 10, 10, 0)) << "a peer no further than us has nothing to give";
  EXPECT_TRUE(client.should_request(2, 20, 10, 0));
  EXPECT_FALSE(client.should_request(1, 20, 10, 100)) << "one request at a time";
  EXPECT_FALSE(client.take_reply(1)) << "validator 1 was not asked";
  EXPECT_TRUE(client.take_reply(2));
  EXPECT_FALSE(client.take_reply(2)) << "a duplicate reply";
  EXPECT_TRUE(client.should_request(1, 0, 10, 200));
  EXPECT_FALSE(client.should_request(2, 0, 10, 600));
  EXPECT_TRUE(client.should_request(2, 0, 10, 701)) << "retried after 500 ms without an answer";
}

}  // namespace
}  // namespace metanode::consensus
