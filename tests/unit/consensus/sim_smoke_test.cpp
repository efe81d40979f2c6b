// A few dozen simulator seeds per engine inside the unit suite, so the fault paths (crash and
// restart, block sync, twins, equivocation) also run under AddressSanitizer and UBSan. The
// thousands of seeds live in tests/sim.
#include <gtest/gtest.h>

#include "consensus/sim/simulator.hpp"

namespace metanode::consensus::sim {
namespace {

TEST(SimSmoke, MixedFaultsBothEnginesBothSizes) {
  for (EngineKind engine : {EngineKind::kIbft, EngineKind::kHotStuff}) {
    for (std::size_t n : {4u, 7u}) {
      for (std::uint64_t seed = 900'001; seed <= 900'030; ++seed) {
        SimConfig cfg;
        cfg.engine = engine;
        cfg.validators = n;
        cfg.seed = seed;
        const SimResult r = run_simulation(cfg);
        EXPECT_TRUE(r.ok) << r.violation << "\n  replay: " << r.replay_command;
      }
    }
  }
}

}  // namespace
}  // namespace metanode::consensus::sim
