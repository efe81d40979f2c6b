// Micro benchmarks of the Merkle layer: a block's transaction root, audit-log appends and
// proofs, and a block's state update on a sizeable account state. Linked into core_bench.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/hash.hpp"
#include "merkle/merkle_tree.hpp"
#include "merkle/node_store.hpp"
#include "merkle/sparse_merkle_tree.hpp"

namespace {

using namespace metanode;

std::vector<core::Hash32> bench_leaves(std::size_t count) {
  std::vector<core::Hash32> leaves;
  leaves.reserve(count);
  for (std::size_t i = 0; i < count; ++i) leaves.push_back(merkle::leaf_hash(core::as_bytes("tx-" + std::to_string(i))));
  return leaves;
}

// The per-block transaction root of a 1,000-transaction block (999 node hashes).
void BM_MerkleRootOf1000(benchmark::State& state) {
  const auto leaves = bench_leaves(1000);
  for (auto _ : state) benchmark::DoNotOptimize(merkle::root_of(leaves));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_MerkleRootOf1000);

// Audit-log append: amortised one node hash per leaf. The log restarts every 2^20 leaves so
// memory stays bounded however long the benchmark runs.
void BM_MerkleLogAppend(benchmark::State& state) {
  const auto leaves = bench_leaves(1024);
  merkle::MerkleLog log;
  std::size_t i = 0;
  for (auto _ : state) {
    if (log.size() == (std::uint64_t{1} << 20)) log = merkle::MerkleLog();
    benchmark::DoNotOptimize(log.append(leaves[i++ % leaves.size()]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_MerkleLogAppend);

// An auditor's question on a log of 2^20 events: an inclusion proof and its check.
void BM_MerkleLogInclusionProofAndVerify(benchmark::State& state) {
  const auto leaves = bench_leaves(std::size_t{1} << 20);
  const merkle::MerkleLog log(leaves);
  const core::Hash32 root = log.root();
  std::uint64_t index = 0;
  for (auto _ : state) {
    index = (index + 7919) % log.size();
    auto proof = log.inclusion_proof(index, log.size());
    benchmark::DoNotOptimize(merkle::verify_inclusion(leaves[index], *proof, root).ok());
  }
}
BENCHMARK(BM_MerkleLogInclusionProofAndVerify);

// The audit trail at 10 million events: what an auditor's proof costs to make (the node) and to
// check (the auditor), and its size. About 1 GB of memory while it runs.
class TenMillionEvents : public benchmark::Fixture {
 public:
  void SetUp(const benchmark::State&) override {
    if (log_) return;
    constexpr std::size_t kEvents = 10'000'000;
    leaves_.reserve(kEvents);
    for (std::size_t i = 0; i < kEvents; ++i) {
      std::uint64_t n = i * 0x9e3779b97f4a7c15ULL;
      leaves_.push_back(merkle::leaf_hash(core::ByteView(reinterpret_cast<const core::Byte*>(&n), sizeof n)));
    }
    log_ = std::make_unique<merkle::MerkleLog>(leaves_);
    root_ = log_->root();
  }

 protected:
  static inline std::vector<core::Hash32> leaves_;
  static inline std::unique_ptr<merkle::MerkleLog> log_;
  static inline core::Hash32 root_{};
};

BENCHMARK_F(TenMillionEvents, AuditProofMake)(benchmark::State& state) {
  std::uint64_t index = 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    index = (index + 7'919'113) % log_->size();
    auto proof = log_->inclusion_proof(index, log_->size());
    bytes = core::encode(*proof).size();
    benchmark::DoNotOptimize(proof);
  }
  state.counters["proof_bytes"] = static_cast<double>(bytes);
}

BENCHMARK_F(TenMillionEvents, AuditProofCheck)(benchmark::State& state) {
  std::vector<merkle::InclusionProof> proofs;
  for (std::uint64_t i = 0; i < 64; ++i) proofs.push_back(*log_->inclusion_proof(i * 156'247 % log_->size(), log_->size()));
  std::size_t k = 0;
  for (auto _ : state) {
    const auto& proof = proofs[k++ % proofs.size()];
    benchmark::DoNotOptimize(merkle::verify_inclusion(leaves_[proof.index], proof, root_).ok());
  }
}

BENCHMARK_F(TenMillionEvents, AuditConsistencyMakeAndCheck)(benchmark::State& state) {
  std::uint64_t old_size = 1;
  std::size_t bytes = 0;
  for (auto _ : state) {
    old_size = (old_size * 48'271) % (log_->size() - 1) + 1;
    auto proof = log_->consistency_proof(old_size, log_->size());
    bytes = core::encode(*proof).size();
    benchmark::DoNotOptimize(merkle::verify_consistency(*proof, *log_->root_at(old_size), root_).ok());
  }
  state.counters["proof_bytes"] = static_cast<double>(bytes);
}

// A storage write batch stand-in: keeps the nodes, reused across iterations.
class BatchWriter final : public merkle::NodeWriter {
 public:
  void put_node(const core::Hash32& id, core::ByteView encoded) override {
    ids.push_back(id);
    bytes += encoded.size();
  }
  void clear() {
    ids.clear();
    bytes = 0;
  }
  std::vector<core::Hash32> ids;
  std::size_t bytes = 0;
};

core::Hash32 account_key(std::uint64_t i) {
  return core::hash(core::Domain::Address, core::as_bytes("account-" + std::to_string(i)));
}

// A block's state update: 1,000 random updates (new accounts and changed balances) on a state
// of 100,000 accounts held in a MemoryNodeStore. Each iteration applies a fresh batch to the
// same base root, so the tree does not grow as the benchmark runs.
void BM_SmtApply1000On100k(benchmark::State& state) {
  constexpr std::uint64_t kAccounts = 100'000;
  constexpr std::size_t kUpdates = 1000;
  constexpr std::size_t kBatches = 16;
  static merkle::MemoryNodeStore store;
  static core::Hash32 base_root = merkle::SparseMerkleTree::empty_root();
  const merkle::SparseMerkleTree tree(store);
  if (store.size() == 0) {
    std::vector<merkle::SmtUpdate> initial;
    initial.reserve(kAccounts);
    for (std::uint64_t i = 0; i < kAccounts; ++i) initial.push_back({account_key(i), core::Bytes(48, 0x11)});
    base_root = *tree.apply(base_root, initial, store);
  }
  std::mt19937_64 rng(42);
  std::vector<std::vector<merkle::SmtUpdate>> batches(kBatches);
  for (auto& batch : batches) {
    for (std::size_t u = 0; u < kUpdates; ++u) {
      // Three in four touch existing accounts, the rest create new ones.
      const std::uint64_t id = rng() % 4 == 0 ? kAccounts + rng() : rng() % kAccounts;
      batch.push_back({account_key(id), core::Bytes(48, static_cast<std::uint8_t>(rng()))});
    }
  }
  BatchWriter out;
  std::size_t b = 0;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(*tree.apply(base_root, batches[b++ % kBatches], out));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kUpdates));
  state.counters["nodes_written"] = static_cast<double>(out.ids.size());
  state.counters["bytes_written"] = static_cast<double>(out.bytes);
}
BENCHMARK(BM_SmtApply1000On100k)->Unit(benchmark::kMillisecond);

}  // namespace
