// Time as an input: deterministic cores never read a clock; drivers pass time in, and tests
// use ManualClock.
#pragma once

#include <chrono>
#include <cstdint>

namespace metanode::core {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (wall time, for timestamps).
  virtual std::int64_t now_unix_ms() const = 0;
  // Milliseconds on a clock that never goes backwards (for timers and latencies).
  virtual std::int64_t now_monotonic_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_unix_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::int64_t now_monotonic_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ms = 0) : now_ms_(start_ms) {}
  std::int64_t now_unix_ms() const override { return now_ms_; }
  std::int64_t now_monotonic_ms() const override { return now_ms_; }
  void advance_ms(std::int64_t delta_ms) { now_ms_ += delta_ms; }
  void set_ms(std::int64_t now_ms) { now_ms_ = now_ms; }

 private:
  std::int64_t now_ms_;
};

}  // namespace metanode::core
