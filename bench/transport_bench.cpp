// XTMP transport over loopback: what a link costs to set up (TCP + TLS 1.3 mutual handshake,
// then the ML-KEM-768 exchange when post_quantum is on) and how many frames one link carries,
// with and without the post-quantum layer. Run: build/bin/net_bench --benchmark_repetitions=5
// --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "net/transport.hpp"

namespace metanode::net {
namespace {

crypto::Seed seed_of(int i) {
  crypto::Seed s{};
  s[0] = static_cast<core::Byte>(i);
  s[31] = 0x77;
  return s;
}
crypto::PublicKey key_of(const crypto::Seed& s) { return crypto::KeyPair::from_seed(s).public_key(); }

// Counts what arrives and wakes the benchmark thread when the awaited count is reached.
struct Waiter {
  std::mutex mutex;
  std::condition_variable cv;
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::uint64_t> target{~0ull};

  void bump() {
    if (++count >= target.load()) {
      std::lock_guard lock(mutex);
      cv.notify_all();
    }
  }
  void wait_for(std::uint64_t n) {
    target = n;
    std::unique_lock lock(mutex);
    if (!cv.wait_for(lock, std::chrono::seconds(30), [&] { return count.load() >= n; })) {
      throw std::runtime_error("transport benchmark: timed out");
    }
  }
};

// A dialer (smaller key) and an acceptor (larger key) for one link.
struct Pair {
  crypto::Seed dialer_seed, acceptor_seed;
  Waiter connected, received;
  std::unique_ptr<Transport> acceptor, dialer;

  explicit Pair(bool post_quantum) {
    dialer_seed = seed_of(1);
    acceptor_seed = seed_of(2);
    if (key_of(acceptor_seed) < key_of(dialer_seed)) std::swap(dialer_seed, acceptor_seed);
    TransportHandler h;
    h.on_connected = [this](const crypto::PublicKey&) { connected.bump(); };
    h.on_frame = [this](const crypto::PublicKey&, Frame) { received.bump(); };
    acceptor = std::make_unique<Transport>(config(acceptor_seed, dialer_seed, 0, post_quantum), h);
    if (!acceptor->start().ok()) throw std::runtime_error("transport benchmark: cannot listen");
    dialer = std::make_unique<Transport>(config(dialer_seed, acceptor_seed, acceptor->port(), post_quantum), h);
  }
  static TransportConfig config(const crypto::Seed& self, const crypto::Seed& other, std::uint16_t other_port, bool pq) {
    TransportConfig c;
    c.seed = self;
    c.post_quantum = pq;
    c.allowed = {key_of(self), key_of(other)};
    c.peers = {{key_of(other), "127.0.0.1", other_port}};
    return c;
  }
  // Starts the dialer; returns once both ends report the link keyed.
  void connect() {
    if (!dialer->start().ok()) throw std::runtime_error("transport benchmark: cannot start");
    connected.wait_for(2);
  }
};

// From the dialer's start() to both ends holding a keyed link: its TLS identity, one TCP
// connect, the TLS 1.3 handshake, and (post_quantum) ML-KEM-768 keygen, encapsulation and
// decapsulation.
void BM_XtmpLinkSetup(benchmark::State& state) {
  const bool pq = state.range(0) != 0;
  for (auto _ : state) {
    Pair pair(pq);
    const auto t0 = std::chrono::steady_clock::now();
    pair.connect();
    const auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  state.SetLabel(pq ? "TLS 1.3 + ML-KEM-768" : "TLS 1.3 only");
}
BENCHMARK(BM_XtmpLinkSetup)->Arg(1)->Arg(0)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(40);

// The fixed part of the above without any network: TLS identity (certificate), SSL contexts,
// listening socket and io thread of one transport.
void BM_XtmpStartOnly(benchmark::State& state) {
  for (auto _ : state) {
    TransportConfig c;
    c.seed = seed_of(3);
    Transport t(c, {});
    const auto t0 = std::chrono::steady_clock::now();
    if (!t.start().ok()) throw std::runtime_error("transport benchmark: cannot start");
    const auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
}
BENCHMARK(BM_XtmpStartOnly)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(40);

// One direction, one link: a batch of frames queued by send() until the other end's handler
// has seen the last one.
void BM_XtmpThroughput(benchmark::State& state) {
  const bool pq = state.range(0) != 0;
  const auto size = static_cast<std::size_t>(state.range(1));
  const std::size_t batch = std::max<std::size_t>(16, (8u << 20) / (size + 64));  // about 8 MiB a batch
  Pair pair(pq);
  pair.connect();
  const crypto::PublicKey to = key_of(pair.acceptor_seed);
  const core::Bytes payload(size, 0xab);
  std::uint64_t expected = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) {
      while (!pair.dialer->send(to, FrameType::kTxGossip, static_cast<std::uint32_t>(i), payload)) std::this_thread::yield();
    }
    expected += batch;
    pair.received.wait_for(expected);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch * size));
  state.SetLabel(pq ? "sealed" : "TLS only");
}
BENCHMARK(BM_XtmpThroughput)
    ->ArgsProduct({{1, 0}, {200, 64 << 10}})
    ->ArgNames({"pq", "bytes"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace metanode::net

BENCHMARK_MAIN();
