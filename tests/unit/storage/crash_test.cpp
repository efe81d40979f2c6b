// Kill -9 at a random instant, repeatedly: after each restart every batch whose write()
// returned is fully present, and no batch is present in part (ARCHITECTURE.md principle 4).
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/cue_db.hpp"
#include "unit/storage/crash_batches.hpp"
#include "unit/storage/temp_dir.hpp"

namespace metanode::storage {
namespace {

using namespace testing;

constexpr int kRounds = 10;
constexpr int kFirstReportTimeoutMs = 20'000;  // only to catch a hung writer
constexpr int kKillDelayMaxMs = 40;

struct RoundOutcome {
  std::vector<std::uint64_t> reported;
  int wait_status = 0;
};

// Starts the writer at `start`, waits for its first committed batch, lets it run a random
// while, then SIGKILLs it and collects every batch number it managed to report.
RoundOutcome run_and_kill(const std::filesystem::path& dir, std::uint64_t start, std::mt19937& rng) {
  RoundOutcome outcome;
  int fds[2];
  if (::pipe(fds) != 0) {
    ADD_FAILURE() << "pipe failed";
    return outcome;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    const std::string start_text = std::to_string(start);
    const std::string fd_text = std::to_string(fds[1]);
    ::execl(METANODE_CRASH_WRITER, METANODE_CRASH_WRITER, dir.c_str(), start_text.c_str(), fd_text.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    ADD_FAILURE() << "fork failed";
    return outcome;
  }

  auto read_report = [&](std::uint64_t& batch) {
    std::size_t got = 0;
    auto* out = reinterpret_cast<char*>(&batch);
    while (got < sizeof batch) {
      const ssize_t n = ::read(fds[0], out + got, sizeof batch - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      got += static_cast<std::size_t>(n);
    }
    return true;
  };

  pollfd pfd{fds[0], POLLIN, 0};
  if (::poll(&pfd, 1, kFirstReportTimeoutMs) == 1) {
    std::uint64_t batch = 0;
    if (read_report(batch)) outcome.reported.push_back(batch);
  }
  EXPECT_FALSE(outcome.reported.empty()) << "writer committed nothing";
  const int delay_ms = std::uniform_int_distribution<int>(0, kKillDelayMaxMs)(rng);
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &outcome.wait_status, 0);
  // The writer is dead, so the pipe drains to EOF: every report it made before dying.
  for (std::uint64_t batch = 0; read_report(batch);) outcome.reported.push_back(batch);
  ::close(fds[0]);
  return outcome;
}

// Counts the items of `batch` present with exactly their expected value.
std::size_t items_present(const CueDb& db, std::uint64_t batch) {
  std::size_t present = 0;
  for (std::size_t item = 0; item < kItemsPerBatch; ++item) {
    auto value = db.get(item_column(item), item_key(batch, item));
    EXPECT_TRUE(value.ok());
    if (value.ok() && value->has_value()) {
      EXPECT_EQ(**value, item_value(batch, item)) << "batch " << batch << " item " << item;
      ++present;
    }
  }
  return present;
}

TEST(CueDbCrash, KilledWriterLosesNoCommittedBatchAndLeavesNoHalfBatch) {
  TempDir tmp;
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  OpenOptions options;
  options.chain_id = kCrashChainId;

  std::uint64_t next_batch = 0;  // batches [0, next_batch) are verified fully present
  std::uint64_t killed_mid_run = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const RoundOutcome outcome = run_and_kill(tmp.db(), next_batch, rng);
    ASSERT_FALSE(outcome.reported.empty());
    if (WIFSIGNALED(outcome.wait_status) && WTERMSIG(outcome.wait_status) == SIGKILL) ++killed_mid_run;
    for (std::size_t i = 0; i < outcome.reported.size(); ++i) {
      ASSERT_EQ(outcome.reported[i], next_batch + i) << "writer reported out of order";
    }
    const std::uint64_t reported_last = outcome.reported.back();

    auto opened = CueDb::open(tmp.db(), options);
    ASSERT_TRUE(opened.ok()) << opened.error().to_string();
    const CueDb& db = **opened;

    // Batches before this round were verified already; re-check the last one and everything new.
    std::uint64_t batch = next_batch == 0 ? 0 : next_batch - 1;
    for (;; ++batch) {
      const std::size_t present = items_present(db, batch);
      ASSERT_TRUE(present == 0 || present == kItemsPerBatch)
          << "batch " << batch << " half-present: " << present << " of " << kItemsPerBatch << " items";
      if (present == 0) break;
    }
    const std::uint64_t first_absent = batch;
    ASSERT_GT(first_absent, reported_last) << "a batch whose write() returned was lost";
    // Nothing beyond the first absent batch exists in any column (no holes in the sequence).
    for (Column column : kCrashColumns) {
      auto last = db.last_key(column);
      ASSERT_TRUE(last.ok() && last->has_value());
      auto last_batch = height_from_key(core::ByteView(**last).first(kHeightKeySizeBytes));
      ASSERT_TRUE(last_batch.ok());
      EXPECT_EQ(*last_batch, first_absent - 1) << column_name(column);
    }
    next_batch = first_absent;
  }
  // Every round must really have been a kill, not a writer that exited on its own.
  EXPECT_EQ(killed_mid_run, static_cast<std::uint64_t>(kRounds));
}

}  // namespace
}  // namespace metanode::storage
