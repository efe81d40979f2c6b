#include "cli/sim_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <ostream>
#include <thread>
#include <vector>

#include "consensus/sim/simulator.hpp"

namespace metanode::cli {
namespace {

using consensus::sim::Broken;
using consensus::sim::EngineKind;
using consensus::sim::SimConfig;
using consensus::sim::SimResult;
using Clock = std::chrono::steady_clock;

struct SimOptions {
  std::string engine = "hotstuff";
  std::size_t validators = 4;
  std::uint64_t seeds = 1000;
  std::uint64_t seed_start = 1;
  std::uint64_t seed = 0;  // one seed, replayed
  bool trace = false;
  bool no_faults = false;
  std::string broken = "none";
  std::size_t jobs = 0;
  std::uint64_t heights = 200;
  std::uint64_t delay_ms = 10;
  std::size_t crash_for_good = 0;
  bool no_reputation = false;
  std::uint64_t epoch_blocks = 0;
};

std::uint64_t median(std::vector<std::uint64_t> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Longer than a screen: option checks, the seed sweep and its report in order; mostly output
// formatting.
int run_sim(Io& io, const SimOptions& o) {
  SimConfig base;
  if (!consensus::sim::parse_engine(o.engine, base.engine)) {
    io.err << "metanode: error[invalid_argument]: --engine must be ibft or hotstuff, not '" << o.engine << "'\n";
    return kExitUsage;
  }
  if (!consensus::sim::parse_broken(o.broken, base.broken)) {
    io.err << "metanode: error[invalid_argument]: --broken must be none, quorum, lock, no-persist or previous-set\n";
    return kExitUsage;
  }
  if (o.validators < 1 || o.validators > 64) {
    io.err << "metanode: error[invalid_argument]: --validators must be between 1 and 64\n";
    return kExitUsage;
  }
  base.validators = o.validators;
  base.faults = !o.no_faults;
  base.heights = o.heights;
  base.fixed_delay_ms = o.delay_ms;
  base.crashed_for_good = o.crash_for_good;
  base.leader_reputation = !o.no_reputation;
  base.epoch_blocks = o.epoch_blocks;
  if (o.epoch_blocks > 0 && o.epoch_blocks < 4) {
    io.err << "metanode: error[invalid_argument]: --epoch-blocks must be 0 (one epoch) or at least 4\n";
    return kExitUsage;
  }
  if (base.broken == Broken::kPreviousSet && o.epoch_blocks == 0) {
    io.err << "metanode: error[invalid_argument]: --broken previous-set needs --epoch-blocks\n";
    return kExitUsage;
  }
  if (o.crash_for_good > 0 && (!o.no_faults || o.crash_for_good > (o.validators - 1) / 3)) {
    io.err << "metanode: error[invalid_argument]: --crash-for-good needs --no-faults and at most f = (n-1)/3 validators\n";
    return kExitUsage;
  }

  // One seed: replay it, with the trace if asked.
  if (o.seed != 0) {
    SimConfig cfg = base;
    cfg.seed = o.seed;
    cfg.trace = o.trace;
    const SimResult r = consensus::sim::run_simulation(cfg);
    for (const auto& line : r.trace) io.out << line << "\n";
    io.out << fmt::format("seed {}: {} — height {} after {} ms simulated (GST at {} ms), {} messages\n", o.seed,
                          r.ok ? "ok" : "VIOLATION", r.committed_height, r.sim_time_ms, r.gst_ms, r.messages);
    if (!r.ok) {
      io.out << "  " << r.violation << "\n  replay: " << r.replay_command << "\n";
      return kExitFailed;
    }
    return kExitOk;
  }

  const std::size_t jobs = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  io.out << fmt::format("sim: {} with {} validators, seeds {}..{}, {}{}, {} jobs\n", o.engine, o.validators, o.seed_start,
                        o.seed_start + o.seeds - 1, base.faults ? "mixed faults" : "no faults",
                        base.broken == Broken::kNone ? "" : fmt::format(", BROKEN variant '{}'", o.broken), jobs);
  io.out.flush();
  std::vector<SimResult> results(o.seeds);
  std::atomic<std::uint64_t> next{0};
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> violations{0};
  const auto started = Clock::now();
  std::vector<std::thread> workers;
  for (std::size_t j = 0; j < jobs; ++j) {
    workers.emplace_back([&] {
      for (std::uint64_t k = next++; k < o.seeds; k = next++) {
        SimConfig cfg = base;
        cfg.seed = o.seed_start + k;
        results[k] = consensus::sim::run_simulation(cfg);
        if (!results[k].ok) ++violations;
        ++done;
      }
    });
  }
  // Progress on long runs: a line every ten seconds.
  while (done < o.seeds) {
    for (int i = 0; i < 100 && done < o.seeds; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (done < o.seeds) {
      const double s = std::chrono::duration<double>(Clock::now() - started).count();
      io.out << fmt::format("  {}/{} seeds, {} violations, {:.0f} s\n", done.load(), o.seeds, violations.load(), s);
      io.out.flush();
    }
  }
  for (auto& w : workers) w.join();
  const double wall_s = std::chrono::duration<double>(Clock::now() - started).count();

  consensus::sim::FaultCounts faults;
  std::vector<std::uint64_t> heights, recovery, rounds, gaps;
  std::uint64_t messages = 0, sim_ms = 0, verified = 0;
  double latency_sum = 0;
  std::vector<const SimResult*> failed;
  for (const auto& r : results) {
    faults.add(r.faults);
    heights.push_back(r.committed_height);
    messages += r.messages;
    sim_ms += r.sim_time_ms;
    verified += r.signatures_verified;
    latency_sum += r.mean_commit_latency_ms;
    gaps.push_back(r.longest_gap_after_crash_ms);
    if (r.ok) {
      recovery.push_back(r.recovery_ms);
      rounds.push_back(r.rounds_timed_out);
    } else {
      failed.push_back(&r);
    }
  }
  io.out << fmt::format("  seeds               {}\n", o.seeds);
  io.out << fmt::format("  violations          {}\n", failed.size());
  if (base.faults) {
    io.out << fmt::format(
        "  faults injected     byzantine: {} silent, {} equivocating leaders, {} double voters, {} twin pairs, "
        "{} lock attackers ({} played their schedule); "
        "{} crashes / {} restarts; {} partitions; {} messages dropped, {} duplicated; {} invalid payloads proposed\n",
        faults.byzantine_silent, faults.byzantine_equivocating, faults.byzantine_double_voting, faults.twins,
        faults.byzantine_lock_attackers, faults.lock_attacks_launched, faults.crashes, faults.restarts, faults.partitions, faults.dropped, faults.duplicated, faults.invalid_payloads);
    io.out << fmt::format("  evidence            {} equivocations reported by honest engines, {} of them a leader's two proposals "
                          "(each two valid signatures of one Byzantine validator; an honest one reported is a violation)\n",
                          faults.equivocations_reported, faults.proposal_equivocations_reported);
    if (base.epoch_blocks > 0) {
      io.out << fmt::format("  reconfiguration     epochs of {} heights: {} epoch changes (slowest honest member), {} joins, "
                            "{} leaves\n",
                            base.epoch_blocks, faults.epochs, faults.joins, faults.leaves);
    }
    if (!recovery.empty()) {
      io.out << fmt::format("  after GST           all honest validators committed 2 more blocks within median {} ms, "
                            "max {} ms (simulated); timed-out rounds after GST: median {}, max {}\n",
                            median(recovery), *std::max_element(recovery.begin(), recovery.end()), median(rounds),
                            *std::max_element(rounds.begin(), rounds.end()));
    }
  } else {
    io.out << fmt::format("  committed           {} heights per seed, mean proposal-to-commit {:.1f} ms with {} ms links "
                          "({:.1f} message delays)\n",
                          median(heights), latency_sum / static_cast<double>(o.seeds), o.delay_ms,
                          latency_sum / static_cast<double>(o.seeds) / static_cast<double>(o.delay_ms));
    if (o.crash_for_good > 0) {
      io.out << fmt::format("  failover            {} validator(s) crashed for good at {} ms: longest gap between commits "
                            "after it, median {} ms, max {} ms (simulated)\n",
                            o.crash_for_good, base.crash_at_ms, median(gaps), *std::max_element(gaps.begin(), gaps.end()));
    }
  }
  std::uint64_t total_heights = 0;
  for (auto h : heights) total_heights += h;
  io.out << fmt::format("  work                {} messages delivered, {} blocks committed, {} signatures verified "
                        "({:.1f} per block), {:.1f} s simulated\n",
                        messages, total_heights, verified,
                        total_heights ? static_cast<double>(verified) / static_cast<double>(total_heights) : 0.0,
                        static_cast<double>(sim_ms) / 1000.0);
  io.out << fmt::format("  wall time           {:.1f} s ({:.1f} seeds/s, {:.0f} committed blocks/s, {:.0f} messages/s)\n",
                        wall_s, static_cast<double>(o.seeds) / wall_s, static_cast<double>(total_heights) / wall_s,
                        static_cast<double>(messages) / wall_s);
  for (std::size_t i = 0; i < failed.size() && i < 10; ++i) {
    io.out << "  VIOLATION " << failed[i]->violation << "\n    replay: " << failed[i]->replay_command << "\n";
  }
  return failed.empty() ? kExitOk : kExitFailed;
}

}  // namespace

void add_sim_command(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  auto opts = std::make_shared<SimOptions>();
  CLI::App* sim = app.add_subcommand(
      "sim", "Run the consensus engines in the deterministic simulator (faults, Byzantine validators, twins)");
  sim->add_option("--engine", opts->engine, "ibft or hotstuff")->capture_default_str();
  sim->add_option("--validators", opts->validators, "Validators (n); up to f = (n-1)/3 are Byzantine")->capture_default_str();
  sim->add_option("--seeds", opts->seeds, "How many seeds to run")->capture_default_str();
  sim->add_option("--seed-start", opts->seed_start, "First seed")->capture_default_str();
  sim->add_option("--seed", opts->seed, "Run this one seed (replay a failure); with --trace, print every event");
  sim->add_flag("--trace", opts->trace, "Print the readable trace of a --seed run");
  sim->add_flag("--no-faults", opts->no_faults, "A clean network with fixed delays (throughput benchmark)");
  sim->add_option("--crash-for-good", opts->crash_for_good,
                  "With --no-faults: this many validators crash at 3 s and never come back; reports the longest gap "
                  "between commits after it");
  sim->add_flag("--no-reputation", opts->no_reputation, "HotStuff: plain round-robin leaders (to compare)");
  sim->add_option("--epoch-blocks", opts->epoch_blocks,
                  "Reconfigure: epochs of this many heights, each with a validator set drawn from the validators and "
                  "3 spare members (those outside follow by sync, and join when a later set takes them); 0: one epoch")
      ->capture_default_str();
  sim->add_option("--heights", opts->heights, "With --no-faults: heights to commit per seed")->capture_default_str();
  sim->add_option("--delay-ms", opts->delay_ms, "With --no-faults: one-way message delay")->capture_default_str();
  sim->add_option("--broken", opts->broken,
                  "Run a deliberately broken variant: quorum (f+1), lock (no locking rule), no-persist, previous-set "
                  "(with --epoch-blocks: each epoch runs with the set of the one before)")
      ->capture_default_str();
  sim->add_option("--jobs", opts->jobs, "Threads (default: one per core)");
  sim->callback([&io, &dispatch, opts] { dispatch = [&io, opts] { return run_sim(io, *opts); }; });
}

}  // namespace metanode::cli
