// The economics module's cost per block (bench/README.md): a block's end with N validators, in the
// middle of an epoch (the fee split, the proposer's accrual, the treasury's credit) and at an
// epoch's end (the pool divided by stake and every validator paid), through the real executor
// over an in-memory state; and the same with D accounts delegating to them (delegation.hpp), with
// the cost of one delegator's claim.
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

  std::vector<crypto::KeyPair> delegators;
  std::uint64_t height = 0;

  Chain(std::size_t count, std::uint64_t epoch_blocks, std::size_t delegator_count = 0) {
    ledger::Genesis genesis;
    genesis.chain_id = "econ-bench";
    for (std::size_t i = 0; i < delegator_count; ++i) {
      crypto::Seed seed{};
      seed[0] = 0xde;
      for (std::size_t b = 0; b < 4; ++b) seed[1 + b] = static_cast<core::Byte>(i >> (8 * b));
      delegators.push_back(crypto::KeyPair::from_seed(seed));
      genesis.accounts.push_back({crypto::Address::from_public_key(delegators.back().public_key()), 1'000'000});
    }
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
    // Each delegator delegates to one validator (in turn), in blocks of 10,000; with epochs of
    // one block every delegation earns from the next block on (within a long epoch they wait,
    // which a block within the epoch does not look at).
    std::vector<ledger::Transaction> txs;
    for (std::size_t i = 0; i < delegators.size(); ++i) {
      txs.push_back(signed_tx(delegators[i], 0, modules::delegate_payload(validators[i % validators.size()], 100 + i % 1000)));
      if (txs.size() < 10'000 && i + 1 < delegators.size()) continue;
      if (auto st = block(std::move(txs), /*verify=*/false); !st.ok()) {
        std::fprintf(stderr, "setup: %s\n", st.error().to_string().c_str());
        std::abort();
      }
      txs.clear();
    }
  }

  static ledger::Transaction signed_tx(const crypto::KeyPair& key, std::uint64_t nonce, ledger::Payload payload) {
    ledger::Transaction t;
    t.chain_id = "econ-bench";
    t.nonce = nonce;
    t.bid = 1;
    t.max_fee = 100;
    t.payload = std::move(payload);
    t.sign_single(key, {});
    return t;
  }

  core::Status block(std::vector<ledger::Transaction> txs, bool verify = true) {
    ledger::BlockContext ctx;
    ctx.chain = {"econ-bench", {}};
    ctx.height = ++height;
    ctx.base_fee = 1;
    ctx.proposer = validators[height % validators.size()];
    ctx.verify_signatures = verify;
    auto r = executor.execute(state, std::move(txs), ctx, ledger::ExecutionMode::kVerify);
    if (!r.ok()) return r.error();
    for (const auto& receipt : r->receipts) {
      if (receipt.status != ledger::ReceiptStatus::kSuccess) {
        std::fprintf(stderr, "setup: %s\n", receipt.error_message.c_str());
        std::abort();
      }
    }
    state.apply(r->changed);
    return {};
  }
};

// One empty block's end (the hooks only: no transaction), `epoch_blocks` 1 = every block pays.
// range(0) validators, range(1) delegating accounts (if given).
void run(benchmark::State& s, std::uint64_t epoch_blocks) {
  Chain chain(static_cast<std::size_t>(s.range(0)), epoch_blocks, s.range(1));
  const std::uint64_t setup_epoch = modules::read_supply(chain.state).value().epoch;
  for (auto _ : s) {
    if (auto st = chain.block({}); !st.ok()) {
      s.SkipWithError(st.error().to_string().c_str());
      return;
    }
  }
  const auto supply = modules::read_supply(chain.state).value();
  s.counters["delegated"] = static_cast<double>(supply.delegated);
  s.counters["epochs"] = static_cast<double>(supply.epoch - setup_epoch);
}

void BM_BlockEndMidEpoch(benchmark::State& s) { run(s, 10'000'000); }
void BM_BlockEndPayingTheEpoch(benchmark::State& s) { run(s, 1); }

// A block of one claim by a delegator (settling its share of the epochs since it delegated).
void BM_DelegatorClaim(benchmark::State& s) {
  Chain chain(100, 1, static_cast<std::size_t>(s.range(0)));
  std::size_t next = 0;
  std::vector<std::uint64_t> nonces(chain.delegators.size(), 1);
  for (auto _ : s) {
    const std::size_t who = next++ % chain.delegators.size();
    const auto& key = chain.delegators[who];
    auto tx = Chain::signed_tx(key, nonces[who]++, modules::claim_payload(chain.validators[who % chain.validators.size()]));
    if (auto st = chain.block({std::move(tx)}, false); !st.ok()) {
      s.SkipWithError(st.error().to_string().c_str());
      return;
    }
  }
}

BENCHMARK(BM_BlockEndMidEpoch)->Args({4, 0})->Args({100, 0})->Args({256, 0})->Args({100, 100'000});
BENCHMARK(BM_BlockEndPayingTheEpoch)->Args({4, 0})->Args({100, 0})->Args({256, 0})->Args({100, 1000})->Args({100, 100'000});
BENCHMARK(BM_DelegatorClaim)->Arg(100'000);

}  // namespace

BENCHMARK_MAIN();
