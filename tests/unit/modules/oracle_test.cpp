// The oracle module through the real executor: the council creates a feed, the operators (role
// "oracle") sign observations, and a report closes a round with the median of a quorum; every
// refusal with its stable code: a replayed or skipped round, a signer who is no operator, two
// observations of one operator, a signature for another round or chain, a stale observation, a
// value out of bounds, too few observations, a round that is not due.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "ledger/executor.hpp"
#include "modules/governance/governance.hpp"
#include "modules/module_set.hpp"
#include "modules/oracle/oracle.hpp"
#include "support/map_state.hpp"

namespace metanode::modules {
namespace {

using nlohmann::json;
using testing::MapState;

const core::Hash32 kGenesisDigest = core::hash(core::Domain::Test, core::as_bytes("oracle genesis"));
crypto::Address addr(const crypto::KeyPair& k) { return crypto::Address::from_public_key(k.public_key()); }
constexpr std::int64_t kStartMs = 1'800'000'000'000;
constexpr auto kAccepted = static_cast<core::ErrorCode>(0);  // a receipt without an error

struct OracleChain {
  ledger::Executor executor{standard_modules()};
  MapState state;
  crypto::KeyPair council = crypto::KeyPair::generate();
  crypto::KeyPair outsider = crypto::KeyPair::generate();
  std::vector<crypto::KeyPair> operators;
  std::map<crypto::Address, std::uint64_t> nonces;
  std::uint64_t height = 0;
  std::int64_t now_ms = kStartMs;

  explicit OracleChain(std::size_t operator_count) {
    ledger::Genesis g;
    g.chain_id = "oracle";
    json grants = json::object();
    for (std::size_t i = 0; i < operator_count; ++i) {
      operators.push_back(crypto::KeyPair::generate());
      grants[addr(operators.back()).to_string()] = {"oracle"};
    }
    for (const auto* k : {&council, &outsider}) g.accounts.push_back({addr(*k), 1'000'000});
    g.modules["gov"] = json{{"council", {{"threshold", 1}, {"members", {addr(council).to_string()}}}}, {"grants", grants}}.dump();
    auto st = state.init_genesis(executor.modules(), g);
    EXPECT_TRUE(st.ok()) << st.error().to_string();
  }

  ledger::ExecutionResult block(std::vector<ledger::Transaction> txs, std::int64_t advance_ms = 1'000) {
    now_ms += advance_ms;
    ledger::BlockContext ctx;
    ctx.chain = {"oracle", kGenesisDigest};
    ctx.height = ++height;
    ctx.timestamp_unix_ms = now_ms;
    ctx.base_fee = 1;
    ctx.proposer = addr(council);
    auto r = executor.execute(state, std::move(txs), ctx, ledger::ExecutionMode::kVerify);
    if (!r.ok()) {
      ADD_FAILURE() << r.error().to_string();
      return {};
    }
    state.apply(r->changed);
    return std::move(r).value();
  }

  ledger::Transaction tx(const crypto::KeyPair& from, ledger::Payload payload) {
    ledger::Transaction t;
    t.chain_id = "oracle";
    t.nonce = nonces[addr(from)]++;
    t.bid = 1;
    t.max_fee = 100;
    t.payload = std::move(payload);
    t.sign_single(from, kGenesisDigest);
    return t;
  }

  core::ErrorCode submit(const OracleReport& report) {
    auto r = block({tx(council, oracle_report_payload(report))});
    return static_cast<core::ErrorCode>(r.receipts.at(0).error_code);
  }

  // Observations by operators `who` of `values`, for `round`, made now.
  OracleReport report(std::uint64_t round, const std::vector<std::pair<std::size_t, std::int64_t>>& values,
                      std::int64_t observed_offset_ms = 0) {
    OracleReport r{"btc-usd", round, {}};
    for (const auto& [who, value] : values) {
      r.observations.push_back(sign_observation(operators[who], kGenesisDigest, "btc-usd", round, value, now_ms + 1'000 + observed_offset_ms));
    }
    return r;
  }
};

FeedSpec btc_feed() {
  FeedSpec f;
  f.id = "btc-usd";
  f.description = "Bitcoin in US dollars";
  f.sources = {{"http://127.0.0.1:1/price", "/price"}};
  f.decimals = 2;
  f.deviation_bps = 100;  // 1%
  f.heartbeat_ms = 60'000;
  f.max_age_ms = 30'000;
  f.min_value = 1;
  f.max_value = 100'000'000'00;
  return f;
}

ledger::ExecutionResult create_feed(OracleChain& c, const FeedSpec& spec) {
  GovProposal p;
  p.action = GovAction::kCreateFeed;
  p.feed = spec;
  return c.block({c.tx(c.council, gov_propose_payload(p))});
}

TEST(Oracle, ARoundClosesWithTheMedianOfAQuorumOfSignedObservationsAndALiarDoesNotMoveIt) {
  OracleChain c(4);  // quorum 3
  ASSERT_EQ(c.submit(c.report(1, {{0, 100}, {1, 101}, {2, 102}})), core::ErrorCode::kOracleUnknownFeed);
  auto r = create_feed(c, btc_feed());
  ASSERT_EQ(r.receipts.at(0).status, ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;
  ASSERT_EQ(read_feed_ids(c.state).value(), std::vector<std::string>{"btc-usd"});
  ASSERT_EQ(read_feed_spec(c.state, "btc-usd").value().value(), btc_feed());
  ASSERT_EQ(read_oracle_operators(c.state).value().size(), 4u);

  // Operator 3 lies far from the others: the median is the middle honest value.
  r = c.block({c.tx(c.council, oracle_report_payload(c.report(1, {{0, 100'00}, {1, 101'00}, {3, 99'999'00}, {2, 102'00}})))});
  ASSERT_EQ(r.receipts.at(0).status, ledger::ReceiptStatus::kSuccess) << r.receipts.at(0).error_message;
  const FeedState state = read_feed_state(c.state, "btc-usd").value().value();
  EXPECT_EQ(state.round, 1u);
  EXPECT_EQ(state.median, (101'00 + 102'00) / 2);  // four values: the mean of the middle two
  EXPECT_EQ(state.round_unix_ms, c.now_ms);
  const RoundRecord round = read_round(c.state, "btc-usd", 1).value().value();
  EXPECT_EQ(round.observations.size(), 4u);
  EXPECT_EQ(round.reporter, addr(c.council));
  bool event = false;
  for (const auto& e : r.receipts.at(0).events) event = event || (e.module == "oracle" && e.kind == "round");
  EXPECT_TRUE(event);

  // A replayed report, a skipped round.
  EXPECT_EQ(c.submit(c.report(1, {{0, 100'00}, {1, 101'00}, {2, 102'00}})), core::ErrorCode::kOracleStaleRound);
  EXPECT_EQ(c.submit(c.report(3, {{0, 100'00}, {1, 101'00}, {2, 102'00}})), core::ErrorCode::kOracleStaleRound);
  // Not due: the median moved under 1% and the heartbeat has not passed.
  EXPECT_EQ(c.submit(c.report(2, {{0, 101'00}, {1, 101'50}, {2, 102'00}})), core::ErrorCode::kOracleRoundNotDue);
  // A move of 1% or more is due at once.
  EXPECT_EQ(c.submit(c.report(2, {{0, 104'00}, {1, 104'00}, {2, 104'00}})), kAccepted);
  EXPECT_EQ(read_feed_state(c.state, "btc-usd").value()->median, 104'00);
  // After the heartbeat the same value is due.
  c.block({}, 61'000);
  EXPECT_EQ(c.submit(c.report(3, {{0, 104'00}, {1, 104'00}, {2, 104'00}})), kAccepted);
  EXPECT_EQ(read_feed_state(c.state, "btc-usd").value()->round, 3u);
}

TEST(Oracle, ForgedLateOutOfRangeAndTooFewObservationsAreRefusedWithStableCodes) {
  OracleChain c(4);
  ASSERT_EQ(create_feed(c, btc_feed()).receipts.at(0).status, ledger::ReceiptStatus::kSuccess);
  const auto good = [&c] { return c.report(1, {{0, 100'00}, {1, 101'00}, {2, 102'00}}); };
  // Too few: 2 of the 3 needed.
  EXPECT_EQ(c.submit(c.report(1, {{0, 100'00}, {1, 101'00}})), core::ErrorCode::kOracleNoQuorum);
  // A signer without the role.
  OracleReport outsider = good();
  outsider.observations[2] = sign_observation(c.outsider, kGenesisDigest, "btc-usd", 1, 102'00, c.now_ms + 1'000);
  EXPECT_EQ(c.submit(outsider), core::ErrorCode::kOracleNotOperator);
  // Two observations of one operator: refused before any state is read (at admission; a block
  // that carries it is invalid).
  OracleReport twice = good();
  twice.observations[2] = sign_observation(c.operators[0], kGenesisDigest, "btc-usd", 1, 103'00, c.now_ms + 1'000);
  EXPECT_EQ(OracleModule().check_payload(oracle_report_payload(twice), addr(c.council)).error().code,
            core::ErrorCode::kOracleDuplicateObservation);
  // Signed for another round, another chain, or with a changed value.
  OracleReport other_round = good();
  other_round.observations[1] = sign_observation(c.operators[1], kGenesisDigest, "btc-usd", 2, 101'00, c.now_ms + 1'000);
  EXPECT_EQ(c.submit(other_round), core::ErrorCode::kOracleBadSignature);
  OracleReport other_chain = good();
  other_chain.observations[1] = sign_observation(c.operators[1], core::hash(core::Domain::Test, core::as_bytes("x")), "btc-usd", 1,
                                                 101'00, c.now_ms + 1'000);
  EXPECT_EQ(c.submit(other_chain), core::ErrorCode::kOracleBadSignature);
  OracleReport changed = good();
  changed.observations[0].value = 1;
  EXPECT_EQ(c.submit(changed), core::ErrorCode::kOracleBadSignature);
  // Late (observed 40 s before the block; at most 30 s), and from the future.
  EXPECT_EQ(c.submit(c.report(1, {{0, 100'00}, {1, 101'00}, {2, 102'00}}, -41'000)), core::ErrorCode::kOracleStaleObservation);
  EXPECT_EQ(c.submit(c.report(1, {{0, 100'00}, {1, 101'00}, {2, 102'00}}, 40'000)), core::ErrorCode::kOracleStaleObservation);
  // Out of the feed's bounds.
  EXPECT_EQ(c.submit(c.report(1, {{0, 100'00}, {1, 0}, {2, 102'00}})), core::ErrorCode::kOracleOutOfRange);
  // None of it moved the feed; a good report does.
  EXPECT_FALSE(read_feed_state(c.state, "btc-usd").value().has_value());
  EXPECT_EQ(c.submit(good()), kAccepted);
}

TEST(Oracle, TheCouncilCreatesFeedsOnceAndABadSpecIsRefused) {
  OracleChain c(1);  // one operator: a quorum of 1
  FeedSpec bad = btc_feed();
  bad.sources = {{"ftp://example.com/x", "/p"}};
  GovProposal p;
  p.action = GovAction::kCreateFeed;
  p.feed = bad;
  EXPECT_EQ(Governance().check_payload(gov_propose_payload(p), addr(c.council)).error().code, core::ErrorCode::kTxMalformed);
  ASSERT_EQ(create_feed(c, btc_feed()).receipts.at(0).status, ledger::ReceiptStatus::kSuccess);
  auto again = create_feed(c, btc_feed());
  EXPECT_EQ(static_cast<core::ErrorCode>(again.receipts.at(0).error_code), core::ErrorCode::kAlreadyExists);
  // An outsider cannot propose.
  GovProposal q;
  q.action = GovAction::kCreateFeed;
  q.feed = btc_feed();
  q.feed.id = "eth-usd";
  auto r = c.block({c.tx(c.outsider, gov_propose_payload(q))});
  EXPECT_NE(r.receipts.at(0).status, ledger::ReceiptStatus::kSuccess);
  // JSON forms: the spec both ways, a report's payload both ways.
  EXPECT_EQ(FeedSpec::from_json(btc_feed().to_json()).value(), btc_feed());
  EXPECT_EQ(FeedSpec::from_json(json{{"id", "x"}, {"sources", json::array()}}).error().code, core::ErrorCode::kInvalidArgument);
  const OracleModule oracle;
  const OracleReport report = c.report(1, {{0, 5}});
  const json fields = oracle.payload_to_json(oracle_report_payload(report));
  EXPECT_EQ(oracle.payload_from_json("report", fields).value(), oracle_report_payload(report).data);
  EXPECT_EQ(oracle.key_from_text("round:btc-usd:7").value(), oracle_round_key("btc-usd", 7));
  EXPECT_EQ(oracle.key_from_text("feed:Bad").error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.submit(report), kAccepted);
}

TEST(Oracle, MedianAndQuorumArithmetic) {
  EXPECT_EQ(median_of({3, 1, 2}), 2);
  EXPECT_EQ(median_of({4, 1, 3, 2}), 2);  // (2 + 3) / 2 rounded down
  EXPECT_EQ(median_of({-3, -2}), -3);     // -2.5 rounded toward negative infinity
  EXPECT_EQ(median_of({std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max()}),
            std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(oracle_quorum(1), 1u);
  EXPECT_EQ(oracle_quorum(4), 3u);
  EXPECT_EQ(oracle_quorum(7), 5u);
  EXPECT_EQ(oracle_quorum(10), 7u);
}

}  // namespace
}  // namespace metanode::modules
