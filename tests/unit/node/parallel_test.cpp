// run_chunks_and_wait: every chunk runs exactly once, on the pool's threads, and the call
// returns only after the last one has finished.
#include "node/parallel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

namespace metanode::node {
namespace {

TEST(RunChunksAndWait, RunsEveryChunkOnceOnThePoolAndWaitsForAll) {
  boost::asio::thread_pool pool(2);
  constexpr std::size_t kChunks = 37;
  std::vector<std::atomic<int>> runs(kChunks);
  std::atomic<std::size_t> finished{0};
  std::mutex mutex;
  std::set<std::thread::id> threads;
  run_chunks_and_wait(pool, kChunks, [&](std::size_t c) {
    // Late chunks finish last: returning early would leave them unfinished below.
    std::this_thread::sleep_for(std::chrono::milliseconds(c % 5));
    runs[c].fetch_add(1);
    {
      std::lock_guard lock(mutex);
      threads.insert(std::this_thread::get_id());
    }
    finished.fetch_add(1);
  });
  EXPECT_EQ(finished.load(), kChunks);
  for (std::size_t c = 0; c < kChunks; ++c) EXPECT_EQ(runs[c].load(), 1) << c;
  EXPECT_FALSE(threads.contains(std::this_thread::get_id()));
  pool.join();
}

TEST(RunChunksAndWait, NoChunksReturnsAtOnce) {
  boost::asio::thread_pool pool(1);
  bool called = false;
  run_chunks_and_wait(pool, 0, [&](std::size_t) { called = true; });
  EXPECT_FALSE(called);
  pool.join();
}

}  // namespace
}  // namespace metanode::node
