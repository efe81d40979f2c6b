#include "core/arith.hpp"

#include <gtest/gtest.h>

namespace metanode::core {
namespace {

TEST(Arith, SaturatingFormsStopAtTheTopInsteadOfWrapping) {
  EXPECT_EQ(saturating_add(1, 2), 3u);
  EXPECT_EQ(saturating_add(kU64Max - 1, 1), kU64Max);
  EXPECT_EQ(saturating_add(kU64Max, 1), kU64Max);
  EXPECT_EQ(saturating_add(kU64Max, kU64Max), kU64Max);
  EXPECT_EQ(saturating_mul(2, kU64Max / 2), kU64Max - 1);
  EXPECT_EQ(saturating_mul(2, kU64Max / 2 + 1), kU64Max);
  EXPECT_EQ(saturating_mul(0, kU64Max), 0u);
  // The CLI's default max fee: 2 x base fee + bid, at the edges.
  EXPECT_EQ(saturating_add(saturating_mul(2, 7), kU64Max), kU64Max);
}

TEST(Arith, CheckedFormsSayWhenTheExactResultDoesNotFit) {
  EXPECT_EQ(checked_add(kU64Max - 1, 1), kU64Max);
  EXPECT_FALSE(checked_add(kU64Max, 1).has_value());
  EXPECT_EQ(checked_mul(1ull << 32, (1ull << 32) - 1), kU64Max - (1ull << 32) + 1);
  EXPECT_FALSE(checked_mul(1ull << 32, 1ull << 32).has_value());
}

}  // namespace
}  // namespace metanode::core
