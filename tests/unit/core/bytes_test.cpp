#include "core/bytes.hpp"

#include <gtest/gtest.h>

namespace metanode::core {
namespace {

TEST(Hex, RoundTrip) {
  Bytes data = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(to_hex(data), "0001abff");
  EXPECT_EQ(*from_hex("0001abff"), data);
  EXPECT_EQ(*from_hex("0x0001ABFF"), data);
  EXPECT_TRUE(from_hex("")->empty());
}

TEST(Hex, RejectsBadInput) {
  EXPECT_EQ(from_hex("abc").error().code, ErrorCode::kInvalidHex);
  EXPECT_EQ(from_hex("zz").error().code, ErrorCode::kInvalidHex);
  EXPECT_NE(from_hex("0g").error().message.find("position 1"), std::string::npos);
}

TEST(Hex, FixedLength) {
  auto ok = array_from_hex<2>("beef");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[0], 0xbe);
  EXPECT_FALSE(array_from_hex<2>("beefbeef").ok());
  EXPECT_FALSE(array_from_hex<2>("be").ok());
}

}  // namespace
}  // namespace metanode::core
