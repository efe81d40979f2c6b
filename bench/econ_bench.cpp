// The economics module's cost per block (bench/README.md): a block's end with N validators, in the
// middle of an epoch (the fee split, the proposer's accrual, the treasury's credit) and at an
// epoch's end (the pool divided by stake and every validator paid), through the real executor
// over an in-memory state.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "ledger/executor.hpp"
#include "modules/econ/econ.hpp"
#include "modules/module_set.hpp"
#include "support/map_state.hpp"

namespace {

using namespace metanode;

struct Chain {
  ledger::Executor executor{modules::standard_modules()};
  testing::MapState state;
  std::vector<crypto::Address> validators;

  Chain(std::size_t count, std::uint64_t epoch_blocks) {
    ledger::Genesis genesis;
    genesis.chain_id = "econ-bench";
    nlohmann::json stakes = nlohmann::json::object();
    for (std::size_t i = 0; i < count; ++i) {
      crypto::Seed seed{};
      seed[0] = static_cast<core::Byte>(i);
      seed[1] = static_cast<core::Byte>(i >> 8);
      const auto key = crypto::KeyPair::from_seed(seed);
      genesis.validators.push_back({"v" + std::to_string(i), key.public_key(), {}});
      validators.push_back(crypto::Address::from_public_key(key.public_key()));
      stakes["v" + std::to_string(i)] = 1'000 + i;
    }
    genesis.modules["econ"] = nlohmann::json{{"epoch_blocks", epoch_blocks},
                                             {"base_fee_split", {{"burn", 5000}, {"treasury", 1000}, {"proposer", 2000}, {"validators", 2000}}},
                                             {"tip_split", {{"proposer", 5000}, {"validators", 5000}}},
                                             {"block_reward", 1'000'000},
                                             {"reward_split", {{"treasury", 1000}, {"proposer", 4500}, {"validators", 4500}}},
                                             {"stakes", stakes}}
                                  .dump();
    if (auto st = state.init_genesis(executor.modules(), genesis); !st.ok()) {
      std::fprintf(stderr, "genesis: %s\n", st.error().to_string().c_str());
      std::abort();
    }
  }
};

// One empty block's end (the hooks only: no transaction), `epoch_blocks` 1 = every block pays.
void run(benchmark::State& s, std::uint64_t epoch_blocks) {
  Chain chain(static_cast<std::size_t>(s.range(0)), epoch_blocks);
  std::uint64_t height = 0;
  for (auto _ : s) {
    ledger::BlockContext ctx;
    ctx.chain = {"econ-bench", {}};
    ctx.height = ++height;
    ctx.base_fee = 1;
    ctx.proposer = chain.validators[height % chain.validators.size()];
    auto r = chain.executor.execute(chain.state, {}, ctx, ledger::ExecutionMode::kVerify);
    if (!r.ok()) {
      s.SkipWithError(r.error().to_string().c_str());
      return;
    }
    chain.state.apply(r->changed);
  }
}

void BM_BlockEndMidEpoch(benchmark::State& s) { run(s, 10'000'000); }
void BM_BlockEndPayingTheEpoch(benchmark::State& s) { run(s, 1); }

BENCHMARK(BM_BlockEndMidEpoch)->Arg(4)->Arg(100)->Arg(256);
BENCHMARK(BM_BlockEndPayingTheEpoch)->Arg(4)->Arg(100)->Arg(256);

}  // namespace

BENCHMARK_MAIN();
