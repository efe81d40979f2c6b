// Small helpers for tests that wait on other threads or damage files on purpose.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <thread>

namespace metanode::testing {

// Polls `done` until it holds or `limit` passes (a hang guard, not a timing assertion).
template <typename F>
bool eventually(F done, std::chrono::milliseconds limit = std::chrono::seconds(15)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// Flips the lowest bit of the byte at `at` in `file` (a bad disk sector); calling it again repairs it.
inline void flip_byte(const std::filesystem::path& file, std::uintmax_t at) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char byte = 0;
  f.read(&byte, 1);
  byte = static_cast<char>(byte ^ 0x01);
  f.seekp(static_cast<std::streamoff>(at));
  f.write(&byte, 1);
}

}  // namespace metanode::testing
