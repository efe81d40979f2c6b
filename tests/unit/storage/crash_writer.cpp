// The crash test's victim: commits crash_batch(start), crash_batch(start + 1), ... with synced
// writes, reporting each batch number on a pipe once write() has returned, until it is killed.
// A separate program (not just a fork of the test) so RocksDB's background threads exist in it.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "storage/cue_db.hpp"
#include "unit/storage/crash_batches.hpp"

using namespace metanode::storage;

namespace {

bool write_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DIR START_BATCH REPORT_FD\n", argv[0]);
    return 2;
  }
  const std::uint64_t start = std::strtoull(argv[2], nullptr, 10);
  const int report_fd = std::atoi(argv[3]);
  OpenOptions options;
  options.chain_id = testing::kCrashChainId;
  // Small memtables: flushes to SST files happen every few batches, so kills land in them too.
  options.write_buffer_size_bytes = std::size_t{64} << 10;
  options.block_cache_size_bytes = std::size_t{4} << 20;
  auto db = CueDb::open(argv[1], options);
  if (!db.ok()) {
    std::fprintf(stderr, "crash_writer: %s\n", db.error().to_string().c_str());
    return 3;
  }
  // Bounded so a parent that never kills us cannot fill the disk.
  constexpr std::uint64_t kBatchesMax = 100'000;
  for (std::uint64_t batch = start; batch < start + kBatchesMax; ++batch) {
    auto status = (*db)->write(testing::crash_batch(batch), /*sync=*/true);
    if (!status.ok()) {
      std::fprintf(stderr, "crash_writer: %s\n", status.error().to_string().c_str());
      return 4;
    }
    if (!write_all(report_fd, &batch, sizeof batch)) return 5;
  }
  return 0;
}
