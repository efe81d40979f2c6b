// A job run on its own thread every interval until stopped (the oracle's observations, the
// registry's health checks): the job runs without the lock stop() waits on, so a slow job (a
// fetch that times out) delays stop by one pass at most, never deadlocks it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace metanode::node {

class PeriodicTask {
 public:
  PeriodicTask() = default;
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;
  ~PeriodicTask() { stop(); }

  void start(std::chrono::milliseconds interval, std::function<void()> job) {
    stop();
    stopping_ = false;
    thread_ = std::thread([this, interval, job = std::move(job)] {
      std::unique_lock lock(mutex_);
      while (!stopping_) {
        lock.unlock();
        job();
        lock.lock();
        wake_.wait_for(lock, interval, [this] { return stopping_; });
      }
    });
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace metanode::node
