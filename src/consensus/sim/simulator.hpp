// The deterministic consensus simulator: drives the real engines over a seeded fake network that
// delays, drops, duplicates, reorders and partitions until a global stabilisation time (GST),
// with crashes and restarts from persisted state, Byzantine validators (equivocating leaders,
// double voters, silent ones, and for HotStuff a lock attacker that plays the schedule the locking
// rule exists for: lock_attack.hpp) and twins (two live instances with one key). After every step it
// checks agreement, certificates and the persistence contract; after GST, that commits resume.
// One seed fixes everything: a failing seed replays exactly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace metanode::consensus::sim {

enum class EngineKind { kIbft, kHotStuff };
// Deliberately broken variants ("the checker can fail").
enum class Broken {
  kNone,
  kQuorum,     // quorum of f+1 instead of floor(2n/3)+1
  kLock,       // HotStuff votes without the locking rule; IBFT ignores prepared certificates
  kNoPersist,  // the driver drops Persist actions: restarted validators forget their votes
  kPreviousSet,  // with epochs: each new epoch runs with the previous epoch's validator set
};

std::string_view engine_name(EngineKind kind);
std::string_view broken_name(Broken broken);
bool parse_engine(std::string_view text, EngineKind& out);
bool parse_broken(std::string_view text, Broken& out);

struct SimConfig {
  EngineKind engine = EngineKind::kHotStuff;
  std::size_t validators = 4;
  std::uint64_t seed = 1;
  bool faults = true;      // false: a clean network (fixed delay, nothing lost), for benchmarks
  Broken broken = Broken::kNone;
  bool trace = false;      // keep a readable trace of every event
  // Clean-network runs stop after this many committed heights.
  std::uint64_t heights = 200;
  std::uint64_t fixed_delay_ms = 10;
  // After GST every honest validator must commit `progress_heights` more blocks within this
  // much simulated time (the bound is checked, not assumed).
  std::uint64_t progress_heights = 2;
  std::uint64_t liveness_window_ms = 60'000;
  // Clean runs: this many validators (the last ones) crash at `crash_at_ms` and never come back;
  // the result reports the longest gap between commits from then on (failover).
  std::size_t crashed_for_good = 0;
  std::uint64_t crash_at_ms = 3'000;
  bool leader_reputation = true;  // HotStuff's leader election (EngineConfig::leader_reputation)
  // Reconfiguration: epochs of this many heights, each with its own validator set drawn from a
  // pool of `validators` + kSpareMembers keys (Byzantine members stay in every set, so no epoch
  // has more than it tolerates); members outside an epoch's set follow it by block sync and vote
  // again when a later epoch takes them back. 0: one epoch, the set never changes.
  std::uint64_t epoch_blocks = 0;
  static constexpr std::size_t kSpareMembers = 3;
};

struct FaultCounts {
  std::uint64_t byzantine_silent = 0;
  std::uint64_t byzantine_equivocating = 0;
  std::uint64_t byzantine_double_voting = 0;
  std::uint64_t twins = 0;
  std::uint64_t byzantine_lock_attackers = 0;  // HotStuff: the adversary of lock_attack.hpp
  std::uint64_t lock_attacks_launched = 0;     // ... that found its schedule and played it
  std::uint64_t crashes = 0;
  std::uint64_t restarts = 0;
  std::uint64_t partitions = 0;
  std::uint64_t dropped = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t invalid_payloads = 0;
  std::uint64_t equivocations_reported = 0;  // by honest engines, each checked (never an honest signer)
  std::uint64_t proposal_equivocations_reported = 0;  // of those: a leader's two proposals for one round
  std::uint64_t epochs = 0;        // epoch changes every honest member went through (the lowest)
  std::uint64_t joins = 0;         // members that entered a set they were not in
  std::uint64_t leaves = 0;        // members that left one

  void add(const FaultCounts& o);
};

struct SimResult {
  bool ok = true;
  std::string violation;        // "agreement: ..." / "certificate: ..." / "liveness: ..." / ...
  std::uint64_t committed_height = 0;   // lowest height all honest validators reached
  std::uint64_t messages = 0;           // messages delivered to engines
  std::uint64_t sim_time_ms = 0;
  std::uint64_t gst_ms = 0;
  std::uint64_t recovery_ms = 0;        // GST to the last honest validator's progress
  std::uint64_t rounds_timed_out = 0;   // rounds / views that timed out, all honest validators
  double mean_commit_latency_ms = 0;    // clean runs: proposal to first commit, per height
  std::uint64_t longest_gap_after_crash_ms = 0;  // clean runs with crashed_for_good: between two commits
  std::uint64_t signatures_verified = 0;  // Ed25519 verifications (shared cache: each vote once)
  FaultCounts faults;
  std::vector<std::string> trace;
  std::string replay_command;
};

SimResult run_simulation(const SimConfig& config);

}  // namespace metanode::consensus::sim
