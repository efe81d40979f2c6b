// Auction mempool: admission of presigned transactions (signatures verified beforehand, as the
// node's batch path does) and proposal from a large pool. Run: scripts/bench.sh
// --benchmark_filter=Mempool.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <map>
#include <random>
#include <vector>

#include "crypto/ed25519.hpp"
#include "ledger/account.hpp"
#include "ledger/transaction.hpp"
#include "mempool/auction_mempool.hpp"
#include "modules/bank.hpp"

namespace {

using namespace metanode;

constexpr const char* kBenchChainId = "bench-chain";
const core::Hash32 kBenchGenesisDigest = core::hash(core::Domain::Test, core::as_bytes("bench-chain genesis"));

class BenchState final : public ledger::AccountReader {
 public:
  core::Result<ledger::Account> account(const crypto::Address& address) const override {
    const auto it = accounts_.find(address);
    return it == accounts_.end() ? ledger::Account{} : it->second;
  }
  void set(const crypto::Address& address, ledger::Account account) { accounts_[address] = account; }

 private:
  std::map<crypto::Address, ledger::Account> accounts_;
};

struct Workload {
  BenchState state;
  std::vector<ledger::Transaction> txs;  // each sender's nonces in order, senders interleaved
};

// `senders` accounts, each sending `per_sender` transfers at nonces 0.. with seeded bids.
Workload make_workload(std::size_t senders, std::size_t per_sender) {
  Workload w;
  std::mt19937_64 rng(7);
  crypto::Address to;
  to.bytes.fill(0x42);
  std::vector<crypto::KeyPair> keys;
  keys.reserve(senders);
  for (std::size_t i = 0; i < senders; ++i) {
    keys.push_back(crypto::KeyPair::generate());
    w.state.set(crypto::Address::from_public_key(keys.back().public_key()), ledger::Account{1'000'000'000'000, 0});
  }
  w.txs.reserve(senders * per_sender);
  for (std::size_t nonce = 0; nonce < per_sender; ++nonce) {
    for (const auto& key : keys) {
      ledger::Transaction tx;
      tx.chain_id = kBenchChainId;
      tx.nonce = nonce;
      tx.bid = rng() % 10'000;
      tx.max_fee = tx.bid + 1'000;
      tx.payload = modules::transfer_payload(to, 1 + rng() % 1'000);
      tx.sign_single(key, kBenchGenesisDigest);
      w.txs.push_back(std::move(tx));
    }
  }
  return w;
}

mempool::MempoolConfig bench_config() {
  mempool::MempoolConfig config;
  config.chain = {kBenchChainId, kBenchGenesisDigest};
  return config;
}

// 10,000 presigned transactions from 1,000 senders into an empty pool, per iteration.
void BM_MempoolAdmit10kFrom1kSenders(benchmark::State& bench) {
  static const Workload w = make_workload(1'000, 10);
  for (auto _ : bench) {
    mempool::AuctionMempool pool(bench_config());
    for (const auto& tx : w.txs) {
      auto result = pool.admit(tx, w.state, 100, /*signature_verified=*/true);
      if (!result.ok()) bench.SkipWithError(result.error().to_string().c_str());
    }
    benchmark::DoNotOptimize(pool.size());
  }
  bench.SetItemsProcessed(static_cast<std::int64_t>(bench.iterations() * w.txs.size()));
}
BENCHMARK(BM_MempoolAdmit10kFrom1kSenders)->Unit(benchmark::kMillisecond);

// A block's proposal of 5,000 from a pool of 50,000 (5,000 senders, 10 nonces each).
void BM_MempoolPropose5kFrom50k(benchmark::State& bench) {
  static const Workload w = make_workload(5'000, 10);
  static const mempool::AuctionMempool pool = [] {
    mempool::AuctionMempool p(bench_config());
    for (const auto& tx : w.txs) {
      if (!p.admit(tx, w.state, 100, true).ok()) std::abort();
    }
    return p;
  }();
  for (auto _ : bench) {
    auto proposal = pool.propose(5'000, 16 * 1024 * 1024, w.state, 100);
    if (proposal.size() != 5'000) bench.SkipWithError("short proposal");
    benchmark::DoNotOptimize(proposal.data());
  }
  bench.SetItemsProcessed(static_cast<std::int64_t>(bench.iterations() * 5'000));
}
BENCHMARK(BM_MempoolPropose5kFrom50k)->Unit(benchmark::kMillisecond);

}  // namespace
