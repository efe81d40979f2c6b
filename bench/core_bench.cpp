// Micro benchmarks of the foundation: hashing, signatures, codec, post-quantum primitives.
// Run: scripts/bench.sh (figures and the command in bench/README.md).
#include <benchmark/benchmark.h>
#include <blake3.h>

#include "core/codec.hpp"
#include "core/hash.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/mldsa.hpp"
#include "crypto/mlkem.hpp"
#include "crypto/random.hpp"
#include "support/sample_transfer.hpp"

namespace {

using namespace metanode;

void BM_HashDomain(benchmark::State& state) {
  core::Bytes data(static_cast<std::size_t>(state.range(0)), 0xab);
  for (auto _ : state) benchmark::DoNotOptimize(core::hash(core::Domain::Tx, data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_HashDomain)->Arg(64)->Arg(1024)->Arg(1 << 20);

// A Merkle node: two 32-byte children in the merkle-node domain (one BLAKE3 compression).
void BM_MerkleNode_CachedContextKey(benchmark::State& state) {
  core::Hash32 left{}, right{};
  left.fill(1);
  right.fill(2);
  for (auto _ : state) benchmark::DoNotOptimize(core::hash(core::Domain::MerkleNode, left, right));
}
BENCHMARK(BM_MerkleNode_CachedContextKey);

// The naive way: derive the context key again for every hash (what caching avoids).
void BM_MerkleNode_DeriveContextEachTime(benchmark::State& state) {
  std::uint8_t input[64] = {};
  std::uint8_t out[32];
  for (auto _ : state) {
    blake3_hasher h;
    blake3_hasher_init_derive_key(&h, "metanode/v1/merkle-node");
    blake3_hasher_update(&h, input, sizeof input);
    blake3_hasher_finalize(&h, out, sizeof out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_MerkleNode_DeriveContextEachTime);

// The floor: plain keyed BLAKE3 of 64 bytes, a single compression with no context at all.
void BM_MerkleNode_PlainKeyedBlake3(benchmark::State& state) {
  std::uint8_t key[32] = {};
  std::uint8_t input[64] = {};
  std::uint8_t out[32];
  for (auto _ : state) {
    blake3_hasher h;
    blake3_hasher_init_keyed(&h, key);
    blake3_hasher_update(&h, input, sizeof input);
    blake3_hasher_finalize(&h, out, sizeof out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_MerkleNode_PlainKeyedBlake3);

void BM_Ed25519Sign(benchmark::State& state) {
  const auto key = crypto::KeyPair::generate();
  const core::Bytes msg(200, 7);
  for (auto _ : state) benchmark::DoNotOptimize(key.sign(core::Domain::Tx, msg));
}
BENCHMARK(BM_Ed25519Sign);

void BM_Ed25519Verify(benchmark::State& state) {
  const auto key = crypto::KeyPair::generate();
  const core::Bytes msg(200, 7);
  const auto sig = key.sign(core::Domain::Tx, msg);
  for (auto _ : state) benchmark::DoNotOptimize(crypto::verify(key.public_key(), core::Domain::Tx, msg, sig).ok());
}
BENCHMARK(BM_Ed25519Verify);

void BM_CodecEncodeTransfer(benchmark::State& state) {
  const auto t = testing::typical_transfer();
  for (auto _ : state) benchmark::DoNotOptimize(core::encode(t));
  state.counters["bytes"] = static_cast<double>(core::encode(t).size());
}
BENCHMARK(BM_CodecEncodeTransfer);

void BM_CodecDecodeTransfer(benchmark::State& state) {
  const core::Bytes bytes = core::encode(testing::typical_transfer());
  for (auto _ : state) benchmark::DoNotOptimize(core::decode<testing::SampleTransfer>(bytes));
}
BENCHMARK(BM_CodecDecodeTransfer);

void BM_MldsaSign(benchmark::State& state) {
  const auto key = crypto::MldsaKeyPair::generate();
  const core::Bytes msg(200, 7);
  for (auto _ : state) benchmark::DoNotOptimize(key.sign(core::Domain::Checkpoint, msg));
}
BENCHMARK(BM_MldsaSign);

void BM_MldsaVerify(benchmark::State& state) {
  const auto key = crypto::MldsaKeyPair::generate();
  const core::Bytes msg(200, 7);
  const auto sig = key.sign(core::Domain::Checkpoint, msg);
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto::mldsa_verify(key.public_key(), core::Domain::Checkpoint, msg, sig).ok());
  }
}
BENCHMARK(BM_MldsaVerify);

void BM_MlkemEncapsulate(benchmark::State& state) {
  const auto key = crypto::MlkemKeyPair::generate();
  for (auto _ : state) benchmark::DoNotOptimize(crypto::mlkem_encapsulate(key.public_key()));
}
BENCHMARK(BM_MlkemEncapsulate);

void BM_MlkemDecapsulate(benchmark::State& state) {
  const auto key = crypto::MlkemKeyPair::generate();
  const auto enc = crypto::mlkem_encapsulate(key.public_key());
  for (auto _ : state) benchmark::DoNotOptimize(key.decapsulate(enc.ciphertext));
}
BENCHMARK(BM_MlkemDecapsulate);

}  // namespace

BENCHMARK_MAIN();
