// The oracle path's cost (bench/README.md): a block carrying one report of N signed observations
// through the real executor (every signature verified, the operators read, the median taken, the
// round stored), with N operators of role oracle; and the median alone. Observations verified and
// aggregated per second = N / the time of one such block.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "ledger/executor.hpp"
#include "modules/governance/governance.hpp"
#include "modules/module_set.hpp"
#include "modules/oracle/oracle.hpp"
#include "support/map_state.hpp"

namespace {

using namespace metanode;

const core::Hash32 kDigest = core::hash(core::Domain::Test, core::as_bytes("oracle bench"));

struct Chain {
  ledger::Executor executor{modules::standard_modules()};
  testing::MapState state;
  crypto::KeyPair council = crypto::KeyPair::from_seed(crypto::Seed{1});
  std::vector<crypto::KeyPair> operators;
  std::uint64_t height = 0, nonce = 0;
  std::int64_t now = 1'800'000'000'000;

  explicit Chain(std::size_t n) {
    ledger::Genesis g;
    g.chain_id = "oracle-bench";
    nlohmann::json grants = nlohmann::json::object();
    for (std::size_t i = 0; i < n; ++i) {
      crypto::Seed seed{};
      seed[0] = 7;
      seed[1] = static_cast<core::Byte>(i);
      operators.push_back(crypto::KeyPair::from_seed(seed));
      grants[crypto::Address::from_public_key(operators.back().public_key()).to_string()] = {"oracle"};
    }
    const auto council_address = crypto::Address::from_public_key(council.public_key());
    g.accounts.push_back({council_address, 1'000'000'000});
    g.modules["gov"] = nlohmann::json{{"council", {{"threshold", 1}, {"members", {council_address.to_string()}}}}, {"grants", grants}}.dump();
    if (auto st = state.init_genesis(executor.modules(), g); !st.ok()) std::abort();
    modules::GovProposal p;
    p.action = modules::GovAction::kCreateFeed;
    p.feed.id = "btc-usd";
    p.feed.sources = {{"https://example.com/p", "/p"}};
    p.feed.heartbeat_ms = 1'000;
    if (!block(modules::gov_propose_payload(p))) std::abort();
  }

  ledger::Transaction tx(ledger::Payload payload) {
    ledger::Transaction t;
    t.chain_id = "oracle-bench";
    t.nonce = nonce++;
    t.bid = 1;
    t.max_fee = 100;
    t.payload = std::move(payload);
    t.sign_single(council, kDigest);
    return t;
  }

  bool block(ledger::Payload payload) {
    now += 2'000;  // past the heartbeat: every round is due
    ledger::BlockContext ctx;
    ctx.chain = {"oracle-bench", kDigest};
    ctx.height = ++height;
    ctx.timestamp_unix_ms = now;
    ctx.base_fee = 1;
    ctx.proposer = crypto::Address::from_public_key(council.public_key());
    ctx.verify_signatures = false;  // the transaction's own signature: checked at admission, as in a node
    auto r = executor.execute(state, {tx(std::move(payload))}, ctx, ledger::ExecutionMode::kVerify);
    if (!r.ok() || r->receipts.at(0).status != ledger::ReceiptStatus::kSuccess) {
      std::fprintf(stderr, "%s\n", r.ok() ? r->receipts.at(0).error_message.c_str() : r.error().to_string().c_str());
      return false;
    }
    state.apply(r->changed);
    return true;
  }
};

void BM_BlockWithAReport(benchmark::State& s) {
  const auto n = static_cast<std::size_t>(s.range(0));
  Chain chain(n);
  std::uint64_t round = 0;
  for (auto _ : s) {
    s.PauseTiming();
    ++round;
    modules::OracleReport report{"btc-usd", round, {}};
    for (std::size_t i = 0; i < n; ++i) {
      report.observations.push_back(modules::sign_observation(chain.operators[i], kDigest, "btc-usd", round,
                                                              static_cast<std::int64_t>(100 + i), chain.now + 2'000));
    }
    s.ResumeTiming();
    if (!chain.block(modules::oracle_report_payload(report))) {
      s.SkipWithError("report refused");
      return;
    }
  }
  s.counters["observations_per_s"] = benchmark::Counter(static_cast<double>(n) * static_cast<double>(s.iterations()), benchmark::Counter::kIsRate);
}

void BM_Median(benchmark::State& s) {
  std::vector<std::int64_t> values;
  for (std::int64_t i = 0; i < s.range(0); ++i) values.push_back((i * 7919) % 1000);
  for (auto _ : s) benchmark::DoNotOptimize(modules::median_of(values));
}

BENCHMARK(BM_BlockWithAReport)->Arg(4)->Arg(7)->Arg(24)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Median)->Arg(24);

}  // namespace

BENCHMARK_MAIN();
