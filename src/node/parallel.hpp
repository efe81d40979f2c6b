// Runs a piece of work split in chunks on a thread pool and waits for all of them: how a node
// spreads a batch's signature checks over its verification threads.
#pragma once

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace metanode::node {

// Calls work(c) for c in [0, chunks) on `pool` and returns when every call has returned. The
// caller must not be one of the pool's threads, and the work must not wait for the caller
// (either could deadlock); a pool used only for such work satisfies both.
template <typename Work>
void run_chunks_and_wait(boost::asio::thread_pool& pool, std::size_t chunks, const Work& work) {
  std::mutex mutex;
  std::condition_variable done;
  std::size_t left = chunks;
  for (std::size_t c = 0; c < chunks; ++c) {
    boost::asio::post(pool, [&, c] {
      work(c);
      std::lock_guard lock(mutex);
      if (--left == 0) done.notify_one();
    });
  }
  std::unique_lock lock(mutex);
  done.wait(lock, [&] { return left == 0; });
}

}  // namespace metanode::node
