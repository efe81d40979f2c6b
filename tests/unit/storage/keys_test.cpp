#include "storage/keys.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace metanode::storage {
namespace {

TEST(HeightKey, IsEightBytesBigEndian) {
  const HeightKey key = height_key(0x0102030405060708ULL);
  EXPECT_EQ(core::to_hex(key), "0102030405060708");
  EXPECT_EQ(core::to_hex(height_key(0)), "0000000000000000");
  EXPECT_EQ(core::to_hex(height_key(256)), "0000000000000100");
}

TEST(HeightKey, RoundTrips) {
  for (std::uint64_t height : {0ULL, 1ULL, 255ULL, 256ULL, 65535ULL, 1ULL << 40, ~0ULL}) {
    auto decoded = height_from_key(height_key(height));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, height);
  }
}

TEST(HeightKey, ByteOrderIsNumericOrder) {
  std::vector<std::uint64_t> heights = {300, 1, 256, 255, 1ULL << 33, 0, 65536};
  std::vector<HeightKey> keys;
  for (auto h : heights) keys.push_back(height_key(h));
  std::sort(keys.begin(), keys.end());  // std::array compares bytewise, as RocksDB does
  std::sort(heights.begin(), heights.end());
  for (std::size_t i = 0; i < heights.size(); ++i) EXPECT_EQ(*height_from_key(keys[i]), heights[i]);
}

TEST(HeightKey, RejectsWrongLength) {
  core::Bytes short_key(7, 0);
  core::Bytes long_key(9, 0);
  EXPECT_EQ(height_from_key(short_key).error().code, core::ErrorCode::kDecodeInvalidValue);
  EXPECT_EQ(height_from_key(long_key).error().code, core::ErrorCode::kDecodeInvalidValue);
  EXPECT_EQ(height_from_key({}).error().code, core::ErrorCode::kDecodeInvalidValue);
}

TEST(PrefixSuccessor, IncrementsLastByteAndCarries) {
  EXPECT_EQ(core::to_hex(*prefix_successor(core::as_bytes("ab"))), core::to_hex(core::as_bytes("ac")));
  const core::Bytes with_ff = {0x01, 0xff, 0xff};
  EXPECT_EQ(core::to_hex(*prefix_successor(with_ff)), "02");
  const core::Bytes all_ff = {0xff, 0xff};
  EXPECT_FALSE(prefix_successor(all_ff).has_value());
  EXPECT_FALSE(prefix_successor({}).has_value());
}

}  // namespace
}  // namespace metanode::storage
