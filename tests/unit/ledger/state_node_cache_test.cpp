// The state-node cache in front of CueDB: it answers from memory what was written or read
// recently, stays within two generations of nodes, and keeps a node that is still being read
// when older ones are dropped (so a live tree is not evicted wholesale when the cache fills).
#include <gtest/gtest.h>

#include "ledger/chain.hpp"
#include "merkle/node_store.hpp"

namespace metanode::ledger {
namespace {

// The store behind the cache, counting the reads that reach it.
class CountingStore final : public merkle::NodeReader {
 public:
  core::Result<std::optional<core::Bytes>> get_node(const core::Hash32& id) const override {
    ++reads;
    return store.get_node(id);
  }
  merkle::MemoryNodeStore store;
  mutable std::size_t reads = 0;
};

core::Hash32 id_of(std::size_t n) {
  core::Hash32 id{};
  for (std::size_t b = 0; b < 8; ++b) id[b] = static_cast<core::Byte>(n >> (8 * b));
  id[31] = 0x5a;
  return id;
}

core::Bytes node_of(std::size_t n) { return core::Bytes{static_cast<core::Byte>(n), static_cast<core::Byte>(n >> 8), 7}; }

constexpr std::size_t kGeneration = StateNodeCache::kNodesPerGenerationMax;

TEST(StateNodeCache, AnswersWrittenNodesFromMemoryAndMissesFromTheStore) {
  CountingStore base;
  base.store.put_node(id_of(1), node_of(1));
  StateNodeCache cache(base);
  cache.remember(id_of(2), node_of(2));
  auto written = cache.get_node(id_of(2));
  ASSERT_TRUE(written.ok() && written->has_value());
  EXPECT_EQ(**written, node_of(2));
  EXPECT_EQ(base.reads, 0u);
  // A miss reads the store once, then memory serves it.
  for (int i = 0; i < 3; ++i) {
    auto stored = cache.get_node(id_of(1));
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ(**stored, node_of(1));
  }
  EXPECT_EQ(base.reads, 1u);
  auto absent = cache.get_node(id_of(3));
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
}

TEST(StateNodeCache, KeepsNodesStillReadAndDropsTheRestAfterTwoGenerations) {
  CountingStore base;
  StateNodeCache cache(base);
  const std::size_t live = 0;   // read once per generation, like the root path of every block
  const std::size_t stale = 1;  // written once, never read again
  cache.remember(id_of(live), node_of(live));
  cache.remember(id_of(stale), node_of(stale));
  std::size_t next = 2;
  for (int generation = 0; generation < 3; ++generation) {
    for (std::size_t i = 0; i < kGeneration; ++i, ++next) cache.remember(id_of(next), node_of(next));
    auto hit = cache.get_node(id_of(live));
    ASSERT_TRUE(hit.ok() && hit->has_value());
    EXPECT_EQ(**hit, node_of(live));
    EXPECT_LE(cache.size(), 2 * kGeneration);
  }
  EXPECT_EQ(base.reads, 0u) << "a node read in every generation left the cache";
  // The stale node went with its generation: asking for it now goes to the store.
  auto gone = cache.get_node(id_of(stale));
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(base.reads, 1u);
}

}  // namespace
}  // namespace metanode::ledger
