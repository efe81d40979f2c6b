// CueDB micro benchmarks: the synced write of one block-sized batch (what a commit waits for)
// and a point read. Run: build/bin/core_bench --benchmark_filter=Storage (bench/README.md).
// The database lives under $TMPDIR: put that on the disk you care about, fsync cost is the point.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "storage/audit_log.hpp"
#include "storage/cue_db.hpp"

namespace {

using namespace metanode;

constexpr std::size_t kBlockPuts = 1000;
constexpr std::size_t kValueSizeBytes = 200;

class BenchDir {
 public:
  BenchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cuedb-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~BenchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::unique_ptr<storage::CueDb> open_bench_db(const std::filesystem::path& dir) {
  storage::OpenOptions options;
  options.chain_id = "bench";
  auto db = storage::CueDb::open(dir / "db", options);
  if (!db.ok()) std::abort();
  return std::move(db).value();
}

// A 32-byte key that spreads like a hash (the state-node and tx-index case).
core::Hash32 spread_key(std::uint64_t n) {
  core::Hash32 key{};
  std::uint64_t x = n * 0x9e3779b97f4a7c15ULL;
  for (std::size_t i = 0; i < key.size(); ++i) {
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ULL;
    key[i] = static_cast<core::Byte>(x >> 56);
  }
  return key;
}

storage::WriteBatch block_batch(std::uint64_t block, const core::Bytes& value) {
  storage::WriteBatch batch;
  for (std::size_t i = 0; i < kBlockPuts; ++i) {
    batch.put(storage::Column::kStateNodes, spread_key(block * kBlockPuts + i), value);
  }
  return batch;
}

// Arg: 1 = synced (a block commit), 0 = unsynced (shows what the fsync costs).
void BM_StorageWriteBlockBatch(benchmark::State& state) {
  BenchDir dir;
  auto db = open_bench_db(dir.path());
  const bool sync = state.range(0) != 0;
  const core::Bytes value(kValueSizeBytes, 0x5c);
  std::uint64_t block = 0;
  for (auto _ : state) {
    auto status = db->write(block_batch(block++, value), sync);
    if (!status.ok()) state.SkipWithError(status.error().to_string().c_str());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBlockPuts));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kBlockPuts * kValueSizeBytes));
}
BENCHMARK(BM_StorageWriteBlockBatch)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

// Point get of present keys, random order, from a 20,000-key column (fits the block cache:
// this is the CPU cost of a read, not a disk seek).
void BM_StoragePointGet(benchmark::State& state) {
  BenchDir dir;
  auto db = open_bench_db(dir.path());
  const core::Bytes value(kValueSizeBytes, 0x5c);
  constexpr std::uint64_t kBlocks = 20;
  for (std::uint64_t block = 0; block < kBlocks; ++block) {
    if (!db->write(block_batch(block, value), /*sync=*/false).ok()) std::abort();
  }
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::uint64_t> pick(0, kBlocks * kBlockPuts - 1);
  for (auto _ : state) {
    auto got = db->get(storage::Column::kStateNodes, spread_key(pick(rng)));
    if (!got.ok() || !got->has_value()) state.SkipWithError("key missing");
    benchmark::DoNotOptimize(got);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_StoragePointGet);

// The audit trail's cost per request: Arg events appended together (requests arriving in the
// same moment) and waited for until durable (one synced batch: what an answer waits for), with a
// signed checkpoint (Ed25519 + ML-DSA-65) every 1,000 events as a node makes them.
void BM_AuditAppendDurable(benchmark::State& state) {
  BenchDir dir;
  auto db = open_bench_db(dir.path());
  const crypto::KeyPair ed = crypto::KeyPair::generate();
  const crypto::MldsaKeyPair pq = crypto::MldsaKeyPair::generate();
  storage::AuditLogOptions options;
  options.origin = "bench/mn1node/audit";
  options.ed25519 = &ed;
  options.mldsa = &pq;
  auto log = storage::AuditLog::open(*db, options);
  if (!log.ok()) std::abort();
  storage::AuditEvent event;
  event.action = "http.request";
  event.actor = "mn1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq";
  event.source = "203.0.113.7";
  event.subject = "GET /v1/accounts/{address}";
  event.outcome = "allowed";
  event.detail = "public";
  event.status = 200;
  event.digest = std::string(64, 'd');
  const auto group = static_cast<int>(state.range(0));
  for (auto _ : state) {
    for (int i = 0; i < group; ++i) (*log)->append(event);
    if (!(*log)->flush().ok()) state.SkipWithError("audit write failed");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * group);
}
BENCHMARK(BM_AuditAppendDurable)->Arg(1)->Arg(16)->Arg(256)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
